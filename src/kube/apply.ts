import { objectProblem } from '../model/object-problem.js';
import { caBundleRefusals, formatCaBundleRefusal } from '../thanos/ca-bundle.js';
import { apiGroup, describeObject, objectId, type KubeObject, type Manifest, type ManifestSet } from '../model/objects.js';
import { APPLYSET_PART_OF_LABEL, ApplySet, applySetParentName, spanOf, type MemberKind } from './applyset.js';
import { InterruptedError, KubeApiError, keyOf, uninterruptible, type KubeClient, type ResourceInfo } from './client.js';
import { LEASE_NAME, uniqueHolder, withLease, type HeldLease, type LeaseOptions } from './lease.js';
import { byPhase, type Phase } from './phases.js';
import { ReleaseHistory } from './release/history.js';
import { recordsManifests } from './release/record.js';
import { SecretReleaseStore } from './release/secret-store.js';
import { RolloutTimeoutError, waitForRollout, type RolloutState } from './rollout.js';
import { clone, counted, groupKindString, mapLimit, sameObject, settleLimit } from './util.js';
import { progressCounter, type ProgressListener } from '../model/progress.js';
import { ThanosGitopsError } from '../model/errors.js';

export const FIELD_MANAGER = 'thanos-gitops';

export interface ApplySetOptions {
  /** Names the ApplySet parent (`thanos-gitops-<environment>`) and the release history. */
  environment: string;
  /** Where the parent, the release history and the Lease live; also the namespace of objects that name none. */
  namespace: string;
  fieldManager?: string;
  /** Take over fields other managers own (server-side apply force). */
  force?: boolean;
  /** Delete and re-create objects whose immutable fields change (workloads with propagationPolicy Orphan). */
  recreate?: boolean;
  /** Delete members of the set's previous applies that are no longer in it (default true). */
  prune?: boolean;
  /** Kinds the server does not serve: fail before writing (default) or skip their objects with a warning. */
  missingKinds?: 'fail' | 'skip';
  concurrency?: number;
  /** Take the namespace Lease (default true); pass false when the caller already holds it. */
  lock?: boolean;
  lease?: LeaseOptions & { holder?: string };
  /** Record a release revision (default true). */
  history?: boolean;
  historyLimit?: number;
  sourceCommit?: string;
  description?: string;
  wait?: boolean;
  timeoutMs?: number;
  /** How long to wait for a recreated object to be gone (its orphan finalizer is processed by the garbage collector). */
  deleteTimeoutMs?: number;
  log?: (line: string) => void;
  /** Called as each object is dry-run and written (see src/model/progress.ts). */
  progress?: ProgressListener;
  /** Allow an empty set, which prunes every member of earlier applies (refused by default). */
  allowEmpty?: boolean;
}

export type ObjectAction = 'created' | 'configured' | 'unchanged' | 'recreated' | 'skipped';

export interface ObjectOutcome {
  id: string;
  object: string;
  file: string;
  action: ObjectAction;
}

export interface ApplyResult {
  environment: string;
  /** The release revision recorded, if anything changed and history is on. */
  revision?: number;
  objects: ObjectOutcome[];
  pruned: string[];
  warnings: string[];
  /** Requests that wrote to the apiserver during this apply. */
  writes: number;
  rollout?: RolloutState[];
}

export interface Conflict {
  object: string;
  field: string;
  manager: string;
}

/** Fields owned by other managers; nothing was written. */
export class ApplyConflictError extends ThanosGitopsError {
  override name = 'ApplyConflictError';
  constructor(readonly conflicts: Conflict[]) {
    super(
      `server-side apply conflicts, nothing was written:\n${conflicts.map((c) => `  ${c.object}: ${c.field || '(field)'} is owned by field manager "${c.manager}"`).join('\n')}\n` +
        `Fix: remove the field from the manifest, ask the other manager to release it, or re-run with --force-conflicts to take it over.`,
    );
  }
}

/** Immutable fields would change; nothing was written. */
export class ImmutableFieldError extends ThanosGitopsError {
  override name = 'ImmutableFieldError';
  constructor(readonly objects: Array<{ object: string; message: string }>) {
    super(
      `immutable fields would change, nothing was written:\n${objects.map((o) => `  ${o.object}: ${o.message}`).join('\n')}\n` +
        `Fix: revert the change, or re-run with --recreate to delete these objects (StatefulSets and Deployments with propagationPolicy Orphan: pods and volumes stay) and create them again.`,
    );
  }
}

