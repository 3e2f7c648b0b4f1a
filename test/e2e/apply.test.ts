// The apply engine against the real kube-apiserver of the test suite (test/helpers/control-plane.ts). There is no
// controller-manager, scheduler or kubelet: workloads never get pods, so rollout status is driven through the status
// subresource, and the garbage collector's part (removing the `orphan` finalizer) is played by the test where noted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createNamespace, bindDeployer, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import {
  ApplyConflictError,
  ApplyError,
  ImmutableFieldError,
  KubeClient,
  LeaseHeldError,
  MissingKindsError,
  ReleaseHistory,
  SecretReleaseStore,
  applyManifestSet,
  applySetId,
  applySetParentName,
  detectDrift,
  planManifestSet,
  reconcile,
  rollback,
  withLease,
  APPLYSET_GROUP_KINDS_ANNOTATION,
  APPLYSET_ID_LABEL,
  APPLYSET_PART_OF_LABEL,
  type ApplySetOptions,
} from '../../src/kube/index.js';
import { main } from '../../src/cli/main.js';
import { parseStackConfig } from '../../src/config/index.js';
import { renderStack } from '../../src/render/index.js';
import { objectId, type KubeObject, type ManifestSet } from '../../src/model/objects.js';
import { goldenSet, kubectl, missingFields, withReplicas } from './kube-helpers.js';

const cluster = testCluster();
let admin: KubeClient;
beforeAll(() => {
  admin = KubeClient.fromFile(cluster.adminKubeconfig);
});
afterAll(() => admin.close());

async function freshNamespace(prefix: string): Promise<string> {
  return createNamespace(uniqueNamespace(prefix));
}

function opts(namespace: string, extra: Partial<ApplySetOptions> = {}): ApplySetOptions {
  return { environment: 'test', namespace, ...extra };
}

async function resourceVersions(client: KubeClient, set: ManifestSet): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const m of set) {
    const live = await client.get({
      apiVersion: m.object.apiVersion,
      kind: m.object.kind,
      namespace: m.object.metadata.namespace ?? '',
      name: m.object.metadata.name,
    });
    versions.set(objectId(m.object), String(live?.metadata.resourceVersion));
  }
  return versions;
}

const key = (object: KubeObject) => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  namespace: object.metadata.namespace ?? '',
  name: object.metadata.name,
});

describe('apply of the kube-thanos sets', () => {
  it('applies `example`, keeps every field, and a re-apply writes nothing', async () => {
    const ns = await freshNamespace('apply-example');
    const set = await goldenSet('example', ns);
    const first = await applyManifestSet(admin, set, opts(ns, { release: { sourceCommit: 'abc123' } }));
    expect(first.objects.map((o) => o.action)).toEqual(set.map(() => 'created'));
    expect(first.revision).toBe(1);

    for (const m of set) {
      const live = await admin.get(key(m.object));
      expect(missingFields(m.object, live), `${m.file} round-trip`).toEqual([]);
      expect(live?.metadata.labels?.[APPLYSET_PART_OF_LABEL]).toBe(applySetId(applySetParentName('test'), ns));
    }

    const before = await resourceVersions(admin, set);
    const counter = KubeClient.fromFile(cluster.adminKubeconfig);
    const again = await applyManifestSet(counter, set, opts(ns));
    expect(again.objects.every((o) => o.action === 'unchanged')).toBe(true);
    expect(again.writes).toBe(0);
    expect(counter.requests.filter((r) => r.method !== 'GET' && !r.dryRun)).toEqual([]);
    expect(again.revision).toBeUndefined();
    expect(await resourceVersions(admin, set)).toEqual(before);
    counter.close();
  });

  it('applies `all` (55 distinct objects) with every StatefulSet field kept, in phase order', async () => {
    const ns = await freshNamespace('apply-all');
    const set = await goldenSet('all', ns);
    const order: string[] = [];
    const result = await applyManifestSet(admin, set, opts(ns, { log: (line) => order.push(line) }));
    expect(result.objects.filter((o) => o.action === 'created')).toHaveLength(set.length);
    for (const m of set) {
      const live = await admin.get(key(m.object));
      expect(missingFields(m.object, live), `${m.file}: ${JSON.stringify(missingFields(m.object, live))}`).toEqual([]);
    }
    const firstIndex = (kind: string) => order.findIndex((line) => line.startsWith(`created ${kind} `));
    const lastIndex = (kind: string) => order.map((line) => line.startsWith(`created ${kind} `)).lastIndexOf(true);
    expect(lastIndex('ServiceAccount')).toBeLessThan(firstIndex('Service'));
    expect(lastIndex('Service')).toBeLessThan(firstIndex('StatefulSet'));
    expect(Math.max(lastIndex('StatefulSet'), lastIndex('Deployment'))).toBeLessThan(firstIndex('PodDisruptionBudget'));
    expect(lastIndex('PodDisruptionBudget')).toBeLessThan(firstIndex('ServiceMonitor'));
  });
});

