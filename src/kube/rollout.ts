import { describeObject, type KubeObject } from '../model/objects.js';
import type { KubeClient } from './client.js';
import { keyOf } from './client.js';
import { mapLimit } from './util.js';
import { ThanosGitopsError } from '../model/errors.js';

export interface RolloutState {
  object: string;
  ready: boolean;
  /** Why not ready, e.g. "2 of 3 replicas updated". */
  reason: string;
}

interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
}

/** The rollout rules of `kubectl rollout status` for Deployments and StatefulSets. */
export function rolloutState(object: KubeObject): RolloutState {
  const name = describeObject(object);
  const generation = Number(object.metadata.generation ?? 0);
  const spec = (object.spec ?? {}) as { replicas?: number; updateStrategy?: { type?: string } };
  const status = (object.status ?? {}) as WorkloadStatus;
  const desired = spec.replicas ?? 1;
  if ((status.observedGeneration ?? 0) < generation)
    return {
      object: name,
      ready: false,
      reason: `controller has not observed generation ${generation} yet (observed ${status.observedGeneration ?? 0})`,
    };
  const updated = status.updatedReplicas ?? 0;
  const ready = status.readyReplicas ?? 0;
  if (updated < desired) return { object: name, ready: false, reason: `${updated} of ${desired} replicas updated` };
  if (object.kind === 'Deployment') {
    if ((status.replicas ?? 0) > updated)
      return {
        object: name,
        ready: false,
        reason: `${(status.replicas ?? 0) - updated} old replicas pending termination`,
      };
    if ((status.availableReplicas ?? 0) < updated)
      return {
        object: name,
        ready: false,
        reason: `${status.availableReplicas ?? 0} of ${updated} updated replicas available`,
      };
  }
  if (ready < desired) return { object: name, ready: false, reason: `${ready} of ${desired} replicas ready` };
  if (
    object.kind === 'StatefulSet' &&
    spec.updateStrategy?.type !== 'OnDelete' &&
    status.updateRevision &&
    status.currentRevision !== status.updateRevision
  ) {
    return { object: name, ready: false, reason: `rolling update to revision ${status.updateRevision} not finished` };
  }
  return { object: name, ready: true, reason: `${ready} of ${desired} replicas ready` };
}

export class RolloutTimeoutError extends ThanosGitopsError {
  override name = 'RolloutTimeoutError';
  constructor(
    readonly pending: RolloutState[],
    timeoutMs: number,
  ) {
    super(
      `rollout not finished after ${Math.round(timeoutMs / 1000)}s:\n${pending.map((p) => `  ${p.object}: ${p.reason}`).join('\n')}`,
    );
  }
}

/** Polls Deployments and StatefulSets of the set until all are rolled out, or throws naming what is not ready. */
export async function waitForRollout(
  client: KubeClient,
  objects: readonly KubeObject[],
  options: { timeoutMs?: number; pollIntervalMs?: number } = {},
): Promise<RolloutState[]> {
  const workloads = objects.filter(
    (o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.apiVersion === 'apps/v1',
  );
  const timeoutMs = options.timeoutMs ?? 300_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await mapLimit(workloads, 8, async (workload) => {
      const live = await client.get(keyOf(workload));
      return live ? rolloutState(live) : { object: describeObject(workload), ready: false, reason: 'not found' };
    });
    const pending = states.filter((s) => !s.ready);
    if (pending.length === 0) return states;
    if (Date.now() >= deadline) throw new RolloutTimeoutError(pending, timeoutMs);
    await client.pause(
      Math.min(options.pollIntervalMs ?? 2000, Math.max(0, deadline - Date.now())),
      'the rollout wait',
    );
  }
}
