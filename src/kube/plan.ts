import { diffManifestSets, redactSecret, withFingerprintKey, type DiffEntry, type ManifestDiff } from '../diff/index.js';
import { analyzeDiff } from '../thanos/index.js';
import { describeObject, isRecord, objectId, objectRef, type KubeObject, type ManifestSet } from '../model/objects.js';
import { applyManifestSet, deferredObjects, fetchLive, FIELD_MANAGER, prepareSet, pruneCandidates, type ApplyResult, type ApplySetOptions, type Conflict, type PreparedObject } from './apply.js';
import { KubeApiError, keyOf, type KubeClient } from './client.js';
import { ReleaseHistory } from './release/history.js';
import { restoreSecretValues } from './release/record.js';
import { SecretReleaseStore } from './release/secret-store.js';
import { counted, sameObject, settleLimit } from './util.js';
import { progressCounter } from '../model/progress.js';

export type PlanOptions = Pick<ApplySetOptions, 'environment' | 'namespace' | 'fieldManager' | 'force' | 'prune' | 'missingKinds' | 'concurrency' | 'log' | 'progress'> & {
  /**
   * `compare` (default): Secrets are read and dry-run like everything else (values masked in the diff).
   * `write-only`: Secrets are never read, dry-run or listed: each is reported as "will be written" with its key
   * names. For the plan identity, which serves pull requests: a comparison would tell a PR author whether a guessed
   * value is the live one ("unchanged"), and its RBAC grants no Secret access beyond the ApplySet parent.
   */
  secrets?: 'compare' | 'write-only';
};

/** The ApplySet group-kind of Secrets, as contains-group-kinds spells it. */
const SECRET_GROUP_KIND = 'Secret';

function isCoreSecret(object: KubeObject): boolean {
  return object.kind === 'Secret' && object.apiVersion === 'v1';
}

/** Kubernetes' rule for Secret and ConfigMap keys (IsConfigMapKey). */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** A Secret of the set as a plan without Secret access shows it: its key names, no values, no comparison. */
function writeOnlySecretEntry(object: KubeObject): DiffEntry {
  const all = [...new Set([...Object.keys(isRecord(object.data) ? object.data : {}), ...Object.keys(isRecord(object.stringData) ? object.stringData : {})])].sort();
  // The names come from the pull request and the server never sees them in a write-only plan: only names Kubernetes
  // accepts as Secret keys are echoed.
  const keys = all.filter((key) => SECRET_KEY.test(key));
  const invalid = all.length - keys.length;
  const ref = objectRef(object);
  const listed = [...keys, ...(invalid ? [`(${invalid} invalid key name${invalid === 1 ? '' : 's'}: the API server will refuse the Secret)`] : [])];
  const patch = `# will be written: Secret values are never read from the cluster or compared by plan\n# keys: ${listed.length ? listed.join(', ') : '(none)'}\n`;
  return { id: objectId(object), kind: ref.kind, namespace: ref.namespace, name: ref.name, change: 'modified', patch, additions: 0, deletions: 0 };
}

export interface PlanResult {
  /** Live (masked) vs what the server says the objects would become (masked). */
  diff: ManifestDiff;
  live: ManifestSet;
  merged: ManifestSet;
  /** Fields other managers own: the apply would fail without --force-conflicts. */
  conflicts: Conflict[];
  /** Objects whose immutable fields change: the apply would fail without --recreate. */
  immutable: Array<{ object: string; message: string }>;
  /** Members of earlier applies that the apply would delete. */
  prune: string[];
  warnings: string[];
  /** Objects the server refused to dry-run (RBAC, validation), with its reason. */
  errors: Array<{ object: string; message: string }>;
  /**
   * Objects whose kind comes from a CustomResourceDefinition of this set that the server does not serve yet: they
   * cannot be dry-run now; apply creates the definition first and dry-runs them once it is Established.
   */
  deferred: Array<{ object: string; crd: string }>;
}