describe('the rendered `all` stack config, duplicates included', () => {
  it('applies each object once from its last definition, as the diff shows it, and re-applies with zero writes', async () => {
    const ns = await freshNamespace('apply-all-config');
    const text = (await readFile(path.resolve('../shared/kube-thanos/all.yaml'), 'utf8')).replace(
      'namespace: thanos',
      `namespace: ${ns}`,
    );
    const set = renderStack(parseStackConfig(text, 'all.yaml'));
    const ids = set.map((m) => objectId(m.object));
    expect(new Set(ids).size).toBeLessThan(set.length); // kube-thanos's all.jsonnet defines some objects twice
    const first = await applyManifestSet(admin, set, opts(ns));
    expect(first.objects.filter((o) => o.action === 'created')).toHaveLength(new Set(ids).size);
    const lastStoreMonitor = set
      .filter((m) => m.object.kind === 'ServiceMonitor' && m.object.metadata.name === 'thanos-store')
      .at(-1)!;
    const live = await admin.get(key(lastStoreMonitor.object));
    expect(missingFields(lastStoreMonitor.object, live)).toEqual([]);
    const again = await applyManifestSet(admin, set, opts(ns));
    expect(again.writes).toBe(0);
  });
});

describe('namespaces and CustomResourceDefinitions in the set', () => {
  it('creates a namespace and a CRD first, then objects in them; prunes cluster-scoped and custom members too', async () => {
    const home = await freshNamespace('apply-crd');
    const extra = uniqueNamespace('apply-crd-extra');
    const group = `${extra}.example.com`;
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    const set: ManifestSet = [
      {
        file: 'widget.yaml',
        object: {
          apiVersion: `${group}/v1`,
          kind: 'Widget',
          metadata: { name: 'w', namespace: extra },
          spec: { size: 3 },
        },
      },
      {
        file: 'cm.yaml',
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: extra }, data: { a: 'b' } },
      },
      { file: 'crd.yaml', object: crd },
      { file: 'ns.yaml', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: extra } } },
    ];
    const logs: string[] = [];
    const first = await applyManifestSet(admin, set, opts(home, { log: (l) => logs.push(l) }));
    expect(first.objects.every((o) => o.action === 'created')).toBe(true);
    expect(logs.findIndex((l) => l.startsWith('created Namespace'))).toBeLessThan(
      logs.findIndex((l) => l.startsWith('created ConfigMap')),
    );
    expect(logs.findIndex((l) => l.includes('Widget') && l.includes('is served'))).toBeLessThan(
      logs.findIndex((l) => l.startsWith('created Widget')),
    );
    const parent = await admin.get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: home,
      name: applySetParentName('test'),
    });
    expect(parent?.metadata.annotations?.['applyset.kubernetes.io/additional-namespaces']).toBe(extra);
    expect(parent?.metadata.annotations?.[APPLYSET_GROUP_KINDS_ANNOTATION]).toBe(
      `ConfigMap,CustomResourceDefinition.apiextensions.k8s.io,Namespace,Widget.${group}`,
    );
    expect((await applyManifestSet(admin, set, opts(home))).writes).toBe(0);

    const pruned = await applyManifestSet(
      admin,
      set.filter((m) => m.file === 'ns.yaml' || m.file === 'crd.yaml'),
      opts(home),
    );
    expect(pruned.pruned.sort()).toEqual([`ConfigMap ${extra}/c`, `Widget ${extra}/w`]);
    const narrowed = await admin.get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: home,
      name: applySetParentName('test'),
    });
    expect(narrowed?.metadata.annotations?.[APPLYSET_GROUP_KINDS_ANNOTATION]).toBe(
      'CustomResourceDefinition.apiextensions.k8s.io,Namespace',
    );
  });
});

