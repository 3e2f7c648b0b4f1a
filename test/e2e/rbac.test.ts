/**
 * The Roles `thanos-gitops rbac` prints, applied with kubectl to a real kube-apiserver, are enough for the real apply
 * engine (apply, no-op re-apply, prune, release history, Lease) and for plan (server-side dry-run), and no more: the
 * plan identity cannot delete or take the lock, neither identity can write RBAC or touch other namespaces.
 *
 * It starts its own control plane (test/helpers/control-plane.ts) because the shared one is only provided to test/e2e.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { KubeApiError, KubeClient, applyManifestSet, planManifestSet } from '../../src/kube/index.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';
import {
  issueIdentity,
  kubeRequest,
  KubeRequestError,
  runKubectl,
  startControlPlane,
  tokenKubeconfig,
  waitFor,
  type ClusterAccess,
  type ControlPlane,
} from '../helpers/control-plane.js';

const goldenDir = resolve(import.meta.dirname, '../../../shared/kube-thanos/example');
const applyNs = 'rbac-apply';
const planNs = 'rbac-plan';
const otherNs = 'rbac-other';

let cp: ControlPlane;
let admin: ClusterAccess;
let deployer: KubeClient;
/** The plan identity with a token of its own (a ServiceAccount token from the TokenRequest API). */
let planner: ClusterAccess;
const plannerUser = `system:serviceaccount:${planNs}:planner`;

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
    const review = (await kubeRequest(
      deployerAccess,
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { namespace, group, resource, verb } },
      },
    )) as { status?: { allowed?: boolean } };
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
  await runKubectl(
    [...kubectl, 'apply', '--server-side', '-f', '-'],
    await rbacYaml('--namespace', applyNs, '--mode', 'apply', '--user', 'deployer'),
  );
  await runKubectl(
    [...kubectl, 'apply', '--server-side', '-f', '-'],
    await rbacYaml(
      '--namespace',
      planNs,
      '--mode',
      'plan',
      '--user',
      'deployer',
      '--user',
      plannerUser,
      '--environment',
      'rbac',
    ),
  );
  await waitAllowed(applyNs, 'statefulsets', 'delete', 'apps');
  await waitAllowed(planNs, 'statefulsets', 'patch', 'apps');
  deployer = KubeClient.fromFile(cp.deployerKubeconfig);
  const identity = await issueIdentity(admin, planNs, 'planner');
  expect(identity.username).toBe(plannerUser);
  planner = { ...admin, token: identity.token };
  // The admission policy is enforced once the API server has loaded and type-checked it: until then a write
  // succeeds, so each probe that got through is removed again.
  await waitFor(
    "the plan identity's dry-run-only admission policy to be enforced",
    async () => {
      const probe = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'admission-probe', namespace: planNs },
        data: {},
      };
      try {
        await kubeRequest(planner, 'POST', `/api/v1/namespaces/${planNs}/configmaps`, probe);
        await kubeRequest(admin, 'DELETE', `/api/v1/namespaces/${planNs}/configmaps/admission-probe`);
        return false;
      } catch (error) {
        return error instanceof KubeRequestError && error.status === 403 && /may only dry-run/.test(error.message);
      }
    },
    60_000,
  );
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
    const pruned = await applyManifestSet(deployer, withoutStore, {
      environment: 'rbac',
      namespace: applyNs,
      wait: false,
    });
    expect(pruned.pruned.sort()).toEqual(
      [
        'Service rbac-apply/thanos-store',
        'ServiceAccount rbac-apply/thanos-store',
        'ServiceMonitor rbac-apply/thanos-store',
        'StatefulSet rbac-apply/thanos-store',
      ].sort(),
    );
    // The engine's Lease was created and released under the name-restricted rule.
    expect(
      await deployer.get({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: applyNs,
        name: 'thanos-gitops-lock',
      }),
    ).toBeDefined();
  });

  it('cannot write RBAC (no self-escalation), other Leases, or anything in another namespace', async () => {
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'escalate', namespace: applyNs },
      rules: [],
    };
    const denied = await forbidden(deployer.apply(role, { fieldManager: 'thanos-gitops' }));
    expect(denied.message).toContain('Role rbac-apply/escalate');
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'someone-elses-lock', namespace: applyNs },
      spec: {},
    };
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
    // Checked as admin: the plan identity may not list Secrets.
    const adminClient = KubeClient.fromFile(cp.adminKubeconfig);
    for (const kind of [
      ['v1', 'Service'],
      ['apps/v1', 'StatefulSet'],
      ['v1', 'Secret'],
      ['v1', 'ConfigMap'],
    ] as const) {
      expect(await adminClient.list(kind[0], kind[1], planNs), `${kind[1]} written by plan`).toEqual([]);
    }
    adminClient.close();
    expect(
      await deployer.get({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: planNs,
        name: 'thanos-gitops-lock',
      }),
    ).toBeUndefined();
  });

  it('cannot delete, update, or take the lock', async () => {
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'seed', namespace: planNs },
      data: { a: '1' },
    };
    await kubeRequest(admin, 'POST', `/api/v1/namespaces/${planNs}/configmaps`, configMap);
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: planNs, name: 'seed' };
    await forbidden(deployer.delete(ref));
    await forbidden(deployer.replace({ ...configMap, data: { a: '2' } }));
    await forbidden(
      deployer.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'thanos-gitops-lock', namespace: planNs },
        spec: {},
      }),
    );
    // A real apply needs the Lease first, so even a misconfigured plan function stops before writing an object.
    await forbidden(
      applyManifestSet(deployer, exampleSet(planNs), { environment: 'rbac', namespace: planNs, wait: false }),
    );
    expect(await deployer.list('v1', 'Service', planNs)).toEqual([]);
  });
});

