import { sourceSpecFrom, type SourceSpec } from '../sources/index.js';
import type { ActionCore } from './deps.js';
import { ThanosGitopsError } from '../model/errors.js';
import { DEFAULT_ENVIRONMENT, environmentNameProblem } from '../model/environment.js';

export type ActionMode = 'diff' | 'deploy';

/** The Action's inputs, read once and checked; deploy mode and the live diff receive the same object. */
export interface ActionInputs {
  mode: ActionMode;
  source: SourceSpec;
  environment: string;
  githubToken: string;
  comment: boolean;
  liveDiff: boolean;
  /** mode deploy: ordered ingestor ring steps (false: one-shot apply, as `apply --no-order`). */
  orderedApply: boolean;
  awsRegion: string;
  roleToAssume: string;
  applyFunction: string;
  planFunction: string;
  /** Absolute directory the source paths are relative to (GITHUB_WORKSPACE on a runner). */
  workspace: string;
  /** allow-untrusted-checkout: run on pull_request_target/workflow_run events whose code comes from a fork. */
  allowUntrustedCheckout: boolean;
}

/** An input the user got wrong: the message names the input and the accepted values. */
export class InputError extends ThanosGitopsError {
  override name = 'InputError';
}

/**
 * The shared source code words its messages for the CLI (`pass one with --config`, `'dir'`); an Action user sets
 * inputs, so the Action says `input 'config'` and `input 'manifests-dir'` instead.
 */
const CLI_WORDS_TO_INPUTS: Array<[RegExp, string]> = [
  [/(?<![\w-])--config\b/g, "input 'config'"],
  [/(?<![\w-])--dir\b/g, "input 'manifests-dir'"],
  [/(?<![\w-])--jpath\b/g, "input 'jpath'"],
  [/(?<![\w-])--entrypoint\b/g, "input 'entrypoint'"],
  [/'dir'/g, "'manifests-dir'"],
  [/'dir: /g, "'manifests-dir: "],
];

export function inActionWords(message: string): string {
  return CLI_WORDS_TO_INPUTS.reduce((text, [pattern, words]) => text.replace(pattern, words), message);
}

type GetInput = ActionCore['getInput'];

function booleanInput(getInput: GetInput, name: string, fallback: boolean): boolean {
  const raw = getInput(name).trim().toLowerCase();
  if (raw === '') return fallback;
  if (['true', 'yes', 'on', '1'].includes(raw)) return true;
  if (['false', 'no', 'off', '0'].includes(raw)) return false;
  throw new InputError(`input '${name}' is '${raw}'; use true or false`);
}

function listInput(getInput: GetInput, name: string): string[] {
  return getInput(name)
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);
}

export function readInputs({ getInput }: Pick<ActionCore, 'getInput'>, env: NodeJS.ProcessEnv): ActionInputs {
  const modeInput = getInput('mode').trim() || 'diff';
  if (modeInput !== 'diff' && modeInput !== 'deploy')
    throw new InputError(`input 'mode' is '${modeInput}'; use diff or deploy`);
  const sourceInput = getInput('source').trim() || 'config';
  let source: SourceSpec;
  try {
    // `config` has a default, so it only counts when the config source is chosen.
    source = sourceSpecFrom({
      source: sourceInput,
      config: sourceInput === 'config' ? getInput('config') : undefined,
      entrypoint: getInput('entrypoint'),
      jpath: listInput(getInput, 'jpath'),
      dir: getInput('manifests-dir'),
    });
  } catch (error) {
    throw new InputError(
      `inputs source/config/entrypoint/jpath/manifests-dir: ${inActionWords((error as Error).message)}`,
    );
  }
  const environment = getInput('environment').trim() || DEFAULT_ENVIRONMENT;
  const environmentProblem = environmentNameProblem(environment, "input 'environment'");
  if (environmentProblem !== undefined) throw new InputError(environmentProblem);
  return {
    mode: modeInput,
    source,
    environment,
    githubToken: getInput('github-token'),
    comment: booleanInput(getInput, 'comment', true),
    liveDiff: booleanInput(getInput, 'live-diff', false),
    orderedApply: booleanInput(getInput, 'ordered-apply', true),
    awsRegion: getInput('aws-region'),
    roleToAssume: getInput('role-to-assume'),
    applyFunction: getInput('apply-function'),
    planFunction: getInput('plan-function'),
    workspace: env['GITHUB_WORKSPACE'] || process.cwd(),
    allowUntrustedCheckout: booleanInput(getInput, 'allow-untrusted-checkout', false),
  };
}