/** Kinds the apiserver does not serve; nothing was written. */
export class MissingKindsError extends ThanosGitopsError {
  override name = 'MissingKindsError';
  constructor(readonly missing: Array<{ kind: string; objects: string[] }>) {
    super(
      `the API server does not serve these kinds, nothing was written:\n${missing.map((m) => `  ${m.kind}: ${m.objects.slice(0, 5).join(', ')}${m.objects.length > 5 ? `, and ${m.objects.length - 5} more` : ''}`).join('\n')}\n` +
        `Fix: install the CustomResourceDefinition (e.g. the prometheus-operator CRDs for ServiceMonitor), disable the component, or re-run with missing kinds skipped.`,
    );
  }
}

/** Objects failed while writing; the set's other objects and the history are left consistent and re-runnable. */
export class ApplyError extends ThanosGitopsError {
  override name = 'ApplyError';
  constructor(
    readonly failures: Array<{ object: string; error: Error }>,
    readonly stage: string,
    readonly partial: Partial<ApplyResult> = {},
  ) {
    super(`${stage} failed for ${failures.length} object(s):\n${failures.map((f) => `  ${f.error.message.startsWith(f.object) ? f.error.message : `${f.object}: ${f.error.message}`}`).join('\n')}\nRe-running the apply is safe: it converges from wherever this one stopped.`);
  }
}

/** An object of the set, resolved against discovery and labelled as a member. */
export interface PreparedObject {
  manifest: Manifest;
  object: KubeObject;
  id: string;
  name: string;
  resource?: ResourceInfo;
}

export interface Prepared {
  objects: PreparedObject[];
  skipped: PreparedObject[];
  warnings: string[];
  applySet: ApplySet;
}

const MEMBER_KIND_NOT_SERVED = Symbol('not-served');

