/**
 * Rules the Kubernetes API server enforces on every object of a kind, checked before anything is sent, so that
 * `validate` and `plan` refuse what `apply` could never create (and a name can never walk the request path).
 * Source: Kubernetes v1.34.4. Every kind: staging/src/k8s.io/apimachinery/pkg/api/validation/path/name.go
 * (IsValidPathSegmentName). On top of that, the name function each kind's validation passes to ValidateObjectMeta:
 * pkg/apis/core/validation/validation.go (ValidateServiceName: DNS-1035 label; ValidateNamespaceName: DNS-1123
 * label; Pod, ConfigMap, Secret, ServiceAccount, Endpoints, PersistentVolume(Claim), ReplicationController,
 * LimitRange, ResourceQuota, Node: DNS-1123 subdomain), pkg/apis/apps/validation/validation.go (StatefulSet: DNS-1123
 * label; Deployment, DaemonSet, ReplicaSet: subdomain), pkg/apis/batch (Job, CronJob: subdomain),
 * pkg/apis/networking (NetworkPolicy, Ingress, IngressClass: subdomain), pkg/apis/autoscaling
 * (HorizontalPodAutoscaler: subdomain), and for custom resources apiextensions-apiserver
 * pkg/registry/customresource/validator.go (subdomain). Other built-in kinds (RBAC's ValidateRBACName,
 * PodDisruptionBudget, which validates no name) take any path segment name; the API server test pins this table.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** What a DNS-1123 label is (apimachinery IsDNS1123Label), in the words of every message that asks for one. */
export const DNS1123_LABEL_RULE =
  "at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit";

export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

type NameRule = 'dns1123-label' | 'dns1123-subdomain' | 'dns1035-label' | 'path-segment';

const BUILT_IN_RULES: Record<string, NameRule> = {
  'Service.': 'dns1035-label',
  'Namespace.': 'dns1123-label',
  'StatefulSet.apps': 'dns1123-label',
  ...Object.fromEntries(
    [
      'Pod.',
      'ConfigMap.',
      'Secret.',
      'ServiceAccount.',
      'Endpoints.',
      'PersistentVolume.',
      'PersistentVolumeClaim.',
      'ReplicationController.',
      'LimitRange.',
      'ResourceQuota.',
      'Node.',
      'Deployment.apps',
      'DaemonSet.apps',
      'ReplicaSet.apps',
      'Job.batch',
      'CronJob.batch',
      'NetworkPolicy.networking.k8s.io',
      'Ingress.networking.k8s.io',
      'IngressClass.networking.k8s.io',
      'HorizontalPodAutoscaler.autoscaling',
    ].map((kind) => [kind, 'dns1123-subdomain' as const]),
  ),
};

/** Groups served by the API server itself (not CustomResourceDefinitions): the core group, bare names, *.k8s.io. */
function isBuiltInGroup(group: string): boolean {
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

function ruleFor(group: string, kind: string): NameRule {
  return BUILT_IN_RULES[`${kind}.${group}`] ?? (isBuiltInGroup(group) ? 'path-segment' : 'dns1123-subdomain');
}

function show(value: string): string {
  return JSON.stringify(value);
}

/** Why `name` cannot name an object of this kind, or undefined when the API server accepts it. */
export function nameProblem(group: string, kind: string, name: string): string | undefined {
  // Every kind: the name is a path segment of the request URL (apimachinery path.IsValidPathSegmentName).
  if (name === '.' || name === '..' || name.includes('/') || name.includes('%')) {
    return `metadata.name ${show(name)} may not be '.' or '..' or contain '/' or '%'; use lowercase letters, digits and '-'`;
  }
  switch (ruleFor(group, kind)) {
    case 'path-segment':
      return undefined;
    case 'dns1123-label':
      if (isDns1123Label(name)) return undefined;
      return `metadata.name ${show(name)} of a ${kind} must be a DNS-1123 label: ${DNS1123_LABEL_RULE}`;
    case 'dns1035-label':
      if (name.length <= 63 && DNS1035_LABEL.test(name)) return undefined;
      return `metadata.name ${show(name)} of a ${kind} must be a DNS-1035 label: at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit`;
    case 'dns1123-subdomain':
      if (name.length <= 253 && DNS1123_SUBDOMAIN.test(name)) return undefined;
      return `metadata.name ${show(name)} of a ${kind} must be a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit`;
  }
}

/** Why `namespace` cannot be a metadata.namespace, or undefined (namespaces are DNS-1123 labels). */
export function namespaceProblem(namespace: string): string | undefined {
  if (isDns1123Label(namespace)) return undefined;
  return `metadata.namespace ${show(namespace)} must be a DNS-1123 label: ${DNS1123_LABEL_RULE}`;
}

const POD_CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

/**
 * Container images with whitespace or control characters, anywhere in the object (pods, workload templates,
 * CronJob job templates, custom resources that embed pod specs). The API server rejects only leading and trailing
 * whitespace, and only in Pods (Kubernetes v1.34.4, pkg/apis/core/validation/validation.go,
 * validateContainerOnlyForPod): a Deployment with a newline inside its image is accepted, and its pods fail at
 * every pull. In a pull request such a value also hides what the image really is.
 */
export function imageProblems(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => imageProblems(item, `${path}[${index}]`));
  if (typeof value !== 'object' || value === null) return [];
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (POD_CONTAINER_LISTS.includes(key) && Array.isArray(child)) {
      child.forEach((container: unknown, index) => {
        const image =
          typeof container === 'object' && container !== null ? (container as { image?: unknown }).image : undefined;
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this check refuses
        if (typeof image === 'string' && /[\s\u0000-\u001f\u007f-\u009f]/.test(image)) {
          problems.push(
            `${at}[${index}].image ${show(image)} contains whitespace or a control character; an image reference has neither`,
          );
        }
      });
    }
    problems.push(...imageProblems(child, at));
  }
  return problems;
}
