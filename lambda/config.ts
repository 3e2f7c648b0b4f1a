// The function's configuration, from its environment (set by the CDK app in infra/, read by src/reconciler's schema).
import { DEFAULT_APPLY_POLICY } from '../src/policy/index.js';
import { parseFunctionEnvironment } from '../src/reconciler/function-environment.js';
import type { ReleasePolicy } from '../src/reconciler/release-policy.js';
import type { FunctionMode } from '../src/reconciler/result.js';

export interface ReconcilerConfig {
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

/** Reads and checks the environment; a missing or bad setting names the variable to set. */
export function loadConfig(env: NodeJS.ProcessEnv): ReconcilerConfig {
  const vars = parseFunctionEnvironment(env);
  const namespaces = vars.TARGET_NAMESPACES;
  const apply = vars.APPLY_POLICY ?? DEFAULT_APPLY_POLICY;
  return {
    mode: vars.THANOS_GITOPS_MODE,
    clusterName: vars.CLUSTER_NAME,
    region: vars.AWS_REGION,
    clusterRoleArn: vars.CLUSTER_ROLE_ARN,
    clusterRoleExternalId: vars.CLUSTER_ROLE_EXTERNAL_ID,
    policy: {
      namespaces,
      // What kube-thanos renders, plus the Secret/ConfigMap the objstore and hashring wiring add, group-qualified.
      allowedKinds: vars.ALLOWED_KINDS.length ? vars.ALLOWED_KINDS : [...apply.kinds],
      allowClusterScoped: vars.ALLOW_CLUSTER_SCOPED,
      environment: vars.ENVIRONMENT,
      apply,
      applySource: vars.APPLY_POLICY ? 'APPLY_POLICY' : 'built-in default',
    },
    namespace: namespaces[0]!,
    rotationMode: vars.ROTATION_MODE,
    iamUserName: vars.IAM_USER_NAME,
  };
}
