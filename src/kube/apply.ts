// The apply orchestrator: the namespace Lease, the release history and the rollout wait, composed around one run of
// the resource manager (dry-run everything, apply what changes, prune what left the ApplySet).
import type { KubeObject, ManifestSet } from '../model/objects.js';
import { type ApplySet, spanOf } from './applyset.js';
import type { ChangeSetEntry } from './change-set.js';
import { InterruptedError, uninterruptible, type KubeClient } from './client.js';
import { ApplyConflictError, ApplyError, ImmutableFieldError, type ApplyResult, type Conflict } from './errors.js';
import { LEASE_NAME, uniqueHolder, withLease, type HeldLease, type LeaseOptions } from './lease.js';
import { entryOf, pruneCandidates, ResourceManager, type ResourceManagerOptions } from './manager.js';
import { deferredObjects, isCrd, type Prepared, type PreparedObject, type SetCheck } from './prepare.js';
import { ReleaseHistory } from './release/history.js';
import { recordsManifests, type ReleaseInfo } from './release/record.js';
import { SecretReleaseStore } from './release/secret-store.js';
import type { ReleaseStore } from './release/store.js';
import { RolloutTimeoutError } from './rollout.js';

/** The release revision an apply records. */
export interface ReleaseOptions {
  /** Where the history lives (default: the Secrets of the namespace, Helm-style). */
  store?: ReleaseStore | undefined;
  /** Revisions kept (default 10; the deployed one is never deleted). */
  limit?: number | undefined;
  sourceCommit?: string | undefined;
  /** What happened, e.g. "rollback to 3". */
  description?: string | undefined;
}

export interface ApplySetOptions extends ResourceManagerOptions {
  /** Names the ApplySet parent (`thanos-gitops-<environment>`) and the release history. */
  environment: string;
  /** Where the parent, the release history and the Lease live; also the namespace of objects that name none. */
  namespace: string;
  /** Take over fields other managers own (server-side apply force). */
  force?: boolean | undefined;
  /** Delete and re-create objects whose immutable fields change (workloads with propagationPolicy Orphan). */
  recreate?: boolean | undefined;
  /** How long to wait for a recreated object to be gone (its orphan finalizer is processed by the garbage collector). */
  deleteTimeoutMs?: number | undefined;
  /** Delete members of the set's previous applies that are no longer in it (default true). */
  prune?: boolean | undefined;
  /** Allow an empty set, which prunes every member of earlier applies (refused by default). */
  allowEmpty?: boolean | undefined;
  /** Kinds the server does not serve: fail before writing (default) or skip their objects with a warning. */
  missingKinds?: 'fail' | 'skip' | undefined;
  /** Checks the set must pass before anything is read or written (see SetCheck). */
  checks?: readonly SetCheck[] | undefined;
  /** The namespace Lease taken for the run (default: taken); false when the caller already holds it. */
  lease?: false | (LeaseOptions & { holder?: string | undefined }) | undefined;
  /** The release revision recorded when something changed (default: recorded); false to record none. */
  release?: false | ReleaseOptions | undefined;
  /** Wait for Deployments and StatefulSets to roll out (default: no; true waits up to 5 minutes). */
  wait?: boolean | { timeoutMs?: number | undefined } | undefined;
}

/** An object of the set and what this apply does to it, decided by its dry-run. */
interface Inspected {
  prepared: PreparedObject;
  live?: KubeObject | undefined;
  action: 'created' | 'configured' | 'unchanged' | 'recreated';
  immutable?: string | undefined;
  /** Already written ahead of the rest (a CustomResourceDefinition the set's objects need); reported, not re-applied. */
  staged?: boolean;
}

interface Survey {
  prepared: Prepared;
  inspected: Inspected[];
  prune: { candidates: KubeObject[]; unlisted: string[] };
  /**
   * The release history, listed with the dry-runs (undefined without a release). Read before any write: a list after
   * them waits for the API server's cache to catch up with every write, and under the Lease nobody else records.
   */
  releases: ReleaseInfo[] | undefined;
}

/**
 * Dry-runs every object and decides what to do with it; throws, having written nothing, when an object was refused,
 * immutable fields would change (without recreate) or other managers own fields (without force).
 */
