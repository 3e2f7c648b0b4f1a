import { ThanosGitopsError } from '../model/errors.js';
import { createHash } from 'node:crypto';
import type { KubeObject, ManifestSet } from '../model/objects.js';
import {
  CONFIG_HASH_METRIC,
  CONFIG_RELOAD_OK_METRIC,
  FLUSH_COMPLETED_METRIC,
  FLUSH_STARTED_METRIC,
  metricValue,
  RING_OBSERVATION_SOURCES,
} from '../thanos/ring-observation.js';
import { applyManifestSet, releaseHistory, type ApplySetOptions } from '../kube/apply.js';
import type { ApplyResult } from '../kube/errors.js';
import { ResourceManager } from '../kube/manager.js';
import type { Prepared } from '../kube/prepare.js';
import { InterruptedError, uninterruptible, type KubeClient } from '../kube/client.js';
import { uniqueHolder, withLease } from '../kube/lease.js';
import type { ReleaseHistory } from '../kube/index.js';
import { clone } from '../kube/util.js';
import {
  pinnedSet,
  planRingSteps,
  type PodRef,
  type ReplicaChange,
  type RingFileChange,
  type RingStep,
  type RingStepKind,
} from './ring-steps.js';

// Carries out the ordered ring steps, resumable as the rotations' steps are (src/rotation/steps.ts): each step
// idempotent, the state advanced only after the step's writes and observations, so a run that dies anywhere resumes
// at the step it was in. Unlike a rotation's fixed machine, the steps are planned per release, so they are recorded
// with it: the state lives on a `pending` release revision (its store state holds the steps, the values the first
// step pinned (StatefulSet replicas and ring files as they were live) and how far they got).

export const ORDER_DIGEST_ANNOTATION = 'thanos-gitops.io/ordered-digest';
export const ORDER_STEPS_ANNOTATION = 'thanos-gitops.io/ordered-steps';
export const ORDER_DONE_ANNOTATION = 'thanos-gitops.io/ordered-done';
/** The replica and ring changes the first step pins to their live values, to rebuild that set on resume. */
export const ORDER_PINS_ANNOTATION = 'thanos-gitops.io/ordered-pins';
const ORDER_BASELINE_ANNOTATION = 'thanos-gitops.io/ordered-flush-baseline';

/** A pod as an observer sees it. */
export interface ObservedPod {
  namespace: string;
  name: string;
  ready: boolean;
  /** status.podIP, for observers that reach pods directly. */
  ip?: string;
  /** The container port named `http` (Thanos's --http-address), when the pod declares one. */
  httpPort?: number;
}

/**
 * How the executor sees receivers. On EKS (the Lambda, the CLI): podProxyObserver, the apiserver's pod proxy.
 * Kubernetes refuses to proxy to pod IPs that are not global unicast (v1.34.4 pkg/registry/core/pod/strategy.go,
 * ResourceLocation: "address not allowed"), so tests whose pods listen on 127.0.0.x pass an observer that reads them
 * directly.
 */
export interface RingObserver {
  /** The pods of a workload now, with readiness. */
  pods(workload: { kind: string; namespace: string; name: string }): Promise<ObservedPod[]>;
  /** The Prometheus text of a pod's /metrics on its Thanos HTTP port. */
  metrics(pod: ObservedPod): Promise<string>;
}

