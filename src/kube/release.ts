import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describeObject, isRecord, objectId, type KubeObject, type ManifestSet } from '../model/objects.js';
import { checkEnvironmentName } from '../model/environment.js';
import type { KubeClient } from './client.js';
import { mapLimit } from './util.js';

export const RELEASE_TYPE = 'thanos-gitops.io/release.v1';
export const RELEASE_OWNER = 'thanos-gitops';
export type ReleaseStatus = 'deployed' | 'superseded' | 'failed';

/** One recorded apply, stored Helm-style in a Secret per revision. */
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

const MAX_SECRET_BYTES = 1024 * 1024;

export function releaseSecretName(environment: string, revision: number): string {
  return `thanos-gitops.release.v1.${environment}.v${revision}`;
}

function labelsFor(environment: string, revision: number, status: ReleaseStatus): Record<string, string> {
  return { name: environment, owner: RELEASE_OWNER, status, version: String(revision) };
}

/** data.release = base64(gzip(JSON)) as Helm stores it; the Secret API base64s those bytes once more on the wire. */
export function encodeRelease(release: Release): string {
  const inner = gzipSync(Buffer.from(JSON.stringify(release))).toString('base64');
  return Buffer.from(inner).toString('base64');
}

export function decodeRelease(wire: string): Release {
  const inner = Buffer.from(wire, 'base64').toString('utf8');
  return JSON.parse(gunzipSync(Buffer.from(inner, 'base64')).toString('utf8')) as Release;
}

function isSecretObject(object: KubeObject): boolean {
  return object.kind === 'Secret' && (object.apiVersion === 'v1' || object.apiVersion === '');
}

