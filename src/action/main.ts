// Entry point of the GitHub Action (bundled to dist/action/index.js; the runner runs it with Node 24).
import * as core from '@actions/core';
import { inActionWords, readInputs } from './inputs.js';
import { runDeploy } from './deploy.js';
import { runDiff } from './run-diff.js';

async function main(): Promise<void> {
  const inputs = readInputs();
  if (inputs.mode === 'deploy') await runDeploy(inputs);
  else await runDiff(inputs);
}

main().catch((error: unknown) => {
  // Messages are written to name the file, input or fix; stack traces only help with --debug logging.
  const message = inActionWords(error instanceof Error ? error.message : String(error));
  if (error instanceof Error && error.stack) core.debug(inActionWords(error.stack));
  core.setFailed(message);
});