/** Checks shape, fills namespaces, adds the part-of label, and checks every kind against discovery. */
export async function prepareSet(client: KubeClient, set: ManifestSet, options: Pick<ApplySetOptions, 'environment' | 'namespace' | 'missingKinds'>): Promise<Prepared> {
  const applySet = new ApplySet(client, applySetParentName(options.environment), options.namespace);
  const problems: string[] = [];
  const seen = new Map<string, PreparedObject>();
  let objects: PreparedObject[] = [];
  set.forEach((manifest, index) => {
    const where = `${manifest.file || `object #${index + 1}`}`;
    // Sets built in code (a Lambda release, a rollback) reach here without a source's checks: the same rule applies.
    const problem = objectProblem(manifest.object);
    if (problem) return void problems.push(`${where}: ${problem}`);
    const object = clone(manifest.object);
    const labels = (object.metadata.labels ??= {});
    const existing = labels[APPLYSET_PART_OF_LABEL];
    if (existing !== undefined && existing !== applySet.id) {
      problems.push(`${where}: .metadata.labels["${APPLYSET_PART_OF_LABEL}"] is "${existing}", which belongs to another ApplySet; fix: remove the label, thanos-gitops sets it`);
    }
    labels[APPLYSET_PART_OF_LABEL] = applySet.id;
    objects.push({ manifest, object, id: '', name: '' });
  });
  for (const refusal of caBundleRefusals(set)) problems.push(formatCaBundleRefusal(refusal));
  if (problems.length) throw new Error(`invalid manifest set:\n  ${problems.join('\n  ')}`);

  const kinds = new Map<string, Promise<ResourceInfo | typeof MEMBER_KIND_NOT_SERVED>>();
  // Kinds whose CustomResourceDefinition is part of this set are served once the first phase has run.
  const crdKinds = new Set(
    set
      .filter((m) => m.object.kind === 'CustomResourceDefinition')
      .map((m) => {
        const spec = (m.object.spec ?? {}) as { group?: string; names?: { kind?: string } };
        return `${spec.names?.kind}.${spec.group}`;
      }),
  );
  const definedHere = (object: KubeObject) => crdKinds.has(`${object.kind}.${apiGroup(object.apiVersion)}`);
  await mapLimit(objects, 8, async (prepared) => {
    const { apiVersion, kind } = prepared.object;
    const cacheKey = `${apiVersion}/${kind}`;
    let lookup = kinds.get(cacheKey);
    if (!lookup) {
      lookup = client.resource(apiVersion, kind).catch((error: unknown) => {
        if (error instanceof Error && /does not serve/.test(error.message)) return MEMBER_KIND_NOT_SERVED;
        throw error;
      });
      kinds.set(cacheKey, lookup);
    }
    const info = await lookup;
    if (info !== MEMBER_KIND_NOT_SERVED) {
      prepared.resource = info;
      if (info.namespaced) prepared.object.metadata.namespace ??= options.namespace;
      else delete prepared.object.metadata.namespace;
    } else {
      prepared.object.metadata.namespace ??= options.namespace;
    }
    prepared.id = objectId(prepared.object);
    prepared.name = describeObject(prepared.object);
  });

  // An object defined more than once (kube-thanos's own all.jsonnet does this for shared ServiceAccounts and
  // ServiceMonitors) is applied once, from its last definition: what `kubectl apply -f` does, and what the diff
  // shows. The sources warn when the definitions differ.
  for (const prepared of objects) seen.set(prepared.id, prepared);
  objects = objects.filter((prepared) => seen.get(prepared.id) === prepared);

  const missing = new Map<string, string[]>();
  const served: PreparedObject[] = [];
  const skipped: PreparedObject[] = [];
  for (const prepared of objects) {
    if (prepared.resource || definedHere(prepared.object)) served.push(prepared);
    else {
      const key = `${prepared.object.kind} (${prepared.object.apiVersion})`;
      missing.set(key, [...(missing.get(key) ?? []), prepared.name]);
      skipped.push(prepared);
    }
  }
  const warnings: string[] = [];
  if (missing.size) {
    const list = [...missing].map(([kind, names]) => ({ kind, objects: names }));
    if ((options.missingKinds ?? 'fail') === 'fail') throw new MissingKindsError(list);
    for (const entry of list) warnings.push(`skipped ${entry.objects.length} ${entry.kind} object(s): the API server does not serve this kind`);
  }
  return { objects: served, skipped, warnings, applySet };
}

type Step = 'create' | 'update' | 'unchanged' | 'recreate';

export interface Inspected {
  prepared: PreparedObject;
  live?: KubeObject;
  /** The server's dry-run result: what the object would be after this apply. */
  merged?: KubeObject;
  step: Step;
  immutable?: string;
  /** Already written ahead of the rest (a CustomResourceDefinition the set's objects need); reported, not re-applied. */
  staged?: boolean;
}

/**
 * Reads the live objects of the set: one LIST per kind and namespace where the set has several objects of that kind
 * (Secrets excepted: a namespace's Secrets can be many and large), a GET for the rest. Missing objects map to undefined.
 */
export async function fetchLive(client: KubeClient, objects: readonly PreparedObject[], concurrency: number): Promise<Map<string, KubeObject | undefined>> {
  const live = new Map<string, KubeObject | undefined>();
  const groups = new Map<string, PreparedObject[]>();
  for (const p of objects) {
    if (!p.resource) continue;
    const group = `${p.object.apiVersion}|${p.object.kind}|${p.object.metadata.namespace ?? ''}`;
    groups.set(group, [...(groups.get(group) ?? []), p]);
  }
  const singles: PreparedObject[] = [];
  const lists: PreparedObject[][] = [];
  for (const members of groups.values()) {
    if (members.length >= 5 && members[0]?.object.kind !== 'Secret') lists.push(members);
    else singles.push(...members);
  }
  await mapLimit(lists, concurrency, async (members) => {
    const first = members[0] as PreparedObject;
    const items = await client.list(first.object.apiVersion, first.object.kind, first.object.metadata.namespace);
    const byName = new Map(items.map((item) => [item.metadata.name, item]));
    for (const p of members) live.set(p.id, byName.get(p.object.metadata.name));
  });
  await mapLimit(singles, concurrency, async (p) => {
    live.set(p.id, await client.get(keyOf(p.object)));
  });
  return live;
}

