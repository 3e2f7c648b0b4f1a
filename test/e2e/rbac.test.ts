/**
 * The Roles `thanos-gitops rbac` prints, applied with kubectl to a real kube-apiserver, are enough for the real apply
 * engine (apply, no-op re-apply, prune, release history, Lease) and for plan (server-side dry-run), and no more: the
 * plan identity cannot delete or take the lock, neither identity can write RBAC or touch other namespaces.
 *
 * It starts its own control plane (test/helpers/control-plane.ts) because the shared one is only provided to test/e2e.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { KubeApiError, KubeClient, applyManifestSet, planManifestSet } from '../../src/kube/index.js';
import type { KubeObject, ManifestSet } from '../../src/manifests/types.js';
import { kubeRequest, runKubectl, startControlPlane, waitFor, type ClusterAccess, type ControlPlane } from '../helpers/control-plane.js';

const goldenDir = resolve(import.meta.dirname, '../../../shared/kube-thanos/example');
const applyNs = 'rbac-apply';
const planNs = 'rbac-plan';
const otherNs = 'rbac-other';

let cp: ControlPlane;
let admin: ClusterAccess;
let deployer: KubeClient;

function exampleSet(namespace: string): ManifestSet {
  return readdirSync(goldenDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const object = parse(readFileSync(join(goldenDir, file), 'utf8')) as KubeObject;
      object.metadata.namespace = namespace;
      return { file, object };
    });
}

async function rbacYaml(...argv: string[]): Promise<string> {
  let out = '';
  const code = await main(['rbac', ...argv], { stdout: (t) => (out += t), stderr: (t) => (out += t) });
  if (code !== 0) throw new Error(`thanos-gitops rbac ${argv.join(' ')} failed: ${out}`);
  return out;
}

/** Waits until the apiserver's RBAC cache lets the deployer do `verb` (new bindings take a moment to be seen). */
async function waitAllowed(namespace: string, resource: string, verb: string, group = '') {
  const deployerAccess = { ...admin, token: cp.deployerToken };
  await waitFor(`deployer may ${verb} ${resource} in ${namespace}`, async () => {
    const review = (await kubeRequest(deployerAccess, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace, group, resource, verb } },
    })) as { status?: { allowed?: boolean } };
    return review.status?.allowed === true;
  });
}

async function forbidden(promise: Promise<unknown>): Promise<KubeApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected Forbidden').toBeInstanceOf(KubeApiError);
  expect((error as KubeApiError).status).toBe(403);
  return error as KubeApiError;
}

beforeAll(async () => {
  cp = await startControlPlane();
  admin = { server: cp.server, caFile: cp.caFile, token: cp.adminToken };
  const kubectl = ['--kubeconfig', cp.adminKubeconfig];
  for (const ns of [applyNs, planNs, otherNs]) await runKubectl([...kubectl, 'create', 'namespace', ns]);
  // Exactly what the README tells a cluster admin to run; the static-token deployer stands in for the EKS group.
  await runKubectl([...kubectl, 'apply', '--server-side', '-f', '-'], await rbacYaml('--namespace', applyNs, '--mode', 'apply', '--user', 'deployer'));
  await runKubectl([...kubectl, 'apply', '--server-side', '-f', '-'], await rbacYaml('--namespace', planNs, '--mode', 'plan', '--user', 'deployer'));
  await waitAllowed(applyNs, 'statefulsets', 'delete', 'apps');
  await waitAllowed(planNs, 'statefulsets', 'patch', 'apps');
  deployer = KubeClient.fromFile(cp.deployerKubeconfig);
}, 240_000);

afterAll(async () => {
  await cp?.stop();
});

describe('apply Role on a real kube-apiserver', () => {
  it('lets the engine apply the kube-thanos example, re-apply with zero writes, and prune', async () => {
    const set = exampleSet(applyNs);
    const first = await applyManifestSet(deployer, set, { environment: 'rbac', namespace: applyNs, wait: false });
    expect(first.objects.map((o) => o.action).every((a) => a === 'created')).toBe(true);
    expect(first.objects).toHaveLength(set.length);
    expect(first.revision).toBe(1);

    const again = await applyManifestSet(deployer, set, { environment: 'rbac', namespace: applyNs, wait: false });
    expect(again.writes).toBe(0);

    const withoutStore = set.filter((m) => !m.file.startsWith('thanos-store-'));
    const pruned = await applyManifestSet(deployer, withoutStore, { environment: 'rbac', namespace: applyNs, wait: false });
    expect(pruned.pruned.sort()).toEqual(['Service rbac-apply/thanos-store', 'ServiceAccount rbac-apply/thanos-store', 'ServiceMonitor rbac-apply/thanos-store', 'StatefulSet rbac-apply/thanos-store'].sort());
    // The engine's Lease was created and released under the name-restricted rule.
    expect(await deployer.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: applyNs, name: 'thanos-gitops-lock' })).toBeDefined();
  });

  it('cannot write RBAC (no self-escalation), other Leases, or anything in another namespace', async () => {
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'escalate', namespace: applyNs }, rules: [] };
    const denied = await forbidden(deployer.apply(role, { fieldManager: 'thanos-gitops' }));
    expect(denied.message).toContain('Role rbac-apply/escalate');
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'someone-elses-lock', namespace: applyNs }, spec: {} };
    await deployer.create(lease);
    await forbidden(deployer.apply({ ...lease, spec: { holderIdentity: 'x' } }, { fieldManager: 'thanos-gitops' }));
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: otherNs }, data: {} };
    await forbidden(deployer.apply(configMap, { fieldManager: 'thanos-gitops' }));
    await forbidden(deployer.list('v1', 'Secret', otherNs));
  });
});

describe('plan Role on a real kube-apiserver', () => {
  it('lets plan dry-run the whole example without writing anything', async () => {
    const set = exampleSet(planNs);
    const result = await planManifestSet(deployer, set, { environment: 'rbac', namespace: planNs });
    expect(result.errors).toEqual([]);
    expect(result.merged).toHaveLength(set.length);
    for (const kind of [['v1', 'Service'], ['apps/v1', 'StatefulSet'], ['v1', 'Secret'], ['v1', 'ConfigMap']] as const) {
      expect(await deployer.list(kind[0], kind[1], planNs), `${kind[1]} written by plan`).toEqual([]);
    }
    expect(await deployer.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: planNs, name: 'thanos-gitops-lock' })).toBeUndefined();
  });

  it('cannot delete, update, or take the lock', async () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seed', namespace: planNs }, data: { a: '1' } };
    await kubeRequest(admin, 'POST', `/api/v1/namespaces/${planNs}/configmaps`, configMap);
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: planNs, name: 'seed' };
    await forbidden(deployer.delete(ref));
    await forbidden(deployer.replace({ ...configMap, data: { a: '2' } }));
    await forbidden(deployer.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'thanos-gitops-lock', namespace: planNs }, spec: {} }));
    // A real apply needs the Lease first, so even a misconfigured plan function stops before writing an object.
    await forbidden(applyManifestSet(deployer, exampleSet(planNs), { environment: 'rbac', namespace: planNs, wait: false }));
    expect(await deployer.list('v1', 'Service', planNs)).toEqual([]);
  });
});
