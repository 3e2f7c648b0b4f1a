import { ThanosGitopsError } from './errors.js';
import { DNS1123_LABEL_RULE, isDns1123Label } from './object-rules.js';

/**
 * The environment name names one deployment target everywhere: the release Secrets
 * (`thanos-gitops.release.v1.<environment>.v<revision>`), the ApplySet parent Secret (`thanos-gitops-<environment>`),
 * the rotation settings ConfigMap, the `name` label of the release Secrets, the CloudFormation stack
 * (`ThanosGitops-<environment>`), its tags and the drift metric's dimension. The one rule valid in all of them is
 * the strictest: a label value allows at most 63 characters (Kubernetes v1.34.4,
 * staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go, IsValidLabelValue), object names are DNS-1123
 * subdomains, lowercase, whose dot-separated parts start and end with a letter or digit (IsDNS1123Subdomain), and a
 * CloudFormation stack name allows only letters, digits and '-' (CreateStack's StackName). Together: a DNS-1123 label.
 */
export const isEnvironmentName = isDns1123Label;

/** The name used when none is given (CLI flag, Action input, function setting). */
export const DEFAULT_ENVIRONMENT = 'default';

/** An environment name that breaks the rule; the message names where it came from, the value and the rule. */
export class EnvironmentNameError extends ThanosGitopsError {
  override name = 'EnvironmentNameError';
}

/**
 * Why `name` cannot be an environment name (naming `input`, e.g. `--environment` or `input 'environment'`), with
 * the lowercase spelling when that one would do, or undefined when it can.
 */
export function environmentNameProblem(name: string, input = 'environment'): string | undefined {
  if (isEnvironmentName(name)) return undefined;
  const lower = name.toLowerCase();
  const hint = lower !== name && isEnvironmentName(lower) ? `; write '${lower}'` : '';
  return `${input} '${name}' is not an environment name: use ${DNS1123_LABEL_RULE}${hint}`;
}

/** `name` when it is an environment name; otherwise throws EnvironmentNameError naming `input`. */
export function checkEnvironmentName(name: string, input = 'environment'): string {
  const problem = environmentNameProblem(name, input);
  if (problem !== undefined) throw new EnvironmentNameError(problem);
  return name;
}
