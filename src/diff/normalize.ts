import { AsyncLocalStorage } from 'node:async_hooks';
import { createHmac, randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { isRecord, type KubeObject } from '../model/objects.js';
import { maskSecretShapes } from './secret-shapes.js';
import { setEntry, sortKeysDeep } from '../model/json.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Fields the API server owns: they differ between any two reads and say nothing about the desired state. */
const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'generation',
  'selfLink',
] as const;

const FINGERPRINT = /^hmac-sha256:[0-9a-f]{10}$/;

// Keyed per report run, not per process: a warm Lambda container answers many plans, and one key for all of them
// would let a pull request author compare a guessed value's fingerprint with the live Secret's across runs. Within
// one run both sides are masked with the same key, so equal values still match and a changed value still shows.
const fingerprintKeys = new AsyncLocalStorage<Buffer>();

/**
 * Runs `work` (one report run: a diff, a plan, a drift check) with its own fingerprint key; nested calls share the
 * outer run's key. Outside any run every fingerprint gets a fresh key, so it can be compared with nothing.
 */
export function withFingerprintKey<T>(work: () => T): T {
  return fingerprintKeys.getStore() ? work() : fingerprintKeys.run(randomBytes(32), work);
}

/**
 * `hmac-sha256:<first 10 hex>`: shows that a value changed without revealing it, nor its length (a length narrows a
 * guess, and tells a 4-digit PIN from a key).
 */
export function fingerprint(bytes: Uint8Array): string {
  const key = fingerprintKeys.getStore() ?? randomBytes(32);
  return `hmac-sha256:${createHmac('sha256', key).update(bytes).digest('hex').slice(0, 10)}`;
}

export function isFingerprint(value: unknown): boolean {
  return typeof value === 'string' && FINGERPRINT.test(value);
}

/**
 * Loose on purpose: sources refuse `kind: secret` and `apiVersion: core/v1`, but whatever reaches a report spelled
 * like a Secret in any case is masked as one.
 */
function isSecret(object: KubeObject): boolean {
  return (
    typeof object.kind === 'string' &&
    object.kind.toLowerCase() === 'secret' &&
    (typeof object.apiVersion !== 'string' || /^(?:(?:core\/)?v1)?$/i.test(object.apiVersion))
  );
}

/**
 * Masks a Secret's values. `stringData` is folded into `data` first (as the API server does, stringData
 * winning), then every value becomes a fingerprint of its decoded bytes, so the same value written as
 * stringData or as base64 data gets the same fingerprint. Idempotent: fingerprints stay as they are, which
 * lets callers pass sets that were masked already (the plan path masks server dry-run responses).
 * Other kinds are returned as a copy, unchanged.
 */
export function redactSecret(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  if (!isSecret(copy)) return copy;
  const data: Record<string, unknown> = isRecord(copy['data']) ? { ...copy['data'] } : {};
  const stringData = copy['stringData'];
  if (isRecord(stringData)) {
    for (const [key, value] of Object.entries(stringData)) {
      setEntry(data, key, isFingerprint(value) ? value : Buffer.from(String(value ?? ''), 'utf8').toString('base64'));
    }
  }
  delete copy['stringData'];
  for (const [key, value] of Object.entries(data)) {
    if (value === null || value === undefined || isFingerprint(value)) continue;
    setEntry(data, key, fingerprint(Buffer.from(String(value), 'base64')));
  }
  if (Object.keys(data).length > 0 || 'data' in copy || isRecord(stringData)) copy['data'] = data;
  const annotations = copy.metadata.annotations;
  const lastApplied = annotations?.[LAST_APPLIED_ANNOTATION];
  if (annotations && typeof lastApplied === 'string' && !isFingerprint(lastApplied)) {
    annotations[LAST_APPLIED_ANNOTATION] = fingerprint(Buffer.from(lastApplied, 'utf8'));
  }
  return copy;
}

function maskString(value: string): string {
  return maskSecretShapes(value, (secret) => fingerprint(Buffer.from(secret, 'utf8')));
}

function maskDeep(value: unknown): unknown {
  if (typeof value === 'string') return maskString(value);
  if (Array.isArray(value)) return value.map(maskDeep);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) setEntry(out, key, maskDeep(item));
  return out;
}

/**
 * Masks credential-shaped parts of every string of an object other than a Secret (a ConfigMap's objstore config,
 * an env value, an annotation): reports show those objects in clear. The object's identity (apiVersion, kind,
 * name, namespace) is kept as it is, so objects still match across the two sides.
 */
export function redactSecretShapes(object: KubeObject): KubeObject {
  if (isSecret(object)) return object;
  const masked = maskDeep(object) as KubeObject;
  masked.apiVersion = object.apiVersion;
  masked.kind = object.kind;
  if (isRecord(masked.metadata) && isRecord(object.metadata)) {
    masked.metadata.name = object.metadata.name;
    if (object.metadata.namespace !== undefined) masked.metadata.namespace = object.metadata.namespace;
  }
  return masked;
}

/** Re-indents a string holding a JSON object or array so a change to it diffs line by line. */
function prettyJson(value: string): string {
  const trimmed = value.trim();
  if (!(trimmed.startsWith('{') || trimmed.startsWith('['))) return value;
  try {
    // Key order carries no meaning in JSON; sorting keeps a re-serialized file from showing as changed.
    return JSON.stringify(sortKeysDeep(JSON.parse(trimmed) as unknown), null, 2);
  } catch {
    return value;
  }
}

/**
 * The form objects are compared in: no status or server-owned metadata, no last-applied annotation,
 * Secrets masked, credential-shaped strings of other objects masked, JSON inside ConfigMap values (hashrings.json) pretty-printed, keys sorted.
 * Tolerates live objects and server-side dry-run results as well as rendered manifests.
 */
export function normalizeObject(object: KubeObject): KubeObject {
  const copy = redactSecretShapes(redactSecret(object));
  delete copy['status'];
  const metadata = isRecord(copy.metadata) ? copy.metadata : { name: '' };
  copy.metadata = metadata;
  for (const field of SERVER_METADATA) delete metadata[field];
  if (metadata.annotations) {
    delete metadata.annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
  }
  if (copy.kind === 'ConfigMap' && isRecord(copy['data'])) {
    const data: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(copy['data']))
      setEntry(data, key, typeof value === 'string' ? prettyJson(value) : value);
    copy['data'] = data;
  }
  return sortKeysDeep(copy);
}

/** Stable YAML for diffing: block scalars for multi-line strings, no line folding. */
export function toDiffYaml(object: KubeObject): string {
  return stringify(object, { sortMapEntries: true, lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
}
