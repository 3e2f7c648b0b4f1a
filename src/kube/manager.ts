// The resource manager: server-side apply of prepared objects, shaped after fluxcd/pkg/ssa's ResourceManager. One
// dry-run primitive classifies what applying an object would do; plan, drift, apply and prune are built from it, and
// every request goes through one client whose AbortSignal stops the run at the next request boundary.
import { describeObject, objectId, type KubeObject, type ManifestSet } from '../model/objects.js';
import { progressCounter, type ProgressListener } from '../model/progress.js';
import type { ApplySet, MemberKind } from './applyset.js';
import type { ChangeSetEntry } from './change-set.js';
import { KubeApiError, keyOf, type KubeClient } from './client.js';
import { ApplyError, type Conflict } from './errors.js';
import { appliedUnchanged } from './managed-fields.js';
import { byPhase } from './phases.js';
import { isCrd, prepareSet, type Prepared, type PrepareOptions, type PreparedObject } from './prepare.js';
import { waitForRollout, type RolloutState } from './rollout.js';
import { counted, groupKindString, mapLimit, sameObject, settleLimit } from './util.js';

export const FIELD_MANAGER = 'thanos-gitops';

export interface ResourceManagerOptions {
  fieldManager?: string | undefined;
  /** Requests in flight at once. */
  concurrency?: number | undefined;
  /** Stops the manager's requests at the next request boundary, as the client's own signal does. */
  signal?: AbortSignal | undefined;
  log?: ((line: string) => void) | undefined;
  /** Called as each object is dry-run and written (see src/model/progress.ts). */
  progress?: ProgressListener | undefined;
}

/**
 * What a server-side dry-run apply says about one object:
 * - `created`, `configured`, `unchanged`: the apply would succeed, with this effect;
 * - `conflict`: fields other field managers own are in the way (the apply needs force);
 * - `immutable`: immutable fields would change (the apply needs the object deleted and created again);
 * - `deferred`: its kind is not served yet (its CustomResourceDefinition is in the set), so it cannot be dry-run;
 * - `refused`: the server refused it otherwise (RBAC, validation, a missing namespace), or could not be asked.
 */
export type DryRunVerdict = 'created' | 'configured' | 'unchanged' | 'conflict' | 'immutable' | 'deferred' | 'refused';

export interface DryRunResult {
  prepared: PreparedObject;
  verdict: DryRunVerdict;
  live?: KubeObject;
  /** The server's answer: what the object would be after the apply. */
  merged?: KubeObject;
  conflicts: Conflict[];
  /** `immutable`: the fields and the server's reason. */
  immutable?: string;
  /** `refused` (and `conflict`, `immutable`): the error the server answered with. */
  error?: Error;
}

export interface DryRunOptions {
  force: boolean;
  /** On a conflict, dry-run again with force, so `merged` shows the object once the conflict is settled in our favour. */
  settleConflicts?: boolean;
  /** Namespaces the set itself creates: new objects in one that does not exist yet are `created` without a request. */
  newNamespaces?: ReadonlySet<string>;
}

/** What the API server says when an update would change a field that cannot change. */
const IMMUTABLE =
  /field is immutable|Forbidden: updates to \S+ spec for fields other than|may not change once set|is immutable/i;

export function isImmutableFieldError(error: unknown): error is KubeApiError {
  return error instanceof KubeApiError && error.status === 422 && IMMUTABLE.test(error.message);
}

export class ResourceManager {
  readonly client: KubeClient;
  readonly fieldManager: string;
  readonly concurrency: number;
  private readonly log: (line: string) => void;
  private readonly progress: ProgressListener | undefined;
  private readonly namespaces = new Map<string, Promise<boolean>>();

  constructor(client: KubeClient, options: ResourceManagerOptions = {}) {
    this.client = options.signal ? client.withSignal(options.signal) : client;
    this.fieldManager = options.fieldManager ?? FIELD_MANAGER;
    this.concurrency = options.concurrency ?? 8;
    this.log = options.log ?? (() => undefined);
    this.progress = options.progress;
  }

  /** Checks the set and resolves every object against discovery (see prepareSet). */
  prepare(set: ManifestSet, options: PrepareOptions): Promise<Prepared> {
    return prepareSet(this.client, set, options);
  }

