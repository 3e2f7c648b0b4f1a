// Everything the Action takes from its surroundings, passed in so run() can be driven by tests as well as the runner.
import type * as actionsCore from '@actions/core';
import type { LambdaClient, LambdaClientConfig } from '@aws-sdk/client-lambda';
import type { STSClient, STSClientConfig } from '@aws-sdk/client-sts';
import type { Octokit } from './comment.js';

/** The parts of @actions/core the Action calls: inputs, outputs, log annotations, secrets, the OIDC token, the summary. */
export type ActionCore = Pick<
  typeof actionsCore,
  'getInput' | 'info' | 'warning' | 'error' | 'debug' | 'setOutput' | 'setFailed' | 'setSecret' | 'getIDToken'
> & {
  summary: { addRaw(text: string): { write(): Promise<unknown> } };
};

/** The workflow run's event, as @actions/github's context reads it from GITHUB_EVENT_PATH and GITHUB_* variables. */
export interface ActionContext {
  eventName: string;
  payload: Record<string, unknown>;
  sha: string;
  ref: string;
  actor: string;
  readonly repo: { owner: string; repo: string };
}

export interface ActionDeps {
  core: ActionCore;
  context: ActionContext;
  /** The runner's variables the Action reads: GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_RUN_ID. */
  env: NodeJS.ProcessEnv;
  /** A REST client for the pull request comment, authenticated with `token`. */
  github(token: string): Octokit;
  /** The clients that assume role-to-assume and invoke the reconciler functions. */
  sts(config: STSClientConfig): STSClient;
  lambda(config: LambdaClientConfig): LambdaClient;
}
