import * as z from 'zod';
import { applyPolicySchema } from '../../src/policy/policy-file.js';
import { ThanosGitopsError } from '../../src/model/errors.js';
import { environmentNameProblem, isEnvironmentName } from '../../src/model/environment.js';

/**
 * Everything the stack needs to know, from CDK context (`infra/cdk.json`, `-c key=value`) or typed props. Validation
 * happens before any construct is created so a bad value fails `cdk synth` with the key and the fix, not deep inside
 * CloudFormation.
 */

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
// EKS: 1-100 chars, starts alphanumeric, then alphanumerics, '-' and '_'.
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/;
// GitHub: owners are alphanumerics and single hyphens; repositories add '.' and '_'.
const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const GITHUB_REPO = /^[A-Za-z0-9._-]{1,100}$/;
const NUMERIC_ID = /^[1-9]\d*$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// EventBridge Scheduler expressions: rate(value unit), cron(six fields), at(yyyy-mm-ddThh:mm:ss).
const SCHEDULE =
  /^(rate\(([1-9]\d*) (minutes?|hours?|days?)\)|cron\(\S+( \S+){5}\)|at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\))$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;
const IAM_USER_NAME = /^[\w+=,.@-]{1,64}$/;
// Git ref names: no spaces, '..', '~^:?*[\', no leading '/' or '-'.
const BRANCH = /^(?!\/|-)(?!.*\.\.)[^\s~^:?*[\\]{1,255}$/;

const id = (what: string) =>
  z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().regex(NUMERIC_ID, `${what} must be a positive integer (the numeric id)`));

function rateMinutes(expression: string): number | undefined {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (!match) return undefined;
  const factor = { minute: 1, hour: 60, day: 1440 }[match[2] as 'minute' | 'hour' | 'day'];
  return Number(match[1]) * factor;
}

export const infraConfigSchema = z
  .object({
    account: z.string().regex(ACCOUNT, 'account must be a 12-digit AWS account id, e.g. "111122223333"'),
    region: z.string().regex(REGION, 'region must be an AWS region name such as "eu-west-1"'),
    clusterName: z.string().regex(CLUSTER_NAME, 'clusterName must be the EKS cluster name (letters, digits, "-", "_")'),
    githubOwner: z.string().regex(GITHUB_OWNER, 'githubOwner must be the GitHub user or organization name'),
    githubRepo: z.string().regex(GITHUB_REPO, 'githubRepo must be the repository name without the owner'),
    githubOwnerId: id('githubOwnerId').optional(),
    githubRepoId: id('githubRepoId').optional(),
    githubEnvironment: z
      .string()
      .regex(/^[^\s:*?]{1,255}$/, 'githubEnvironment must be a GitHub environment name (no spaces, ":", "*" or "?")')
      .optional(),
    defaultBranch: z.string().regex(BRANCH, 'defaultBranch must be a branch name such as "main"').default('main'),
    namespace: z.string().regex(NAMESPACE, 'namespace must be a DNS-1123 label such as "thanos"'),
    /** Further namespaces the reconciler manages besides `namespace`. */
    additionalNamespaces: z
      .array(z.string().regex(NAMESPACE, 'additionalNamespaces entries must be DNS-1123 labels'))
      .default([]),
    environment: z
      .string()
      .refine(isEnvironmentName, {
        error: (issue) => `${environmentNameProblem(String(issue.input))}, such as "production"`,
      })
      .default('production'),
    reconcileSchedule: z
      .string()
      .regex(SCHEDULE, 'reconcileSchedule must be an EventBridge Scheduler expression such as "rate(15 minutes)"')
      .default('rate(15 minutes)'),
    rotateSchedule: z
      .string()
      .regex(SCHEDULE, 'rotateSchedule must be an EventBridge Scheduler expression such as "rate(1 day)"')
      .default('rate(1 day)'),
    rotationMode: z
      .enum(['irsa', 'accessKeys'], { error: 'rotationMode must be "irsa" or "accessKeys"' })
      .default('irsa'),
    iamUserName: z
      .string()
      .regex(IAM_USER_NAME, 'iamUserName must be an IAM user name (letters, digits, +=,.@_-)')
      .optional(),
    clusterAccessRoleArn: z
      .string()
      .regex(ROLE_ARN, 'clusterAccessRoleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)')
      .optional(),
    /** A separate cluster-access role for plan; without it plan assumes `clusterAccessRoleArn` too. */
    planClusterAccessRoleArn: z.string().regex(ROLE_ARN, 'planClusterAccessRoleArn must be an IAM role ARN').optional(),
    existingOidcProviderArn: z
      .string()
      .regex(
        OIDC_PROVIDER_ARN,
        'existingOidcProviderArn must be arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com',
      )
      .optional(),
    alarmTopicArn: z.string().regex(TOPIC_ARN, 'alarmTopicArn must be an SNS topic ARN').optional(),
    allowClusterScoped: z.boolean().default(false),
    /** The functions' apply policy (the README's "Apply policy"); default: the built-in policy. */
    applyPolicy: applyPolicySchema.optional(),
    logRetentionDays: z
      .number()
      .int()
      .refine(
        (d) => LOG_RETENTION_DAYS.includes(d),
        `logRetentionDays must be one of ${'1, 3, 5, 7, 14, 30, 60, 90, ...'} (CloudWatch's allowed values)`,
      )
      .default(30),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.rotationMode === 'accessKeys' && !config.iamUserName) {
      ctx.addIssue({
        code: 'custom',
        path: ['iamUserName'],
        message: 'iamUserName is required when rotationMode is "accessKeys" (the IAM user whose keys are rotated)',
      });
    }
    if (config.rotationMode === 'irsa' && config.iamUserName) {
      ctx.addIssue({
        code: 'custom',
        path: ['iamUserName'],
        message: 'iamUserName is only used with rotationMode "accessKeys"; remove it or set rotationMode',
      });
    }
    if ((config.githubOwnerId === undefined) !== (config.githubRepoId === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [config.githubOwnerId === undefined ? 'githubOwnerId' : 'githubRepoId'],
        message:
          'githubOwnerId and githubRepoId go together (the immutable OIDC subject needs both); set both or neither',
      });
    }
    if (config.planClusterAccessRoleArn && !config.clusterAccessRoleArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['planClusterAccessRoleArn'],
        message: 'planClusterAccessRoleArn needs clusterAccessRoleArn (the apply side) as well',
      });
    }
    if (
      config.clusterAccessRoleArn &&
      config.planClusterAccessRoleArn &&
      roleAccount(config.clusterAccessRoleArn) !== roleAccount(config.planClusterAccessRoleArn)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['planClusterAccessRoleArn'],
        message: 'planClusterAccessRoleArn must be in the same account as clusterAccessRoleArn (the cluster account)',
      });
    }
    for (const key of ['reconcileSchedule', 'rotateSchedule'] as const) {
      const minutes = rateMinutes(config[key]);
      // The apply function may run 15 minutes and holds the Lease meanwhile; faster schedules only queue up behind it.
      if (minutes !== undefined && minutes < 5) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} "${config[key]}" is too frequent: use at least "rate(5 minutes)"`,
        });
      }
      const singular = /^rate\(1 (minute|hour|day)s\)$/.test(config[key]);
      const plural = /^rate\(([2-9]|\d{2,}) (minute|hour|day)\)$/.test(config[key]);
      if (singular || plural) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} "${config[key]}": EventBridge wants the singular unit for 1 and plural otherwise, e.g. "rate(1 day)", "rate(15 minutes)"`,
        });
      }
    }
  });

