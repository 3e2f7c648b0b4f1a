/**
 * What e2e tests use to reach the shared cluster started by global-setup.ts. Test files run in parallel,
 * so each works in its own namespace: `const ns = await createNamespace(uniqueNamespace('apply'))`.
 * Namespaces are not deleted afterwards: without a controller-manager, deletion would hang in Terminating,
 * and the whole local control plane is discarded at the end of the run anyway.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { rbacManifests } from '../../src/kube/rbac.js';
import {
  e2eNamespaceLabel,
  issueIdentity,
  kubeRequest,
  KubeRequestError,
  serverSideApply,
  waitFor,
  type ClusterAccess,
  type ClusterDetails,
} from './control-plane.js';

export type { ClusterDetails } from './control-plane.js';

/** The cluster provided by the global setup; throws (never skips) when there is none. */
export function testCluster(): ClusterDetails {
  const cluster = inject('kubeCluster');
  if (!cluster) {
    throw new Error(
      'No test cluster was provided. E2e tests must live under test/e2e/ and run through vitest with ' +
        'globalSetup test/helpers/global-setup.ts (vitest.config.ts), which starts the local kube-apiserver or uses TEST_KUBECONFIG.',
    );
  }
  return cluster;
}

export function adminAccess(cluster: ClusterDetails = testCluster()): ClusterAccess {
  return { server: cluster.server, caFile: cluster.caFile, token: cluster.adminToken };
}

export function deployerAccess(cluster: ClusterDetails = testCluster()): ClusterAccess {
  return { server: cluster.server, caFile: cluster.caFile, token: cluster.deployerToken };
}

/** A namespace name unique to this run and file: `<prefix>-<base36 time>-<random>`, valid as a DNS label. */
export function uniqueNamespace(prefix: string): string {
  const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const cleanPrefix = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63 - suffix.length - 1);
  return `${cleanPrefix || 'e2e'}-${suffix}`;
}

/** Creates the namespace as admin (labelled for cleanup on external clusters) and returns its name. */
export async function createNamespace(name: string): Promise<string> {
  await kubeRequest(adminAccess(), 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { [e2eNamespaceLabel]: 'true' } },
  });
  return name;
}

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/**
 * Grants the deployer identity exactly `rules` in `namespace` (Role + RoleBinding named `deployer`, replaced on
 * every call), and waits until the authorizer sees them, so the next request as the deployer is not a
 * spurious Forbidden while RBAC's informers catch up.
 */
export async function bindDeployer(namespace: string, rules: PolicyRule[], name = 'deployer'): Promise<void> {
  const cluster = testCluster();
  const admin = adminAccess(cluster);
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  await serverSideApply(admin, `${rbac}/namespaces/${namespace}/roles/${name}`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace },
    rules,
  });
  const { username: _username, ...subject } = cluster.deployer;
  await serverSideApply(admin, `${rbac}/namespaces/${namespace}/rolebindings/${name}`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [subject.kind === 'User' ? { apiGroup: 'rbac.authorization.k8s.io', ...subject } : subject],
  });
  const deployer = deployerAccess(cluster);
  for (const rule of rules) {
    const [resource = '', subresource] = (rule.resources[0] ?? '').split('/');
    const attributes = {
      namespace,
      group: rule.apiGroups[0] ?? '',
      resource,
      ...(subresource ? { subresource } : {}),
      verb: rule.verbs[0] ?? '',
      ...(rule.resourceNames?.[0] ? { name: rule.resourceNames[0] } : {}),
    };
    await waitFor(`RBAC to allow the deployer ${JSON.stringify(attributes)}`, async () => {
      const review = (await kubeRequest(deployer, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: attributes },
      })) as { status?: { allowed?: boolean } };
      return review.status?.allowed === true;
    });
  }
}

/** Where each object `rbacManifests` makes lives in the API. */
const RBAC_PATHS: Record<string, (name: string, namespace?: string) => string> = {
  Role: (name, namespace) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles/${name}`,
  RoleBinding: (name, namespace) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings/${name}`,
  ValidatingAdmissionPolicy: (name) => `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${name}`,
  ValidatingAdmissionPolicyBinding: (name) =>
    `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${name}`,
};

/**
 * The plan identity as production runs it: its own token (a ServiceAccount `planner` in `namespace`), bound by exactly
 * what `thanos-gitops rbac --mode plan` prints (Role, RoleBinding and the dry-run-only admission policy, named after the
 * namespace so test files sharing the server do not collide). Returns once the server enforces the admission policy.
 */
export async function bindPlanIdentity(
  namespace: string,
  environment: string,
): Promise<{ username: string; token: string; access: ClusterAccess }> {
  const admin = adminAccess();
  const username = `system:serviceaccount:${namespace}:planner`;
  for (const { object } of rbacManifests({
    namespaces: [namespace],
    mode: 'plan',
    users: [username],
    environments: [environment],
    name: `plan-${namespace}`.slice(0, 200),
  })) {
    const path = RBAC_PATHS[object.kind];
    if (!path) throw new Error(`bindPlanIdentity: no API path for ${object.kind}`);
    await serverSideApply(admin, path(object.metadata.name, object.metadata.namespace), object);
  }
  const identity = await issueIdentity(admin, namespace, 'planner');
  const access = { ...admin, token: identity.token };
  // Until the server has loaded the policy a probe write gets through; it is removed again.
  await waitFor(
    `the dry-run-only admission policy for ${username}`,
    async () => {
      try {
        await kubeRequest(access, 'POST', `/api/v1/namespaces/${namespace}/configmaps`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'admission-probe', namespace },
        });
        await kubeRequest(admin, 'DELETE', `/api/v1/namespaces/${namespace}/configmaps/admission-probe`);
        return false;
      } catch (error) {
        return error instanceof KubeRequestError && error.status === 403 && /may only dry-run/.test(error.message);
      }
    },
    60_000,
  );
  return { ...identity, access };
}