const IMMUTABLE = /field is immutable|Forbidden: updates to \S+ spec for fields other than|may not change once set|is immutable/i;

/**
 * Reads each object and dry-runs its apply: the result tells what would change, whether immutable fields or other
 * managers' fields are in the way, and whether RBAC allows the write. Writes nothing.
 */
export async function inspectObjects(
  client: KubeClient,
  objects: readonly PreparedObject[],
  options: { fieldManager: string; force: boolean; concurrency: number; recreate?: boolean; progress?: ProgressListener | undefined },
): Promise<Inspected[]> {
  const namespacesCreatedHere = new Set(objects.filter((p) => p.object.kind === 'Namespace' && p.object.apiVersion === 'v1').map((p) => p.object.metadata.name));
  const conflicts: Conflict[] = [];
  const immutable: Array<{ object: string; message: string }> = [];
  const failures: Array<{ object: string; error: Error }> = [];
  const liveObjects = await fetchLive(client, objects, options.concurrency);
  const dryRun = progressCounter(options.progress, 'dry-run', objects.length);
  const results = await settleLimit(objects, options.concurrency, counted(dryRun, async (prepared): Promise<Inspected | undefined> => {
    const live = liveObjects.get(prepared.id);
    const namespace = prepared.object.metadata.namespace;
    // Objects whose namespace or CRD this apply creates cannot be dry-run yet; they are new either way.
    if (!prepared.resource || (!live && namespace && namespacesCreatedHere.has(namespace) && !(await namespaceExists(client, namespace)))) {
      return { prepared, step: 'create' };
    }
    try {
      const merged = await client.apply(prepared.object, { fieldManager: options.fieldManager, force: options.force, dryRun: true });
      const inspected: Inspected = { prepared, merged, step: !live ? 'create' : sameObject(live, merged) ? 'unchanged' : 'update' };
      if (live) inspected.live = live;
      return inspected;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 409 && error.conflicts.length) {
        for (const c of error.conflicts) conflicts.push({ object: prepared.name, field: c.field, manager: c.manager });
        return undefined;
      }
      if (error instanceof KubeApiError && error.status === 422 && live && IMMUTABLE.test(error.message)) {
        const message = error.causes.filter((c) => IMMUTABLE.test(c.message ?? '')).map((c) => `${c.field ? `${c.field}: ` : ''}${c.message}`).join('; ') || error.message;
        if (options.recreate) return { prepared, live, step: 'recreate', immutable: message };
        immutable.push({ object: prepared.name, message });
        return undefined;
      }
      throw error;
    }
  }));
  const inspected: Inspected[] = [];
  results.forEach((result, index) => {
    if (result.ok) {
      if (result.value) inspected.push(result.value);
    } else {
      failures.push({ object: objects[index]?.name ?? '?', error: result.error instanceof Error ? result.error : new Error(String(result.error)) });
    }
  });
  if (failures.length) throw new ApplyError(failures, 'pre-flight check (server-side dry-run), nothing was written;');
  if (immutable.length) throw new ImmutableFieldError(immutable);
  if (conflicts.length) throw new ApplyConflictError(conflicts);
  return inspected;
}

const namespaceCache = new WeakMap<KubeClient, Map<string, Promise<boolean>>>();
function namespaceExists(client: KubeClient, name: string): Promise<boolean> {
  let cache = namespaceCache.get(client);
  if (!cache) namespaceCache.set(client, (cache = new Map()));
  let found = cache.get(name);
  if (!found) {
    found = client.get({ apiVersion: 'v1', kind: 'Namespace', name }).then((ns) => ns !== undefined);
    cache.set(name, found);
  }
  return found;
}

