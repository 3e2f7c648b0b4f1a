// The reconciler functions' settings, carried in their environment. The infra stack writes the variables this schema
// reads, typed by its keys (StackVariables), so a name cannot differ between the two sides.
import * as z from 'zod';
import type { ApplyPolicy } from '../policy/index.js';
import { parseApplyPolicy } from '../policy/policy-file.js';
import { RefusedError } from './event.js';
import { DEFAULT_ENVIRONMENT, environmentNameProblem, isEnvironmentName } from '../model/environment.js';

const notSet = (name: string) => `environment variable ${name} is not set`;
const required = (name: string) => z.string({ error: notSet(name) }).min(1, notSet(name));
const text = z.string().optional();
const optional = text.transform((value) => value || undefined);
const list = text.transform((value) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);
const oneOf = <const T extends readonly [string, ...string[]]>(name: string, values: T) =>
  z.enum(values, { error: (issue) => `${name} is '${String(issue.input ?? '')}'; set it to ${values.join(' or ')}` });

export const functionEnvironmentSchema = z.object({
  THANOS_GITOPS_MODE: oneOf('THANOS_GITOPS_MODE', ['plan', 'apply']),
  CLUSTER_NAME: required('CLUSTER_NAME'),
  AWS_REGION: required('AWS_REGION'),
  TARGET_NAMESPACES: list.refine((namespaces) => namespaces.length > 0, notSet('TARGET_NAMESPACES')),
  CLUSTER_ROLE_ARN: optional,
  CLUSTER_ROLE_EXTERNAL_ID: optional,
  ENVIRONMENT: text
    .transform((value) => value || DEFAULT_ENVIRONMENT)
    .refine(isEnvironmentName, { error: (issue) => environmentNameProblem(String(issue.input), 'ENVIRONMENT') }),
  ALLOW_CLUSTER_SCOPED: z
    .string()
    .default('false')
    .transform((value) => value.toLowerCase())
    .pipe(oneOf('ALLOW_CLUSTER_SCOPED', ['true', 'false']))
    .transform((value) => value === 'true'),
  ROTATION_MODE: optional.pipe(oneOf('ROTATION_MODE', ['irsa', 'accessKeys']).optional()),
  APPLY_POLICY: optional.transform((text, context): ApplyPolicy | undefined => {
    if (text === undefined) return undefined;
    try {
      return parseApplyPolicy(text, 'APPLY_POLICY');
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return undefined;
    }
  }),
  ALLOWED_KINDS: list,
  IAM_USER_NAME: optional,
});

export type FunctionEnvironment = z.output<typeof functionEnvironmentSchema>;

/**
 * Read by the function but never set by the stack: the Lambda runtime sets the region; an operator who deploys the
 * function without the stack may add the external id the cluster-access role's trust policy asks for.
 */
export const RUNTIME_VARIABLES = ['AWS_REGION', 'CLUSTER_ROLE_EXTERNAL_ID'] as const;

/** The variables the infra stack sets, with their values as text. */
export type StackVariables = {
  [Name in Exclude<keyof FunctionEnvironment, (typeof RUNTIME_VARIABLES)[number]>]?: string;
};

/**
 * Parses the function's environment; a bad one is refused with every variable to fix. The region falls back to
 * AWS_DEFAULT_REGION, the other name the AWS SDK reads.
 */
export function parseFunctionEnvironment(env: NodeJS.ProcessEnv): FunctionEnvironment {
  const result = functionEnvironmentSchema.safeParse({ ...env, AWS_REGION: env.AWS_REGION ?? env.AWS_DEFAULT_REGION });
  if (!result.success)
    throw new RefusedError(`function misconfigured: ${result.error.issues.map((issue) => issue.message).join('; ')}`);
  return result.data;
}
