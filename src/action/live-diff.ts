// live-diff: true. The head is planned against the live cluster by the plan function (server-side dry-run, Secrets
// masked there), and its diff comes back for the same report and sticky comment the base-vs-head diff uses.
import * as core from '@actions/core';
import type { ManifestDiff } from '../diff/index.js';
import type { ManifestSet } from '../model/objects.js';
import { buildRelease, invokeReconciler } from './deploy.js';
import type { ActionInputs } from './inputs.js';

export async function fetchLivePlan(inputs: ActionInputs, head: ManifestSet): Promise<ManifestDiff> {
  if (!inputs.awsRegion.trim()) throw new Error("input 'aws-region' is empty; live-diff needs the region of the plan function");
  const functionName = inputs.planFunction.trim();
  if (!functionName) throw new Error("input 'plan-function' is empty; live-diff needs the name or ARN of the plan function (an output of the infra stack)");
  const release = await buildRelease(inputs, head);
  core.info(`thanos-gitops: planning ${head.length} objects against the live cluster through ${functionName}`);
  const result = await invokeReconciler(inputs, functionName, { action: 'plan', release });
  if (!result.diff) throw new Error(`function ${functionName} returned no plan diff; is it a thanos-gitops reconciler?`);
  for (const warning of result.warnings) core.warning(warning, { title: 'thanos-gitops live plan' });
  return result.diff;
}