  /**
   * Reads the live objects: one LIST per kind and namespace where there are five or more objects of that kind
   * (Secrets excepted: a namespace's Secrets can be many and large), a GET for the rest, all in one wave. Missing
   * objects map to undefined.
   */
  async readLive(objects: readonly PreparedObject[]): Promise<Map<string, KubeObject | undefined>> {
    const live = new Map<string, KubeObject | undefined>();
    const groups = new Map<string, PreparedObject[]>();
    for (const p of objects) {
      if (!p.resource) continue;
      const group = `${p.object.apiVersion}|${p.object.kind}|${p.object.metadata.namespace ?? ''}`;
      groups.set(group, [...(groups.get(group) ?? []), p]);
    }
    const reads: PreparedObject[][] = [];
    for (const members of groups.values()) {
      if (members.length >= 5 && members[0]?.object.kind !== 'Secret') reads.push(members);
      else reads.push(...members.map((p) => [p]));
    }
    await mapLimit(reads, this.concurrency, async (members) => {
      const first = members[0] as PreparedObject;
      if (members.length === 1) {
        live.set(first.id, await this.client.get(keyOf(first.object)));
        return;
      }
      const items = await this.client.list(first.object.apiVersion, first.object.kind, first.object.metadata.namespace);
      const byName = new Map(items.map((item) => [item.metadata.name, item]));
      for (const p of members) live.set(p.id, byName.get(p.object.metadata.name));
    });
    return live;
  }

  /** The dry-run primitive: one server-side dry-run apply of `prepared`, classified. Writes nothing. */
  async dryRun(prepared: PreparedObject, live: KubeObject | undefined, options: DryRunOptions): Promise<DryRunResult> {
    const result: DryRunResult = { prepared, verdict: 'created', conflicts: [] };
    if (live) result.live = live;
    if (!prepared.resource) return { ...result, verdict: 'deferred' };
    // What the server would answer for an object this manager applied as it is and nobody changed since, without asking.
    if (live && appliedUnchanged(live, prepared.object, this.fieldManager))
      return { ...result, verdict: 'unchanged', merged: live };
    const namespace = prepared.object.metadata.namespace;
    // An object in a namespace this set creates cannot be dry-run before the namespace exists; it is new either way.
    if (!live && namespace && options.newNamespaces?.has(namespace) && !(await this.namespaceExists(namespace)))
      return result;
    const apply = (force: boolean) =>
      this.client.apply(prepared.object, { fieldManager: this.fieldManager, force, dryRun: true });
    try {
      result.merged = await apply(options.force);
      result.verdict = !live ? 'created' : sameObject(live, result.merged) ? 'unchanged' : 'configured';
      return result;
    } catch (error) {
      if (!(error instanceof KubeApiError)) throw error;
      result.error = error;
      if (error.status === 409 && error.conflicts.length) {
        result.verdict = 'conflict';
        result.conflicts = error.conflicts.map((c) => ({ object: prepared.name, field: c.field, manager: c.manager }));
        if (options.settleConflicts) result.merged = await apply(true);
      } else if (live && isImmutableFieldError(error)) {
        result.verdict = 'immutable';
        result.immutable =
          error.causes
            .filter((c) => IMMUTABLE.test(c.message ?? ''))
            .map((c) => `${c.field ? `${c.field}: ` : ''}${c.message}`)
            .join('; ') || error.message;
      } else {
        result.verdict = 'refused';
      }
      return result;
    }
  }