describe('changes, pruning and ApplySet compatibility with kubectl', () => {
  it('changing one setting writes only that object', async () => {
    const ns = await freshNamespace('apply-change');
    const set = await goldenSet('example', ns);
    await applyManifestSet(admin, set, opts(ns));
    const before = await resourceVersions(admin, set);
    const changed = withReplicas(set, 'thanos-store-statefulSet.yaml', 3);
    const result = await applyManifestSet(admin, changed, opts(ns));
    expect(result.objects.filter((o) => o.action !== 'unchanged').map((o) => o.object)).toEqual([
      `StatefulSet ${ns}/thanos-store`,
    ]);
    const after = await resourceVersions(admin, set);
    const moved = [...after].filter(([id, rv]) => before.get(id) !== rv).map(([id]) => id);
    expect(moved).toEqual([`apps/StatefulSet/${ns}/thanos-store`]);
    expect(
      (
        (await admin.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: 'thanos-store' }))
          ?.spec as { replicas: number }
      ).replicas,
    ).toBe(3);
  });

  it('removing a component prunes exactly its objects, and kubectl sees the same ApplySet members', async () => {
    const ns = await freshNamespace('apply-prune');
    const set = await goldenSet('example', ns);
    // An unrelated object with the same labels but not in the set must survive.
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'thanos-query-notes', namespace: ns, labels: { 'app.kubernetes.io/name': 'thanos-query' } },
    });
    await applyManifestSet(admin, set, opts(ns));
    const withoutQuery = set.filter((m) => !m.file.startsWith('thanos-query-'));
    const result = await applyManifestSet(admin, withoutQuery, opts(ns));
    expect(result.pruned.sort()).toEqual(
      [
        `Deployment ${ns}/thanos-query`,
        `Service ${ns}/thanos-query`,
        `ServiceAccount ${ns}/thanos-query`,
        `ServiceMonitor ${ns}/thanos-query`,
      ].sort(),
    );
    for (const m of set) {
      const live = await admin.get(key(m.object));
      expect(live === undefined, m.file).toBe(m.file.startsWith('thanos-query-'));
    }
    expect(
      await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'thanos-query-notes' }),
    ).toBeDefined();

    // The parent is what kubectl reads: id label, tooling, and group-kinds narrowed to the remaining members.
    const parentName = applySetParentName('test');
    const parent = await admin.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: parentName });
    const id = applySetId(parentName, ns);
    expect(parent?.metadata.labels?.[APPLYSET_ID_LABEL]).toBe(id);
    expect(parent?.metadata.annotations?.[APPLYSET_GROUP_KINDS_ANNOTATION]).toBe(
      'ConfigMap,Deployment.apps,Service,ServiceAccount,ServiceMonitor.monitoring.coreos.com,StatefulSet.apps',
    );

    const kinds =
      'configmaps,deployments.apps,services,serviceaccounts,servicemonitors.monitoring.coreos.com,statefulsets.apps';
    const listed = await kubectl([
      '--kubeconfig',
      cluster.adminKubeconfig,
      'get',
      kinds,
      '-n',
      ns,
      '-l',
      `${APPLYSET_PART_OF_LABEL}=${id}`,
      '-o',
      'name',
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    const fromKubectl = listed.stdout
      .trim()
      .split('\n')
      .map((line) => line.replace(/^([^./]+)(\.[^/]*)?\//, '$1/').toLowerCase())
      .sort();
    const ours = withoutQuery.map((m) => `${m.object.kind}/${m.object.metadata.name}`.toLowerCase()).sort();
    expect(fromKubectl).toEqual(ours);

    // kubectl recognises the parent as an ApplySet and refuses to touch one that thanos-gitops owns.
    const manifestFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'applyset-')), 'cm.yaml');
    await writeFile(
      manifestFile,
      stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' }, data: { a: 'b' } }),
    );
    const refused = await kubectl(
      [
        '--kubeconfig',
        cluster.adminKubeconfig,
        'apply',
        '-n',
        ns,
        '--server-side',
        '--prune',
        `--applyset=secret/${parentName}`,
        '--dry-run=server',
        '-f',
        manifestFile,
      ],
      { KUBECTL_APPLYSET: 'true' },
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`managed by tooling "thanos-gitops" instead of "kubectl"`);

    // And kubectl's own parent for the same name in another namespace carries the id we compute.
    const other = await freshNamespace('applyset-kubectl');
    const own = await kubectl(
      [
        '--kubeconfig',
        cluster.adminKubeconfig,
        'apply',
        '-n',
        other,
        '--server-side',
        '--prune',
        `--applyset=secret/${parentName}`,
        '-f',
        manifestFile,
      ],
      { KUBECTL_APPLYSET: 'true' },
    );
    expect(own.code, own.stderr).toBe(0);
    const kubectlParent = await admin.get({ apiVersion: 'v1', kind: 'Secret', namespace: other, name: parentName });
    expect(kubectlParent?.metadata.labels?.[APPLYSET_ID_LABEL]).toBe(applySetId(parentName, other));
    expect(kubectlParent?.metadata.annotations?.[APPLYSET_GROUP_KINDS_ANNOTATION]).toBe('ConfigMap');
  });

  it('refuses to prune everything because of an empty set unless allowed', async () => {
    const ns = await freshNamespace('apply-empty');
    const set = (await goldenSet('example', ns)).filter((m) => m.object.kind === 'ServiceAccount');
    await applyManifestSet(admin, set, opts(ns));
    const client = KubeClient.fromFile(cluster.adminKubeconfig);
    await expect(applyManifestSet(client, [], opts(ns))).rejects.toThrow(
      /the manifest set is empty: applying it would prune all 4 members of ApplySet parent Secret .*nothing was written/,
    );
    expect(client.writeCount).toBe(0);
    const emptied = await applyManifestSet(client, [], opts(ns, { allowEmpty: true }));
    expect(emptied.pruned).toHaveLength(4);
    client.close();
  });

  it('refuses an ApplySet parent owned by other tooling before writing anything', async () => {
    const ns = await freshNamespace('apply-foreign');
    await admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: applySetParentName('test'),
        namespace: ns,
        labels: { [APPLYSET_ID_LABEL]: applySetId(applySetParentName('test'), ns) },
        annotations: { 'applyset.kubernetes.io/tooling': 'kubectl/v1.32' },
      },
    });
    const client = KubeClient.fromFile(cluster.adminKubeconfig);
    const error = await applyManifestSet(client, await goldenSet('example', ns), opts(ns)).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/managed by tooling "kubectl".*refusing/);
    expect(client.writeCount).toBe(0);
    client.close();
  });
});

