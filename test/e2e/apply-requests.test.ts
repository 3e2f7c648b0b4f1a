// What an apply asks the real kube-apiserver, request by request: every request of a 16-object apply is a round trip
// the user waits for, and a list issued after writes waits for the API server's cache to catch up with them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, ReleaseHistory, SecretReleaseStore, withLease, type RequestRecord } from '../../src/kube/index.js';
import { applyInOrder, directPodObserver } from '../../src/ring/index.js';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { goldenSet } from './kube-helpers.js';
import type { KubeObject } from '../../src/model/objects.js';

const cluster = testCluster();
let admin: KubeClient;
beforeAll(() => {
  admin = KubeClient.fromFile(cluster.adminKubeconfig);
});
afterAll(() => admin.close());

const isWrite = (r: RequestRecord) => r.method !== 'GET' && !r.dryRun;
const LEASE_PATH = /\/leases(\/thanos-gitops-lock)?$/;
const RELEASE_LIST = /\/secrets\?.*labelSelector=owner%3Dthanos-gitops/;

async function orderedApply(namespace: string) {
  const client = KubeClient.fromFile(cluster.adminKubeconfig);
  try {
    const set = await goldenSet('example', namespace);
    const result = await applyInOrder(client, set, {
      environment: 'requests',
      namespace,
      observer: directPodObserver(client),
    });
    return {
      set,
      result,
      requests: client.requests.map((r) => ({ ...r, path: r.path.split('?')[0] ?? r.path, full: r.path })),
    };
  } finally {
    client.close();
  }
}

describe('the requests of an ordered apply without ring changes (the CLI default)', () => {
  for (const run of ['first', 'unchanged'] as const) {
    it(`${run} apply: reads each object once, lists the history before the first write, releases the Lease with one PUT`, async () => {
      const ns = await createNamespace(uniqueNamespace(`requests-${run}`));
      if (run === 'unchanged') await orderedApply(ns);
      const { set, result, requests } = await orderedApply(ns);
      expect(result.steps).toEqual([]);
      expect(result.apply.objects.map((o) => o.action)).toEqual(
        set.map(() => (run === 'first' ? 'created' : 'unchanged')),
      );

      // Each object of the set is read once (the ring plan and the apply share the read): by a GET of its own, or by
      // the one LIST of its kind in the namespace (without a label selector: the ApplySet prune lists members by label).
      const objectPath = ({ apiVersion, kind, metadata }: KubeObject) => {
        const group = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        return `${group}/namespaces/${metadata.namespace ?? ns}/${kind.toLowerCase()}s/${metadata.name}`;
      };
      const collectionPath = (object: KubeObject) => objectPath(object).replace(/\/[^/]+$/, '');
      const reads = requests
        .filter((r) => r.method === 'GET' && !r.full.includes('labelSelector='))
        .map((r) => r.path)
        .filter((path) => set.some(({ object }) => path === objectPath(object) || path === collectionPath(object)));
      expect(reads.length).toBe(new Set(reads).size);
      for (const { object } of set)
        expect(
          reads.filter((path) => path === objectPath(object) || path === collectionPath(object)),
          objectPath(object),
        ).toHaveLength(1);

      // The release history is never listed after a write of this run.
      const firstObjectWrite = requests.findIndex((r) => isWrite(r) && !LEASE_PATH.test(r.path));
      if (run === 'first') {
        expect(firstObjectWrite).toBeGreaterThan(0);
        expect(requests.slice(firstObjectWrite).filter((r) => RELEASE_LIST.test(r.full))).toEqual([]);
        expect(result.apply.revision).toBe(1);
      } else {
        expect(firstObjectWrite).toBe(-1);
      }

      // The Lease: read, created or taken, released with one PUT of the version this run wrote.
      expect(requests.filter((r) => LEASE_PATH.test(r.path)).map((r) => r.method)).toEqual(
        run === 'first' ? ['GET', 'POST', 'PUT'] : ['GET', 'PUT', 'PUT'],
      );
      const lease = await admin.get({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: ns,
        name: 'thanos-gitops-lock',
      });
      expect((lease?.spec as { holderIdentity?: string }).holderIdentity).toBe('');
    });
  }
});

describe('releasing the Lease', () => {
  it('leaves a Lease someone else wrote since our last write to them', async () => {
    const ns = await createNamespace(uniqueNamespace('lease-release'));
    const key = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns, name: 'thanos-gitops-lock' };
    await withLease(admin, ns, 'first-holder', async () => {
      // Another writer takes the Lease over while this run still believes it holds it.
      const live = await admin.get(key);
      await admin.replace({ ...live!, spec: { ...(live!.spec as object), holderIdentity: 'other-holder' } });
    });
    const lease = await admin.get(key);
    expect((lease?.spec as { holderIdentity?: string }).holderIdentity).toBe('other-holder');
  });
});

describe('recording a revision from the history this run listed', () => {
  it('records, supersedes and trims without listing the history again', async () => {
    const ns = await createNamespace(uniqueNamespace('history-listed'));
    const client = KubeClient.fromFile(cluster.adminKubeconfig);
    try {
      const history = new ReleaseHistory(new SecretReleaseStore(client, ns, 'listed'), 2);
      const manifests = await goldenSet('example', ns);
      for (let i = 0; i < 3; i++) {
        const listed = await history.list();
        const before = client.requests.length;
        await history.record({ status: 'deployed', manifests }, listed);
        expect(client.requests.slice(before).filter((r) => RELEASE_LIST.test(r.path))).toEqual([]);
      }
      expect((await history.list()).map((r) => [r.revision, r.status])).toEqual([
        [2, 'superseded'],
        [3, 'deployed'],
      ]);
    } finally {
      client.close();
    }
  });
});
