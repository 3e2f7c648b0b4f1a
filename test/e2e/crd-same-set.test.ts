// A set that carries a CustomResourceDefinition and objects of its kind, against the real kube-apiserver: plan says
// they will be created after the definition (they cannot be dry-run before it is served); apply creates the
// definition first, waits until it is Established, and dry-runs the objects before writing anything else.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPlan } from '../../src/cli/commands/plan.js';
import { ApplyError, KubeClient, applyManifestSet, planManifestSet } from '../../src/kube/index.js';
import type { ManifestSet } from '../../src/model/objects.js';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';

let admin: KubeClient;
let ns: string;
const group = `g${randomBytes(4).toString('hex')}.thanos-gitops.test`;
const crdName = `widgets.${group}`;

beforeAll(async () => {
  admin = KubeClient.fromFile(testCluster().adminKubeconfig);
  ns = await createNamespace(uniqueNamespace('crd-same-set'));
});

afterAll(async () => {
  await admin
    ?.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crdName })
    .catch(() => undefined);
  admin?.close();
});

function set(size: number): ManifestSet {
  return [
    {
      file: 'crd.yaml',
      object: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: crdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: { spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } } } },
                },
              },
            },
          ],
        },
      },
    },
    {
      file: 'widget.yaml',
      object: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size } },
    },
    {
      file: 'config.yaml',
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'next-to-widget', namespace: ns },
        data: { a: '1' },
      },
    },
  ];
}

describe('objects whose CustomResourceDefinition is in the same set', () => {
  it('plan reports them as created after the definition instead of skipping their dry-run silently', async () => {
    const logs: string[] = [];
    const plan = await planManifestSet(admin, set(2), {
      environment: 'crd',
      namespace: ns,
      log: (line) => logs.push(line),
    });
    expect(plan.deferred).toEqual([{ object: `Widget ${ns}/w1`, crd: crdName }]);
    expect(plan.errors).toEqual([]);
    expect(plan.diff.counts.added).toBe(3);
    expect(formatPlan(plan, 'crd')).toContain(
      `Widget ${ns}/w1: will be created after CustomResourceDefinition ${crdName}`,
    );
    expect(logs.join('\n')).toContain(`will be created after CustomResourceDefinition ${crdName}`);
  });

  it('apply creates the definition first, waits for Established, and dry-runs the rest: an invalid object stops the apply before anything else is written', async () => {
    const logs: string[] = [];
    const failure = await applyManifestSet(admin, set(0), {
      environment: 'crd',
      namespace: ns,
      log: (line) => logs.push(line),
    }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(ApplyError);
    expect(failure?.message).toMatch(/pre-flight check/);
    expect(failure?.message).toMatch(new RegExp(`Widget ${ns}/w1: .*spec.size`));
    expect(logs.join('\n')).toMatch(
      /applying 1 CustomResourceDefinition\(s\) first: 1 object\(s\) of this set use their kinds/,
    );
    // The definition is there (and served); nothing else was written.
    const crd = await admin.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: crdName,
    });
    expect((crd?.status as { conditions?: Array<{ type: string; status: string }> }).conditions).toContainEqual(
      expect.objectContaining({ type: 'Established', status: 'True' }),
    );
    expect(
      await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'next-to-widget' }),
    ).toBeUndefined();
  });

  it('a valid set applies whole; a re-apply writes nothing and plan has nothing deferred', async () => {
    const result = await applyManifestSet(admin, set(2), { environment: 'crd', namespace: ns });
    expect(result.objects.map((o) => `${o.object}:${o.action}`).sort()).toEqual(
      [
        `ConfigMap ${ns}/next-to-widget:created`,
        `CustomResourceDefinition ${crdName}:unchanged`,
        `Widget ${ns}/w1:created`,
      ].sort(),
    );
    expect(await admin.get({ apiVersion: `${group}/v1`, kind: 'Widget', namespace: ns, name: 'w1' })).toMatchObject({
      spec: { size: 2 },
    });
    const again = await applyManifestSet(admin, set(2), { environment: 'crd', namespace: ns });
    expect(again.writes).toBe(0);
    const plan = await planManifestSet(admin, set(2), { environment: 'crd', namespace: ns });
    expect(plan.deferred).toEqual([]);
    expect(plan.diff.counts.unchanged).toBe(3);
  });
});
