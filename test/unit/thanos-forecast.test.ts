// Restart forecast and capacity delta on rendered kube-thanos stacks.
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseStackConfig } from '../../src/config/index.js';
import type { ForecastItem } from '../../src/diff/index.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';
import { renderStack } from '../../src/render/index.js';
import { analyzeManifestSets, parseQuantity } from '../../src/thanos/index.js';

type Config = Record<string, any>;

function config(
  options: { ingestors?: number; flag?: 'ketama'; queryReplicas?: number; image?: string; rule?: boolean } = {},
): Config {
  return {
    apiVersion: 'thanos-gitops/v1alpha1',
    kind: 'ThanosStack',
    common: {
      namespace: 'thanos',
      version: 'v0.42.4',
      image: options.image ?? 'quay.io/thanos/thanos:v0.42.4',
      objectStorageConfig: { name: 'thanos-objectstorage', key: 'thanos.yaml' },
      hashringConfigMapName: 'hashring-config',
      volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } } },
    },
    receiveIngestor: {
      replicas: options.ingestors ?? 4,
      replicationFactor: 2,
      hashrings: [{ hashring: 'default', tenants: [], algorithm: 'ketama' }],
      ...(options.flag ? { hashringsAlgorithm: options.flag } : {}),
      resources: { requests: { cpu: '1', memory: '4Gi' } },
    },
    receiveRouter: {
      routerReplicas: 2,
      replicationFactor: 2,
      objectStorageConfig: null,
      resources: { requests: { cpu: '500m', memory: '512Mi' } },
    },
    query: {
      replicas: options.queryReplicas ?? 4,
      replicaLabels: ['replica'],
      resources: { requests: { cpu: '250m', memory: '1Gi' } },
    },
    ...(options.rule
      ? {
          rule: {
            replicas: 2,
            rulesConfig: [{ name: 'rules', key: 'rules.yaml' }],
            reloaderImage: 'jimmidyson/configmap-reload:v0.5.0',
            queriers: ['dnssrv+_http._tcp.thanos-query.thanos'],
          },
        }
      : {}),
  };
}

const render = (c: Config): ManifestSet => renderStack(parseStackConfig(stringify(c), 'thanos-stack.yaml'));
const forecast = (base: ManifestSet, head: ManifestSet): ForecastItem[] =>
  analyzeManifestSets(base, head).forecast ?? [];
const of = (items: ForecastItem[], object: string) => items.filter((item) => item.object === object);

describe('restart forecast', () => {
  it('a new image rolls StatefulSet pods in reverse ordinal order and Deployments within their surge budget', () => {
    const items = forecast(render(config()), render(config({ image: 'quay.io/thanos/thanos:v0.42.5' })));
    const [ingestor] = of(items, 'StatefulSet thanos/thanos-receive-ingestor-default');
    expect(ingestor).toMatchObject({
      effect: 'rolls',
      pods: { base: 4, head: 4 },
      order: 'ordinal 3, 2, 1, 0, one at a time, each after the previous is Ready',
    });
    expect(ingestor!.reason).toContain('pod template changes (image)');
    expect(ingestor!.reason).toContain('each ingestor flushes its head and uploads it on SIGTERM (grace 900 s)');
    expect(of(items, 'Deployment thanos/thanos-query')[0]).toMatchObject({
      effect: 'rolls',
      order: 'rolling: up to 1 new pod above 4 at a time, at most 1 of 4 unavailable',
    });
    expect(of(items, 'Deployment thanos/thanos-receive-router')[0]).toMatchObject({
      effect: 'rolls',
      order: 'rolling: up to 1 new pod above 2 at a time, at most 0 of 2 unavailable',
    });
  });

  it('a ring change flushes ingestors under the default flag and reloads them in place with ketama', () => {
    const flushing = forecast(render(config({ ingestors: 4 })), render(config({ ingestors: 5 })));
    expect(of(flushing, 'StatefulSet thanos/thanos-receive-ingestor-default').map((item) => item.effect)).toEqual([
      'scaled',
      'flushes',
    ]);
    const flush = of(flushing, 'StatefulSet thanos/thanos-receive-ingestor-default')[1]!;
    expect(flush.reason).toContain('--receive.hashrings-algorithm=hashmod: each flushes its head');
    expect(flush.source!.label).toBe('Thanos v0.42.4, cmd/thanos/receive.go (lines 752-783)');
    expect(of(flushing, 'Deployment thanos/thanos-receive-router').map((item) => item.effect)).toEqual(['reloads']);

    const ketama = forecast(
      render(config({ ingestors: 4, flag: 'ketama' })),
      render(config({ ingestors: 5, flag: 'ketama' })),
    );
    expect(of(ketama, 'StatefulSet thanos/thanos-receive-ingestor-default').map((item) => item.effect)).toEqual([
      'scaled',
      'reloads',
    ]);
    expect(of(ketama, 'StatefulSet thanos/thanos-receive-ingestor-default')[0]!.order).toBe('4 → 5');
    const down = forecast(
      render(config({ ingestors: 5, flag: 'ketama' })),
      render(config({ ingestors: 3, flag: 'ketama' })),
    );
    expect(of(down, 'StatefulSet thanos/thanos-receive-ingestor-default')[0]!.order).toBe(
      '5 → 3, removing ordinal 4, 3 (highest first)',
    );
  });

  it('changed rule files reload through the configmap-reloader; other mounted config waits for a restart', () => {
    const rules = (text: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'rules', namespace: 'thanos' },
      data: { 'rules.yaml': text },
    });
    const base = [...render(config({ rule: true })), { file: 'rules.yaml', object: rules('groups: []') }];
    const head = [
      ...render(config({ rule: true })),
      { file: 'rules.yaml', object: rules('groups: [{name: a, rules: []}]') },
    ];
    const [ruler] = of(forecast(base, head), 'StatefulSet thanos/thanos-rule');
    expect(ruler).toMatchObject({ effect: 'reloads' });
    expect(ruler!.reason).toContain('POSTs /-/reload');
    expect(ruler!.source!.label).toBe('Thanos v0.42.4, cmd/thanos/rule.go (lines 155-156)');
  });

  it('a new TLS leaf reloads on the next handshake; a new CA bundle needs a restart; the objstore Secret needs a restart', () => {
    const withTls = (leaf: string, ca: string, bucket: string): ManifestSet => {
      const set = render(config());
      const store = set.find(
        ({ object }) => object.kind === 'StatefulSet' && object.metadata.name.startsWith('thanos-receive-ingestor'),
      )!.object as Config;
      store.spec.template.spec.volumes.push({ name: 'grpc-tls', secret: { secretName: 'thanos-grpc-tls' } });
      set.push({
        file: 'tls.yaml',
        object: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'thanos-grpc-tls', namespace: 'thanos' },
          stringData: { 'tls.crt': leaf, 'tls.key': leaf, 'ca.crt': ca },
        },
      });
      set.push({
        file: 'objstore.yaml',
        object: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'thanos-objectstorage', namespace: 'thanos' },
          stringData: { 'thanos.yaml': `type: S3\nconfig: {bucket: ${bucket}}\n` },
        },
      });
      return set;
    };
    const name = 'StatefulSet thanos/thanos-receive-ingestor-default';
    expect(of(forecast(withTls('a', 'ca', 'b'), withTls('b', 'ca', 'b')), name)).toEqual([
      expect.objectContaining({ effect: 'reloads', reason: expect.stringContaining('tls.crt, tls.key') }),
    ]);
    const ca = of(forecast(withTls('a', 'ca', 'b'), withTls('a', 'ca2', 'b')), name);
    expect(ca).toEqual([
      expect.objectContaining({ effect: 'restart-needed', reason: expect.stringContaining('CA bundle ca.crt') }),
    ]);
    expect(ca[0]!.source!.label).toBe('Thanos v0.42.4, pkg/tls/options.go (lines 77-91)');
    expect(of(forecast(withTls('a', 'ca', 'b'), withTls('a', 'ca', 'c')), name)).toEqual([
      expect.objectContaining({
        effect: 'restart-needed',
        reason: expect.stringContaining('environment variable, read once at start'),
      }),
    ]);
  });

  it('says nothing about workloads that do not change', () => {
    expect(forecast(render(config()), render(config()))).toEqual([]);
  });
});