async function inspect(
  manager: ResourceManager,
  objects: readonly PreparedObject[],
  options: ApplySetOptions,
  live?: ReadonlyMap<string, KubeObject | undefined>,
): Promise<Inspected[]> {
  const conflicts: Conflict[] = [];
  const immutable: Array<{ object: string; message: string }> = [];
  const failures: Array<{ object: string; error: Error }> = [];
  const inspected: Inspected[] = [];
  for (const result of await manager.planAll(objects, { force: !!options.force, live })) {
    const { prepared, live } = result;
    switch (result.verdict) {
      case 'created':
      case 'deferred':
        inspected.push({ prepared, action: 'created' });
        break;
      case 'configured':
      case 'unchanged':
        inspected.push({ prepared, live, action: result.verdict });
        break;
      case 'conflict':
        conflicts.push(...result.conflicts);
        break;
      case 'immutable':
        if (options.recreate) inspected.push({ prepared, live, action: 'recreated', immutable: result.immutable });
        else immutable.push({ object: prepared.name, message: result.immutable ?? '' });
        break;
      case 'refused':
        failures.push({ object: prepared.name, error: result.error ?? new Error('refused') });
        break;
    }
  }
  if (failures.length) throw new ApplyError(failures, 'pre-flight check (server-side dry-run), nothing was written;');
  if (immutable.length) throw new ImmutableFieldError(immutable);
  if (conflicts.length) throw new ApplyConflictError(conflicts);
  return inspected;
}

function sameSpan(applySet: ApplySet, groupKinds: Set<string>, namespaces: Set<string>): boolean {
  const ns = new Set([...namespaces, applySet.namespace]);
  return (
    applySet.exists &&
    groupKinds.size === applySet.currentGroupKinds.size &&
    [...groupKinds].every((g) => applySet.currentGroupKinds.has(g)) &&
    ns.size === applySet.currentNamespaces.size &&
    [...ns].every((n) => applySet.currentNamespaces.has(n))
  );
}

/**
 * What a caller already holding the Lease has read for a set: the prepared set, its live objects (see readLive) and
 * the release history.
 */
export interface ReadSet {
  prepared: Prepared;
  live: ReadonlyMap<string, KubeObject | undefined>;
  releases: ReleaseInfo[];
}

/**
 * Server-side applies a manifest set as one ApplySet: checks everything with dry-runs first (nothing is written when a
 * kind is missing, an immutable field would change or another manager owns a field), then applies only the objects
 * that would change, phase by phase, prunes what left the set, and records a release revision. `read` (only with
 * `lease: false`: the caller holds the Lease, so nothing changed since it read) spares reading the set again.
 */
