import { ThanosGitopsError } from '../model/errors.js';
import { isRecord, objectId, type KubeObject, type ManifestSet } from '../model/objects.js';
import type { ApplyOrder } from '../diff/types.js';
import { hashringsOf } from '../thanos/rules/hashring-common.js';
import { smallRingConsequence, smallRings } from '../thanos/rules/hashring-too-small.js';
import { ringConfigHash } from '../thanos/ring-observation.js';
import { SOURCES } from '../thanos/source.js';
import { algorithmFlag, endpointOrdinal, flagValues, replicas, StackView, type RingUse } from '../thanos/stack.js';
import { clone } from '../kube/util.js';

// Resizing an ingestor ring in one apply lets routers send series to pods that do not exist yet (scale-up) or that
// are going away (scale-down). This module turns a release (the live objects vs the set to apply) into the order
// that avoids both: pods exist and are Ready before a ring names them, and a ring stops naming pods before they go.
// It is pure: the executor (ring-executor.ts) carries the steps out and records them on the release.

export type RingStepKind =
  | 'apply-pinned'
  | 'scale-up'
  | 'await-ready'
  | 'publish-ring'
  | 'await-ring-loaded'
  | 'await-heads-uploaded'
  | 'scale-down'
  | 'await-scaled-down'
  | 'apply-final';

export interface StatefulSetRef {
  namespace: string;
  name: string;
}

/** A StatefulSet whose replicas the release changes. */
export interface ReplicaChange extends StatefulSetRef {
  from: number;
  to: number;
}

/** A hashrings file (ConfigMap key) the release changes, and who reads it. */
export interface RingFileChange {
  namespace: string;
  configMap: string;
  key: string;
  /** The file as published, and the `thanos_receive_config_hash` its readers report once they loaded it. */
  content: string;
  configHash: number;
  /** Receiver workloads (routers and ingestors) whose --receive.hashrings-file is this file. */
  readers: Array<{ kind: string; namespace: string; name: string }>;
  added: string[];
  removed: string[];
  /** The file as it is live (what the first step keeps). */
  previous: string;
  /** Names of the ingestor StatefulSets reading it that run hashmod: they flush their head on every ring change. */
  flushingReaders: string[];
}

/** A pod of an ingestor StatefulSet, by ordinal. */
export interface PodRef {
  namespace: string;
  statefulSet: string;
  ordinal: number;
  name: string;
}

export interface RingStep {
  kind: RingStepKind;
  /** What the step does and why, for the plan, the PR report and the log. */
  summary: string;
  replicas?: ReplicaChange[];
  pods?: PodRef[];
  rings?: RingFileChange[];
}

export interface RingStepPlan {
  /** Empty when the release changes no ingestor replicas and no hashring: apply as one step, as always. */
  steps: RingStep[];
  replicaChanges: ReplicaChange[];
  ringChanges: RingFileChange[];
  /** The head set with changing StatefulSets at their live replicas and changing rings at their live content. */
  pinned: ManifestSet;
  warnings: string[];
}

/** A step would leave a hashring with fewer endpoints than the replication factor of its readers. */
export class RingBelowReplicationFactorError extends ThanosGitopsError {
  override name = 'RingBelowReplicationFactorError';
  constructor(readonly problems: string[]) {
    super(
      `the ordered ring change is refused, nothing was written:\n${problems.map((p) => `  ${p}`).join('\n')}\n` +
        `Fix: keep at least as many endpoints as the replication factor in every hashring at every step (scale in smaller steps, or lower the replication factor of routers and ingestors in a release of its own).`,
    );
  }
}

function ref(object: KubeObject, namespace: string): StatefulSetRef {
  return { namespace: object.metadata.namespace ?? namespace, name: object.metadata.name };
}