  /**
   * Reads the objects and dry-runs each one (see dryRun). Errors other than the server's answers (a connection lost
   * after retries) classify the object as `refused`; an interrupted run throws. With `skipMissing`, objects that do
   * not exist are `created` without a dry-run.
   */
  async planAll(
    objects: readonly PreparedObject[],
    options: DryRunOptions & {
      skipMissing?: boolean;
      /** The live objects, when the caller has read them already (see readLive). */
      live?: ReadonlyMap<string, KubeObject | undefined> | undefined;
    },
  ): Promise<DryRunResult[]> {
    const newNamespaces = new Set(
      objects
        .filter((p) => p.object.kind === 'Namespace' && p.object.apiVersion === 'v1')
        .map((p) => p.object.metadata.name),
    );
    const live = options.live ?? (await this.readLive(objects));
    const tick = progressCounter(this.progress, 'dry-run', objects.length);
    const outcomes = await settleLimit(
      objects,
      this.concurrency,
      counted(tick, async (prepared: PreparedObject): Promise<DryRunResult> => {
        const current = live.get(prepared.id);
        if (!current && options.skipMissing) return { prepared, verdict: 'created', conflicts: [] };
        return this.dryRun(prepared, current, { newNamespaces, ...options });
      }),
    );
    return outcomes.map((outcome, index) => {
      if (outcome.ok) return outcome.value;
      const prepared = objects[index] as PreparedObject;
      const result: DryRunResult = {
        prepared,
        verdict: 'refused',
        conflicts: [],
        error: outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error)),
      };
      const current = live.get(prepared.id);
      if (current) result.live = current;
      return result;
    });
  }

  /**
   * Server-side applies the objects phase by phase (what others depend on first), with bounded concurrency, retrying
   * resourceVersion races; after the first phase, waits until the set's CustomResourceDefinitions are served. Throws
   * an ApplyError naming every failed object of the first phase that had failures.
   */
  async applyAll(
    entries: ReadonlyArray<{ prepared: PreparedObject; action: 'created' | 'configured' | 'recreated' }>,
    options: { force: boolean; reportProgress?: boolean },
  ): Promise<ChangeSetEntry[]> {
    const changes: ChangeSetEntry[] = [];
    for (const { phases, items } of byPhase(entries.map((entry) => ({ ...entry, object: entry.prepared.object })))) {
      const tick = progressCounter(options.reportProgress === false ? undefined : this.progress, 'apply', items.length);
      const results = await settleLimit(
        items,
        this.concurrency,
        counted(tick, async (item: (typeof items)[number]) => {
          for (let attempt = 0; ; attempt++) {
            try {
              await this.client.apply(item.object, { fieldManager: this.fieldManager, force: options.force });
              this.log(`${item.action} ${item.prepared.name}`);
              return;
            } catch (error) {
              // A 409 without field-manager causes is an optimistic-concurrency race with a controller: apply again.
              const race = error instanceof KubeApiError && error.status === 409 && error.conflicts.length === 0;
              if (!race || attempt >= 4) throw error;
              await this.client.pause(100 * 2 ** attempt, item.prepared.name);
            }
          }
        }),
      );
      const failures = results.flatMap((r, index) =>
        r.ok
          ? []
          : [
              {
                object: items[index]?.prepared.name ?? '?',
                error: r.error instanceof Error ? r.error : new Error(String(r.error)),
              },
            ],
      );
      if (failures.length) throw new ApplyError(failures, `apply (phase ${phases.join(' and ')})`);
      for (const item of items) changes.push(entryOf(item.prepared, item.action));
      if (phases.includes('namespaces')) await this.waitForDefinedKinds(items.map((item) => item.object));
    }
    return changes;
  }

  /**
   * Deletes objects whose immutable fields change (workloads with propagationPolicy Orphan: their pods and volumes
   * stay) and waits until each is gone, so it can be created again.
   */
  async recreate(
    entries: ReadonlyArray<{ prepared: PreparedObject; live?: KubeObject | undefined; immutable?: string | undefined }>,
    options: { deleteTimeoutMs?: number | undefined } = {},
  ): Promise<void> {
    const orphanKinds = new Set(['StatefulSet', 'Deployment', 'DaemonSet', 'ReplicaSet', 'Job']);
    for (const entry of entries) {
      const key = keyOf(entry.prepared.object);
      const propagationPolicy = orphanKinds.has(key.kind) ? 'Orphan' : 'Background';
      this.log(
        `recreating ${entry.prepared.name} (${entry.immutable}); deleting with propagationPolicy ${propagationPolicy}`,
      );
      await this.client.delete(key, { propagationPolicy });
    }
    const timeoutMs = options.deleteTimeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    for (const entry of entries) {
      for (;;) {
        const live = await this.client.get(keyOf(entry.prepared.object));
        if (!live || live.metadata.uid !== entry.live?.metadata.uid) break;
        if (Date.now() > deadline) {
          const finalizers = (live.metadata.finalizers as string[] | undefined) ?? [];
          throw new Error(
            `${entry.prepared.name}: still being deleted after ${Math.round(timeoutMs / 1000)}s (finalizers: ${finalizers.join(', ') || 'none'}); the garbage collector processes the orphan finalizer; re-run when it is gone`,
          );
        }
        await this.client.pause(250, entry.prepared.name);
      }
    }
  }

  /**
   * Deletes live objects (the ApplySet prune), dependents first: workloads go before the Services, config and
   * accounts they use. Keeps going past failures and returns them with what was deleted.
   */
  async deleteAll(
    objects: readonly KubeObject[],
  ): Promise<{ deleted: ChangeSetEntry[]; failures: Array<{ object: string; error: Error }> }> {
    const deleted: ChangeSetEntry[] = [];
    const failures: Array<{ object: string; error: Error }> = [];
    for (const { items } of byPhase(objects.map((object) => ({ object }))).reverse()) {
      const outcomes = await settleLimit(items, this.concurrency, async ({ object }) => {
        await this.client.delete(keyOf(object), { propagationPolicy: 'Background' });
        return object;
      });
      outcomes.forEach((outcome, index) => {
        if (outcome.ok)
          deleted.push({
            id: objectId(outcome.value),
            object: describeObject(outcome.value),
            file: '(live)',
            action: 'deleted',
          });
        else
          failures.push({
            object: describeObject((items[index] as { object: KubeObject }).object),
            error: outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error)),
          });
      });
    }
    return { deleted, failures };
  }

  /** Waits until the Deployments and StatefulSets among the objects are rolled out (see waitForRollout). */
  wait(objects: readonly KubeObject[], options: { timeoutMs?: number | undefined } = {}): Promise<RolloutState[]> {
    return waitForRollout(
      this.client,
      objects,
      options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    );
  }

  /**
   * After CustomResourceDefinitions are applied, waits until each is Established (its names accepted and its kind
   * served, the condition `kubectl wait --for condition=established` waits for) and discovery lists the kind.
   */
  async waitForDefinedKinds(objects: readonly KubeObject[], timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const crd of objects.filter(isCrd)) {
      const spec = (crd.spec ?? {}) as {
        group?: string;
        names?: { kind?: string };
        versions?: Array<{ name: string; served?: boolean }>;
      };
      const version = spec.versions?.find((v) => v.served !== false)?.name;
      const kind = spec.names?.kind;
      if (!spec.group || !kind || !version) continue;
      const apiVersion = `${spec.group}/${version}`;
      const established = async () => {
        const live = await this.client.get(keyOf(crd));
        const conditions =
          ((live?.status ?? {}) as { conditions?: Array<{ type?: string; status?: string }> }).conditions ?? [];
        return (
          conditions.some((c) => c.type === 'Established' && c.status === 'True') &&
          (await this.client.isServed(apiVersion, kind))
        );
      };
      while (!(await established())) {
        if (Date.now() > deadline)
          throw new Error(
            `${describeObject(crd)}: ${kind} is still not served ${Math.round(timeoutMs / 1000)}s after applying its CustomResourceDefinition`,
          );
        await this.client.pause(250, describeObject(crd));
      }
      this.log(`${kind} (${apiVersion}) is served`);
    }
  }

  private namespaceExists(name: string): Promise<boolean> {
    let found = this.namespaces.get(name);
    if (!found) {
      found = this.client.get({ apiVersion: 'v1', kind: 'Namespace', name }).then((ns) => ns !== undefined);
      this.namespaces.set(name, found);
    }
    return found;
  }
}

/** Live members of the set that it no longer contains: what the ApplySet prune deletes. */
export async function pruneCandidates(
  applySet: ApplySet,
  objects: readonly PreparedObject[],
  skipGroupKinds: ReadonlySet<string> = new Set(),
): Promise<{ candidates: KubeObject[]; unlisted: string[] }> {
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
  const { members, unlisted } = await applySet.listMembers(
    kinds.filter((k) => applySet.currentGroupKinds.has(k.groupKind)),
    skipGroupKinds,
  );
  const keep = new Set(objects.map((p) => p.id));
  return { candidates: members.filter((m) => !keep.has(objectId(m))), unlisted };
}

export function entryOf(prepared: PreparedObject, action: ChangeSetEntry['action']): ChangeSetEntry {
  return { id: prepared.id, object: prepared.name, file: prepared.manifest.file, action };
}
