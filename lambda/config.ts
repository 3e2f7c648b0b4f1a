// The function's configuration, all from its environment (set by the CDK app in infra/).
import { DEFAULT_APPLY_POLICY, parseApplyPolicy, type ApplyPolicy } from '../src/policy/index.js';
import { DEFAULT_ENVIRONMENT, environmentNameProblem } from '../src/model/environment.js';
import { DEFAULT_ALLOWED_KINDS, RefusedError, type ReleasePolicy } from './release.js';

export type FunctionMode = 'plan' | 'apply';

export interface ReconcilerConfig {
  /** plan: may only dry-run; apply: may write. Infra deploys one function of each. */
  mode: FunctionMode;
  clusterName: string;
  region: string;
  clusterRoleArn?: string | undefined;
  clusterRoleExternalId?: string | undefined;
  policy: ReleasePolicy & { environment: string };
  /** Namespace of the ApplySet parent, release history and Lease: the first target namespace. */
  namespace: string;
  rotationMode?: 'irsa' | 'accessKeys' | undefined;
  iamUserName?: string | undefined;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

/** Reads and checks the environment; a missing setting names the variable to set. */
export function loadConfig(env: NodeJS.ProcessEnv): ReconcilerConfig {
  const missing = (name: string) => new RefusedError(`function misconfigured: environment variable ${name} is not set`);
  const modeRaw = env.THANOS_GITOPS_MODE;
  if (modeRaw !== 'plan' && modeRaw !== 'apply') {
    throw new RefusedError(`function misconfigured: THANOS_GITOPS_MODE is '${modeRaw ?? ''}'; set it to plan or apply`);
  }
  const clusterName = env.CLUSTER_NAME;
  if (!clusterName) throw missing('CLUSTER_NAME');
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw missing('AWS_REGION');
  const namespaces = list(env.TARGET_NAMESPACES);
  const namespace = namespaces[0];
  if (!namespace) throw missing('TARGET_NAMESPACES');
  const environment = env.ENVIRONMENT || DEFAULT_ENVIRONMENT;
  const environmentProblem = environmentNameProblem(environment, 'ENVIRONMENT');
  if (environmentProblem !== undefined) throw new RefusedError(`function misconfigured: ${environmentProblem}`);
  const allowRaw = (env.ALLOW_CLUSTER_SCOPED ?? 'false').toLowerCase();
  if (!['true', 'false'].includes(allowRaw)) throw new RefusedError(`function misconfigured: ALLOW_CLUSTER_SCOPED is '${allowRaw}'; use true or false`);
  const rotation = env.ROTATION_MODE;
  if (rotation !== undefined && rotation !== '' && rotation !== 'irsa' && rotation !== 'accessKeys') {
    throw new RefusedError(`function misconfigured: ROTATION_MODE is '${rotation}'; use irsa or accessKeys`);
  }
  let apply: ApplyPolicy = DEFAULT_APPLY_POLICY;
  if (env.APPLY_POLICY) {
    try {
      apply = parseApplyPolicy(env.APPLY_POLICY, 'APPLY_POLICY');
    } catch (error) {
      throw new RefusedError(`function misconfigured: ${(error as Error).message}`);
    }
  }
  const allowedKinds = list(env.ALLOWED_KINDS);
  return {
    mode: modeRaw,
    clusterName,
    region,
    clusterRoleArn: env.CLUSTER_ROLE_ARN || undefined,
    clusterRoleExternalId: env.CLUSTER_ROLE_EXTERNAL_ID || undefined,
    policy: {
      namespaces,
      allowedKinds: allowedKinds.length ? allowedKinds : env.APPLY_POLICY ? apply.kinds : DEFAULT_ALLOWED_KINDS,
      allowClusterScoped: allowRaw === 'true',
      environment,
      apply,
      applySource: env.APPLY_POLICY ? 'APPLY_POLICY' : 'built-in default',
    },
    namespace,
    rotationMode: rotation === 'irsa' || rotation === 'accessKeys' ? rotation : undefined,
    iamUserName: env.IAM_USER_NAME || undefined,
  };
}