describe('plan, drift and reconcile', () => {
  it('plan shows only the changed object, never writes, and masks Secrets from dry-run responses', async () => {
    const ns = await freshNamespace('apply-plan');
    const planted = 'planted-secret-value-7f3a';
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'thanos-objectstorage', namespace: ns },
      stringData: { 'thanos.yaml': `type: S3\nconfig:\n  secret_key: ${planted}\n` },
    };
    const set = [...(await goldenSet('example', ns)), { file: 'objstore-secret.yaml', object: secret }];
    await applyManifestSet(admin, set, opts(ns));
    const rotated = set.map((m) =>
      m.file === 'objstore-secret.yaml'
        ? {
            ...m,
            object: { ...secret, stringData: { 'thanos.yaml': `type: S3\nconfig:\n  secret_key: ${planted}-2\n` } },
          }
        : m,
    );
    const changed = withReplicas(rotated, 'thanos-query-deployment.yaml', 2);
    const before = await resourceVersions(admin, set);
    const client = KubeClient.fromFile(cluster.adminKubeconfig);
    const plan = await planManifestSet(client, changed, opts(ns));
    expect(client.writeCount).toBe(0);
    expect(await resourceVersions(admin, set)).toEqual(before);
    const modified = plan.diff.entries
      .filter((e) => e.change === 'modified')
      .map((e) => e.name)
      .sort();
    expect(modified).toEqual(['thanos-objectstorage', 'thanos-query']);
    expect(plan.diff.entries.find((e) => e.name === 'thanos-query')?.patch).toMatch(
      /-\s+replicas: 1\n\+\s+replicas: 2/,
    );

    const output: string[] = [];
    const io = { stdout: (t: string) => output.push(t), stderr: (t: string) => output.push(t) };
    const dir = await mkdtemp(path.join(os.tmpdir(), 'plan-'));
    for (const m of changed) await writeFile(path.join(dir, m.file), stringify(m.object));
    expect(
      await main(['plan', '--dir', dir, '--kubeconfig', cluster.adminKubeconfig, '-n', ns, '-e', 'test'], io),
    ).toBe(0);
    expect(
      await main(['plan', '--dir', dir, '--kubeconfig', cluster.adminKubeconfig, '-n', ns, '-e', 'test', '--json'], io),
    ).toBe(0);
    expect(
      await main(
        ['apply', '--dir', dir, '--kubeconfig', cluster.adminKubeconfig, '-n', ns, '-e', 'test', '--json'],
        io,
      ),
    ).toBe(0);
    expect(await main(['history', '--kubeconfig', cluster.adminKubeconfig, '-n', ns, '-e', 'test'], io)).toBe(0);
    const everything = [
      output.join(''),
      JSON.stringify(plan.diff),
      JSON.stringify(plan.live),
      JSON.stringify(plan.merged),
    ].join('\n');
    expect(everything).toContain('thanos-query');
    for (const value of [planted, `${planted}-2`]) {
      expect(everything).not.toContain(value);
      for (const text of [`  secret_key: ${value}\n`, `type: S3\nconfig:\n  secret_key: ${value}\n`])
        expect(everything).not.toContain(Buffer.from(text).toString('base64'));
    }
    client.close();
  });

  it('detects drift made by another field manager and reconcile re-applies exactly that object', async () => {
    const ns = await freshNamespace('apply-drift');
    const set = await goldenSet('example', ns);
    await applyManifestSet(admin, set, opts(ns));
    const patched = await kubectl([
      '--kubeconfig',
      cluster.adminKubeconfig,
      '-n',
      ns,
      'patch',
      'statefulset',
      'thanos-store',
      '--type',
      'merge',
      '-p',
      '{"spec":{"replicas":4}}',
      '--field-manager=other',
    ]);
    expect(patched.code, patched.stderr).toBe(0);

    const drift = await detectDrift(admin, opts(ns));
    expect(drift.drifted.map((d) => [d.object, d.change, d.managers])).toEqual([
      [`StatefulSet ${ns}/thanos-store`, 'modified', ['other']],
    ]);
    expect(drift.drifted[0]?.patch).toMatch(/-\s+replicas: 4\n\+\s+replicas: 1/);

    const output: string[] = [];
    const io = { stdout: (t: string) => output.push(t), stderr: () => undefined };
    expect(
      await main(['reconcile', '--dry-run', '--kubeconfig', cluster.adminKubeconfig, '-n', ns, '-e', 'test'], io),
    ).toBe(3);
    expect(output.join('')).toContain(`StatefulSet ${ns}/thanos-store: modified (other field managers: other)`);

    const before = await resourceVersions(admin, set);
    const result = await reconcile(admin, opts(ns));
    expect(result.apply?.objects.filter((o) => o.action !== 'unchanged').map((o) => o.object)).toEqual([
      `StatefulSet ${ns}/thanos-store`,
    ]);
    const after = await resourceVersions(admin, set);
    expect([...after].filter(([id, rv]) => before.get(id) !== rv).map(([id]) => id)).toEqual([
      `apps/StatefulSet/${ns}/thanos-store`,
    ]);
    expect(
      (
        (await admin.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: 'thanos-store' }))
          ?.spec as { replicas: number }
      ).replicas,
    ).toBe(1);
    expect((await detectDrift(admin, opts(ns))).drifted).toEqual([]);
    expect((await new ReleaseHistory(new SecretReleaseStore(admin, ns, 'test')).list()).map((r) => r.revision)).toEqual(
      [1],
    );
  });

  it('reports conflicts by field and manager before writing, and takes them over with force', async () => {
    const ns = await freshNamespace('apply-conflict');
    const set = await goldenSet('example', ns);
    await applyManifestSet(admin, set, opts(ns));
    // Another applier claims replicas with its own value.
    await admin.apply(
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'thanos-store', namespace: ns },
        spec: { replicas: 5 },
      },
      { fieldManager: 'hpa-like', force: true },
    );
    const client = KubeClient.fromFile(cluster.adminKubeconfig);
    const error = await applyManifestSet(client, withReplicas(set, 'thanos-query-deployment.yaml', 2), opts(ns)).catch(
      (e: unknown) => e,
    );
    expect(error, (error as Error).message).toBeInstanceOf(ApplyConflictError);
    expect((error as ApplyConflictError).conflicts).toEqual([
      { object: `StatefulSet ${ns}/thanos-store`, field: '.spec.replicas', manager: 'hpa-like' },
    ]);
    expect(client.writeCount).toBe(0);
    const forced = await applyManifestSet(client, set, opts(ns, { force: true }));
    expect(forced.objects.filter((o) => o.action === 'configured').map((o) => o.object)).toEqual([
      `StatefulSet ${ns}/thanos-store`,
    ]);
    client.close();
  });
});

