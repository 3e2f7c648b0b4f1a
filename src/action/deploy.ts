// mode: deploy. On a push to the default branch: render the head, take GitHub's OIDC token, assume the apply role,
// invoke the reconciler's apply function (RequestResponse) with the release, and report what it did.
import { isAbsolute, join } from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import type { ReconcilerEvent } from '../reconciler/event.js';
import { MAX_PAYLOAD_BYTES, releaseSchema, formatIssues, type ReleasePayload } from '../reconciler/release.js';
import type { ReconcilerResult } from '../reconciler/result.js';
import { loadStackConfig } from '../config/index.js';
import { describeSource, loadManifestSet } from '../sources/index.js';
import type { ManifestSet } from '../model/objects.js';
import type { ActionContext, ActionDeps } from './deps.js';
import type { ActionInputs } from './inputs.js';
import { ThanosGitopsError } from '../model/errors.js';

export const OIDC_AUDIENCE = 'sts.amazonaws.com';

interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** The function answered with an error (FunctionError): the step fails with its reason. */
export class FunctionFailedError extends ThanosGitopsError {
  override name = 'FunctionFailedError';
}

/** The trimmed value of an input that must be set; the error names the input and why it is needed. */
export function requireInput(value: string, name: string, why: string): string {
  if (!value.trim()) throw new Error(`input '${name}' is empty; ${why}`);
  return value.trim();
}

/**
 * Credentials to invoke with: the role in `role-to-assume` entered with the job's GitHub OIDC token, or (when it is
 * empty) whatever the SDK finds in the environment, e.g. from aws-actions/configure-aws-credentials.
 */
export async function invokeCredentials(
  inputs: ActionInputs,
  { core, env, sts: stsClient }: ActionDeps,
): Promise<AwsCredentialIdentity | undefined> {
  if (!inputs.roleToAssume) return undefined;
  let idToken: string;
  try {
    idToken = await core.getIDToken(OIDC_AUDIENCE);
  } catch (error) {
    throw new Error(
      `could not get the GitHub OIDC token for role-to-assume: ${(error as Error).message}. The job needs 'permissions: id-token: write'`,
    );
  }
  const sts = stsClient({ region: inputs.awsRegion });
  try {
    const runId = env.GITHUB_RUN_ID ?? 'local';
    const response = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: inputs.roleToAssume,
        RoleSessionName: `thanos-gitops-${runId}`.slice(0, 64),
        WebIdentityToken: idToken,
        DurationSeconds: 3600,
      }),
    );
    const c = response.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('the response carried no credentials');
    core.setSecret(c.SecretAccessKey);
    if (c.SessionToken) core.setSecret(c.SessionToken);
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: c.Expiration } : {}),
    };
  } catch (error) {
    throw new Error(
      `sts:AssumeRoleWithWebIdentity into ${inputs.roleToAssume} failed: ${(error as Error).message}. ` +
        "Check the role's trust policy: audience sts.amazonaws.com and the subject of this workflow (e.g. repo:OWNER/REPO:ref:refs/heads/main or :environment:NAME)",
    );
  } finally {
    sts.destroy();
  }
}

/** The tls/objectStorage sections rotation needs later; only the typed stack-config source has them. */
async function securitySettings(inputs: ActionInputs): Promise<ReleasePayload['settings']> {
  if (inputs.source.type !== 'config') return undefined;
  const path = isAbsolute(inputs.source.config) ? inputs.source.config : join(inputs.workspace, inputs.source.config);
  const config = await loadStackConfig(path);
  if (!config.tls && !config.objectStorage) return undefined;
  return {
    ...(config.tls ? { tls: config.tls as Record<string, unknown> } : {}),
    ...(config.objectStorage ? { objectStorage: config.objectStorage as Record<string, unknown> } : {}),
  };
}

/** The release the reconciler receives, checked here first so a bad one never leaves the runner. */
export async function buildRelease(
  inputs: ActionInputs,
  set: ManifestSet,
  context: ActionContext,
): Promise<ReleasePayload> {
  const { owner, repo } = context.repo;
  const settings = await securitySettings(inputs);
  const candidate = {
    repository: `${owner}/${repo}`,
    commit: context.sha,
    actor: context.actor || 'unknown',
    environment: inputs.environment,
    manifests: set.map((m) => ({ file: m.file, object: m.object })),
    ...(settings ? { settings } : {}),
  };
  const parsed = releaseSchema.safeParse(candidate);
  if (!parsed.success) throw new Error(`the rendered release is not valid: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** Invokes a reconciler function synchronously; a FunctionError becomes FunctionFailedError with the function's reason. */
export async function invokeReconciler(
  inputs: ActionInputs,
  functionName: string,
  event: ReconcilerEvent,
  deps: ActionDeps,
): Promise<ReconcilerResult> {
  const payload = Buffer.from(JSON.stringify(event));
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new Error(
      `the release is ${payload.length} bytes, over Lambda's ${MAX_PAYLOAD_BYTES}-byte synchronous payload limit; split the stack into environments`,
    );
  }
  const credentials = await invokeCredentials(inputs, deps);
  const lambda = deps.lambda({
    region: inputs.awsRegion,
    ...(credentials ? { credentials } : {}),
    // An apply may take the function's full 15 minutes.
    requestHandler: { requestTimeout: 16 * 60_000 },
  });
  try {
    const response = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: payload }),
    );
    const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
    if (response.FunctionError) {
      let reason = text;
      try {
        const error = JSON.parse(text) as { errorType?: string; errorMessage?: string };
        reason = `${error.errorType ?? 'Error'}: ${error.errorMessage ?? text}`;
      } catch {
        // Not JSON: keep the raw text.
      }
      throw new FunctionFailedError(`function ${functionName} failed (${response.FunctionError}): ${reason}`);
    }
    return JSON.parse(text) as ReconcilerResult;
  } catch (error) {
    if (error instanceof FunctionFailedError) throw error;
    throw new Error(`lambda:InvokeFunction ${functionName} in ${inputs.awsRegion} failed: ${(error as Error).message}`);
  } finally {
    lambda.destroy();
  }
}