/** A Secret's values as the API server stores them: `stringData` folded into `data` (stringData wins), as bytes. */
function secretBytes(object: KubeObject): Map<string, Buffer> {
  const values = new Map<string, Buffer>();
  if (isRecord(object['data'])) for (const [key, value] of Object.entries(object['data'])) values.set(key, Buffer.from(String(value ?? ''), 'base64'));
  if (isRecord(object['stringData'])) for (const [key, value] of Object.entries(object['stringData'])) values.set(key, Buffer.from(String(value ?? ''), 'utf8'));
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

/** The set as a release record keeps it: every Secret without its values, plus their key names and salted digests. */
export function withoutSecretValues(manifests: ManifestSet): { manifests: ManifestSet; secretValues: Record<string, SecretValueDigest> } {
  const secretValues: Record<string, SecretValueDigest> = {};
  const stripped = manifests.map((manifest) => {
    const object = manifest.object;
    if (!isSecretObject(object)) return manifest;
    const values = secretBytes(object);
    const salt = randomBytes(16);
    const digest: SecretValueDigest = { keys: [...values.keys()].sort(), salt: salt.toString('base64'), digest: digestOf(values, salt) };
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
    if (!entry || digestOf(secretBytes(object), Buffer.from(entry.salt, 'base64')) !== entry.digest) return false;
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
export async function restoreSecretValues(client: KubeClient, release: Release, namespace: string, mode: 'exact' | 'live'): Promise<RestoredRelease> {
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
    const live = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: object.metadata.namespace ?? namespace, name: object.metadata.name });
    const liveValues = live ? secretBytes(live) : undefined;
    const same = liveValues !== undefined && (() => {
      const expected = Buffer.from(entry.digest, 'hex');
      const actual = Buffer.from(digestOf(liveValues, Buffer.from(entry.salt, 'base64')), 'hex');
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    })();
    if (!same) {
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

export class ReleaseHistory {
  constructor(
    readonly client: KubeClient,
    readonly namespace: string,
    readonly environment: string,
    readonly keep = 10,
  ) {
    checkEnvironmentName(environment);
  }

  private selector(extra = ''): string {
    return `owner=${RELEASE_OWNER},name=${this.environment}${extra}`;
  }

  private async secrets(extra = ''): Promise<KubeObject[]> {
    const items = await this.client.list('v1', 'Secret', this.namespace, this.selector(extra));
    return items.filter((item) => item.type === RELEASE_TYPE);
  }

  private static info(secret: KubeObject): ReleaseInfo {
    const labels = secret.metadata.labels ?? {};
    const annotations = secret.metadata.annotations ?? {};
    const info: ReleaseInfo = {
      environment: labels.name ?? '',
      revision: Number(labels.version),
      time: annotations['thanos-gitops.io/time'] ?? String(secret.metadata.creationTimestamp ?? ''),
      status: (labels.status ?? 'failed') as ReleaseStatus,
      objects: Number(annotations['thanos-gitops.io/objects'] ?? 0),
    };
    if (annotations['thanos-gitops.io/source-commit']) info.sourceCommit = annotations['thanos-gitops.io/source-commit'];
    if (annotations['thanos-gitops.io/description']) info.description = annotations['thanos-gitops.io/description'];
    return info;
  }

  /** Every recorded revision, oldest first, from labels and annotations only. */
  async list(): Promise<ReleaseInfo[]> {
    return (await this.secrets()).map((secret) => ReleaseHistory.info(secret)).sort((a, b) => a.revision - b.revision);
  }

  async get(revision: number): Promise<Release | undefined> {
    const secret = await this.client.get({ apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name: releaseSecretName(this.environment, revision) });
    const data = (secret?.data as Record<string, string> | undefined)?.release;
    if (!secret || !data) return undefined;
    const release = decodeRelease(data);
    // Labels are the source of truth for status: superseding only relabels.
    release.status = (secret.metadata.labels?.status ?? release.status) as ReleaseStatus;
    return release;
  }

  async deployed(): Promise<Release | undefined> {
    const latest = (await this.list()).filter((r) => r.status === 'deployed').at(-1);
    return latest ? this.get(latest.revision) : undefined;
  }

  /**
   * Records a new revision. When it is deployed, earlier deployed revisions become superseded; then history is trimmed
   * to `keep` entries, never deleting the deployed one.
   */
  async record(entry: Omit<Release, 'revision' | 'environment' | 'time'> & { time?: string }): Promise<Release> {
    const existing = await this.list();
    const revision = (existing.at(-1)?.revision ?? 0) + 1;
    const { manifests, secretValues } = withoutSecretValues(entry.manifests);
    const release: Release = { environment: this.environment, revision, time: entry.time ?? new Date().toISOString(), ...entry, manifests } as Release;
    if (Object.keys(secretValues).length > 0) release.secretValues = secretValues;
    const wire = encodeRelease(release);
    if (wire.length > MAX_SECRET_BYTES) {
      throw new Error(`release ${releaseSecretName(this.environment, revision)} is ${wire.length} bytes compressed, over the 1 MiB Secret limit; split the environment into smaller sets`);
    }
    const annotations: Record<string, string> = { 'thanos-gitops.io/time': release.time, 'thanos-gitops.io/objects': String(release.manifests.length) };
    if (release.sourceCommit) annotations['thanos-gitops.io/source-commit'] = release.sourceCommit;
    if (release.description) annotations['thanos-gitops.io/description'] = release.description.slice(0, 1000);
    await this.client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: releaseSecretName(this.environment, revision), namespace: this.namespace, labels: labelsFor(this.environment, revision, release.status), annotations },
      type: RELEASE_TYPE,
      data: { release: wire },
    });
    if (release.status === 'deployed') {
      await mapLimit(
        existing.filter((r) => r.status === 'deployed'),
        4,
        (r) => this.setStatus(r.revision, 'superseded'),
      );
    }
    await this.trim();
    return release;
  }

  async setStatus(revision: number, status: ReleaseStatus, description?: string): Promise<void> {
    const patch: Record<string, unknown> = { metadata: { labels: { status }, ...(description ? { annotations: { 'thanos-gitops.io/description': description.slice(0, 1000) } } : {}) } };
    await this.client.patchMerge({ apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name: releaseSecretName(this.environment, revision) }, patch);
  }

  private async trim(): Promise<void> {
    const all = await this.list();
    const deployed = all.filter((r) => r.status === 'deployed').at(-1)?.revision;
    const excess = all.length - this.keep;
    if (excess <= 0) return;
    const victims = all.filter((r) => r.revision !== deployed).slice(0, excess);
    for (const victim of victims) {
      await this.client.delete({ apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name: releaseSecretName(this.environment, victim.revision) });
    }
  }
}
