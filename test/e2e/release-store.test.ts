// The release store contract on both stores (the Secret store against the kube-apiserver), and what only the Secret
// store has: the stored Secrets' exact shape, which existing clusters' history is read from.
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeRelease,
  KubeClient,
  MemoryReleaseStore,
  ReleaseHistory,
  SecretReleaseStore,
  type ReleaseStore,
} from '../../src/kube/index.js';
import type { KubeObject } from '../../src/model/objects.js';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { configMap, releaseStoreContract, set, type StoreUnderTest } from '../helpers/release-store-contract.js';

const cluster = testCluster();
let admin: KubeClient;
let namespace: string;

beforeAll(async () => {
  admin = KubeClient.fromFile(cluster.adminKubeconfig);
  namespace = await createNamespace(uniqueNamespace('release-store'));
});
afterAll(() => admin.close());

/** The environment's release Secrets, as the API server returns them. */
async function releaseSecrets(environment: string): Promise<KubeObject[]> {
  return admin.list('v1', 'Secret', namespace, `owner=thanos-gitops,name=${environment}`);
}

const drivers: Record<string, () => StoreUnderTest> = {
  memory: () => ({
    store: (environment) => new MemoryReleaseStore(environment),
    stored: async (store) => JSON.stringify([...(store as MemoryReleaseStore)['records'].entries()]),
  }),
  Secret: () => ({
    store: (environment) => new SecretReleaseStore(admin, namespace, environment),
    stored: async (store) => {
      const secrets = await releaseSecrets(store.environment);
      return JSON.stringify(
        secrets.map((secret) => ({
          secret,
          record: decodeRelease((secret.data as Record<string, string>)['release']!),
        })),
      );
    },
  }),
};

describe.each(Object.keys(drivers))('release store contract: %s store', (name) => {
  releaseStoreContract(drivers[name]!);
});

