import { applyManifestSet, releaseHistory, type ApplySetOptions } from './apply.js';
import type { KubeClient } from './client.js';
import type { ApplyResult } from './errors.js';
import { restoreSecretValues } from './release/record.js';

/** Re-applies a recorded revision as a new revision (like `helm rollback`). */
export async function rollback(caller: KubeClient, revision: number, options: ApplySetOptions): Promise<ApplyResult> {
  const client = options.signal ? caller.withSignal(options.signal) : caller;
  const recording = options.release === false ? undefined : (options.release ?? {});
  const history = releaseHistory(client, options, recording);
  const release = await history.get(revision);
  if (!release) {
    const known = (await history.list()).map((r) => r.revision);
    throw new Error(
      `environment ${options.environment} has no release revision ${revision} in namespace ${options.namespace}; recorded revisions: ${known.join(', ') || 'none'}`,
    );
  }
  const applyOptions: ApplySetOptions = {
    ...options,
    ...(recording
      ? {
          release: {
            ...recording,
            description: recording.description ?? `rollback to ${revision}`,
            ...(release.sourceCommit ? { sourceCommit: release.sourceCommit } : {}),
          },
        }
      : {}),
  };
  // Refused, not guessed, when a Secret no longer holds the revision's values: the record cannot bring them back.
  const restored = await restoreSecretValues(client, release, options.namespace, 'exact');
  return applyManifestSet(client, restored.manifests, applyOptions);
}