function podsOf(set: StatefulSetRef, ordinals: number[]): PodRef[] {
  return ordinals.map((ordinal) => ({
    namespace: set.namespace,
    statefulSet: set.name,
    ordinal,
    name: `${set.name}-${ordinal}`,
  }));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

function ringKey(use: RingUse): string {
  return `${use.file.configMap.metadata.namespace ?? ''}/${use.file.configMap.metadata.name}/${use.file.key}/${use.ring.name}/${use.ring.endpoints.length}/${use.replicationFactor}`;
}

/** Rings with fewer endpoints than RF in `state` that were not already that small (same size, same RF) live. */
function newlySmall(base: StackView, state: StackView, step: string): string[] {
  const before = new Set(smallRings(base).map(ringKey));
  return smallRings(state)
    .filter((use) => !before.has(ringKey(use)))
    .map(
      (use) =>
        `${step}: ConfigMap ${use.file.configMap.metadata.namespace ?? ''}/${use.file.configMap.metadata.name} ${use.file.key}: hashring \`${use.ring.name}\` would have ${use.ring.endpoints.length} endpoint${use.ring.endpoints.length === 1 ? '' : 's'} for replication factor ${use.replicationFactor}: ${smallRingConsequence(use)} (${(use.algorithm === 'ketama' ? SOURCES.ketamaMinEndpoints : SOURCES.hashmodGetN).label})`,
    );
}

function withNamespace(object: KubeObject, namespace: string): KubeObject {
  return object.metadata.namespace ? object : { ...object, metadata: { ...object.metadata, namespace } };
}

/**
 * The ordered steps for a release: `base` is the live state (what the cluster runs), `head` the set to apply,
 * `namespace` the one objects without a namespace go to. Refuses (RingBelowReplicationFactorError) when any step
 * would leave a ring smaller than the replication factor of its readers, unless the live ring already was.
 */
export function planRingSteps(base: ManifestSet, head: ManifestSet, namespace: string): RingStepPlan {
  const baseSet = base.map((m) => ({ ...m, object: withNamespace(m.object, namespace) }));
  const headSet = head.map((m) => ({ ...m, object: withNamespace(m.object, namespace) }));
  const baseView = new StackView(baseSet);
  const headView = new StackView(headSet);
  const warnings: string[] = [];

  const replicaChanges: ReplicaChange[] = [];
  for (const ingestor of headView.ingestors()) {
    if (ingestor.object.kind !== 'StatefulSet') continue;
    const live = baseView.objects.get(objectId(ingestor.object));
    if (!live) continue; // a new StatefulSet starts at its replicas: nothing to order
    const from = replicas(live);
    const to = replicas(ingestor.object);
    if (from !== to) replicaChanges.push({ ...ref(ingestor.object, namespace), from, to });
  }

  const ringChanges: RingFileChange[] = [];
  for (const object of headView.objects.values()) {
    if (object.kind !== 'ConfigMap') continue;
    const live = baseView.objects.get(objectId(object));
    if (!live) continue; // a new ring is read by receivers that start with it
    const before = hashringsOf(live);
    for (const [key, rings] of hashringsOf(object)) {
      const content = String((object['data'] as Record<string, unknown>)[key]);
      const liveContent = isRecord(live['data']) ? live['data'][key] : undefined;
      if (liveContent === content) continue;
      const readers = headView.byComponent('receive').filter((w) => {
        const file = headView.hashringFileOf(w.object);
        return file?.configMap === object && file.key === key;
      });
      if (readers.length === 0) continue;
      const oldEndpoints = new Set((before.get(key) ?? []).flatMap((ring) => ring.endpoints));
      const newEndpoints = new Set(rings.flatMap((ring) => ring.endpoints));
      ringChanges.push({
        namespace: object.metadata.namespace ?? namespace,
        configMap: object.metadata.name,
        key,
        content,
        previous: typeof liveContent === 'string' ? liveContent : '',
        configHash: ringConfigHash(content),
        readers: readers.map((r) => ({
          kind: r.object.kind,
          namespace: r.object.metadata.namespace ?? namespace,
          name: r.object.metadata.name,
        })),
        added: [...newEndpoints].filter((e) => !oldEndpoints.has(e)),
        removed: [...oldEndpoints].filter((e) => !newEndpoints.has(e)),
        // The flag decides whether an ingestor flushes on a ring change, whatever the file says (cmd/thanos/receive.go).
        flushingReaders: readers
          .filter((r) => headView.ingestors().includes(r) && algorithmFlag(r.object) !== 'ketama')
          .map((r) => r.object.metadata.name),
      });
    }
  }

  if (replicaChanges.length === 0 && ringChanges.length === 0)
    return { steps: [], replicaChanges, ringChanges, pinned: headSet, warnings };

  const pinned = pinnedSet(headSet, replicaChanges, ringChanges, namespace);

  // Every state a step leaves: after step 1 (live rings read with the new flags and RF), after the ring is published.
  const problems = [
    ...newlySmall(baseView, new StackView(pinned), 'after applying the other objects'),
    ...newlySmall(baseView, headView, 'after publishing the ring'),
  ];
  if (problems.length) throw new RingBelowReplicationFactorError(problems);

  const growing = replicaChanges.filter((c) => c.to > c.from);
  const shrinking = replicaChanges.filter((c) => c.to < c.from);
  const removedEndpoints = new Set(ringChanges.flatMap((c) => c.removed));
  // Pods the published ring names that do not run yet: the grown ordinals, and the pods of ingestor StatefulSets this
  // release creates (a new zone or hashring) that the ring starts naming. The first step creates those at their
  // replicas while the ring keeps its live endpoints, so they too are awaited before the ring names them.
  const addedEndpoints = ringChanges.flatMap((c) => c.added);
  const created = headView
    .ingestors()
    .filter((ingestor) => ingestor.object.kind === 'StatefulSet' && !baseView.objects.get(objectId(ingestor.object)))
    .map((ingestor) => ({ set: ref(ingestor.object, namespace), replicas: replicas(ingestor.object) }))
    .filter(({ set }) => addedEndpoints.some((e) => endpointOrdinal(e, set.name) !== undefined));
  const newPods = [
    ...growing.flatMap((c) => podsOf(c, range(c.from, c.to))),
    ...created.flatMap(({ set, replicas: n }) => podsOf(set, range(0, n))),
  ];
  const departing: PodRef[] = [];
  for (const ingestor of baseView.ingestors()) {
    if (ingestor.object.kind !== 'StatefulSet') continue;
    const set = ref(ingestor.object, namespace);
    const ordinals = [...removedEndpoints]
      .map((e) => endpointOrdinal(e, set.name))
      .filter((o): o is number => o !== undefined);
    departing.push(
      ...podsOf(
        set,
        [...new Set(ordinals)].sort((a, b) => a - b),
      ),
    );
  }
  for (const change of shrinking) {
    const stillNamed = headView
      .hashringFiles()
      .flatMap((file) => file.rings.flatMap((ring) => ring.endpoints))
      .filter((e) => {
        const o = endpointOrdinal(e, change.name);
        return o !== undefined && o >= change.to;
      });
    if (stillNamed.length)
      warnings.push(
        `StatefulSet ${change.namespace}/${change.name} shrinks to ${change.to} but the hashring still names ${stillNamed.join(', ')}: writes replicated to them fail once they are gone; remove them from the ring in the same release`,
      );
  }

  const slowReaders = [...new Set(ringChanges.flatMap((c) => c.readers))].filter((reader) => {
    const workload = headView
      .byComponent('receive')
      .find((w) => w.object.metadata.name === reader.name && w.object.kind === reader.kind);
    return workload && flagValues(workload.object, '--receive.hashrings-file-refresh-interval').length === 0;
  });
  if (slowReaders.length) {
    warnings.push(
      `${[...new Set(slowReaders.map((r) => `${r.kind} ${r.namespace}/${r.name}`))].join(', ')} re-read the hashrings file only every 5m after its first ConfigMap update (Thanos v0.42.4 pkg/receive/config.go watches it with fsnotify until kubelet's symlink swap removes the watched file; --receive.hashrings-file-refresh-interval defaults to 5m in cmd/thanos/receive.go): waiting for the ring to load can take that long; set hashringsFileRefreshInterval (e.g. 15s) on receiveRouter and receiveIngestor`,
    );
  }

  const names = (pods: PodRef[]) => pods.map((p) => p.name).join(', ');
  const scaleText = (changes: ReplicaChange[]) =>
    changes.map((c) => `StatefulSet ${c.namespace}/${c.name} ${c.from} -> ${c.to}`).join(', ');
  const ringText = (changes: RingFileChange[]) =>
    changes
      .map(
        (c) =>
          `ConfigMap ${c.namespace}/${c.configMap} ${c.key}${c.added.length ? ` (+${c.added.length} endpoint${c.added.length === 1 ? '' : 's'})` : ''}${c.removed.length ? ` (-${c.removed.length} endpoint${c.removed.length === 1 ? '' : 's'})` : ''}`,
      )
      .join(', ');

  const steps: RingStep[] = [];
  steps.push({
    kind: 'apply-pinned',
    summary: `apply the other changes; ${[...(replicaChanges.length ? [`ingestor StatefulSets keep their live replicas`] : []), ...(ringChanges.length ? ['hashrings keep their live endpoints'] : [])].join(' and ')}`,
  });
  if (growing.length) steps.push({ kind: 'scale-up', summary: `grow ${scaleText(growing)}`, replicas: growing });
  if (newPods.length) {
    steps.push({
      kind: 'await-ready',
      summary: `wait until ${names(newPods)} ${newPods.length === 1 ? 'is' : 'are'} Ready (pod status), before any ring names ${newPods.length === 1 ? 'it' : 'them'}`,
      pods: newPods,
    });
  }
  if (ringChanges.length) {
    const flushing = [...new Set(ringChanges.flatMap((c) => c.flushingReaders))];
    steps.push({
      kind: 'publish-ring',
      summary: `publish ${ringText(ringChanges)}${flushing.length ? `; hashmod ingestors (${flushing.join(', ')}) flush their head on the change (${SOURCES.flushOnRingChange.label})` : ''}`,
      rings: ringChanges,
    });
    steps.push({
      kind: 'await-ring-loaded',
      summary: `wait until every pod of ${[...new Set(ringChanges.flatMap((c) => c.readers.map((r) => `${r.kind} ${r.namespace}/${r.name}`)))].join(', ')} reports thanos_receive_config_hash of the published file and is Ready (pkg/receive/config.go)`,
      rings: ringChanges,
    });
  }
  if (departing.length) {
    // hashmod ingestors flush and upload on the ring change itself; ketama ones only when they shut down.
    const flushing = new Set(ringChanges.flatMap((c) => c.flushingReaders));
    const flushNow = departing.filter((p) => flushing.has(p.statefulSet));
    if (flushNow.length) {
      steps.push({
        kind: 'await-heads-uploaded',
        summary: `wait until ${names(flushNow)} finished the flush and upload the ring change started (thanos_receive_multi_db_updates_completed_total, cmd/thanos/receive.go)`,
        pods: flushNow,
      });
    }
  }
  if (shrinking.length) {
    const leaving = shrinking.flatMap((c) => podsOf(c, range(c.to, c.from)));
    steps.push({
      kind: 'scale-down',
      summary: `shrink ${scaleText(shrinking)} (PersistentVolumeClaims are kept)`,
      replicas: shrinking,
      pods: leaving,
    });
    steps.push({
      kind: 'await-scaled-down',
      replicas: shrinking,
      summary: `wait until ${names(leaving)} ${leaving.length === 1 ? 'has' : 'have'} exited: they flush their head and upload it before exiting (${SOURCES.flushOnExit.label})`,
      pods: leaving,
    });
  }
  steps.push({ kind: 'apply-final', summary: 'apply the set as committed (prune, record the release)' });
  return { steps, replicaChanges, ringChanges, pinned, warnings };
}

/**
 * What the first step applies: `head` with the changing StatefulSets at their live replicas and the changing rings at
 * their live content. The executor rebuilds it from the release and the recorded changes when it resumes.
 */
export function pinnedSet(
  head: ManifestSet,
  replicaChanges: readonly ReplicaChange[],
  ringChanges: readonly RingFileChange[],
  namespace: string,
): ManifestSet {
  const pinnedReplicas = new Map(replicaChanges.map((c) => [`${c.namespace}/${c.name}`, c.from]));
  return head.map((manifest) => {
    const object = manifest.object;
    const key = `${object.metadata.namespace ?? namespace}/${object.metadata.name}`;
    if (object.kind === 'StatefulSet' && pinnedReplicas.has(key)) {
      const copy = clone(object);
      (copy['spec'] as Record<string, unknown>).replicas = pinnedReplicas.get(key);
      return { ...manifest, object: copy };
    }
    const rings = object.kind === 'ConfigMap' ? ringChanges.filter((c) => `${c.namespace}/${c.configMap}` === key) : [];
    if (rings.length) {
      const copy = clone(object);
      const data = copy['data'] as Record<string, unknown>;
      for (const change of rings) data[change.key] = change.previous;
      return { ...manifest, object: copy };
    }
    return manifest;
  });
}

/** Numbered lines for plan output and reports. */
export function formatRingSteps(plan: RingStepPlan): string[] {
  return plan.steps.map((step, index) => `${index + 1}. ${step.kind}: ${step.summary}`);
}

/** The apply order for reports: the numbered steps, or the refusal; undefined when the release needs no ordering. */
export function applyOrderFor(base: ManifestSet, head: ManifestSet, namespace: string): ApplyOrder | undefined {
  try {
    const plan = planRingSteps(base, head, namespace);
    return plan.steps.length ? { steps: formatRingSteps(plan), warnings: plan.warnings } : undefined;
  } catch (error) {
    if (error instanceof RingBelowReplicationFactorError) return { steps: [], refused: error.message, warnings: [] };
    throw error;
  }
}