export async function applyManifestSet(
  client: KubeClient,
  set: ManifestSet,
  options: ApplySetOptions,
  read?: ReadSet,
): Promise<ApplyResult> {
  if (read && options.lease !== false)
    throw new Error('applyManifestSet: a set read beforehand needs lease: false (its reader holds the Lease)');
  const manager = new ResourceManager(client, options);
  const kube = manager.client;
  const log = options.log ?? (() => undefined);
  const startWrites = kube.writeCount;
  const lease = options.lease === false ? undefined : (options.lease ?? {});
  const leaseName = lease?.leaseName ?? LEASE_NAME;
  // The Lease as it was before we looked at the cluster: if it is unchanged when we take it, no other run wrote since.
  // Preparing the set reads discovery only, never an object, so it runs alongside.
  const [leaseBefore, firstPrepared] = await Promise.all([
    lease === undefined
      ? undefined
      : kube.get({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          namespace: options.namespace,
          name: leaseName,
        }),
    read?.prepared ?? manager.prepare(set, options),
  ]);

  const survey = async (prepared: Prepared, known?: ReadSet): Promise<Survey> => {
    // The parent is read while the objects are dry-run; a run that stops settles every request it started first.
    const loaded = prepared.applySet.load();
    const [parent, inspected, prune, releases] = await Promise.allSettled([
      loaded,
      inspect(manager, prepared.objects, options, known?.live),
      loaded.then(() =>
        options.prune === false
          ? { candidates: [], unlisted: [] }
          : pruneCandidates(prepared.applySet, prepared.objects),
      ),
      options.release === false
        ? undefined
        : (known?.releases ?? releaseHistory(kube, options, options.release).list()),
    ]);
    if (parent.status === 'rejected') throw parent.reason;
    if (inspected.status === 'rejected') throw inspected.reason;
    if (prune.status === 'rejected') throw prune.reason;
    if (releases.status === 'rejected') throw releases.reason;
    return { prepared, inspected: inspected.value, prune: prune.value, releases: releases.value };
  };
  const resurvey = async () => survey(await manager.prepare(set, options));

  let state = await survey(firstPrepared, read);
  if (state.prepared.objects.length === 0 && state.prune.candidates.length > 0 && !options.allowEmpty) {
    throw new Error(
      `the manifest set is empty: applying it would prune all ${state.prune.candidates.length} members of ${state.prepared.applySet.description}; ` +
        'nothing was written. Fix: check the source (an empty render usually means a wrong path or config), or pass allowEmpty to delete everything',
    );
  }
  const changes = () => state.inspected.filter((i) => i.action !== 'unchanged').length + state.prune.candidates.length;
  const { groupKinds, namespaces } = spanOf(state.prepared.objects.map((p) => p.object));
  if (
    changes() === 0 &&
    (options.prune === false || sameSpan(state.prepared.applySet, groupKinds, namespaces)) &&
    (await recordedAsDeployed(kube, state, options))
  ) {
    log(`no changes: ${state.inspected.length} object(s) already match`);
    const result: ApplyResult = {
      environment: options.environment,
      objects: outcomes(state.inspected, state.prepared.skipped),
      pruned: [],
      warnings: state.prepared.warnings,
      writes: 0,
    };
    if (options.wait)
      result.rollout = await manager.wait(
        state.prepared.objects.map((p) => p.object),
        waitOptions(options),
      );
    return result;
  }

  const run = async (held?: HeldLease): Promise<ApplyResult> => {
    const untouched =
      held &&
      held.previousResourceVersion !== undefined &&
      held.previousResourceVersion === leaseBefore?.metadata.resourceVersion;
    const createdFresh = held && held.previousResourceVersion === undefined && leaseBefore === undefined;
    if (held && !untouched && !createdFresh) {
      log('another run held the lock since this one read the cluster: re-checking the live state');
      state = await resurvey();
    }
    // Objects of kinds whose CustomResourceDefinition is in this set cannot be dry-run until it is served: apply the
    // definitions first and wait until they are Established (as Flux does), then check everything else with dry-runs
    // before writing it, as for any other set.
    const crds = state.inspected.filter((i) => isCrd(i.prepared.object) && i.action !== 'unchanged') as Array<
      Inspected & { action: 'created' | 'configured' | 'recreated' }
    >;
    if (state.prepared.objects.some((p) => !p.resource) && crds.length > 0) {
      log(
        `applying ${crds.length} CustomResourceDefinition(s) first: ${deferredObjects(state.prepared).length} object(s) of this set use their kinds`,
      );
      await manager.applyAll(crds, { force: !!options.force, reportProgress: false });
      state = await resurvey();
      const staged = new Map(crds.map((i) => [i.prepared.id, i]));
      state.inspected = state.inspected.map((i) => {
        const before = staged.get(i.prepared.id);
        return before && i.action === 'unchanged' ? { ...before, prepared: i.prepared, staged: true } : i;
      });
    }
    return await write(manager, state, options, startWrites);
  };

  if (lease === undefined) return run();
  const holder = lease.holder ?? uniqueHolder(`thanos-gitops-${options.environment}`);
  return withLease(kube, options.namespace, holder, (held) => run(held), {
    waitTimeoutMs: 60_000,
    ...lease,
    onWait: (other) => {
      log(`waiting for Lease ${options.namespace}/${leaseName} held by ${other}`);
      lease.onWait?.(other);
    },
  });
}

function waitOptions(options: ApplySetOptions): { timeoutMs?: number | undefined } {
  return typeof options.wait === 'object' ? options.wait : {};
}

