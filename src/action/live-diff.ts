import type { ManifestDiff } from '../diff/index.js';
import type { ManifestSet } from '../manifests/index.js';
import type { ActionInputs } from './inputs.js';

/** live-diff: true (diff the head against the live cluster via the plan Lambda). Provided by the deploy work. */
export async function fetchLivePlan(inputs: ActionInputs, head: ManifestSet): Promise<ManifestDiff> {
  void inputs;
  void head;
  throw new Error('deploy mode is not available in this build');
}