export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export type InfraConfigInput = z.input<typeof infraConfigSchema>;
export type InfraConfig = z.output<typeof infraConfigSchema>;

/** The account part of a role ARN (the cluster account when the cluster lives elsewhere). */
export function roleAccount(arn: string): string {
  const match = ROLE_ARN.exec(arn);
  if (!match?.[1]) throw new Error(`not an IAM role ARN: ${arn}`);
  return match[1];
}

export class InfraConfigError extends ThanosGitopsError {
  override name = 'InfraConfigError';
}

/** Validates config; the error lists every problem as `<source> <key>: <message>`, one per line. */
export function parseInfraConfig(input: unknown, source = 'infra config'): InfraConfig {
  const result = infraConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: check the spelling against infra/README.md`
        : issue.message;
    return `  ${source} ${key}: ${message}`;
  });
  return fail(`invalid thanos-gitops infra configuration:\n${lines.join('\n')}`);
}

function fail(message: string): never {
  throw new InfraConfigError(message);
}

/** The context keys the app reads; everything else in cdk.json context (CDK feature flags) is ignored. */
export const CONTEXT_KEYS = Object.keys(infraConfigSchema.shape) as (keyof InfraConfigInput)[];

/**
 * Reads config from CDK context. `-c key=value` arrives as a string, so booleans and numbers given on the command
 * line are converted here; cdk.json values keep their JSON types.
 */
export function configFromContext(tryGetContext: (key: string) => unknown): InfraConfig {
  const input: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    let value = tryGetContext(key);
    if (value === undefined || value === null || value === '') continue;
    if (typeof value === 'string') {
      if (key === 'allowClusterScoped' && (value === 'true' || value === 'false')) value = value === 'true';
      else if (key === 'logRetentionDays' && /^\d+$/.test(value)) value = Number(value);
      else if (key === 'additionalNamespaces')
        value = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      else if (key === 'applyPolicy') {
        try {
          value = JSON.parse(value) as unknown;
        } catch {
          fail(
            `invalid thanos-gitops infra configuration:\n  context applyPolicy: not JSON; pass the policy as a JSON object (-c 'applyPolicy={"kinds":[...],...}') or put it in cdk.json`,
          );
        }
      }
    }
    input[key] = value;
  }
  return parseInfraConfig(input, 'context');
}