interface Probe {
  prepared: PreparedObject;
  live?: KubeObject;
  merged?: KubeObject;
  conflicts: Conflict[];
  immutable?: string;
  error?: string;
}

const IMMUTABLE = /field is immutable|Forbidden: updates to \S+ spec for fields other than|may not change once set|is immutable/i;

/** GET + server-side dry-run apply of one object; never writes. Secrets are masked before anything else sees them. */
async function probe(client: KubeClient, prepared: PreparedObject, live: KubeObject | undefined, fieldManager: string, force: boolean): Promise<Probe> {
  const result: Probe = { prepared, conflicts: [] };
  if (live) result.live = redactSecret(live);
  if (!prepared.resource) return result;
  const dryRun = async (withForce: boolean) => redactSecret(await client.apply(prepared.object, { fieldManager, force: withForce, dryRun: true }));
  try {
    result.merged = await dryRun(force);
  } catch (error) {
    if (!(error instanceof KubeApiError)) throw error;
    if (error.status === 409 && error.conflicts.length) {
      result.conflicts = error.conflicts.map((c) => ({ object: prepared.name, field: c.field, manager: c.manager }));
      // Show what the apply would do once the conflict is settled in our favour.
      result.merged = await dryRun(true);
    } else if (error.status === 422 && live && IMMUTABLE.test(error.message)) {
      result.immutable = error.message;
    } else if (error.status === 404 && !live) {
      // The namespace does not exist yet (the set creates it): the object is new.
    } else {
      result.error = error.message;
    }
  }
  return result;
}

/**
 * What `apply` would change, computed by the server (defaulting, admission, field ownership) without writing: each
 * object is dry-run applied and compared with the live object; members that left the set show as removed.
 */
export function planManifestSet(client: KubeClient, set: ManifestSet, options: PlanOptions): Promise<PlanResult> {
  // One fingerprint key per plan: live and dry-run Secrets compare equal within it, and never across plans.
  return withFingerprintKey(() => planSet(client, set, options));
}

async function planSet(client: KubeClient, set: ManifestSet, options: PlanOptions): Promise<PlanResult> {
  const fieldManager = options.fieldManager ?? FIELD_MANAGER;
  const prepared = await prepareSet(client, set, options);
  await prepared.applySet.load();
  const writeOnly = options.secrets === 'write-only';
  const secrets = writeOnly ? prepared.objects.filter((p) => isCoreSecret(p.object)) : [];
  const compared = writeOnly ? prepared.objects.filter((p) => !isCoreSecret(p.object)) : prepared.objects;
  const skipKinds = new Set(writeOnly ? [SECRET_GROUP_KIND] : []);
  const pruning = options.prune === false ? Promise.resolve({ candidates: [], unlisted: [] }) : pruneCandidates(prepared.applySet, compared, skipKinds);
  pruning.catch(() => undefined);
  const liveObjects = await fetchLive(client, compared, options.concurrency ?? 8);
  const dryRun = progressCounter(options.progress, 'dry-run', compared.length);
  const probes = await settleLimit(compared, options.concurrency ?? 8, counted(dryRun, (p: PreparedObject) => probe(client, p, liveObjects.get(p.id), fieldManager, !!options.force)));
  const result: PlanResult = { diff: diffManifestSets([], []), live: [], merged: [], conflicts: [], immutable: [], prune: [], warnings: [...prepared.warnings], errors: [], deferred: deferredObjects(prepared) };
  for (const { object, crd } of result.deferred) options.log?.(`${object}: will be created after CustomResourceDefinition ${crd} (not dry-run: its kind is not served yet)`);
  if (writeOnly && options.prune !== false && prepared.applySet.currentGroupKinds.has(SECRET_GROUP_KIND)) {
    result.warnings.push('Secrets that left the set are not listed by plan (it has no Secret access): the apply prunes them, this plan does not show them');
  }
  probes.forEach((outcome, index) => {
    const p = compared[index] as PreparedObject;
    if (!outcome.ok) {
      result.errors.push({ object: p.name, message: (outcome.error as Error).message });
      return;
    }
    const { live, merged, conflicts, immutable, error } = outcome.value;
    result.conflicts.push(...conflicts);
    if (immutable) result.immutable.push({ object: p.name, message: immutable });
    if (error) result.errors.push({ object: p.name, message: error });
    if (live) result.live.push({ file: p.manifest.file, object: live });
    // Without a server answer (new namespace, immutable change, refused), the desired object stands for the result.
    result.merged.push({ file: p.manifest.file, object: merged ?? redactSecret(p.object) });
  });
  if (options.prune !== false) {
    const { candidates, unlisted } = await pruning;
    for (const candidate of candidates) {
      result.live.push({ file: '(live)', object: redactSecret(candidate) });
      result.prune.push(describeObject(candidate));
    }
    for (const kind of unlisted) result.warnings.push(`cannot list ${kind} members for pruning: the kind is no longer served`);
  }
  result.diff = analyzeDiff(diffWithoutRework(result.live, result.merged), result.live, result.merged);
  for (const p of secrets) {
    result.diff.entries.push(writeOnlySecretEntry(p.object));
    result.diff.counts.modified += 1;
  }
  return result;
}

