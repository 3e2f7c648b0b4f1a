import {
  diffManifestSets,
  redactSecret,
  withFingerprintKey,
  type DiffEntry,
  type ManifestDiff,
} from '../diff/index.js';
import { describeObject, isRecord, objectId, objectRef, type KubeObject, type ManifestSet } from '../model/objects.js';
import type { ApplySetOptions } from './apply.js';
import { KubeApiError, type KubeClient } from './client.js';
import type { Conflict } from './errors.js';
import { pruneCandidates, ResourceManager } from './manager.js';
import { deferredObjects, type PreparedObject } from './prepare.js';
import { sameObject } from './util.js';

export type PlanOptions = Pick<
  ApplySetOptions,
  | 'environment'
  | 'namespace'
  | 'fieldManager'
  | 'force'
  | 'prune'
  | 'missingKinds'
  | 'checks'
  | 'concurrency'
  | 'signal'
  | 'log'
  | 'progress'
> & {
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
  const all = [
    ...new Set([
      ...Object.keys(isRecord(object.data) ? object.data : {}),
      ...Object.keys(isRecord(object.stringData) ? object.stringData : {}),
    ]),
  ].sort();
  // The names come from the pull request and the server never sees them in a write-only plan: only names Kubernetes
  // accepts as Secret keys are echoed.
  const keys = all.filter((key) => SECRET_KEY.test(key));
  const invalid = all.length - keys.length;
  const ref = objectRef(object);
  const listed = [
    ...keys,
    ...(invalid
      ? [`(${invalid} invalid key name${invalid === 1 ? '' : 's'}: the API server will refuse the Secret)`]
      : []),
  ];
  const patch = `# will be written: Secret values are never read from the cluster or compared by plan\n# keys: ${listed.length ? listed.join(', ') : '(none)'}\n`;
  return {
    id: objectId(object),
    kind: ref.kind,
    namespace: ref.namespace,
    name: ref.name,
    change: 'modified',
    patch,
    additions: 0,
    deletions: 0,
  };
}

/**
 * The change set of a plan. `diff` is the generic diff: callers that know what the objects are (Thanos) add their
 * analysis of `live` and `merged` on top.
 */
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

/**
 * What `apply` would change, computed by the server (defaulting, admission, field ownership) without writing: each
 * object is dry-run applied and compared with the live object; members that left the set show as removed.
 */
export function planManifestSet(client: KubeClient, set: ManifestSet, options: PlanOptions): Promise<PlanResult> {
  // One fingerprint key per plan: live and dry-run Secrets compare equal within it, and never across plans.
  return withFingerprintKey(() => planSet(client, set, options));
}

