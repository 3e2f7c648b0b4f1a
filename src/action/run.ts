import {
  debug,
  error,
  getIDToken,
  getInput,
  info,
  setFailed,
  setOutput,
  setSecret,
  summary,
  warning,
} from '@actions/core';
import * as github from '@actions/github';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import { runDeploy } from './deploy.js';
import type { ActionDeps } from './deps.js';
import { inActionWords, readInputs } from './inputs.js';
import { runDiff } from './run-diff.js';
import { assertTrustedEvent } from './untrusted.js';

/** The runner's surroundings: @actions/core, the event @actions/github read, the process environment, real clients. */
export function runnerDeps(): ActionDeps {
  return {
    // Named one by one: the namespace object would keep every export of @actions/core in the bundle.
    core: { getInput, info, warning, error, debug, setOutput, setFailed, setSecret, getIDToken, summary },
    context: github.context,
    env: process.env,
    github: (token) => github.getOctokit(token),
    sts: (config) => new STSClient(config),
    lambda: (config) => new LambdaClient(config),
  };
}

/** Runs the Action once; a failure marks the step failed (never throws). */
export async function run(deps: ActionDeps): Promise<void> {
  try {
    const inputs = readInputs(deps.core, deps.env);
    // Before anything reads the checkout: on these events the fork's files are hostile and the job holds secrets.
    assertTrustedEvent(deps.context.eventName, deps.context.payload, inputs.allowUntrustedCheckout);
    if (inputs.mode === 'deploy') await runDeploy(inputs, deps);
    else await runDiff(inputs, deps);
  } catch (error) {
    // Messages are written to name the file, input or fix; stack traces only help with --debug logging.
    const message = inActionWords(error instanceof Error ? error.message : String(error));
    if (error instanceof Error && error.stack) deps.core.debug(inActionWords(error.stack));
    deps.core.setFailed(message);
  }
}