/**
 * diffManifestSets over the objects the server says would change; objects whose dry-run equals live are counted as
 * unchanged without normalizing and printing both sides (most of a 500-object plan).
 */
function diffWithoutRework(live: ManifestSet, merged: ManifestSet): ManifestDiff {
  const liveById = new Map(live.map((m) => [objectId(m.object), m.object]));
  const unchanged = merged.filter((m) => {
    const before = liveById.get(objectId(m.object));
    return before !== undefined && sameObject(before, m.object);
  });
  const skip = new Set(unchanged.map((m) => objectId(m.object)));
  const diff = diffManifestSets(
    live.filter((m) => !skip.has(objectId(m.object))),
    merged.filter((m) => !skip.has(objectId(m.object))),
  );
  for (const m of unchanged) {
    const ref = objectRef(m.object);
    diff.entries.push({ id: objectId(m.object), kind: ref.kind, namespace: ref.namespace, name: ref.name, change: 'unchanged', patch: '', additions: 0, deletions: 0 });
  }
  diff.counts.unchanged += unchanged.length;
  return diff;
}

export interface DriftedObject {
  id: string;
  object: string;
  /** `missing`: deleted out of band; `modified`: fields differ from what the release applied. */
  change: 'missing' | 'modified';
  /** Unified diff of live vs corrected object (Secrets masked). */
  patch: string;
  /** Field managers other than ours that own fields of the object. */
  managers: string[];
}

export interface DriftResult {
  revision?: number;
  drifted: DriftedObject[];
  checked: number;
  diff: ManifestDiff;
}

/**
 * Compares the last deployed release with the live cluster: each object is dry-run applied with force (what reconcile
 * would do) and compared with the live object. Never writes.
 */
export function detectDrift(client: KubeClient, options: PlanOptions): Promise<DriftResult> {
  return withFingerprintKey(() => driftOf(client, options));
}