/**
 * No garbage collector runs against the test apiserver: play its part for Orphan deletions of this namespace's
 * workloads by removing the `orphan` finalizer (there are no pods or ReplicaSets to orphan).
 */
function playGarbageCollector(ns: string): { stop: () => Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const kind of ['StatefulSet', 'Deployment']) {
        for (const live of await admin.list('apps/v1', kind, ns)) {
          if (
            live.metadata.deletionTimestamp &&
            (live.metadata.finalizers as string[] | undefined)?.includes('orphan')
          ) {
            await admin.patchMerge(key(live), { metadata: { finalizers: null } });
          }
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

describe('immutable fields, kinds and permissions', () => {
  it('a volumeClaimTemplates change fails before writing anything and succeeds with recreate (pods and PVCs orphaned)', async () => {
    const ns = await freshNamespace('apply-immutable');
    const set = await goldenSet('example', ns);
    await applyManifestSet(admin, set, opts(ns));
    const uidBefore = (
      await admin.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: 'thanos-store' })
    )?.metadata.uid;
    const bigger = set.map((m) => {
      if (m.file !== 'thanos-store-statefulSet.yaml') return m;
      const object = structuredClone(m.object) as KubeObject & {
        spec: { volumeClaimTemplates: Array<{ spec: { resources: { requests: { storage: string } } } }> };
      };
      object.spec.volumeClaimTemplates[0]!.spec.resources.requests.storage = '20Gi';
      return { file: m.file, object };
    });
    const changedToo = withReplicas(bigger, 'thanos-query-deployment.yaml', 2);
    const client = KubeClient.fromFile(cluster.adminKubeconfig);
    const before = await resourceVersions(admin, set);
    const error = await applyManifestSet(client, changedToo, opts(ns)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImmutableFieldError);
    expect((error as Error).message).toContain(`StatefulSet ${ns}/thanos-store`);
    expect((error as Error).message).toMatch(/updates to statefulset spec for fields other than/);
    expect((error as Error).message).toContain('--recreate');
    expect(client.writeCount).toBe(0);
    expect(await resourceVersions(admin, set)).toEqual(before);

    const gc = playGarbageCollector(ns);
    try {
      const result = await applyManifestSet(client, changedToo, opts(ns, { recreate: true }));
      expect(result.objects.find((o) => o.object === `StatefulSet ${ns}/thanos-store`)?.action).toBe('recreated');
    } finally {
      await gc.stop();
    }
    const after = await admin.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: 'thanos-store' });
    expect(after?.metadata.uid).not.toBe(uidBefore);
    expect(
      (after?.spec as { volumeClaimTemplates: Array<{ spec: { resources: { requests: { storage: string } } } }> })
        .volumeClaimTemplates[0]?.spec.resources.requests.storage,
    ).toBe('20Gi');
    client.close();
  });

  it('Deployment selector and Service clusterIP changes are caught the same way, and recreated on request', async () => {
    const ns = await freshNamespace('apply-immutable-2');
    const set = await goldenSet('example', ns);
    await applyManifestSet(admin, set, opts(ns));
    const changed = set.map((m) => {
      const object = structuredClone(m.object) as KubeObject & { spec: Record<string, any> };
      if (m.file === 'thanos-query-deployment.yaml') {
        object.spec.selector.matchLabels['example.com/track'] = 'stable';
        object.spec.template.metadata.labels['example.com/track'] = 'stable';
      } else if (m.file === 'thanos-store-service.yaml') {
        object.spec.clusterIP = '10.96.0.77'; // the static band: dynamic allocation never takes it
      } else return m;
      return { file: m.file, object };
    });
    const client = KubeClient.fromFile(cluster.adminKubeconfig);
    const error = (await applyManifestSet(client, changed, opts(ns)).catch((e: unknown) => e)) as ImmutableFieldError;
    expect(error).toBeInstanceOf(ImmutableFieldError);
    expect(error.objects.map((o) => o.object).sort()).toEqual([
      `Deployment ${ns}/thanos-query`,
      `Service ${ns}/thanos-store`,
    ]);
    expect(error.objects.find((o) => o.object.startsWith('Deployment'))?.message).toMatch(
      /spec.selector.*field is immutable/,
    );
    expect(error.objects.find((o) => o.object.startsWith('Service'))?.message).toMatch(
      /clusterIP.*(may not change once set|field is immutable)/,
    );
    expect(client.writeCount).toBe(0);
    const gc = playGarbageCollector(ns);
    try {
      const result = await applyManifestSet(client, changed, opts(ns, { recreate: true }));
      expect(
        result.objects
          .filter((o) => o.action === 'recreated')
          .map((o) => o.object)
          .sort(),
      ).toEqual([`Deployment ${ns}/thanos-query`, `Service ${ns}/thanos-store`]);
    } finally {
      await gc.stop();
    }
    expect(
      (
        (await admin.get({ apiVersion: 'v1', kind: 'Service', namespace: ns, name: 'thanos-store' }))?.spec as {
          clusterIP: string;
        }
      ).clusterIP,
    ).toBe('10.96.0.77');
    client.close();
  });

  it('a kind the server does not serve fails before writing, or is skipped with a warning', async () => {
    const ns = await freshNamespace('apply-missing');
    const podMonitor: KubeObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: 'thanos-sidecar', namespace: ns },
      spec: {},
    };
    const set = [...(await goldenSet('example', ns)), { file: 'thanos-sidecar-podMonitor.yaml', object: podMonitor }];
    const client = KubeClient.fromFile(cluster.adminKubeconfig);
    const error = await applyManifestSet(client, set, opts(ns)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingKindsError);
    expect((error as Error).message).toContain(
      `PodMonitor (monitoring.coreos.com/v1): PodMonitor ${ns}/thanos-sidecar`,
    );
    expect(client.writeCount).toBe(0);
    const skipped = await applyManifestSet(client, set, opts(ns, { missingKinds: 'skip' }));
    expect(skipped.warnings).toEqual([
      'skipped 1 PodMonitor (monitoring.coreos.com/v1) object(s): the API server does not serve this kind',
    ]);
    expect(skipped.objects.find((o) => o.object.includes('thanos-sidecar'))?.action).toBe('skipped');
    client.close();
  });

  it('respects the deployer RBAC limits and names the object in a readable Forbidden error, writing nothing', async () => {
    const ns = await freshNamespace('apply-rbac');
    // Everything but StatefulSets (and no Leases are needed to see the failure: the dry-run comes first).
    await bindDeployer(ns, [
      {
        apiGroups: [''],
        resources: ['secrets', 'configmaps', 'services', 'serviceaccounts'],
        verbs: ['get', 'list', 'create', 'patch', 'update', 'delete'],
      },
      {
        apiGroups: ['apps'],
        resources: ['deployments'],
        verbs: ['get', 'list', 'create', 'patch', 'update', 'delete'],
      },
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list'] },
      {
        apiGroups: ['monitoring.coreos.com'],
        resources: ['servicemonitors'],
        verbs: ['get', 'list', 'create', 'patch', 'update', 'delete'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
    ]);
    const deployer = KubeClient.fromFile(cluster.deployerKubeconfig);
    const set = await goldenSet('example', ns);
    const error = await applyManifestSet(deployer, set, opts(ns)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplyError);
    const message = (error as Error).message;
    expect(message).toContain(
      `StatefulSet ${ns}/thanos-store: statefulsets.apps "thanos-store" is forbidden: User "deployer" cannot patch resource "statefulsets" in API group "apps" in the namespace "${ns}"`,
    );
    expect(message).toContain('nothing was written');
    expect(deployer.writeCount).toBe(0);
    const applied = await applyManifestSet(
      deployer,
      set.filter((m) => m.object.kind !== 'StatefulSet'),
      opts(ns),
    );
    expect(applied.revision).toBe(1);
    deployer.close();
  });
});