/** The environment's release history, in the store the options name (the namespace's Secrets by default). */
export function releaseHistory(
  client: KubeClient,
  options: Pick<ApplySetOptions, 'namespace' | 'environment'>,
  release: ReleaseOptions = {},
): ReleaseHistory {
  return new ReleaseHistory(
    release.store ?? new SecretReleaseStore(client, options.namespace, options.environment),
    release.limit ?? 10,
  );
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
async function recordedAsDeployed(client: KubeClient, state: Survey, options: ApplySetOptions): Promise<boolean> {
  if (options.release === false) return true;
  const deployed = await releaseHistory(client, options, options.release).deployed(state.releases);
  return deployed !== undefined && recordsManifests(deployed, recordedManifests(state.prepared));
}

function outcomes(inspected: readonly Inspected[], skipped: readonly PreparedObject[]): ChangeSetEntry[] {
  return [...inspected.map((i) => entryOf(i.prepared, i.action)), ...skipped.map((p) => entryOf(p, 'skipped'))];
}

async function write(
  manager: ResourceManager,
  state: Survey,
  options: ApplySetOptions,
  startWrites: number,
): Promise<ApplyResult> {
  const client = manager.client;
  const { prepared, inspected, prune } = state;
  const { applySet } = prepared;
  const log = options.log ?? (() => undefined);
  const release = options.release === false ? undefined : (options.release ?? {});
  const history = release === undefined ? undefined : releaseHistory(client, options, release);
  const members = prepared.objects.map((p) => p.object);
  const writesBefore = client.writeCount;
  const result: ApplyResult = {
    environment: options.environment,
    objects: outcomes(inspected, prepared.skipped),
    pruned: [],
    warnings: [...prepared.warnings],
    writes: 0,
  };
  for (const kind of prune.unlisted)
    result.warnings.push(
      `cannot prune ${kind}: the API server no longer serves it; its objects stay in the set's parent annotation`,
    );
  const provenance = { ...(release?.sourceCommit ? { sourceCommit: release.sourceCommit } : {}) };

  const manifests: ManifestSet = recordedManifests(prepared);
  // Recorded whole even when the run was interrupted: a stopped run leaves one failed revision, never half of one.
  const recordFailure = async (error: Error) => {
    if (!history) return;
    try {
      const failed = await uninterruptible(() =>
        history.record({ status: 'failed', manifests, description: error.message, ...provenance }, state.releases),
      );
      result.revision = failed.revision;
    } catch (recordError) {
      log(`could not record the failed release: ${(recordError as Error).message}`);
    }
  };

  try {
    await applySet.widen(members);

    const recreate = inspected.filter((i) => i.action === 'recreated');
    if (recreate.length) await manager.recreate(recreate, { deleteTimeoutMs: options.deleteTimeoutMs });

    await manager.applyAll(
      inspected.filter(
        (i): i is Inspected & { action: 'created' | 'configured' | 'recreated' } =>
          i.action !== 'unchanged' && !i.staged,
      ),
      { force: !!options.force },
    );

    if (options.prune !== false) {
      const { deleted, failures } = await manager.deleteAll(prune.candidates);
      result.pruned.push(...deleted.map((entry) => entry.object));
      // The parent keeps the superset until every stale member is gone, so a failed prune is retried next time.
      if (failures.length) throw new ApplyError(failures, 'prune', result);
      if (prune.unlisted.length === 0) await applySet.narrow(members);
      for (const name of result.pruned) log(`pruned ${name}`);
    }
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    // A run stopped before its first write changed nothing: a failed revision would only say what did not happen.
    if (!(failure instanceof InterruptedError && client.writeCount === writesBefore)) await recordFailure(failure);
    result.writes = client.writeCount - startWrites;
    if (failure instanceof ApplyError) throw new ApplyError(failure.failures, failure.stage, result);
    throw failure;
  }

  if (history) {
    // Every object is written: the revision is recorded (and earlier ones superseded) even if a stop request arrives now.
    const deployed = await uninterruptible(() =>
      history.record(
        {
          status: 'deployed',
          manifests,
          ...provenance,
          ...(release?.description ? { description: release.description } : {}),
        },
        state.releases,
      ),
    );
    result.revision = deployed.revision;
  }
  try {
    if (options.wait) result.rollout = await manager.wait(members, waitOptions(options));
  } catch (error) {
    if (history && result.revision !== undefined && error instanceof RolloutTimeoutError)
      await history.setStatus(result.revision, 'failed', error.message).catch(() => undefined);
    throw error;
  } finally {
    result.writes = client.writeCount - startWrites;
  }
  return result;
}