describe('the Secret store', () => {
  it('stores each revision as the Secret thanos-gitops.release.v1.<environment>.v<revision>, Helm style, byte for byte as before', async () => {
    const store = new SecretReleaseStore(admin, namespace, 'format');
    const history = new ReleaseHistory(store);
    await history.record({
      status: 'deployed',
      manifests: set(configMap('a', { v: '1' })),
      sourceCommit: 'abc123',
      description: 'first',
      time: '2026-01-02T03:04:05.000Z',
    });
    await history.record({
      status: 'failed',
      manifests: set(configMap('a', { v: '2' }), configMap('b')),
      description: 'denied',
      time: '2026-01-02T03:05:00.000Z',
    });
    const secrets = await releaseSecrets('format');
    const [first, second] = ['thanos-gitops.release.v1.format.v1', 'thanos-gitops.release.v1.format.v2'].map((n) =>
      secrets.find((s) => s.metadata.name === n),
    );
    expect(first).toMatchObject({
      type: 'thanos-gitops.io/release.v1',
      metadata: {
        labels: { name: 'format', owner: 'thanos-gitops', status: 'deployed', version: '1' },
        annotations: {
          'thanos-gitops.io/time': '2026-01-02T03:04:05.000Z',
          'thanos-gitops.io/objects': '1',
          'thanos-gitops.io/source-commit': 'abc123',
          'thanos-gitops.io/description': 'first',
        },
      },
    });
    expect(first?.metadata.labels).toEqual({
      name: 'format',
      owner: 'thanos-gitops',
      status: 'deployed',
      version: '1',
    });
    const data = (first?.data ?? {}) as Record<string, string>;
    expect(Object.keys(data)).toEqual(['release']);
    expect(second?.metadata.labels).toEqual({ name: 'format', owner: 'thanos-gitops', status: 'failed', version: '2' });
    expect(second?.metadata.annotations).toEqual({
      'thanos-gitops.io/time': '2026-01-02T03:05:00.000Z',
      'thanos-gitops.io/objects': '2',
      'thanos-gitops.io/description': 'denied',
    });
    // data.release: base64 (the API's) of base64(gzip(JSON)), the JSON with its fields in this order.
    const json = gunzipSync(Buffer.from(Buffer.from(data.release ?? '', 'base64').toString('utf8'), 'base64')).toString(
      'utf8',
    );
    expect(json).toBe(
      '{"environment":"format","revision":1,"time":"2026-01-02T03:04:05.000Z","status":"deployed","manifests":[{"file":"configmap-a.yaml","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"monitoring"},"data":{"v":"1"}}}],"sourceCommit":"abc123","description":"first"}',
    );
  });

  it('reads the history an earlier version wrote (records holding Secret values, no digests) and supersedes it', async () => {
    const legacy = {
      environment: 'legacy',
      revision: 4,
      time: '2025-06-01T00:00:00.000Z',
      status: 'deployed',
      sourceCommit: 'old',
      manifests: set({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', namespace: 'monitoring' },
        data: { k: 'dmFsdWU=' },
      }),
    };
    const wire = Buffer.from(gzipSync(JSON.stringify(legacy)).toString('base64')).toString('base64');
    await admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'thanos-gitops.release.v1.legacy.v4',
        namespace,
        labels: { name: 'legacy', owner: 'thanos-gitops', status: 'deployed', version: '4' },
        annotations: {
          'thanos-gitops.io/time': legacy.time,
          'thanos-gitops.io/objects': '1',
          'thanos-gitops.io/source-commit': 'old',
        },
      },
      type: 'thanos-gitops.io/release.v1',
      data: { release: wire },
    });
    const history = new ReleaseHistory(new SecretReleaseStore(admin, namespace, 'legacy'));
    expect(await history.list()).toEqual([
      { environment: 'legacy', revision: 4, time: legacy.time, status: 'deployed', objects: 1, sourceCommit: 'old' },
    ]);
    expect(await history.deployed()).toEqual(legacy);
    expect((await history.record({ status: 'deployed', manifests: set(configMap('a')) })).revision).toBe(5);
    expect((await history.list()).map((r) => [r.revision, r.status])).toEqual([
      [4, 'superseded'],
      [5, 'deployed'],
    ]);
  });

  it('keeps environments apart in one namespace (a name that prefixes another included) and lists only release Secrets', async () => {
    const prod = new ReleaseHistory(new SecretReleaseStore(admin, namespace, 'prod'));
    const prodEu = new ReleaseHistory(new SecretReleaseStore(admin, namespace, 'prod-eu'));
    await prod.record({ status: 'deployed', manifests: set(configMap('a')) });
    await prodEu.record({ status: 'deployed', manifests: set(configMap('a')) });
    await prodEu.record({ status: 'deployed', manifests: set(configMap('b')) });
    // Labelled like a record but of another type: not a record.
    await admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'look-alike',
        namespace,
        labels: { name: 'prod', owner: 'thanos-gitops', status: 'deployed', version: '9' },
      },
      type: 'Opaque',
    });
    expect((await prod.list()).map((r) => [r.environment, r.revision, r.status])).toEqual([['prod', 1, 'deployed']]);
    expect((await prodEu.list()).map((r) => [r.environment, r.revision, r.status])).toEqual([
      ['prod-eu', 1, 'superseded'],
      ['prod-eu', 2, 'deployed'],
    ]);
  });

  it('refuses a record over the 1 MiB Secret limit before writing anything', async () => {
    const store: ReleaseStore = new SecretReleaseStore(admin, namespace, 'too-big');
    const noise = randomBytes(900 * 1024).toString('base64');
    await expect(
      new ReleaseHistory(store).record({ status: 'deployed', manifests: set(configMap('big', { noise })) }),
    ).rejects.toThrow(
      /release thanos-gitops\.release\.v1\.too-big\.v1 is \d+ bytes compressed, over the 1 MiB Secret limit; split the environment into smaller sets/,
    );
    expect(await store.list()).toEqual([]);
  });
});