async function driftOf(client: KubeClient, options: PlanOptions): Promise<DriftResult> {
  const history = new ReleaseHistory(new SecretReleaseStore(client, options.namespace, options.environment));
  const release = await history.deployed();
  if (!release) return { drifted: [], checked: 0, diff: diffManifestSets([], []) };
  const fieldManager = options.fieldManager ?? FIELD_MANAGER;
  // Records keep no Secret values: live ones stand in, and a Secret whose values are not the recorded ones is drift.
  const restored = await restoreSecretValues(client, release, options.namespace, 'live');
  const prepared = await prepareSet(client, restored.manifests, { ...options, missingKinds: 'skip' });
  const liveObjects = await fetchLive(client, prepared.objects, options.concurrency ?? 8);
  const dryRun = progressCounter(options.progress, 'dry-run', prepared.objects.length);
  const probes = await settleLimit(prepared.objects, options.concurrency ?? 8, counted(dryRun, async (p: PreparedObject) => {
    const live = liveObjects.get(p.id);
    if (!live) return { p, live: undefined, merged: undefined };
    const merged = await client.apply(p.object, { fieldManager, force: true, dryRun: true });
    return { p, live, merged };
  }));
  const liveSet: ManifestSet = [];
  const mergedSet: ManifestSet = [];
  const drifted: Array<Omit<DriftedObject, 'patch'>> = [];
  for (const outcome of probes) {
    if (!outcome.ok) throw outcome.error;
    const { p, live, merged } = outcome.value;
    if (!live) {
      drifted.push({ id: p.id, object: p.name, change: 'missing', managers: [] });
      mergedSet.push({ file: p.manifest.file, object: redactSecret(p.object) });
      continue;
    }
    liveSet.push({ file: p.manifest.file, object: redactSecret(live) });
    mergedSet.push({ file: p.manifest.file, object: redactSecret(merged as KubeObject) });
    if (!sameObject(live, merged as KubeObject)) {
      const managers = ((live.metadata.managedFields as Array<{ manager?: string }> | undefined) ?? []).map((m) => m.manager ?? '').filter((m) => m && m !== fieldManager && !m.endsWith('-applyset'));
      drifted.push({ id: p.id, object: p.name, change: 'modified', managers: [...new Set(managers)] });
    }
  }
  for (const secret of restored.changedSecrets) {
    if (!drifted.some((d) => d.id === secret.id)) drifted.push({ ...secret, change: 'modified', managers: [] });
  }
  const diff = analyzeDiff(diffManifestSets(liveSet, mergedSet), liveSet, mergedSet);
  const patches = new Map(diff.entries.map((e) => [e.id, e.patch]));
  return {
    revision: release.revision,
    checked: prepared.objects.length,
    diff,
    drifted: drifted.map((d) => ({ ...d, patch: patches.get(d.id) ?? '' })),
  };
}

export interface ReconcileResult {
  drift: DriftResult;
  apply?: ApplyResult;
}

/**
 * Puts drifted objects back to the deployed release: re-applies the release with force, which writes only the objects
 * whose dry-run differs from live (exactly the drifted ones). The deployed revision stays the same.
 */
export async function reconcile(client: KubeClient, options: Omit<ApplySetOptions, 'force' | 'history'>): Promise<ReconcileResult> {
  const drift = await detectDrift(client, options);
  if (drift.drifted.length === 0 || drift.revision === undefined) return { drift };
  const release = await new SecretReleaseStore(client, options.namespace, options.environment).get(drift.revision);
  if (!release) return { drift };
  const restored = await restoreSecretValues(client, release, options.namespace, 'live');
  const apply = await applyManifestSet(client, restored.manifests, { ...options, force: true, history: false, missingKinds: 'skip' });
  for (const { object: name } of restored.changedSecrets) {
    apply.warnings.push(`${name} differs from revision ${release.revision} (or is gone) and release records keep no Secret values: its live values were kept; deploy the source again to restore it`);
  }
  return { drift, apply };
}

/** Re-applies a recorded revision as a new revision (like `helm rollback`). */
export async function rollback(client: KubeClient, revision: number, options: ApplySetOptions): Promise<ApplyResult> {
  const history = new ReleaseHistory(new SecretReleaseStore(client, options.namespace, options.environment), options.historyLimit ?? 10);
  const release = await history.get(revision);
  if (!release) {
    const known = (await history.list()).map((r) => r.revision);
    throw new Error(`environment ${options.environment} has no release revision ${revision} in namespace ${options.namespace}; recorded revisions: ${known.join(', ') || 'none'}`);
  }
  const applyOptions: ApplySetOptions = { ...options, description: options.description ?? `rollback to ${revision}` };
  if (release.sourceCommit) applyOptions.sourceCommit = release.sourceCommit;
  // Refused, not guessed, when a Secret no longer holds the revision's values: the record cannot bring them back.
  const restored = await restoreSecretValues(client, release, options.namespace, 'exact');
  return applyManifestSet(client, restored.manifests, applyOptions);
}

export { objectId };
