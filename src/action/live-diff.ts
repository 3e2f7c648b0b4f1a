// live-diff: true. The head is planned against the live cluster by the plan function (server-side dry-run, Secrets
// masked there), and its diff comes back for the same report and sticky comment the base-vs-head diff uses.
import type { ManifestDiff } from '../diff/index.js';
import type { ManifestSet } from '../model/objects.js';
import { buildRelease, invokeReconciler, requireInput } from './deploy.js';
import type { ActionDeps } from './deps.js';
import type { ActionInputs } from './inputs.js';

export async function fetchLivePlan(inputs: ActionInputs, head: ManifestSet, deps: ActionDeps): Promise<ManifestDiff> {
  requireInput(inputs.awsRegion, 'aws-region', 'live-diff needs the region of the plan function');
  const functionName = requireInput(
    inputs.planFunction,
    'plan-function',
    'live-diff needs the name or ARN of the plan function (an output of the infra stack)',
  );
  const release = await buildRelease(inputs, head, deps.context);
  deps.core.info(`thanos-gitops: planning ${head.length} objects against the live cluster through ${functionName}`);
  const result = await invokeReconciler(inputs, functionName, { action: 'plan', release }, deps);
  if (!result.diff)
    throw new Error(`function ${functionName} returned no plan diff; is it a thanos-gitops reconciler?`);
  for (const warning of result.warnings) deps.core.warning(warning, { title: 'thanos-gitops live plan' });
  return result.diff;
}