/** Live members of the set that this apply no longer contains. */
export async function pruneCandidates(applySet: ApplySet, objects: readonly PreparedObject[], skipGroupKinds: ReadonlySet<string> = new Set()): Promise<{ candidates: KubeObject[]; unlisted: string[] }> {
  const kinds: MemberKind[] = [];
  const seen = new Set<string>();
  for (const p of objects) {
    const groupKind = groupKindString(p.object.apiVersion, p.object.kind);
    if (p.resource && !seen.has(groupKind)) {
      seen.add(groupKind);
      kinds.push({ groupKind, apiVersion: p.object.apiVersion, kind: p.object.kind });
    }
  }
  if (!applySet.exists) return { candidates: [], unlisted: [] };
  const { members, unlisted } = await applySet.listMembers(kinds.filter((k) => applySet.currentGroupKinds.has(k.groupKind)), skipGroupKinds);
  const keep = new Set(objects.map((p) => p.id));
  return { candidates: members.filter((m) => !keep.has(objectId(m))), unlisted };
}

function sameSpan(applySet: ApplySet, groupKinds: Set<string>, namespaces: Set<string>): boolean {
  const ns = new Set([...namespaces, applySet.namespace]);
  return applySet.exists && groupKinds.size === applySet.currentGroupKinds.size && [...groupKinds].every((g) => applySet.currentGroupKinds.has(g)) && ns.size === applySet.currentNamespaces.size && [...ns].every((n) => applySet.currentNamespaces.has(n));
}

/**
 * Server-side applies a manifest set as one ApplySet: checks everything with dry-runs first (nothing is written when a
 * kind is missing, an immutable field would change or another manager owns a field), then applies only the objects
 * that would change, phase by phase, prunes what left the set, and records a release revision.
 */
export async function applyManifestSet(client: KubeClient, set: ManifestSet, options: ApplySetOptions): Promise<ApplyResult> {
  const log = options.log ?? (() => undefined);
  const fieldManager = options.fieldManager ?? FIELD_MANAGER;
  const concurrency = options.concurrency ?? 8;
  const startWrites = client.writeCount;
  const leaseName = options.lease?.leaseName ?? LEASE_NAME;
  // The Lease as it was before we looked at the cluster: if it is unchanged when we take it, no other run wrote since.
  const leaseBefore = options.lock === false ? undefined : await client.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: options.namespace, name: leaseName });

  const survey = async () => {
    const prepared = await prepareSet(client, set, options);
    await prepared.applySet.load();
    const [inspected, prune] = await Promise.all([
      inspectObjects(client, prepared.objects, { fieldManager, force: !!options.force, concurrency, recreate: !!options.recreate, progress: options.progress }),
      options.prune === false ? { candidates: [], unlisted: [] } : pruneCandidates(prepared.applySet, prepared.objects),
    ]);
    return { prepared, inspected, prune };
  };

  let state = await survey();
  if (state.prepared.objects.length === 0 && state.prune.candidates.length > 0 && !options.allowEmpty) {
    throw new Error(
      `the manifest set is empty: applying it would prune all ${state.prune.candidates.length} members of ${state.prepared.applySet.description}; ` +
        'nothing was written. Fix: check the source (an empty render usually means a wrong path or config), or pass allowEmpty to delete everything',
    );
  }
  const changes = () => state.inspected.filter((i) => i.step !== 'unchanged').length + state.prune.candidates.length;
  const { groupKinds, namespaces } = spanOf(state.prepared.objects.map((p) => p.object));
  if (changes() === 0 && (options.prune === false || sameSpan(state.prepared.applySet, groupKinds, namespaces)) && (await recordedAsDeployed(client, state.prepared, options))) {
    log(`no changes: ${state.inspected.length} object(s) already match`);
    return finish({ environment: options.environment, objects: outcomes(state.inspected, state.prepared.skipped), pruned: [], warnings: state.prepared.warnings, writes: 0 }, options, client, state.prepared.objects);
  }

  const run = async (lease?: HeldLease): Promise<ApplyResult> => {
    const untouched = lease && lease.previousResourceVersion !== undefined && lease.previousResourceVersion === leaseBefore?.metadata.resourceVersion;
    const createdFresh = lease && lease.previousResourceVersion === undefined && leaseBefore === undefined;
    if (lease && !untouched && !createdFresh) {
      log('another run held the lock since this one read the cluster: re-checking the live state');
      state = await survey();
    }
    // Objects of kinds whose CustomResourceDefinition is in this set cannot be dry-run until it is served: apply the
    // definitions first and wait until they are Established (as Flux does), then check everything else with dry-runs
    // before writing it, as for any other set.
    const crds = state.inspected.filter((i) => isCrd(i.prepared.object) && i.step !== 'unchanged');
    if (state.prepared.objects.some((p) => !p.resource) && crds.length > 0) {
      log(`applying ${crds.length} CustomResourceDefinition(s) first: ${deferredObjects(state.prepared).length} object(s) of this set use their kinds`);
      await applyPhase(client, 'namespaces', crds.map((i) => ({ ...i, object: i.prepared.object })), { fieldManager, force: !!options.force, concurrency, log });
      await waitForDefinedKinds(client, crds.map((i) => i.prepared.object), log);
      state = await survey();
      const staged = new Map(crds.map((i) => [i.prepared.id, i]));
      state.inspected = state.inspected.map((i) => {
        const before = staged.get(i.prepared.id);
        return before && i.step === 'unchanged' ? { ...before, prepared: i.prepared, staged: true } : i;
      });
    }
    return await write(client, state, options, { fieldManager, concurrency, log, startWrites });
  };

  if (options.lock === false) return run();
  const holder = options.lease?.holder ?? uniqueHolder(`thanos-gitops-${options.environment}`);
  return withLease(client, options.namespace, holder, (lease) => run(lease), {
    waitTimeoutMs: 60_000,
    ...options.lease,
    onWait: (other) => {
      log(`waiting for Lease ${options.namespace}/${leaseName} held by ${other}`);
      options.lease?.onWait?.(other);
    },
  });
}