describe('history, rollback and rollout', () => {
  it('records revisions Helm-style, keeps the last N, and rollback re-applies one as a new revision', async () => {
    const ns = await freshNamespace('apply-history');
    const set = await goldenSet('example', ns);
    await applyManifestSet(admin, set, opts(ns, { release: { sourceCommit: 'c1' } }));
    await applyManifestSet(
      admin,
      withReplicas(set, 'thanos-store-statefulSet.yaml', 2),
      opts(ns, { release: { sourceCommit: 'c2' } }),
    );
    const back = await rollback(admin, 1, opts(ns));
    expect(back.revision).toBe(3);
    expect(back.objects.filter((o) => o.action === 'configured').map((o) => o.object)).toEqual([
      `StatefulSet ${ns}/thanos-store`,
    ]);
    const history = new ReleaseHistory(new SecretReleaseStore(admin, ns, 'test'), 3);
    expect((await history.list()).map((r) => [r.revision, r.status, r.sourceCommit, r.description])).toEqual([
      [1, 'superseded', 'c1', undefined],
      [2, 'superseded', 'c2', undefined],
      [3, 'deployed', 'c1', 'rollback to 1'],
    ]);
    const secret = await admin.get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: ns,
      name: 'thanos-gitops.release.v1.test.v3',
    });
    expect(secret?.type).toBe('thanos-gitops.io/release.v1');
    expect(secret?.metadata.labels).toMatchObject({
      name: 'test',
      owner: 'thanos-gitops',
      status: 'deployed',
      version: '3',
    });

    // History is capped (here at 3) without ever dropping the deployed revision.
    for (const replicas of [3, 4])
      await applyManifestSet(
        admin,
        withReplicas(set, 'thanos-store-statefulSet.yaml', replicas),
        opts(ns, { release: { limit: 3 } }),
      );
    expect((await history.list()).map((r) => [r.revision, r.status])).toEqual([
      [3, 'superseded'],
      [4, 'superseded'],
      [5, 'deployed'],
    ]);
    await expect(rollback(admin, 1, opts(ns))).rejects.toThrow(/no release revision 1 .*recorded revisions: 3, 4, 5/);

    // The same through the CLI: history lists revisions, rollback re-applies one.
    const output: string[] = [];
    const io = { stdout: (t: string) => output.push(t), stderr: () => undefined };
    const args = ['--kubeconfig', cluster.adminKubeconfig, '-n', ns, '-e', 'test'];
    expect(await main(['rollback', '4', ...args], io)).toBe(0);
    expect(output.join('')).toMatch(
      /test: 0 created, 1 configured, 0 recreated, \d+ unchanged, 0 pruned; \d+ write requests; release revision 6/,
    );
    output.length = 0;
    expect(await main(['history', ...args], io)).toBe(0);
    const lines = output.join('').trim().split('\n');
    expect(lines[0]).toMatch(/^REVISION\s+UPDATED\s+STATUS\s+COMMIT\s+OBJECTS\s+DESCRIPTION$/);
    // The CLI keeps the default 10 revisions, so nothing is trimmed this time.
    expect(
      lines.slice(1).map((l) =>
        l
          .split(/\s+/)
          .slice(0, 1)
          .concat(l.split(/\s+/)[2] ?? ''),
      ),
    ).toEqual([
      ['3', 'superseded'],
      ['4', 'superseded'],
      ['5', 'superseded'],
      ['6', 'deployed'],
    ]);
    expect(lines.at(-1)).toMatch(/rollback to 4$/);
    expect(await main(['rollback', 'x', ...args], io)).toBe(2);
  });

  it('an invalid object is refused by the dry-run: nothing written, no revision, the error names it', async () => {
    const ns = await freshNamespace('apply-invalid');
    const set = await goldenSet('example', ns);
    await applyManifestSet(admin, set, opts(ns));
    const bad = set.map((m) =>
      m.file === 'thanos-query-service.yaml'
        ? {
            file: m.file,
            object: { ...m.object, spec: { ...(m.object.spec as object), ports: [{ name: 'http', port: 99999 }] } },
          }
        : m,
    );
    const client = KubeClient.fromFile(cluster.adminKubeconfig);
    const error = await applyManifestSet(client, withReplicas(bad, 'thanos-store-statefulSet.yaml', 2), opts(ns)).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(
      new RegExp(
        `Service ${ns}/thanos-query: Service "thanos-query" is invalid: \\[spec.ports\\[0\\].port: Invalid value: 99999: must be between 1 and 65535`,
      ),
    );
    expect(client.writeCount).toBe(0);
    expect((await new ReleaseHistory(new SecretReleaseStore(admin, ns, 'test')).list()).map((r) => r.status)).toEqual([
      'deployed',
    ]);
    client.close();
  });

  it('waits for rollouts (status driven through the status subresource: there is no kubelet) and reports what is not ready', async () => {
    const ns = await freshNamespace('apply-rollout');
    const set = (await goldenSet('example', ns)).filter(
      (m) => m.object.kind !== 'StatefulSet' || m.file === 'thanos-store-statefulSet.yaml',
    );
    const error = await applyManifestSet(admin, set, opts(ns, { wait: { timeoutMs: 1500 } })).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      new RegExp(
        `rollout not finished after 2s:\\n(  .*\\n)*  StatefulSet ${ns}/thanos-store: controller has not observed generation 1 yet`,
      ),
    );
    expect((await new ReleaseHistory(new SecretReleaseStore(admin, ns, 'test')).list()).map((r) => r.status)).toEqual([
      'failed',
    ]);

    for (const m of set.filter((x) => x.object.kind === 'StatefulSet' || x.object.kind === 'Deployment')) {
      const live = (await admin.get(key(m.object))) as KubeObject;
      await admin.replaceStatus({
        ...live,
        status: {
          observedGeneration: live.metadata.generation,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
        },
      });
    }
    const done = await applyManifestSet(admin, set, opts(ns, { wait: { timeoutMs: 10_000 } }));
    expect(done.rollout?.every((r) => r.ready)).toBe(true);
    expect(done.rollout?.map((r) => r.object).sort()).toEqual([
      `Deployment ${ns}/thanos-query`,
      `Deployment ${ns}/thanos-receive-router`,
      `StatefulSet ${ns}/thanos-store`,
    ]);
  });
});