async function planSet(client: KubeClient, set: ManifestSet, options: PlanOptions): Promise<PlanResult> {
  const manager = new ResourceManager(client, options);
  const prepared = await manager.prepare(set, options);
  const loaded = prepared.applySet.load();
  loaded.catch(() => undefined);
  const writeOnly = options.secrets === 'write-only';
  const secrets = writeOnly ? prepared.objects.filter((p) => isCoreSecret(p.object)) : [];
  const compared = writeOnly ? prepared.objects.filter((p) => !isCoreSecret(p.object)) : prepared.objects;
  const skipKinds = new Set(writeOnly ? [SECRET_GROUP_KIND] : []);
  const pruning = loaded.then(() =>
    options.prune === false
      ? { candidates: [], unlisted: [] }
      : pruneCandidates(prepared.applySet, compared, skipKinds),
  );
  pruning.catch(() => undefined);
  const dryRuns = await manager.planAll(compared, { force: !!options.force, settleConflicts: true });
  await loaded;
  const result: PlanResult = {
    diff: diffManifestSets([], []),
    live: [],
    merged: [],
    conflicts: [],
    immutable: [],
    prune: [],
    warnings: [...prepared.warnings],
    errors: [],
    deferred: deferredObjects(prepared),
  };
  for (const { object, crd } of result.deferred)
    options.log?.(
      `${object}: will be created after CustomResourceDefinition ${crd} (not dry-run: its kind is not served yet)`,
    );
  if (writeOnly && options.prune !== false && prepared.applySet.currentGroupKinds.has(SECRET_GROUP_KIND)) {
    result.warnings.push(
      'Secrets that left the set are not listed by plan (it has no Secret access): the apply prunes them, this plan does not show them',
    );
  }
  // Objects the server (or the managed fields) say stay as they are: not normalized and diffed line by line.
  const unchanged = new Set(
    dryRuns.filter((dryRun) => dryRun.verdict === 'unchanged').map((dryRun) => dryRun.prepared.id),
  );
  for (const dryRun of dryRuns) {
    const p: PreparedObject = dryRun.prepared;
    result.conflicts.push(...dryRun.conflicts);
    if (dryRun.verdict === 'immutable') result.immutable.push({ object: p.name, message: dryRun.immutable ?? '' });
    if (dryRun.verdict === 'refused') {
      const error = dryRun.error as Error;
      // Not an answer of the server: nothing to show for the object but the error.
      if (!(error instanceof KubeApiError)) {
        result.errors.push({ object: p.name, message: error.message });
        continue;
      }
      // A new object whose namespace does not exist yet (the set creates it) is simply new.
      if (!(error.status === 404 && !dryRun.live)) result.errors.push({ object: p.name, message: error.message });
    }
    if (dryRun.live) result.live.push({ file: p.manifest.file, object: masked(dryRun.live) });
    // Without a server answer (new namespace, immutable change, refused), the desired object stands for the result.
    result.merged.push({ file: p.manifest.file, object: masked(dryRun.merged ?? p.object) });
  }
  if (options.prune !== false) {
    const { candidates, unlisted } = await pruning;
    for (const candidate of candidates) {
      result.live.push({ file: '(live)', object: masked(candidate) });
      result.prune.push(describeObject(candidate));
    }
    for (const kind of unlisted)
      result.warnings.push(`cannot list ${kind} members for pruning: the kind is no longer served`);
  }
  result.diff = diffWithoutRework(result.live, result.merged, unchanged);
  for (const p of secrets) {
    result.diff.entries.push(writeOnlySecretEntry(p.object));
    result.diff.counts.modified += 1;
  }
  return result;
}

/**
 * Secrets with their values replaced by fingerprints; every other object as it is (the plan's live and dry-run
 * objects are its own: nothing else holds them).
 */
function masked(object: KubeObject): KubeObject {
  return object.kind === 'Secret' ? redactSecret(object) : object;
}

/**
 * diffManifestSets over the objects the server says would change; objects known unchanged (and any other whose dry-run
 * equals live) are counted as unchanged without normalizing and printing both sides (most of a 500-object plan).
 */
function diffWithoutRework(live: ManifestSet, merged: ManifestSet, known: ReadonlySet<string>): ManifestDiff {
  const liveById = new Map(live.map((m) => [objectId(m.object), m.object]));
  const unchanged = merged.filter((m) => {
    const id = objectId(m.object);
    if (known.has(id)) return true;
    const before = liveById.get(id);
    return before !== undefined && sameObject(before, m.object);
  });
  const skip = new Set(unchanged.map((m) => objectId(m.object)));
  const diff = diffManifestSets(
    live.filter((m) => !skip.has(objectId(m.object))),
    merged.filter((m) => !skip.has(objectId(m.object))),
  );
  for (const m of unchanged) {
    const ref = objectRef(m.object);
    diff.entries.push({
      id: objectId(m.object),
      kind: ref.kind,
      namespace: ref.namespace,
      name: ref.name,
      change: 'unchanged',
      patch: '',
      additions: 0,
      deletions: 0,
    });
  }
  diff.counts.unchanged += unchanged.length;
  return diff;
}