/** The manifests a release records for a prepared set. */
function recordedManifests(prepared: Prepared): ManifestSet {
  return prepared.objects.map((p) => ({ file: p.manifest.file, object: p.manifest.object }));
}

/**
 * Whether the deployed revision already records exactly this set. A run stopped after its last write but before it
 * recorded the revision (SIGKILL, a deadline) leaves the cluster matching the set and the history behind it: the
 * next apply writes no object but records the revision, so reconcile and rollback work from what is live.
 */
async function recordedAsDeployed(client: KubeClient, prepared: Prepared, options: ApplySetOptions): Promise<boolean> {
  if (options.history === false) return true;
  const deployed = await new ReleaseHistory(new SecretReleaseStore(client, options.namespace, options.environment)).deployed();
  return deployed !== undefined && recordsManifests(deployed, recordedManifests(prepared));
}

function outcomes(inspected: readonly Inspected[], skipped: readonly PreparedObject[]): ObjectOutcome[] {
  const action: Record<Step, ObjectAction> = { create: 'created', update: 'configured', unchanged: 'unchanged', recreate: 'recreated' };
  return [
    ...inspected.map((i) => ({ id: i.prepared.id, object: i.prepared.name, file: i.prepared.manifest.file, action: action[i.step] })),
    ...skipped.map((p) => ({ id: p.id, object: p.name, file: p.manifest.file, action: 'skipped' as const })),
  ];
}

