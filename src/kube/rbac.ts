import type { KubeObject, ManifestSet } from '../model/objects.js';
import { applySetParentName } from './applyset.js';
import { LEASE_NAME } from './lease.js';
import { DEFAULT_ENVIRONMENT } from '../model/environment.js';

/**
 * The namespace-scoped RBAC the reconciler's Kubernetes identities need. The EKS access entries map each function's
 * IAM role to a Kubernetes group (no EKS access policy: AmazonEKSEditPolicy has no Leases and no ServiceMonitors);
 * these Roles grant that group exactly what the engine does in its target namespace and nothing cluster-wide.
 *
 * Deliberately absent: RBAC objects (a deployer that may write Roles can grant itself anything), cluster-scoped
 * kinds, pods/exec, pods/log, and deletecollection.
 */

export type RbacMode = 'apply' | 'plan';

/** One kind the reconciler manages, with its API group and the resource name RBAC rules use. */
export interface ManagedKind {
  kind: string;
  group: string;
  resource: string;
}

/**
 * The kinds kube-thanos renders, plus the Secrets and ConfigMaps every stack needs (object storage config, mTLS
 * material, hashrings). The Lambda's `ALLOWED_KINDS` default is the same list, so RBAC and policy cannot drift apart.
 */
export const MANAGED_KINDS: readonly ManagedKind[] = [
  { kind: 'ConfigMap', group: '', resource: 'configmaps' },
  { kind: 'Secret', group: '', resource: 'secrets' },
  { kind: 'Service', group: '', resource: 'services' },
  { kind: 'ServiceAccount', group: '', resource: 'serviceaccounts' },
  { kind: 'Deployment', group: 'apps', resource: 'deployments' },
  { kind: 'StatefulSet', group: 'apps', resource: 'statefulsets' },
  { kind: 'PodDisruptionBudget', group: 'policy', resource: 'poddisruptionbudgets' },
  { kind: 'ServiceMonitor', group: 'monitoring.coreos.com', resource: 'servicemonitors' },
];

export const DEFAULT_GROUPS: Readonly<Record<RbacMode, string>> = {
  apply: 'thanos-gitops-apply',
  plan: 'thanos-gitops-plan',
};

const READ = ['get', 'list', 'watch'];
/**
 * Server-side apply is a PATCH that creates when missing, so it needs create and patch; update covers the
 * Lease-style read-modify-write and the ApplySet parent; delete covers pruning and `--recreate` of StatefulSets.
 */
const APPLY_VERBS = [...READ, 'create', 'patch', 'update', 'delete'];
/**
 * A server-side dry-run is authorized exactly like the real call, so plan needs create and patch too; it never
 * deletes (prune is computed by listing) and never takes the Lease. RBAC cannot tell a dry-run from a write, so the
 * ValidatingAdmissionPolicy from planDryRunOnlyPolicy makes the server refuse every write of the plan identity that
 * is not a dry-run.
 */
const PLAN_VERBS = [...READ, 'create', 'patch'];
/** Kinds whose objects hold key material: the plan identity gets no access to them (see rbacRules). */
const KEY_MATERIAL_RESOURCES = new Set(['secrets']);

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/**
 * The rules of one mode's Role, grouped by API group so the Role reads like the list of kinds above.
 *
 * The plan identity serves pull requests, so it must not be able to read key material or confirm a guessed value:
 * no Secrets (mTLS CA key, object storage credentials, release records) except `get` of the ApplySet parents of
 * `environments` (labels and annotations only), and no pods (their specs can carry credentials in env values; plan
 * never waits for rollouts).
 */
export function rbacRules(mode: RbacMode, environments: readonly string[] = [DEFAULT_ENVIRONMENT]): PolicyRule[] {
  const verbs = mode === 'apply' ? APPLY_VERBS : PLAN_VERBS;
  const groups = [...new Set(MANAGED_KINDS.map((k) => k.group))];
  const rules: PolicyRule[] = groups.map((group) => ({
    apiGroups: [group],
    resources: MANAGED_KINDS.filter(
      (k) => k.group === group && (mode === 'apply' || !KEY_MATERIAL_RESOURCES.has(k.resource)),
    ).map((k) => k.resource),
    verbs: [...verbs],
  }));
  if (mode === 'plan') {
    rules.splice(1, 0, {
      apiGroups: [''],
      resources: ['secrets'],
      verbs: ['get'],
      resourceNames: [...new Set(environments)].map(applySetParentName),
    });
  } else {
    // Rollout waits read workload status and the pods behind it; nothing here is writable.
    rules.push({ apiGroups: [''], resources: ['pods', 'pods/status'], verbs: [...READ] });
  }
  rules.push({ apiGroups: ['apps'], resources: ['deployments/status', 'statefulsets/status'], verbs: ['get'] });
  if (mode === 'apply') {
    // The ordered ring steps read receivers' own /metrics (hashring loaded, head uploaded) through the apiserver's
    // pod proxy; GET only, in this namespace.
    rules.push({ apiGroups: [''], resources: ['pods/proxy'], verbs: ['get'] });
    // Create cannot be limited by name (the name is not known to the authorizer before the object exists), so the
    // Lease gets two rules: create any, and read/renew/release only the lock.
    rules.push({ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] });
    rules.push({
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'update'],
      resourceNames: [LEASE_NAME],
    });
  } else {
    // Plan reports who holds the lock, read-only.
    rules.push({
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get'],
      resourceNames: [LEASE_NAME],
    });
  }
  return rules;
}

