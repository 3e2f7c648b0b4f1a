import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { describeObject, isRecord, objectId, type KubeObject, type ManifestSet } from '../../model/objects.js';
import type { KubeClient } from '../client.js';

/** `pending`: an operation is under way on this revision (an ordered apply); its state says which step it reached. */
export type ReleaseStatus = 'deployed' | 'superseded' | 'failed' | 'pending';

/** One recorded apply of an environment's set: what a ReleaseStore keeps per revision. */
export interface Release {
  environment: string;
  revision: number;
  sourceCommit?: string;
  time: string;
  status: ReleaseStatus;
  /** What happened, e.g. "rollback to 3" or the failure message. */
  description?: string;
  manifests: ManifestSet;
  /**
   * Secrets of the set, by objectId: their key names and a salted digest of their values. The manifests hold these
   * Secrets without `data`/`stringData`: a release record lives for ten revisions and must not keep old credentials.
   * Records written before this field existed still hold values and are used as they are.
   */
  secretValues?: Record<string, SecretValueDigest>;
}

export interface SecretValueDigest {
  keys: string[];
  /** Keys the manifest gave as `stringData`: restored the same way, so field ownership stays what apply wrote. */
  stringDataKeys?: string[];
  /** base64 salt; the digest is sha256(salt || canonical values), so equal values in two records do not show. */
  salt: string;
  digest: string;
}

/** Summary without manifests (history listing never needs Secret contents). */
export type ReleaseInfo = Omit<Release, 'manifests'> & { objects: number };

function isSecretObject(object: KubeObject): boolean {
  return object.kind === 'Secret' && (object.apiVersion === 'v1' || object.apiVersion === '');
}

/** A Secret's values as the API server stores them: `stringData` folded into `data` (stringData wins), as bytes. */
function secretBytes(object: KubeObject): Map<string, Buffer> {
  const values = new Map<string, Buffer>();
  if (isRecord(object['data']))
    for (const [key, value] of Object.entries(object['data']))
      values.set(key, Buffer.from(String(value ?? ''), 'base64'));
  if (isRecord(object['stringData']))
    for (const [key, value] of Object.entries(object['stringData']))
      values.set(key, Buffer.from(String(value ?? ''), 'utf8'));
  return values;
}

function digestOf(values: Map<string, Buffer>, salt: Buffer): string {
  const hash = createHash('sha256').update(salt);
  for (const key of [...values.keys()].sort()) {
    const value = values.get(key)!;
    // Length-prefixed, so no two different maps hash the same input.
    hash.update(`${Buffer.byteLength(key)}:${key}:${value.length}:`).update(value);
  }
  return hash.digest('hex');
}

/** Whether the Secret's values are the ones `entry` recorded (compared in constant time: the digest guards values). */
function matchesDigest(object: KubeObject, entry: SecretValueDigest): boolean {
  const expected = Buffer.from(entry.digest, 'hex');
  const actual = Buffer.from(digestOf(secretBytes(object), Buffer.from(entry.salt, 'base64')), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The set as a release record keeps it: every Secret without its values, plus their key names and salted digests. */
export function withoutSecretValues(manifests: ManifestSet): {
  manifests: ManifestSet;
  secretValues: Record<string, SecretValueDigest>;
} {
  const secretValues: Record<string, SecretValueDigest> = {};
  const stripped = manifests.map((manifest) => {
    const object = manifest.object;
    if (!isSecretObject(object)) return manifest;
    const values = secretBytes(object);
    const salt = randomBytes(16);
    const digest: SecretValueDigest = {
      keys: [...values.keys()].sort(),
      salt: salt.toString('base64'),
      digest: digestOf(values, salt),
    };
    if (isRecord(object['stringData'])) digest.stringDataKeys = Object.keys(object['stringData']).sort();
    secretValues[objectId(object)] = digest;
    const copy = structuredClone(object);
    delete copy['data'];
    delete copy['stringData'];
    return { ...manifest, object: copy };
  });
  return { manifests: stripped, secretValues };
}

/**
 * Whether `release` records exactly `manifests`: the same objects once Secret values are taken out, and each Secret's
 * values matching the digest recorded for it (under that record's salt).
 */
export function recordsManifests(release: Release, manifests: ManifestSet): boolean {
  if (JSON.stringify(withoutSecretValues(manifests).manifests) !== JSON.stringify(release.manifests)) return false;
  for (const { object } of manifests) {
    if (!isSecretObject(object)) continue;
    const entry = release.secretValues?.[objectId(object)];
    if (!entry || !matchesDigest(object, entry)) return false;
  }
  return true;
}

export interface RestoredRelease {
  manifests: ManifestSet;
  /** Secrets whose live values are not the recorded ones (changed or deleted since): objectId and describeObject name. */
  changedSecrets: Array<{ id: string; object: string }>;
}

/**
 * The release's manifests with each Secret's values filled in from the live Secret, for re-applying a recorded
 * revision (rollback, reconcile, drift). Server-side apply of a Secret without `data` would delete the values this
 * field manager wrote, so the live values are applied back, checked against the recorded digest: when they differ
 * (or the Secret is gone) the recorded values are lost, `mode: 'exact'` throws and `mode: 'live'` keeps the live
 * values (a missing Secret is left out) and names the Secret in `changedSecrets`.
 */
export async function restoreSecretValues(
  client: KubeClient,
  release: Release,
  namespace: string,
  mode: 'exact' | 'live',
): Promise<RestoredRelease> {
  const recorded = release.secretValues ?? {};
  const changedSecrets: RestoredRelease['changedSecrets'] = [];
  const manifests: ManifestSet = [];
  for (const manifest of release.manifests) {
    const object = manifest.object;
    const entry = isSecretObject(object) ? recorded[objectId(object)] : undefined;
    if (!entry) {
      manifests.push(manifest);
      continue;
    }
    const live = await client.get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: object.metadata.namespace ?? namespace,
      name: object.metadata.name,
    });
    if (!live || !matchesDigest(live, entry)) {
      const name = describeObject(object);
      if (mode === 'exact') {
        throw new Error(
          `cannot restore revision ${release.revision}: ${name} ${live ? 'has other values than' : 'was deleted since'} that revision, and release records keep ` +
            `no Secret values (only key names: ${entry.keys.join(', ') || 'none'}); deploy the revision's source${release.sourceCommit ? ` commit ${release.sourceCommit}` : ''} again instead, which brings its Secrets`,
        );
      }
      changedSecrets.push({ id: objectId(object), object: name });
      if (!live) continue;
    }
    const copy = structuredClone(object);
    const data: Record<string, string> = {};
    const stringData: Record<string, string> = {};
    const asString = new Set(entry.stringDataKeys ?? []);
    for (const [key, bytes] of secretBytes(live!)) {
      const text = bytes.toString('utf8');
      if (asString.has(key) && Buffer.from(text, 'utf8').equals(bytes)) stringData[key] = text;
      else data[key] = bytes.toString('base64');
    }
    if (Object.keys(data).length > 0) copy['data'] = data;
    if (Object.keys(stringData).length > 0) copy['stringData'] = stringData;
    manifests.push({ ...manifest, object: copy });
  }
  return { manifests, changedSecrets };
}

/** How much of a description a record's summary keeps (the Secret store holds it in an annotation). */
export const SUMMARY_DESCRIPTION_CHARS = 1000;