async function finish(result: ApplyResult, options: ApplySetOptions, client: KubeClient, objects: readonly PreparedObject[]): Promise<ApplyResult> {
  if (options.wait) result.rollout = await waitForRollout(client, objects.map((p) => p.object), options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  return result;
}

async function write(
  client: KubeClient,
  state: { prepared: Prepared; inspected: Inspected[]; prune: { candidates: KubeObject[]; unlisted: string[] } },
  options: ApplySetOptions,
  context: { fieldManager: string; concurrency: number; log: (line: string) => void; startWrites: number },
): Promise<ApplyResult> {
  const { prepared, inspected, prune } = state;
  const { applySet } = prepared;
  const { log, fieldManager, concurrency } = context;
  const history = options.history === false ? undefined : new ReleaseHistory(new SecretReleaseStore(client, options.namespace, options.environment), options.historyLimit ?? 10);
  const members = prepared.objects.map((p) => p.object);
  const writesBefore = client.writeCount;
  const result: ApplyResult = { environment: options.environment, objects: outcomes(inspected, prepared.skipped), pruned: [], warnings: [...prepared.warnings], writes: 0 };
  for (const kind of prune.unlisted) result.warnings.push(`cannot prune ${kind}: the API server no longer serves it; its objects stay in the set's parent annotation`);

  const manifests: ManifestSet = recordedManifests(prepared);
  // Recorded whole even when the run was interrupted: a stopped run leaves one failed revision, never half of one.
  const recordFailure = async (error: Error) => {
    if (!history) return;
    try {
      const release = await uninterruptible(() => history.record({ status: 'failed', manifests, description: error.message, ...(options.sourceCommit ? { sourceCommit: options.sourceCommit } : {}) }));
      result.revision = release.revision;
    } catch (recordError) {
      log(`could not record the failed release: ${(recordError as Error).message}`);
    }
  };

  try {
    await applySet.widen(members);

    const recreate = inspected.filter((i) => i.step === 'recreate');
    if (recreate.length) await recreateObjects(client, recreate, options, log);

    for (const { phase, items } of byPhase(inspected.filter((i) => i.step !== 'unchanged' && !i.staged).map((i) => ({ ...i, object: i.prepared.object })))) {
      await applyPhase(client, phase, items, { fieldManager, force: !!options.force, concurrency, log, progress: options.progress });
      if (phase === 'namespaces') await waitForDefinedKinds(client, items.map((i) => i.object), log);
    }

    if (options.prune !== false) {
      const failures: Array<{ object: string; error: Error }> = [];
      // Dependents first: workloads go before the Services, config and accounts they use.
      for (const { items } of byPhase(prune.candidates.map((object) => ({ object }))).reverse()) {
        const outcomesOfPrune = await settleLimit(items, concurrency, async ({ object }) => {
          await client.delete(keyOf(object), { propagationPolicy: 'Background' });
          return describeObject(object);
        });
        outcomesOfPrune.forEach((outcome, index) => {
          if (outcome.ok) result.pruned.push(outcome.value);
          else failures.push({ object: describeObject((items[index] as { object: KubeObject }).object), error: outcome.error as Error });
        });
      }
      // The parent keeps the superset until every stale member is gone, so a failed prune is retried next time.
      if (failures.length) throw new ApplyError(failures, 'prune', result);
      if (prune.unlisted.length === 0) await applySet.narrow(members);
      for (const name of result.pruned) log(`pruned ${name}`);
    }
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    // A run stopped before its first write changed nothing: a failed revision would only say what did not happen.
    if (!(failure instanceof InterruptedError && client.writeCount === writesBefore)) await recordFailure(failure);
    result.writes = client.writeCount - context.startWrites;
    if (failure instanceof ApplyError) throw new ApplyError(failure.failures, failure.stage, result);
    throw failure;
  }

  if (history) {
    // Every object is written: the revision is recorded (and earlier ones superseded) even if a stop request arrives now.
    const release = await uninterruptible(() =>
      history.record({
        status: 'deployed',
        manifests,
        ...(options.sourceCommit ? { sourceCommit: options.sourceCommit } : {}),
        ...(options.description ? { description: options.description } : {}),
      }),
    );
    result.revision = release.revision;
  }
  try {
    await finish(result, options, client, prepared.objects);
  } catch (error) {
    if (history && result.revision !== undefined && error instanceof RolloutTimeoutError) await history.setStatus(result.revision, 'failed', error.message).catch(() => undefined);
    throw error;
  } finally {
    result.writes = client.writeCount - context.startWrites;
  }
  return result;
}

function isCrd(object: KubeObject): boolean {
  return object.kind === 'CustomResourceDefinition' && apiGroup(object.apiVersion) === 'apiextensions.k8s.io';
}

/** Objects of the set whose kind is not served yet because its CustomResourceDefinition is in the set, with that CRD. */
export function deferredObjects(prepared: Prepared): Array<{ object: string; crd: string }> {
  const definitions = new Map<string, string>();
  for (const p of prepared.objects) {
    if (!isCrd(p.object)) continue;
    const spec = (p.object.spec ?? {}) as { group?: string; names?: { kind?: string } };
    definitions.set(`${spec.names?.kind}.${spec.group}`, p.object.metadata.name);
  }
  return prepared.objects
    .filter((p) => !p.resource)
    .map((p) => ({ object: p.name, crd: definitions.get(`${p.object.kind}.${apiGroup(p.object.apiVersion)}`) ?? '(unknown)' }));
}

/**
 * After CustomResourceDefinitions are applied, waits until each is Established (its names accepted and its kind
 * served, the condition `kubectl wait --for condition=established` waits for) and discovery lists the kind.
 */
async function waitForDefinedKinds(client: KubeClient, objects: readonly KubeObject[], log: (line: string) => void, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const crd of objects.filter(isCrd)) {
    const spec = (crd.spec ?? {}) as { group?: string; names?: { kind?: string }; versions?: Array<{ name: string; served?: boolean }> };
    const version = spec.versions?.find((v) => v.served !== false)?.name;
    if (!spec.group || !spec.names?.kind || !version) continue;
    const apiVersion = `${spec.group}/${version}`;
    const established = async () => {
      const live = await client.get(keyOf(crd));
      const conditions = ((live?.status ?? {}) as { conditions?: Array<{ type?: string; status?: string }> }).conditions ?? [];
      return conditions.some((c) => c.type === 'Established' && c.status === 'True') && (await client.isServed(apiVersion, spec.names!.kind!));
    };
    while (!(await established())) {
      if (Date.now() > deadline) throw new Error(`${describeObject(crd)}: ${spec.names.kind} is still not served ${Math.round(timeoutMs / 1000)}s after applying its CustomResourceDefinition`);
      await client.pause(250, describeObject(crd));
    }
    log(`${spec.names.kind} (${apiVersion}) is served`);
  }
}

