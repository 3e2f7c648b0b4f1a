import { imageProblems, namespaceProblem, nameProblem } from './object-rules.js';
import { describeType } from './json.js';
import { apiGroup, isRecord } from './objects.js';

/** Built-in kinds as the API spells them: kinds are case-sensitive, and a mis-cased one is no kind at all. */
const BUILT_IN_KINDS = [
  'Secret',
  'ConfigMap',
  'Service',
  'ServiceAccount',
  'Pod',
  'Namespace',
  'Endpoints',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'Ingress',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'ServiceMonitor',
  'PodMonitor',
  'PrometheusRule',
  'LimitRange',
  'ResourceQuota',
];
const KIND_BY_LOWER = new Map(BUILT_IN_KINDS.map((kind) => [kind.toLowerCase(), kind]));

/**
 * A spelling the API server would not accept but that reads like a built-in object: `kind: secret` or `apiVersion:
 * core/v1` is no Secret to the server, so nothing would mask its values in a report. Refused with the right spelling.
 */
function spellingProblem(apiVersion: string, kind: string): string | undefined {
  if (/^core\/v1$/i.test(apiVersion) || (/^v1$/i.test(apiVersion) && apiVersion !== 'v1')) {
    return `apiVersion '${apiVersion}' is not valid: the core group has no name, write \`apiVersion: v1\``;
  }
  const known = KIND_BY_LOWER.get(kind.toLowerCase());
  if (known !== undefined && known !== kind) {
    return `kind '${kind}' is not a Kubernetes kind (kinds are case-sensitive): write \`kind: ${known}\``;
  }
  return undefined;
}

/**
 * Why a parsed value is not a usable Kubernetes object, or undefined when it is one. Objects must carry
 * apiVersion, kind and metadata.name: diff, apply and prune identify objects by them.
 */
export function objectProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return `expected a Kubernetes object (a mapping), got ${describeType(value)}`;
  const missing: string[] = [];
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') missing.push('apiVersion');
  if (typeof value.kind !== 'string' || value.kind === '') missing.push('kind');
  const metadata = value.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '') {
    if (isRecord(metadata) && typeof metadata.generateName === 'string') {
      return 'metadata.generateName is not supported: give the object a fixed metadata.name so it can be diffed and pruned';
    }
    missing.push('metadata.name');
  }
  if (missing.length > 0) {
    return `missing ${missing.join(', ')}: every object needs apiVersion, kind and metadata.name`;
  }
  if (
    metadata !== undefined &&
    isRecord(metadata) &&
    metadata.namespace !== undefined &&
    typeof metadata.namespace !== 'string'
  ) {
    return 'metadata.namespace must be a string';
  }
  return (
    spellingProblem(value.apiVersion as string, value.kind as string) ??
    apiServerProblem(value as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } })
  );
}

/** What the API server would refuse for this kind (name, namespace) or what would fail later (image), if anything. */
function apiServerProblem(object: {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}): string | undefined {
  const problem =
    nameProblem(apiGroup(object.apiVersion), object.kind, object.metadata.name) ??
    (object.metadata.namespace === undefined || object.metadata.namespace === ''
      ? undefined
      : namespaceProblem(object.metadata.namespace)) ??
    imageProblems(object)[0];
  return problem;
}

/** kubectl's rule: `v1/List` and any `*List` kind with an items array is a container whose items are the objects. */
export function isListObject(value: Record<string, unknown>): value is Record<string, unknown> & { items: unknown[] } {
  return typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
}