function list(items: string[], limit = 50): string {
  if (items.length === 0) return '';
  const shown = items.slice(0, limit).map((item) => `- \`${item}\``);
  if (items.length > limit) shown.push(`- … and ${items.length - limit} more`);
  return `${shown.join('\n')}\n`;
}

/** The job summary of a deploy: what the reconciler applied and pruned (names only). */
export function deploySummary(
  result: ReconcilerResult,
  release: Pick<ReleasePayload, 'repository' | 'commit' | 'environment'>,
): string {
  const lines = [
    `## thanos-gitops deploy to \`${release.environment}\``,
    '',
    `Release **revision ${result.revision ?? '(none: nothing changed)'}** from \`${release.repository}@${release.commit.slice(0, 12)}\`.`,
    '',
    '| applied | pruned | unchanged | writes |',
    '|---:|---:|---:|---:|',
    `| ${result.applied} | ${result.pruned} | ${result.unchanged} | ${result.writes} |`,
    '',
  ];
  if (result.objects.applied.length)
    lines.push('<details><summary>Applied</summary>', '', list(result.objects.applied), '</details>', '');
  if (result.objects.pruned.length)
    lines.push('<details><summary>Pruned</summary>', '', list(result.objects.pruned), '</details>', '');
  if (result.warnings.length)
    lines.push('> [!WARNING]', ...result.warnings.slice(0, 20).map((w) => `> ${w.replace(/\n/g, ' ')}`), '');
  return lines.join('\n');
}

function isDefaultBranchPush({ eventName, payload, ref }: ActionContext): { ok: true } | { ok: false; reason: string } {
  const defaultBranch = (payload.repository as { default_branch?: string } | undefined)?.default_branch;
  if (eventName !== 'push')
    return {
      ok: false,
      reason: `mode 'deploy' runs on push events to the default branch, not '${eventName || 'unknown'}'`,
    };
  if (!defaultBranch) return { ok: false, reason: 'the push event payload has no repository.default_branch' };
  if (ref !== `refs/heads/${defaultBranch}`)
    return {
      ok: false,
      reason: `mode 'deploy' applies pushes to the default branch (${defaultBranch}); this push is to ${ref}`,
    };
  return { ok: true };
}

/** mode: deploy. */
export async function runDeploy(inputs: ActionInputs, deps: ActionDeps): Promise<void> {
  const { core } = deps;
  const trigger = isDefaultBranchPush(deps.context);
  if (!trigger.ok) {
    throw new Error(
      `${trigger.reason}; trigger the deploy workflow with 'on: push: branches: [<default branch>]' (see examples/workflows/)`,
    );
  }
  requireInput(inputs.awsRegion, 'aws-region', 'set the region of the reconciler functions');
  const functionName = requireInput(
    inputs.applyFunction,
    'apply-function',
    'set the name or ARN of the apply function (an output of the infra stack)',
  );
  core.info(`thanos-gitops: rendering ${describeSource(inputs.source)} for environment ${inputs.environment}`);
  const set = await loadManifestSet(inputs.source, { cwd: inputs.workspace });
  const release = await buildRelease(inputs, set, deps.context);
  core.info(
    `thanos-gitops: applying ${set.length} objects from ${release.repository}@${release.commit.slice(0, 12)} through ${functionName}`,
  );
  const result = await invokeReconciler(
    inputs,
    functionName,
    { action: 'apply', release, ...(inputs.orderedApply ? {} : { options: { order: false } }) },
    deps,
  );
  core.info(
    `thanos-gitops: revision ${result.revision ?? '-'}: ${result.applied} applied, ${result.pruned} pruned, ${result.unchanged} unchanged`,
  );
  for (const warning of result.warnings) core.warning(warning, { title: 'thanos-gitops deploy' });
  try {
    await core.summary.addRaw(deploySummary(result, release)).write();
  } catch (error) {
    core.warning(`could not write the job summary: ${(error as Error).message}`);
  }
  core.setOutput('revision', result.revision === undefined ? '' : String(result.revision));
  core.setOutput('applied', String(result.applied));
  core.setOutput('pruned', String(result.pruned));
}
