// Crash the API server in the middle of an apply of ~100 objects (SIGKILL of a private kube-apiserver with its
// embedded etcd), restart it on the same data, and show that the next apply converges with nothing lost or
// duplicated, taking over the Lease the interrupted run could not release.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import {
  KubeClient,
  ReleaseHistory,
  SecretReleaseStore,
  applyManifestSet,
  applySetId,
  applySetParentName,
  APPLYSET_PART_OF_LABEL,
} from '../../src/kube/index.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';
import { missingFields } from './kube-helpers.js';

let cp: ControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

const ns = 'fault';

function hundredObjects(): ManifestSet {
  const set: ManifestSet = [];
  for (let i = 0; i < 40; i++)
    set.push({
      file: `cm-${i}.yaml`,
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `thanos-config-${i}`, namespace: ns },
        data: { 'hashrings.json': JSON.stringify([{ hashring: `h${i}`, endpoints: [`thanos-receive-${i}:10901`] }]) },
      },
    });
  for (let i = 0; i < 30; i++)
    set.push({
      file: `sa-${i}.yaml`,
      object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `thanos-sa-${i}`, namespace: ns } },
    });
  for (let i = 0; i < 30; i++) {
    set.push({
      file: `svc-${i}.yaml`,
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `thanos-svc-${i}`, namespace: ns },
        spec: { clusterIP: 'None', selector: { app: `a${i}` }, ports: [{ name: 'grpc', port: 10901 }] },
      },
    });
  }
  return set;
}

it('an apply interrupted by an apiserver crash is converged by the next apply, nothing lost or duplicated', async () => {
  const admin = KubeClient.fromFile(cp.adminKubeconfig);
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  admin.close();
  const set = hundredObjects();

  const first = KubeClient.fromFile(cp.adminKubeconfig, undefined, {
    retry: { retries: 3, baseDelayMs: 100, maxDelayMs: 400 },
  });
  const written = () =>
    first.requests.filter(
      (r) =>
        r.method === 'PATCH' &&
        !r.dryRun &&
        (r.status === 200 || r.status === 201) &&
        /\/(configmaps|serviceaccounts|services)\//.test(r.path),
    );
  let settled = false;
  const interrupted = applyManifestSet(first, set, {
    environment: 'fault',
    namespace: ns,
    lease: { leaseDurationSeconds: 3 },
  })
    .then(
      () => undefined,
      (error: unknown) => error as Error,
    )
    .finally(() => {
      settled = true;
    });
  while (written().length < 30 && !settled) await new Promise((r) => setImmediate(r));
  expect(settled, `the apply ended before 30 writes: ${String(await (settled ? interrupted : undefined))}`).toBe(false);
  await cp.kill();
  const error = await interrupted;
  const acknowledged = written().map((r) => r.path.split('?')[0] ?? '');
  first.close();
  expect(error, 'the interrupted apply must fail').toBeInstanceOf(Error);
  expect(error?.message).toMatch(/cannot reach the Kubernetes API/);
  expect(error?.message).toMatch(/(ConfigMap|ServiceAccount|Service|Secret|Lease) fault\//);
  expect(acknowledged.length).toBeGreaterThanOrEqual(30);
  expect(acknowledged.length).toBeLessThan(set.length);

  await cp.restart();
  const second = KubeClient.fromFile(cp.adminKubeconfig);
  // Every write the server acknowledged before the crash survived it.
  for (const objectPath of acknowledged) {
    const status = await second.request<KubeObject>('GET', objectPath, { object: objectPath, allow404: true });
    expect(status, objectPath).toBeDefined();
  }

  // The crashed run's Lease was never released: the next run waits until it is stale, then takes it over.
  const logs: string[] = [];
  const result = await applyManifestSet(second, set, {
    environment: 'fault',
    namespace: ns,
    lease: { waitTimeoutMs: 30_000, pollIntervalMs: 250 },
    log: (l) => logs.push(l),
  });
  // A write the server committed but whose answer the crash cut off is found unchanged too: so every acknowledged
  // write is unchanged, and every object is either created or unchanged, exactly once.
  const created = result.objects.filter((o) => o.action === 'created');
  const unchanged = result.objects.filter((o) => o.action === 'unchanged');
  expect(created.length + unchanged.length).toBe(set.length);
  expect(unchanged.length).toBeGreaterThanOrEqual(acknowledged.length);
  expect(unchanged.length).toBeLessThanOrEqual(acknowledged.length + 8); // at most one in-flight write per worker
  const unchangedNames = new Set(unchanged.map((o) => o.object.split('/').at(-1)));
  for (const objectPath of acknowledged)
    expect(unchangedNames.has(objectPath.split('/').at(-1)), objectPath).toBe(true);

  const id = applySetId(applySetParentName('fault'), ns);
  const members = [
    ...(await second.list('v1', 'ConfigMap', ns, `${APPLYSET_PART_OF_LABEL}=${id}`)),
    ...(await second.list('v1', 'ServiceAccount', ns, `${APPLYSET_PART_OF_LABEL}=${id}`)),
    ...(await second.list('v1', 'Service', ns, `${APPLYSET_PART_OF_LABEL}=${id}`)),
  ];
  expect(members.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(
    set.map((m) => `${m.object.kind}/${m.object.metadata.name}`).sort(),
  );
  for (const m of set) {
    const live = members.find((x) => x.kind === m.object.kind && x.metadata.name === m.object.metadata.name);
    expect(missingFields(m.object, live), m.file).toEqual([]);
  }
  const history = await new ReleaseHistory(new SecretReleaseStore(second, ns, 'fault')).list();
  expect(history.at(-1)?.status).toBe('deployed');
  expect(history.filter((r) => r.status === 'deployed')).toHaveLength(1);

  const again = await applyManifestSet(second, set, { environment: 'fault', namespace: ns });
  expect(again.writes).toBe(0);
  second.close();
});
