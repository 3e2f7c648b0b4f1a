import { applyManifestSet, releaseHistory, type ApplySetOptions } from './apply.js';
import type { KubeClient } from './client.js';
import { detectDrift, type DriftResult } from './drift.js';
import type { ApplyResult } from './errors.js';
import { restoreSecretValues } from './release/record.js';

export interface ReconcileResult {
  drift: DriftResult;
  apply?: ApplyResult;
}

/**
 * Puts drifted objects back to the deployed release: re-applies the release with force, which writes only the objects
 * whose dry-run differs from live (exactly the drifted ones). The deployed revision stays the same: `release` only
 * says where the history is read from.
 */
export async function reconcile(caller: KubeClient, options: Omit<ApplySetOptions, 'force'>): Promise<ReconcileResult> {
  const client = options.signal ? caller.withSignal(options.signal) : caller;
  const drift = await detectDrift(client, options);
  if (drift.drifted.length === 0 || drift.revision === undefined) return { drift };
  const release = await releaseHistory(client, options, options.release || undefined).get(drift.revision);
  if (!release) return { drift };
  const restored = await restoreSecretValues(client, release, options.namespace, 'live');
  const apply = await applyManifestSet(client, restored.manifests, {
    ...options,
    force: true,
    release: false,
    missingKinds: 'skip',
  });
  for (const { object: name } of restored.changedSecrets) {
    apply.warnings.push(
      `${name} differs from revision ${release.revision} (or is gone) and release records keep no Secret values: its live values were kept; deploy the source again to restore it`,
    );
  }
  return { drift, apply };
}