export interface RbacOptions {
  /** Namespaces the identity manages; one Role and one RoleBinding in each. */
  namespaces: string[];
  mode: RbacMode;
  /** Kubernetes group named in the EKS access entry; defaults to `thanos-gitops-<mode>`. */
  group?: string;
  /** Extra users to bind (the tests' static-token deployer; never needed on EKS). */
  users?: string[];
  /** Role and RoleBinding name; defaults to `thanos-gitops-<mode>`. */
  name?: string;
  /** Environments whose ApplySet parent Secret the plan identity may read (default: `default`). */
  environments?: string[];
}

// Kubernetes names: DNS-1123 labels for namespaces, subdomains for object names.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The Role and RoleBinding per namespace, in apply order (Role first so the binding never points at nothing). */
export function rbacManifests(options: RbacOptions): ManifestSet {
  const { namespaces, mode } = options;
  if (mode !== 'apply' && mode !== 'plan') {
    throw new Error(`rbac: mode must be 'apply' or 'plan', got '${String(mode)}'`);
  }
  if (namespaces.length === 0) throw new Error('rbac: at least one namespace is required (--namespace <ns>)');
  for (const namespace of namespaces) {
    if (!DNS_LABEL.test(namespace)) {
      throw new Error(`rbac: namespace '${namespace}' is not a valid DNS-1123 label (lowercase letters, digits, '-')`);
    }
  }
  const name = options.name ?? `thanos-gitops-${mode}`;
  if (!DNS_SUBDOMAIN.test(name)) {
    throw new Error(`rbac: name '${name}' is not a valid Kubernetes object name (lowercase letters, digits, '-', '.')`);
  }
  const group = options.group ?? DEFAULT_GROUPS[mode];
  if (group.trim() === '' || group.startsWith('system:')) {
    // system: groups are Kubernetes' own (system:masters is cluster-admin); EKS rejects them in access entries.
    throw new Error(`rbac: group '${group}' is not allowed: use a non-empty group outside the 'system:' prefix`);
  }
  const labels = { 'app.kubernetes.io/managed-by': 'thanos-gitops', 'app.kubernetes.io/component': `rbac-${mode}` };
  const subjects: Record<string, string>[] = [
    { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: group },
    ...(options.users ?? []).map((user) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user })),
  ];
  const set: ManifestSet = [];
  for (const namespace of [...new Set(namespaces)]) {
    const role: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace, labels: { ...labels } },
      rules: rbacRules(mode, options.environments),
    };
    const binding: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace, labels: { ...labels } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects,
    };
    set.push({ file: `${namespace}-${name}-role.yaml`, object: role });
    set.push({ file: `${namespace}-${name}-roleBinding.yaml`, object: binding });
  }
  if (mode === 'plan')
    set.push(
      ...planDryRunOnlyPolicy({
        name,
        group,
        users: options.users ?? [],
        namespaces: [...new Set(namespaces)],
        labels,
      }),
    );
  return set;
}

/**
 * A ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, Kubernetes >= 1.30) and its binding that make the API
 * server deny every create, update, delete or connect by the plan identity in the target namespaces unless the request
 * is a dry-run (`request.dryRun`). RBAC alone cannot: a dry-run needs the same verbs as the write.
 */
export function planDryRunOnlyPolicy(options: {
  name: string;
  group: string;
  users: readonly string[];
  namespaces: readonly string[];
  labels: Record<string, string>;
}): ManifestSet {
  const policyName = `${options.name}-dry-run-only`;
  const quote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const identity = [
    `${quote(options.group)} in request.userInfo.groups`,
    ...(options.users.length ? [`request.userInfo.username in [${options.users.map(quote).join(', ')}]`] : []),
  ].join(' || ');
  const policy: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: policyName, labels: { ...options.labels } },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...options.namespaces] }],
        },
        resourceRules: [
          {
            apiGroups: ['*'],
            apiVersions: ['*'],
            resources: ['*'],
            operations: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'],
          },
        ],
      },
      matchConditions: [{ name: 'plan-identity', expression: identity }],
      validations: [
        {
          expression: 'request.dryRun == true',
          reason: 'Forbidden',
          message: `the thanos-gitops plan identity may only dry-run (policy ${policyName})`,
        },
      ],
    },
  };
  const binding: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: policyName, labels: { ...options.labels } },
    spec: { policyName, validationActions: ['Deny'] },
  };
  return [
    { file: `${policyName}-validatingAdmissionPolicy.yaml`, object: policy },
    { file: `${policyName}-validatingAdmissionPolicyBinding.yaml`, object: binding },
  ];
}

/** The `ALLOWED_KINDS` value the infra gives the Lambda: the managed kinds as `Kind.group`, comma-separated. */
export function allowedKindsValue(): string {
  return MANAGED_KINDS.map((k) => (k.group ? `${k.kind}.${k.group}` : k.kind)).join(',');
}