describe('the Lease lock', () => {
  it('serializes two applies started together', async () => {
    const ns = await freshNamespace('apply-lease');
    const set = await goldenSet('example', ns);
    await applyManifestSet(admin, set, opts(ns));
    const a = KubeClient.fromFile(cluster.adminKubeconfig);
    const b = KubeClient.fromFile(cluster.adminKubeconfig);
    const logs: string[] = [];
    const [ra, rb] = await Promise.all([
      applyManifestSet(
        a,
        withReplicas(set, 'thanos-store-statefulSet.yaml', 2),
        opts(ns, { log: (l) => logs.push(`a: ${l}`) }),
      ),
      applyManifestSet(
        b,
        withReplicas(set, 'thanos-query-deployment.yaml', 2),
        opts(ns, { log: (l) => logs.push(`b: ${l}`) }),
      ),
    ]);
    // Whichever got the Lease second either waited for it or found it taken and released since it read the cluster.
    expect(
      logs.filter((l) => l.includes('waiting for Lease') || l.includes('re-checking the live state')).length,
    ).toBeGreaterThanOrEqual(1);
    const firstDone = Math.min(
      logs.findIndex((l) => l.startsWith('a: configured')),
      logs.findIndex((l) => l.startsWith('b: configured')),
    );
    const owner = logs[firstDone]?.slice(0, 2);
    const ownerLines = logs
      .map((l, i) => (l.startsWith(owner ?? '?') && l.includes('configured') ? i : -1))
      .filter((i) => i >= 0);
    const otherLines = logs
      .map((l, i) => (!l.startsWith(owner ?? '?') && l.includes('configured') ? i : -1))
      .filter((i) => i >= 0);
    expect(Math.max(...ownerLines)).toBeLessThan(Math.min(...otherLines));
    expect([ra.revision, rb.revision].sort()).toEqual([2, 3]);
    const second = ra.revision === 3 ? ra : rb;
    // The second run re-surveyed after waiting, so it reverted the first run's change (each set is complete).
    expect(second.objects.filter((o) => o.action === 'configured')).toHaveLength(2);
    expect((await new ReleaseHistory(new SecretReleaseStore(admin, ns, 'test')).list()).map((r) => r.status)).toEqual([
      'superseded',
      'superseded',
      'deployed',
    ]);
    a.close();
    b.close();
  });

  it('fails clearly naming the holder, renews while held, and takes over a stale Lease', async () => {
    const ns = await freshNamespace('apply-lease-stale');
    let inside = false;
    const holding = withLease(
      admin,
      ns,
      'holder-one',
      async () => {
        inside = true;
        await new Promise((r) => setTimeout(r, 3500));
      },
      { leaseDurationSeconds: 2, renewIntervalMs: 500 },
    );
    while (!inside) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 2500));
    // Past the 2 s duration: still held, because it was renewed.
    const error = await withLease(admin, ns, 'holder-two', async () => 'ran').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect((error as Error).message).toMatch(new RegExp(`holds Lease ${ns}/thanos-gitops-lock \\(holder "holder-one"`));
    await holding;
    expect(await withLease(admin, ns, 'holder-two', async () => 'ran')).toBe('ran');

    // A crashed holder: a Lease that is never renewed or released is taken over once its duration has passed.
    const now = new Date().toISOString().replace('Z', '000Z');
    const lease = await admin.get({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: ns,
      name: 'thanos-gitops-lock',
    });
    await admin.replace({
      ...(lease as KubeObject),
      spec: { holderIdentity: 'crashed-run', leaseDurationSeconds: 2, acquireTime: now, renewTime: now },
    });
    await expect(withLease(admin, ns, 'holder-three', async () => 'x')).rejects.toThrow(/holder "crashed-run"/);
    const started = Date.now();
    expect(
      await withLease(admin, ns, 'holder-three', async () => 'took over', {
        waitTimeoutMs: 10_000,
        pollIntervalMs: 200,
      }),
    ).toBe('took over');
    expect(Date.now() - started).toBeGreaterThan(500);
  });
});