async function listPods(
  client: KubeClient,
  workload: { kind: string; namespace: string; name: string },
): Promise<ObservedPod[]> {
  const object = await client.get({
    apiVersion: 'apps/v1',
    kind: workload.kind,
    namespace: workload.namespace,
    name: workload.name,
  });
  const labels =
    (object?.['spec'] as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ??
    {};
  const selector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  if (!selector) return [];
  const pods = await client.list('v1', 'Pod', workload.namespace, selector);
  return pods.map((pod) => {
    const status = (pod['status'] ?? {}) as { podIP?: string; conditions?: Array<{ type: string; status: string }> };
    const ready =
      !pod.metadata.deletionTimestamp &&
      (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    const containers =
      (pod['spec'] as { containers?: Array<{ ports?: Array<{ name?: string; containerPort?: number }> }> } | undefined)
        ?.containers ?? [];
    const httpPort = containers.flatMap((c) => c.ports ?? []).find((p) => p.name === 'http')?.containerPort;
    return {
      namespace: workload.namespace,
      name: pod.metadata.name,
      ready,
      ...(status.podIP ? { ip: status.podIP } : {}),
      ...(httpPort ? { httpPort } : {}),
    };
  });
}

/**
 * Reads pods from the apiserver and their /metrics through its pod proxy (RBAC: pods/proxy get in the namespace). The
 * proxy takes a port number, not a name (Kubernetes v1.34.4 pkg/registry/core/pod/strategy.go, ResourceLocation):
 * the pod's container port named `http`, else `httpPort`.
 */
export function podProxyObserver(client: KubeClient, httpPort = 10902): RingObserver {
  return {
    pods: (workload) => listPods(client, workload),
    metrics(pod) {
      return client.getText(
        `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}:${pod.httpPort ?? httpPort}/proxy/metrics`,
        `Pod ${pod.namespace}/${pod.name} /metrics`,
      );
    },
  };
}

/**
 * Reads pods from the apiserver and their /metrics at status.podIP directly: for runs inside the cluster network
 * (EKS with the VPC CNI gives pods VPC addresses a VPC-attached runner can reach), and where the apiserver refuses to
 * proxy (pod IPs that are not global unicast).
 */
export function directPodObserver(client: KubeClient, httpPort = 10902, timeoutMs = 5000): RingObserver {
  return {
    pods: (workload) => listPods(client, workload),
    async metrics(pod) {
      let ip = pod.ip;
      if (!ip) {
        const live = await client.get({ apiVersion: 'v1', kind: 'Pod', namespace: pod.namespace, name: pod.name });
        ip = (live?.['status'] as { podIP?: string } | undefined)?.podIP;
      }
      if (!ip) throw new Error(`Pod ${pod.namespace}/${pod.name} has no status.podIP yet`);
      const host = ip.includes(':') ? `[${ip}]` : ip;
      const response = await fetch(`http://${host}:${pod.httpPort ?? httpPort}/metrics`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`Pod ${pod.namespace}/${pod.name} /metrics answered HTTP ${response.status}`);
      return await response.text();
    },
  };
}

export interface OrderedApplyOptions extends ApplySetOptions {
  observer: RingObserver;
  /** Timeout of each wait step (default 10 minutes: above Thanos's 5m hashrings-file refresh plus kubelet's volume sync). */
  stepTimeoutMs?: number;
  pollMs?: number;
  /** Called after a step's state is persisted; a throw here is how tests inject crashes. */
  afterStep?: (kind: RingStepKind, index: number) => void | Promise<void>;
}

export interface StepTiming {
  kind: RingStepKind;
  summary: string;
  ms: number;
}

export interface OrderedApplyResult {
  apply: ApplyResult;
  /** The steps this run carried out (a resumed run starts after the last recorded one). */
  steps: StepTiming[];
  resumedFrom?: number;
  pendingRevision?: number;
}

/** A wait step ran out of time. The ring is consistent with the running pods; the pending release says where it stopped. */
export class OrderedStepTimeoutError extends ThanosGitopsError {
  override name = 'OrderedStepTimeoutError';
}

function digestOf(set: ManifestSet): string {
  return createHash('sha256')
    .update(JSON.stringify(set.map((m) => m.object)))
    .digest('hex');
}

/** The set a step writes: the pinned set with the effects of steps up to `index` (inclusive). */
function setAt(pinned: ManifestSet, steps: RingStep[], index: number): ManifestSet {
  const replicas = new Map<string, number>();
  const rings = new Map<string, Map<string, string>>();
  for (const step of steps.slice(0, index + 1)) {
    if (step.kind === 'scale-up' || step.kind === 'scale-down')
      for (const c of step.replicas ?? []) replicas.set(`${c.namespace}/${c.name}`, c.to);
    if (step.kind === 'publish-ring') {
      for (const ring of step.rings ?? []) {
        const key = `${ring.namespace}/${ring.configMap}`;
        rings.set(key, (rings.get(key) ?? new Map()).set(ring.key, ring.content));
      }
    }
  }
  return pinned.map((manifest) => {
    const key = `${manifest.object.metadata.namespace ?? ''}/${manifest.object.metadata.name}`;
    if (manifest.object.kind === 'StatefulSet' && replicas.has(key)) {
      const copy = clone(manifest.object);
      (copy['spec'] as Record<string, unknown>).replicas = replicas.get(key);
      return { ...manifest, object: copy };
    }
    if (manifest.object.kind === 'ConfigMap' && rings.has(key)) {
      const copy = clone(manifest.object);
      for (const [dataKey, content] of rings.get(key)!) (copy['data'] as Record<string, unknown>)[dataKey] = content;
      return { ...manifest, object: copy };
    }
    return manifest;
  });
}

function replicasIn(set: ManifestSet, kind: string, namespace: string, name: string): number {
  const object = set.find(
    (m) =>
      m.object.kind === kind &&
      m.object.metadata.name === name &&
      (m.object.metadata.namespace ?? namespace) === namespace,
  )?.object;
  const value = (object?.['spec'] as { replicas?: unknown } | undefined)?.replicas;
  return typeof value === 'number' ? value : 1;
}

/**
 * Applies `set` in the order planRingSteps gives when it resizes an ingestor ring, resuming a pending ordered
 * apply of the same set; a release without ring changes is one apply, as applyManifestSet does it.
 */
export async function applyInOrder(
  client: KubeClient,
  set: ManifestSet,
  options: OrderedApplyOptions,
): Promise<OrderedApplyResult> {
  // Preparing the set reads discovery only, never an object, so it runs while the Lease is taken; a set it refuses
  // fails the run inside the Lease, where it is awaited.
  const manager = new ResourceManager(client, options);
  const preparing = manager.prepare(set, options);
  preparing.catch(() => undefined);
  const run = async (): Promise<OrderedApplyResult> => executeOrdered(client, set, options, manager, preparing);
  if (options.lease === false) return run();
  const holder = options.lease?.holder ?? uniqueHolder(`thanos-gitops-${options.environment}`);
  return withLease(client, options.namespace, holder, run, { waitTimeoutMs: 60_000, ...options.lease });
}

async function executeOrdered(
  client: KubeClient,
  set: ManifestSet,
  options: OrderedApplyOptions,
  manager: ResourceManager,
  preparing: Promise<Prepared>,
): Promise<OrderedApplyResult> {
  const log = options.log ?? (() => undefined);
  const inner: ApplySetOptions = { ...options, lease: false };
  const release = options.release || {};
  const history = releaseHistory(client, options, release);
  const digest = digestOf(set);

  let steps: RingStep[] | undefined;
  let pinned: ManifestSet = [];
  let done = -1;
  let revision: number | undefined;
  const prepared = await preparing;
  // The live objects are read with the history: a release without ring changes (the usual one) applies from them.
  let [releases, live] = await Promise.all([history.list(), manager.readLive(prepared.objects)]);
  const pending = releases.filter((r) => r.status === 'pending').at(-1);
  if (pending) {
    const annotations = await history.state(pending.revision);
    const release = await history.get(pending.revision);
    if (
      annotations[ORDER_DIGEST_ANNOTATION] === digest &&
      release &&
      annotations[ORDER_STEPS_ANNOTATION] &&
      annotations[ORDER_PINS_ANNOTATION]
    ) {
      steps = JSON.parse(annotations[ORDER_STEPS_ANNOTATION]) as RingStep[];
      const pins = JSON.parse(annotations[ORDER_PINS_ANNOTATION]) as {
        replicaChanges: ReplicaChange[];
        ringChanges: RingFileChange[];
      };
      pinned = pinnedSet(
        prepared.objects.map((p) => ({ file: p.manifest.file, object: p.object })),
        pins.replicaChanges,
        pins.ringChanges,
        options.namespace,
      );
      done = Number(annotations[ORDER_DONE_ANNOTATION] ?? '-1');
      revision = pending.revision;
      log(`resuming the ordered apply of release revision ${revision} after step ${done + 1}/${steps.length}`);
    } else {
      await history.setStatus(
        pending.revision,
        'failed',
        'ordered apply abandoned: a different set was applied before it finished',
      );
      releases = releases.map((r) => (r.revision === pending.revision ? { ...r, status: 'failed' } : r));
      log(
        `release revision ${pending.revision} was an unfinished ordered apply of another set: marked failed, planning from the live state`,
      );
    }
  }

  if (!steps) {
    const head: ManifestSet = prepared.objects.map((p) => ({ file: p.manifest.file, object: p.object }));
    const base: ManifestSet = [...live.values()]
      .filter((o): o is KubeObject => o !== undefined)
      .map((object) => ({ file: '(live)', object }));
    const plan = planRingSteps(base, head, options.namespace);
    for (const warning of plan.warnings) log(`warning: ${warning}`);
    if (plan.steps.length === 0)
      return { apply: await applyManifestSet(client, set, inner, { prepared, live, releases }), steps: [] };
    steps = plan.steps;
    pinned = plan.pinned;
    const record = await history.record({
      status: 'pending',
      manifests: set,
      description: `ordered apply: ${steps.length} steps`,
      ...(release.sourceCommit ? { sourceCommit: release.sourceCommit } : {}),
    });
    revision = record.revision;
    await history.mergeState(revision, {
      [ORDER_DIGEST_ANNOTATION]: digest,
      [ORDER_STEPS_ANNOTATION]: JSON.stringify(steps),
      [ORDER_DONE_ANNOTATION]: '-1',
      [ORDER_PINS_ANNOTATION]: JSON.stringify({ replicaChanges: plan.replicaChanges, ringChanges: plan.ringChanges }),
    });
    log(
      `ordered apply, release revision ${revision} (pending):\n${steps.map((s, i) => `  ${i + 1}. ${s.kind}: ${s.summary}`).join('\n')}`,
    );
  }

  const timings: StepTiming[] = [];
  const resumedFrom = done >= 0 ? done + 1 : undefined;
  let finalApply: ApplyResult | undefined;
  const executor = new StepExecutor(client, options, history, revision!);
  for (let index = done + 1; index < steps.length; index++) {
    const step = steps[index]!;
    const started = Date.now();
    log(`step ${index + 1}/${steps.length} ${step.kind}: ${step.summary}`);
    if (step.kind === 'apply-final') {
      finalApply = await applyManifestSet(client, set, inner);
      // The steps already wrote every change, so the final apply may find nothing to do: the release is still the
      // one now deployed, and history must say so.
      if (finalApply.revision === undefined && options.release !== false) {
        const deployed = await history.record({
          status: 'deployed',
          manifests: set,
          ...(release.sourceCommit ? { sourceCommit: release.sourceCommit } : {}),
          ...(release.description ? { description: release.description } : {}),
        });
        finalApply.revision = deployed.revision;
      }
      await uninterruptible(() =>
        history.setStatus(
          revision!,
          'superseded',
          `ordered apply finished as revision ${finalApply!.revision ?? '(unchanged)'}`,
        ),
      );
    } else {
      await executor.run(step, setAt(pinned, steps, index), index, steps.length);
    }
    // The step's writes and observations are done: record it even if a stop request arrives now, so that a resumed
    // run does not wait for them again.
    await uninterruptible(() => history.mergeState(revision!, { [ORDER_DONE_ANNOTATION]: String(index) }));
    timings.push({ kind: step.kind, summary: step.summary, ms: Date.now() - started });
    log(`step ${index + 1}/${steps.length} ${step.kind} done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    await options.afterStep?.(step.kind, index);
  }
  return {
    apply: finalApply ?? (await applyManifestSet(client, set, inner)),
    steps: timings,
    ...(resumedFrom !== undefined ? { resumedFrom } : {}),
    pendingRevision: revision!,
  };
}

class StepExecutor {
  constructor(
    private readonly client: KubeClient,
    private readonly options: OrderedApplyOptions,
    private readonly history: ReleaseHistory,
    private readonly revision: number,
  ) {}

  private get timeoutMs(): number {
    return this.options.stepTimeoutMs ?? 600_000;
  }

  private async write(current: ManifestSet): Promise<void> {
    await applyManifestSet(this.client, current, {
      ...this.options,
      lease: false,
      release: false,
      prune: false,
      wait: false,
    });
  }

  /** Polls `check` until it returns undefined (done) or the step times out with its last answer. */
  private async until(
    step: RingStep,
    index: number,
    total: number,
    check: () => Promise<string | undefined>,
    consistent: string,
  ): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      let waiting: string | undefined;
      try {
        waiting = await check();
      } catch (error) {
        // A stop request (SIGTERM, the Lambda's deadline) ends the run here: the release stays pending at this step.
        if (error instanceof InterruptedError) throw error;
        waiting = (error as Error).message;
      }
      if (waiting === undefined) return;
      if (Date.now() > deadline) {
        const message =
          `step ${index + 1}/${total} ${step.kind} timed out after ${Math.round(this.timeoutMs / 1000)}s: ${waiting}. ${consistent} ` +
          `Release revision ${this.revision} stays pending at this step: fix the cause and run apply again to resume here, or apply --no-order to apply everything at once.`;
        await uninterruptible(() => this.history.setStatus(this.revision, 'pending', message)).catch(() => undefined);
        throw new OrderedStepTimeoutError(message);
      }
      await this.client.pause(this.options.pollMs ?? 500, `the next check of step ${index + 1}/${total} ${step.kind}`);
    }
  }

  private async statefulSetStatus(
    namespace: string,
    name: string,
  ): Promise<{ replicas: number; ready: number; generation: number; observed: number }> {
    const object = await this.client.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name });
    const status = (object?.['status'] ?? {}) as {
      replicas?: number;
      readyReplicas?: number;
      observedGeneration?: number;
    };
    return {
      replicas: status.replicas ?? 0,
      ready: status.readyReplicas ?? 0,
      generation: Number(object?.metadata.generation ?? 0),
      observed: status.observedGeneration ?? 0,
    };
  }

  private async flushCounters(pod: PodRef): Promise<{ started: number; completed: number } | undefined> {
    const text = await this.options.observer.metrics({ namespace: pod.namespace, name: pod.name, ready: true });
    const started = metricValue(text, FLUSH_STARTED_METRIC);
    const completed = metricValue(text, FLUSH_COMPLETED_METRIC);
    return started === undefined || completed === undefined ? undefined : { started, completed };
  }

  async run(step: RingStep, current: ManifestSet, index: number, total: number): Promise<void> {
    const observer = this.options.observer;
    switch (step.kind) {
      case 'apply-pinned':
      case 'scale-up':
      case 'scale-down':
        await this.write(current);
        return;
      case 'publish-ring': {
        // Baselines of the flush counters of departing hashmod ingestors, taken before the ring changes, so that
        // "flushed since the change" is observed and not inferred from a counter that an earlier change moved.
        const annotations = await this.history.state(this.revision);
        if (!annotations[ORDER_BASELINE_ANNOTATION]) {
          const departing =
            (JSON.parse(annotations[ORDER_STEPS_ANNOTATION] ?? '[]') as RingStep[]).find(
              (s) => s.kind === 'await-heads-uploaded',
            )?.pods ?? [];
          const baseline: Record<string, number> = {};
          for (const pod of departing)
            baseline[pod.name] = (await this.flushCounters(pod).catch(() => undefined))?.started ?? 0;
          await this.history.mergeState(this.revision, { [ORDER_BASELINE_ANNOTATION]: JSON.stringify(baseline) });
        }
        await this.write(current);
        return;
      }
      case 'await-ready':
        await this.until(
          step,
          index,
          total,
          async () => {
            const waiting: string[] = [];
            const bySet = new Map<string, PodRef[]>();
            for (const pod of step.pods ?? [])
              bySet.set(`${pod.namespace}/${pod.statefulSet}`, [
                ...(bySet.get(`${pod.namespace}/${pod.statefulSet}`) ?? []),
                pod,
              ]);
            for (const [key, pods] of bySet) {
              const [namespace, name] = key.split('/') as [string, string];
              const want = replicasIn(current, 'StatefulSet', namespace, name);
              const status = await this.statefulSetStatus(namespace, name);
              if (status.observed < status.generation || status.ready < want)
                waiting.push(
                  `StatefulSet ${key} has ${status.ready}/${want} Ready pods (waiting for ${pods.map((p) => p.name).join(', ')})`,
                );
            }
            return waiting.length ? waiting.join('; ') : undefined;
          },
          'No ring names the new pods yet, so writes go only to running ingestors.',
        );
        return;
      case 'await-ring-loaded':
        await this.until(
          step,
          index,
          total,
          async () => {
            const waiting: string[] = [];
            for (const ring of step.rings ?? []) {
              for (const reader of ring.readers) {
                const want = replicasIn(current, reader.kind, reader.namespace, reader.name);
                const pods = await observer.pods(reader);
                if (pods.length < want)
                  waiting.push(`${reader.kind} ${reader.namespace}/${reader.name} has ${pods.length}/${want} pods`);
                for (const pod of pods) {
                  const text = await observer.metrics(pod);
                  const hash = metricValue(text, CONFIG_HASH_METRIC);
                  if (hash !== ring.configHash)
                    waiting.push(
                      `${pod.name} reports ${CONFIG_HASH_METRIC} ${hash ?? 'absent'}, the published ${ring.configMap} ${ring.key} is ${ring.configHash}${metricValue(text, CONFIG_RELOAD_OK_METRIC) === 0 ? ' and its last reload failed' : ''}`,
                    );
                  else if (!pod.ready) waiting.push(`${pod.name} loaded the ring but is not Ready`);
                }
              }
            }
            return waiting.length ? waiting.join('; ') : undefined;
          },
          `The published ring names only pods that run (${RING_OBSERVATION_SOURCES.configHash.label}).`,
        );
        return;
      case 'await-heads-uploaded': {
        const baseline = JSON.parse(
          (await this.history.state(this.revision))[ORDER_BASELINE_ANNOTATION] ?? '{}',
        ) as Record<string, number>;
        await this.until(
          step,
          index,
          total,
          async () => {
            const waiting: string[] = [];
            for (const pod of step.pods ?? []) {
              const counters = await this.flushCounters(pod);
              if (!counters) waiting.push(`${pod.name} exposes no ${FLUSH_STARTED_METRIC}`);
              // Thanos v0.42.4 counts a finished flush twice in ..._completed_total (cmd/thanos/receive.go lines 777
              // and 780, startTSDBAndUpload), once per start in ..._attempted_total: all are done at twice as many.
              else if (counters.started <= (baseline[pod.name] ?? 0) || counters.completed < 2 * counters.started) {
                waiting.push(
                  `${pod.name} has not finished the flush and upload the ring change started (${FLUSH_STARTED_METRIC} ${counters.started}, baseline ${baseline[pod.name] ?? 0}, ${FLUSH_COMPLETED_METRIC} ${counters.completed})`,
                );
              }
            }
            return waiting.length ? waiting.join('; ') : undefined;
          },
          `The ring no longer names these pods and they still run; nothing was shrunk (${RING_OBSERVATION_SOURCES.flushCounters.label}).`,
        );
        return;
      }
      case 'await-scaled-down':
        await this.until(
          step,
          index,
          total,
          async () => {
            const waiting: string[] = [];
            for (const change of step.replicas ?? []) {
              const status = await this.statefulSetStatus(change.namespace, change.name);
              const pods = await observer.pods({ kind: 'StatefulSet', namespace: change.namespace, name: change.name });
              if (status.observed < status.generation || status.replicas > change.to || pods.length > change.to) {
                waiting.push(
                  `StatefulSet ${change.namespace}/${change.name} still runs ${Math.max(status.replicas, pods.length)} pods, ${change.to} wanted`,
                );
              }
            }
            return waiting.length ? waiting.join('; ') : undefined;
          },
          'The ring no longer names the departing pods.',
        );
        return;
      case 'apply-final':
        return;
    }
  }
}