describe('capacity delta', () => {
  it('sums requested CPU, memory and PVC storage per component, base and head', () => {
    const capacity = analyzeManifestSets(
      render(config({ ingestors: 3, queryReplicas: 2 })),
      render(config({ ingestors: 4, queryReplicas: 3 })),
    ).capacity!;
    const get = (component: string) => capacity.find((item) => item.component === component)!;
    expect(get('receive ingestor')).toEqual({
      component: 'receive ingestor',
      base: { cpuMillis: 3000, memoryBytes: 12 * 2 ** 30, storageBytes: 150 * 2 ** 30, pods: 3 },
      head: { cpuMillis: 4000, memoryBytes: 16 * 2 ** 30, storageBytes: 200 * 2 ** 30, pods: 4 },
    });
    expect(get('receive router').base).toEqual(get('receive router').head);
    expect(get('receive router').head).toEqual({ cpuMillis: 1000, memoryBytes: 2 ** 30, storageBytes: 0, pods: 2 });
    expect(get('query').head).toEqual({ cpuMillis: 750, memoryBytes: 3 * 2 ** 30, storageBytes: 0, pods: 3 });
  });

  it('reads Kubernetes quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('4Gi')).toBe(4 * 2 ** 30);
    expect(parseQuantity('1G')).toBe(1e9);
    expect(parseQuantity(0.123)).toBe(0.123);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('lots')).toBeUndefined();
  });
});

describe('report sections with author-controlled names', () => {
  it('pass forecast, capacity and validation text through the report escaping (no raw HTML, no broken tables)', async () => {
    const { renderFullReport } = await import('../../src/diff/index.js');
    const evil = 'x<!--y|z';
    const withRuler = (text: string): ManifestSet => {
      const set = render(config({ rule: true }));
      const ruler = set.find(({ object }) => object.kind === 'StatefulSet' && object.metadata.name === 'thanos-rule')!
        .object as Config;
      ruler.spec.template.spec.volumes.push({ name: 'evil', configMap: { name: evil } });
      set.push({
        file: 'evil.yaml',
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: evil, namespace: 'thanos' },
          data: { 'a.yaml': text },
        },
      });
      return set;
    };
    const diff = analyzeManifestSets(withRuler('a'), withRuler('b'));
    expect(diff.forecast!.some((item) => item.reason.includes(evil))).toBe(true);
    const report = renderFullReport(diff, { environment: 'prod' });
    const impact = report.slice(report.indexOf('#### Restart impact'), report.indexOf('| Kind | Name |'));
    expect(impact).not.toContain('<!--');
    expect(impact).toContain('x&#60;&#33;--y&#124;z');
    for (const row of impact.split('\n').filter((line) => line.startsWith('| StatefulSet')))
      expect(row.split(/(?<!\\)\|/).length).toBe(7);
  });
});
