import { diffManifestSets, redactSecret, withFingerprintKey, type ManifestDiff } from '../diff/index.js';
import type { KubeObject, ManifestSet } from '../model/objects.js';
import type { KubeClient } from './client.js';
import { releaseHistory, type ApplySetOptions } from './apply.js';
import { ResourceManager } from './manager.js';
import type { PlanOptions } from './plan.js';
import { restoreSecretValues } from './release/record.js';

export interface DriftedObject {
  id: string;
  object: string;
  /** `missing`: deleted out of band; `modified`: fields differ from what the release applied. */
  change: 'missing' | 'modified';
  /** Unified diff of live vs corrected object (Secrets masked). */
  patch: string;
  /** Field managers other than ours that own fields of the object. */
  managers: string[];
}

export interface DriftResult {
  revision?: number;
  drifted: DriftedObject[];
  checked: number;
  diff: ManifestDiff;
}

/**
 * Compares the last deployed release with the live cluster: each object is dry-run applied with force (what reconcile
 * would do) and compared with the live object. Never writes.
 */
/** What drift detection reads: the set as plan reads it, the deployed release from the release store. */
export type DriftOptions = PlanOptions & Pick<ApplySetOptions, 'release'>;

export function detectDrift(client: KubeClient, options: DriftOptions): Promise<DriftResult> {
  return withFingerprintKey(() => driftOf(client, options));
}

async function driftOf(client: KubeClient, options: DriftOptions): Promise<DriftResult> {
  const manager = new ResourceManager(client, options);
  const history = releaseHistory(manager.client, options, options.release || undefined);
  const release = await history.deployed();
  if (!release) return { drifted: [], checked: 0, diff: diffManifestSets([], []) };
  // Records keep no Secret values: live ones stand in, and a Secret whose values are not the recorded ones is drift.
  const restored = await restoreSecretValues(manager.client, release, options.namespace, 'live');
  const prepared = await manager.prepare(restored.manifests, { ...options, missingKinds: 'skip' });
  const dryRuns = await manager.planAll(prepared.objects, { force: true, skipMissing: true });
  const liveSet: ManifestSet = [];
  const mergedSet: ManifestSet = [];
  const drifted: Array<Omit<DriftedObject, 'patch'>> = [];
  for (const dryRun of dryRuns) {
    const { prepared: p, live, merged } = dryRun;
    if (!live) {
      drifted.push({ id: p.id, object: p.name, change: 'missing', managers: [] });
      mergedSet.push({ file: p.manifest.file, object: redactSecret(p.object) });
      continue;
    }
    if (dryRun.error) throw dryRun.error;
    liveSet.push({ file: p.manifest.file, object: redactSecret(live) });
    mergedSet.push({ file: p.manifest.file, object: redactSecret(merged as KubeObject) });
    if (dryRun.verdict !== 'unchanged') {
      const managers = ((live.metadata.managedFields as Array<{ manager?: string }> | undefined) ?? [])
        .map((m) => m.manager ?? '')
        .filter((m) => m && m !== manager.fieldManager && !m.endsWith('-applyset'));
      drifted.push({ id: p.id, object: p.name, change: 'modified', managers: [...new Set(managers)] });
    }
  }
  for (const secret of restored.changedSecrets) {
    if (!drifted.some((d) => d.id === secret.id)) drifted.push({ ...secret, change: 'modified', managers: [] });
  }
  const diff = diffManifestSets(liveSet, mergedSet);
  const patches = new Map(diff.entries.map((e) => [e.id, e.patch]));
  return {
    revision: release.revision,
    checked: prepared.objects.length,
    diff,
    drifted: drifted.map((d) => ({ ...d, patch: patches.get(d.id) ?? '' })),
  };
}