describe('plan identity with its own token on a real kube-apiserver (the Role and admission policy `rbac --mode plan` prints)', () => {
  const status = async (promise: Promise<unknown>) =>
    promise.then(
      () => 200,
      (error: unknown) => (error instanceof KubeRequestError ? error.status : -1),
    );
  const denial = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'expected the server to refuse').toBeInstanceOf(KubeRequestError);
    return error as KubeRequestError;
  };

  it('the server refuses every write without dryRun=All, even where RBAC grants the verb; the dry-run passes and writes nothing', async () => {
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'pr-wrote-this', namespace: planNs },
      data: { a: '1' },
    };
    const created = await denial(kubeRequest(planner, 'POST', `/api/v1/namespaces/${planNs}/configmaps`, configMap));
    expect(created.status).toBe(403);
    expect(created.message).toMatch(/may only dry-run/);
    const applied = await denial(
      kubeRequest(
        planner,
        'PATCH',
        `/api/v1/namespaces/${planNs}/configmaps/pr-wrote-this?fieldManager=x`,
        configMap,
        'application/apply-patch+yaml',
      ),
    );
    expect(applied.status).toBe(403);
    expect(applied.message).toMatch(/may only dry-run/);
    // The same requests as dry-runs are what plan sends: allowed, and nothing is stored.
    await kubeRequest(planner, 'POST', `/api/v1/namespaces/${planNs}/configmaps?dryRun=All`, configMap);
    await kubeRequest(
      planner,
      'PATCH',
      `/api/v1/namespaces/${planNs}/configmaps/pr-wrote-this?fieldManager=x&dryRun=All`,
      configMap,
      'application/apply-patch+yaml',
    );
    expect(await status(kubeRequest(admin, 'GET', `/api/v1/namespaces/${planNs}/configmaps/pr-wrote-this`))).toBe(404);
    // Deletes: no verb at all, with or without a dry-run in the body.
    await kubeRequest(admin, 'POST', `/api/v1/namespaces/${planNs}/configmaps`, {
      ...configMap,
      metadata: { name: 'keep-me', namespace: planNs },
    });
    expect(
      await status(
        kubeRequest(planner, 'DELETE', `/api/v1/namespaces/${planNs}/configmaps/keep-me`, {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          dryRun: ['All'],
        }),
      ),
    ).toBe(403);
    expect(await status(kubeRequest(planner, 'DELETE', `/api/v1/namespaces/${planNs}/configmaps/keep-me`))).toBe(403);
    expect(await status(kubeRequest(admin, 'GET', `/api/v1/namespaces/${planNs}/configmaps/keep-me`))).toBe(200);
  });

  it('reads no Secret but the ApplySet parent, cannot dry-run a Secret (no "unchanged" oracle), and reads no pods', async () => {
    const key = 'planted-ca-key-5c1d9e';
    await kubeRequest(admin, 'POST', `/api/v1/namespaces/${planNs}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'thanos-gitops-ca', namespace: planNs },
      stringData: { 'ca.key': key },
    });
    await kubeRequest(admin, 'POST', `/api/v1/namespaces/${planNs}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'thanos-gitops-rbac', namespace: planNs },
      type: 'Opaque',
    });
    const secrets = `/api/v1/namespaces/${planNs}/secrets`;
    expect(await status(kubeRequest(planner, 'GET', `${secrets}/thanos-gitops-rbac`))).toBe(200);
    expect(await status(kubeRequest(planner, 'GET', `${secrets}/thanos-gitops-ca`))).toBe(403);
    expect(await status(kubeRequest(planner, 'GET', secrets))).toBe(403);
    expect(
      await status(kubeRequest(planner, 'GET', `${secrets}?watch=true&fieldSelector=metadata.name%3Dthanos-gitops-ca`)),
    ).toBe(403);
    const guess = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'thanos-gitops-ca', namespace: planNs },
      stringData: { 'ca.key': key },
    };
    expect(
      await status(
        kubeRequest(
          planner,
          'PATCH',
          `${secrets}/thanos-gitops-ca?fieldManager=thanos-gitops&force=true&dryRun=All`,
          guess,
          'application/apply-patch+yaml',
        ),
      ),
    ).toBe(403);
    expect(
      await status(
        kubeRequest(planner, 'POST', `${secrets}?dryRun=All`, {
          ...guess,
          metadata: { name: 'new', namespace: planNs },
        }),
      ),
    ).toBe(403);
    expect(await status(kubeRequest(planner, 'GET', `/api/v1/namespaces/${planNs}/pods`))).toBe(403);
    // Not an ApplySet parent: the next test's plan must find none.
    await kubeRequest(admin, 'DELETE', `${secrets}/thanos-gitops-rbac`);
  });

  it('plan with write-only Secrets works under this identity and reports a Secret as "will be written" with its key names only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'planner-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      tokenKubeconfig(cp.server, readFileSync(cp.caFile).toString('base64'), 'planner', planner.token),
      { mode: 0o600 },
    );
    const client = KubeClient.fromFile(kubeconfig);
    const planted = 'planted-objstore-secret-0a9b8c';
    const set = [
      ...exampleSet(planNs),
      {
        file: 'objstore.yaml',
        object: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'thanos-objectstorage', namespace: planNs },
          stringData: { 'thanos.yaml': `secret_key: ${planted}`, '<img src=x onerror=alert(1)>': 'v' },
        },
      },
    ];
    const plan = await planManifestSet(client, set, { environment: 'rbac', namespace: planNs, secrets: 'write-only' });
    expect(plan.errors).toEqual([]);
    expect(client.writeCount).toBe(0);
    const entry = plan.diff.entries.find((e) => e.kind === 'Secret');
    expect(entry).toMatchObject({ name: 'thanos-objectstorage', change: 'modified' });
    expect(entry?.patch).toContain('will be written');
    expect(entry?.patch).toContain('keys: thanos.yaml, (1 invalid key name: the API server will refuse the Secret)');
    expect(JSON.stringify(plan)).not.toContain('<img');
    expect(JSON.stringify(plan)).not.toContain(planted);
    expect(JSON.stringify(plan)).not.toContain(Buffer.from(`secret_key: ${planted}`).toString('base64'));
    // Comparing would need Secret access the plan identity does not have.
    await expect(planManifestSet(client, set, { environment: 'rbac', namespace: planNs })).rejects.toMatchObject({
      status: 403,
    });
    client.close();

    // The CLI's plan under the same identity.
    const setDir = join(dir, 'set');
    mkdirSync(setDir);
    for (const m of set) writeFileSync(join(setDir, m.file), JSON.stringify(m.object));
    let out = '';
    const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (out += t) };
    expect(
      await main(
        ['plan', '--dir', setDir, '--kubeconfig', kubeconfig, '-n', planNs, '-e', 'rbac', '--write-only-secrets'],
        io,
      ),
      out,
    ).toBe(0);
    expect(out).toContain('will be written');
    expect(out).not.toContain(planted);
    expect(out).not.toContain('<img');
  });
});