/** Applies one phase's objects with bounded concurrency, retrying resourceVersion races; collects every failure. */
async function applyPhase(
  client: KubeClient,
  phase: Phase,
  items: Array<Inspected & { object: KubeObject }>,
  options: { fieldManager: string; force: boolean; concurrency: number; log: (line: string) => void; progress?: ProgressListener | undefined },
): Promise<void> {
  const written = progressCounter(options.progress, `apply`, items.length);
  const results = await settleLimit(items, options.concurrency, counted(written, async (item: Inspected & { object: KubeObject }) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.apply(item.object, { fieldManager: options.fieldManager, force: options.force });
        options.log(`${item.step === 'create' ? 'created' : item.step === 'recreate' ? 'recreated' : 'configured'} ${item.prepared.name}`);
        return;
      } catch (error) {
        // A 409 without field-manager causes is an optimistic-concurrency race with a controller: apply again.
        const race = error instanceof KubeApiError && error.status === 409 && error.conflicts.length === 0;
        if (!race || attempt >= 4) throw error;
        await client.pause(100 * 2 ** attempt, item.prepared.name);
      }
    }
  }));
  const failures = results.flatMap((r, index) => (r.ok ? [] : [{ object: items[index]?.prepared.name ?? '?', error: r.error instanceof Error ? r.error : new Error(String(r.error)) }]));
  if (failures.length) throw new ApplyError(failures, `apply (phase ${phase})`);
}

/** Deletes objects whose immutable fields change (workloads orphan their pods and volumes) and waits until they are gone. */
async function recreateObjects(client: KubeClient, items: Inspected[], options: ApplySetOptions, log: (line: string) => void): Promise<void> {
  const orphanKinds = new Set(['StatefulSet', 'Deployment', 'DaemonSet', 'ReplicaSet', 'Job']);
  for (const item of items) {
    const key = keyOf(item.prepared.object);
    const propagationPolicy = orphanKinds.has(key.kind) ? 'Orphan' : 'Background';
    log(`recreating ${item.prepared.name} (${item.immutable}); deleting with propagationPolicy ${propagationPolicy}`);
    await client.delete(key, { propagationPolicy });
  }
  const deadline = Date.now() + (options.deleteTimeoutMs ?? 120_000);
  for (const item of items) {
    for (;;) {
      const live = await client.get(keyOf(item.prepared.object));
      if (!live || live.metadata.uid !== item.live?.metadata.uid) break;
      if (Date.now() > deadline) {
        const finalizers = (live.metadata.finalizers as string[] | undefined) ?? [];
        throw new Error(`${item.prepared.name}: still being deleted after ${Math.round((options.deleteTimeoutMs ?? 120_000) / 1000)}s (finalizers: ${finalizers.join(', ') || 'none'}); the garbage collector processes the orphan finalizer; re-run when it is gone`);
      }
      await client.pause(250, item.prepared.name);
    }
  }
}
