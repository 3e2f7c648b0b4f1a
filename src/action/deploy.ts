import type { ActionInputs } from './inputs.js';

/** mode: deploy (apply through the reconciler Lambda). Provided by the deploy work; this build lacks it. */
export async function runDeploy(inputs: ActionInputs): Promise<void> {
  void inputs;
  throw new Error('deploy mode is not available in this build');
}
