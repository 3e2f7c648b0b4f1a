import type { KubeObject } from '../model/objects.js';
import { describeObject } from '../model/objects.js';
import { keyOf, type KubeClient } from '../kube/client.js';
import { waitForRollout } from '../kube/rollout.js';
import { CA_CHECKSUM_ANNOTATION, OBJSTORE_CHECKSUM_ANNOTATION } from '../render/tls-objstore-overlay.js';
import { ROTATION_MANAGER } from './secrets.js';

/** Every pod-template annotation the rotation manager owns: each apply must repeat all of them, or SSA drops the rest. */
const ROTATION_ANNOTATIONS = [CA_CHECKSUM_ANNOTATION, OBJSTORE_CHECKSUM_ANNOTATION];

export interface RollOptions {
  /** Replaces the default wait (Deployment/StatefulSet status, like `kubectl rollout status`). */
  awaitRollout?: (objects: KubeObject[]) => Promise<void>;
  rolloutTimeoutMs?: number;
  log?: (line: string) => void;
}

type Annotated = { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } };

function templateAnnotations(object: KubeObject): Record<string, string> {
  return (object as Annotated).spec?.template?.metadata?.annotations ?? {};
}

/**
 * Restarts the pods of the given workloads by setting a checksum annotation on their pod template (a no-op when it
 * already has that value), then waits for the rollout. Workloads not on the cluster yet are skipped: their pods will
 * read the current files when they first start. Returns the workloads that were patched.
 */
export async function rollWorkloads(
  client: KubeClient,
  workloads: readonly KubeObject[],
  annotation: string,
  checksum: string,
  options: RollOptions = {},
): Promise<string[]> {
  const live: KubeObject[] = [];
  const patched: string[] = [];
  for (const workload of workloads) {
    const current = await client.get(keyOf(workload));
    if (!current) continue;
    live.push(current);
    const annotations = templateAnnotations(current);
    if (annotations[annotation] === checksum) continue;
    const owned: Record<string, string> = {};
    for (const key of ROTATION_ANNOTATIONS) if (annotations[key] !== undefined) owned[key] = annotations[key];
    owned[annotation] = checksum;
    await client.apply(
      {
        apiVersion: current.apiVersion,
        kind: current.kind,
        metadata: { name: current.metadata.name, namespace: current.metadata.namespace ?? '' },
        spec: { template: { metadata: { annotations: owned } } },
      },
      { fieldManager: ROTATION_MANAGER, force: true },
    );
    patched.push(describeObject(current));
    options.log?.(`rolled ${describeObject(current)} (${annotation}=${checksum.slice(0, 12)})`);
  }
  if (live.length > 0) {
    if (options.awaitRollout) await options.awaitRollout(live);
    else
      await waitForRollout(
        client,
        live,
        options.rolloutTimeoutMs === undefined ? {} : { timeoutMs: options.rolloutTimeoutMs },
      );
  }
  return patched;
}
