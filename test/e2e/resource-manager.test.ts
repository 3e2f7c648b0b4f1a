// The resource manager's dry-run primitive against the real kube-apiserver: every verdict it can give, from the
// server's own answers, and the AbortSignal that stops its requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError, KubeClient, ResourceManager, type PreparedObject } from '../../src/kube/index.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';

let admin: KubeClient;
let ns: string;

beforeAll(async () => {
  admin = KubeClient.fromFile(testCluster().adminKubeconfig);
  ns = await createNamespace(uniqueNamespace('resource-manager'));
});
afterAll(() => admin?.close());

const configMap = (name: string, data: Record<string, string>, namespace = ns): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});
const service = (name: string, clusterIP: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { clusterIP, ports: [{ name: 'http', port: 80 }] },
});

async function prepared(manager: ResourceManager, set: ManifestSet): Promise<PreparedObject[]> {
  return (await manager.prepare(set, { environment: 'manager', namespace: ns })).objects;
}

describe('ResourceManager.dryRun', () => {
  it('classifies created, unchanged, configured, conflict and immutable from the server, writing nothing', async () => {
    const manager = new ResourceManager(admin);
    const [fresh, same, changed, owned, fixedIp] = await prepared(manager, [
      { file: 'a.yaml', object: configMap('fresh', { a: '1' }) },
      { file: 'b.yaml', object: configMap('same', { a: '1' }) },
      { file: 'c.yaml', object: configMap('changed', { a: '2' }) },
      { file: 'd.yaml', object: configMap('owned', { a: '2' }) },
      { file: 'e.yaml', object: service('fixed-ip', 'None') },
    ]);
    // Live state: `same` and `changed` applied by us, `owned`'s field by another manager, the Service with a cluster IP.
    for (const p of [same, changed] as PreparedObject[])
      await admin.apply({ ...p.object, data: { a: '1' } }, { fieldManager: manager.fieldManager });
    await admin.apply(configMap('owned', { a: '1' }), { fieldManager: 'someone-else' });
    await admin.apply(service('fixed-ip', ''), { fieldManager: manager.fieldManager });
    const writes = admin.writeCount;

    const results = await manager.planAll([fresh, same, changed, owned, fixedIp] as PreparedObject[], { force: false });
    expect(results.map((r) => [r.prepared.name, r.verdict])).toEqual([
      [`ConfigMap ${ns}/fresh`, 'created'],
      [`ConfigMap ${ns}/same`, 'unchanged'],
      [`ConfigMap ${ns}/changed`, 'configured'],
      [`ConfigMap ${ns}/owned`, 'conflict'],
      [`Service ${ns}/fixed-ip`, 'immutable'],
    ]);
    expect(results[3]?.conflicts).toEqual([
      { object: `ConfigMap ${ns}/owned`, field: '.data.a', manager: 'someone-else' },
    ]);
    expect(results[3]?.merged).toBeUndefined();
    expect(results[4]?.immutable).toMatch(/spec.clusterIP/);
    expect(admin.writeCount).toBe(writes);

    // settleConflicts shows what the apply would make of the object once it takes the field over.
    const settled = await manager.dryRun(
      owned as PreparedObject,
      await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'owned' }),
      { force: false, settleConflicts: true },
    );
    expect(settled.verdict).toBe('conflict');
    expect(settled.merged?.data).toEqual({ a: '2' });
  });

  it('classifies objects of a namespace the set creates as created without a request, and a missing namespace as refused', async () => {
    const manager = new ResourceManager(admin);
    const newNs = uniqueNamespace('resource-manager-new');
    const absentNs = uniqueNamespace('resource-manager-absent');
    const objects = await prepared(manager, [
      { file: 'ns.yaml', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: newNs } } },
      { file: 'in-new.yaml', object: configMap('in-new', { a: '1' }, newNs) },
      { file: 'in-absent.yaml', object: configMap('in-absent', { a: '1' }, absentNs) },
    ]);
    const before = admin.requests.length;
    const results = await manager.planAll(objects, { force: false });
    expect(results.map((r) => r.verdict)).toEqual(['created', 'created', 'refused']);
    expect(results[1]?.merged).toBeUndefined();
    expect(results[2]?.error).toMatchObject({ status: 404 });
    expect(
      admin.requests.slice(before).filter((r) => r.method === 'PATCH' && r.path.includes(`/namespaces/${newNs}/`)),
    ).toEqual([]);
  });

  it('skips the dry-run of objects that do not exist when asked (drift), and stops at the next request when its signal fires', async () => {
    const controller = new AbortController();
    const manager = new ResourceManager(admin, { signal: controller.signal });
    const objects = await prepared(manager, [{ file: 'gone.yaml', object: configMap('never-applied', { a: '1' }) }]);
    const before = admin.requests.length;
    const [missing] = await manager.planAll(objects, { force: true, skipMissing: true });
    expect(missing?.verdict).toBe('created');
    expect(admin.requests.slice(before).map((r) => r.method)).toEqual(['GET']);

    controller.abort('SIGTERM');
    const after = admin.requests.length;
    await expect(manager.planAll(objects, { force: false })).rejects.toBeInstanceOf(InterruptedError);
    expect(admin.requests.length).toBe(after);
    // The caller's client is not stopped by the manager's signal.
    expect(await admin.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })).toBeDefined();
  });

  it('answers "unchanged" without a dry-run only for objects it applied as they are, and dry-runs as soon as anything differs', async () => {
    const manager = new ResourceManager(admin);
    const deployment: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'defaulted', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'defaulted' } },
        minReadySeconds: 0,
        template: {
          metadata: { labels: { app: 'defaulted' } },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'busybox',
                ports: [{ containerPort: 80 }],
                env: [{ name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }],
              },
            ],
          },
        },
      },
    };
    const account: KubeObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'plain', namespace: ns, annotations: {} },
    };
    const set: ManifestSet = [
      { file: 'cm.yaml', object: configMap('applied', { a: '1' }) },
      { file: 'sa.yaml', object: account },
      { file: 'deploy.yaml', object: deployment },
    ];
    const objects = await prepared(manager, set);
    await manager.applyAll(
      objects.map((p) => ({ prepared: p, action: 'created' as const })),
      { force: false },
    );

    const dryRuns = async () => {
      const before = admin.requests.length;
      const results = await manager.planAll(objects, { force: false });
      const sent = admin.requests
        .slice(before)
        .filter((r) => r.dryRun)
        .map((r) => r.path.split('?')[0]?.split('/').at(-1))
        .sort();
      return { verdicts: results.map((r) => r.verdict), sent };
    };
    // The ConfigMap and the ServiceAccount (an empty map the server leaves out) are known unchanged from their managed
    // fields; the Deployment's env fieldRef is defaulted by the server (apiVersion: v1), so it is dry-run.
    expect(await dryRuns()).toEqual({ verdicts: ['unchanged', 'unchanged', 'unchanged'], sent: ['defaulted'] });

    // Another manager's update of a field takes it over: the object is dry-run again, and the server names the conflict.
    await admin.patchMerge(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'applied' },
      { data: { a: '2' } },
      { fieldManager: 'kubectl-edit' },
    );
    expect(await dryRuns()).toEqual({
      verdicts: ['conflict', 'unchanged', 'unchanged'],
      sent: ['applied', 'defaulted'],
    });
    // So does an extra field another manager adds next to ours, and a changed configuration.
    await manager.applyAll(
      objects.slice(0, 1).map((p) => ({ prepared: p, action: 'configured' as const })),
      { force: true },
    );
    await admin.patchMerge(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'applied' },
      { data: { b: '1' } },
      { fieldManager: 'kubectl-edit' },
    );
    expect((await dryRuns()).verdicts).toEqual(['unchanged', 'unchanged', 'unchanged']);
    const changed = await prepared(manager, [{ file: 'cm.yaml', object: configMap('applied', { a: '1', c: '3' }) }]);
    expect((await manager.planAll(changed, { force: false })).map((r) => r.verdict)).toEqual(['configured']);
  });
});