describe('Secrets never leak', () => {
  it('no planted Secret value (plain or base64) appears in any output of apply, plan, reconcile, history or their errors', async () => {
    const ns = await freshNamespace('apply-secrets');
    const values = Array.from({ length: 8 }, (_, i) => `planted-${i}-${Math.random().toString(36).slice(2, 10)}`);
    const secret = (data: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'thanos-objectstorage', namespace: ns },
      stringData: data,
      ...extra,
    });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'secrets-'));
    const golden = await goldenSet('example', ns);
    const writeSet = async (objects: KubeObject[]) => {
      for (const m of golden) await writeFile(path.join(dir, m.file), stringify(m.object));
      await writeFile(path.join(dir, 'secrets.yaml'), objects.map((o) => stringify(o)).join('---\n'));
    };
    const output: string[] = [];
    const io = { stdout: (t: string) => output.push(t), stderr: (t: string) => output.push(t) };
    const cli = (...args: string[]) =>
      main([...args, '--kubeconfig', cluster.adminKubeconfig, '-n', ns, '-e', 'test'], io);
    const immutable = (value: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'thanos-tls', namespace: ns },
      immutable: true,
      data: { 'tls.key': Buffer.from(value).toString('base64') },
    });

    await writeSet([secret({ 'thanos.yaml': values[0]!, password: values[1]! }), immutable(values[2]!)]);
    expect(await cli('apply', '--dir', dir)).toBe(0);
    expect(await cli('apply', '--dir', dir, '--json')).toBe(0);

    // Drift on the Secret by another manager: reported (masked) and corrected.
    const patched = await kubectl([
      '--kubeconfig',
      cluster.adminKubeconfig,
      '-n',
      ns,
      'patch',
      'secret',
      'thanos-objectstorage',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ stringData: { password: values[3] } }),
      '--field-manager=other',
    ]);
    expect(patched.code, patched.stderr).toBe(0);
    expect(await cli('reconcile', '--dry-run')).toBe(3);
    expect(output.join('')).toMatch(/Secret .*thanos-objectstorage: modified/);
    expect(await cli('reconcile')).toBe(0);

    // A changed value: plan (text and JSON) and the apply that follows.
    await writeSet([secret({ 'thanos.yaml': values[0]!, password: values[4]! }), immutable(values[2]!)]);
    expect(await cli('plan', '--dir', dir)).toBe(0);
    expect(await cli('plan', '--dir', dir, '--json')).toBe(0);
    expect(await cli('apply', '--dir', dir)).toBe(0);

    // Another manager owns a key with a different value: the conflict error names the field only.
    await admin.apply(secret({ password: values[5]! }), { fieldManager: 'vault-injector', force: true });
    expect(await cli('apply', '--dir', dir)).toBe(1);
    expect(output.join('')).toMatch(
      /thanos-objectstorage: .stringData.password is owned by field manager "vault-injector"/,
    );
    expect(await cli('plan', '--dir', dir)).toBe(0);

    // An immutable Secret's data change: refused before writing, without echoing either value.
    await writeSet([secret({ 'thanos.yaml': values[0]!, password: values[4]! }), immutable(values[6]!)]);
    expect(await cli('apply', '--dir', dir, '--force-conflicts')).toBe(1);
    expect(output.join('')).toMatch(/Secret .*thanos-tls: .*immutable/);
    expect(await cli('history', '--json')).toBe(0);
    expect(await cli('history')).toBe(0);

    const everything = output.join('');
    for (const value of values.slice(0, 7)) {
      expect(everything).not.toContain(value);
      expect(everything).not.toContain(Buffer.from(value).toString('base64'));
      expect(everything).not.toContain(Buffer.from(value).toString('base64').replace(/=+$/, ''));
    }
  });
});
