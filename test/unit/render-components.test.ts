import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseStackConfig, type StackConfig } from '../../src/config/index.js';
import type { KubeObject } from '../../src/model/objects.js';
import { renderStack, toKubeYaml } from '../../src/render/index.js';

// Expectations come from kube-thanos's option semantics (the libsonnet files), not from our own output.

const HEADER = ['apiVersion: thanos-gitops/v1alpha1', 'kind: ThanosStack'];

function stack(...lines: string[]): StackConfig {
  return parseStackConfig(`${[...HEADER, ...lines].join('\n')}\n`, 'stack.yaml');
}

function common(namespace = 'monitoring', version = 'v0.42.4'): string[] {
  return [
    'common:',
    `  namespace: ${namespace}`,
    `  version: ${version}`,
    `  image: quay.io/thanos/thanos:${version}`,
    '  objectStorageConfig: {name: thanos-objstore, key: objstore.yml}',
    '  volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 50Gi}}}}',
  ];
}

function files(config: StackConfig): Map<string, KubeObject> {
  return new Map(renderStack(config).map((manifest) => [manifest.file, manifest.object]));
}

function get(map: Map<string, KubeObject>, file: string): Record<string, any> {
  const object = map.get(file);
  if (!object) throw new Error(`${file} not rendered; have ${[...map.keys()].join(', ')}`);
  return object as Record<string, any>;
}

function container(workload: Record<string, any>, index = 0): Record<string, any> {
  return workload.spec.template.spec.containers[index];
}

describe('receive ingestors with several hashrings and tenants, and the router', () => {
  const config = stack(
    ...common(),
    'receiveIngestor:',
    '  replicas: 3',
    '  replicationFactor: 3',
    '  hashrings:',
    '  - {hashring: default, tenants: []}',
    '  - {hashring: team-a, tenants: [tenant-a, tenant-b], tenant_matcher_type: exact}',
    '  - {hashring: team-b, tenants: ["team-b-*"], tenant_matcher_type: glob, algorithm: ketama}',
    'receiveRouter:',
    '  routerReplicas: 2',
    '  replicationFactor: 3',
    'query:',
    '  replicas: 2',
    '  replicaLabels: [replica]',
  );
  const out = files(config);

  it('renders one StatefulSet, Service and PDB per hashring and one ServiceAccount/ServiceMonitor for all', () => {
    for (const ring of ['default', 'team-a', 'team-b']) {
      const sts = get(out, `thanos-receive-ingestor-${ring}-statefulSet.yaml`);
      expect(sts.metadata.name).toBe(`thanos-receive-ingestor-${ring}`);
      expect(sts.metadata.labels['controller.receive.thanos.io/hashring']).toBe(ring);
      expect(sts.metadata.labels['controller.receive.thanos.io']).toBe('thanos-receive-controller');
      expect(sts.spec.template.metadata.labels['controller.receive.thanos.io']).toBeUndefined();
      expect(sts.spec.replicas).toBe(3);
      expect(sts.spec.template.spec.serviceAccountName).toBe('thanos-receive-ingestor');
      expect(container(sts).args).toContain(
        `--receive.local-endpoint=$(NAME).thanos-receive-ingestor-${ring}.$(NAMESPACE):10901`,
      );
      expect(container(sts).args).toContain('--receive.replication-factor=3');
      // floor(replicationFactor / 2) = 1
      expect(get(out, `thanos-receive-ingestor-${ring}-podDisruptionBudget.yaml`).spec.maxUnavailable).toBe(1);
      expect(get(out, `thanos-receive-ingestor-${ring}-service.yaml`).spec.clusterIP).toBe('None');
    }
    expect(out.has('thanos-receive-ingestor-serviceAccount.yaml')).toBe(true);
    expect(out.has('thanos-receive-ingestor-serviceMonitor.yaml')).toBe(false);
  });

  it('writes hashrings.json as jsonnet std.toString does, with every ingestor endpoint', () => {
    const configMap = get(out, 'thanos-receive-router-configmap.yaml');
    expect(configMap.metadata).toEqual({ name: 'hashring-config', namespace: 'monitoring' });
    const endpoints = (ring: string) =>
      [0, 1, 2].map((i) => `thanos-receive-ingestor-${ring}-${i}.thanos-receive-ingestor-${ring}.monitoring:10901`);
    const expected = [
      { hashring: 'default', tenants: [], endpoints: endpoints('default') },
      {
        hashring: 'team-a',
        tenants: ['tenant-a', 'tenant-b'],
        tenant_matcher_type: 'exact',
        endpoints: endpoints('team-a'),
      },
      {
        hashring: 'team-b',
        tenants: ['team-b-*'],
        tenant_matcher_type: 'glob',
        algorithm: 'ketama',
        endpoints: endpoints('team-b'),
      },
    ];
    const jsonnet = JSON.parse(
      execFileSync('jsonnet', ['-e', `std.toString(${JSON.stringify(expected)})`], { encoding: 'utf8' }),
    ) as string;
    expect(configMap.data['hashrings.json']).toBe(jsonnet);
    expect(JSON.parse(configMap.data['hashrings.json'])).toEqual(expected);
  });

  it('runs the router as a Deployment that mounts the ConfigMap', () => {
    const router = get(out, 'thanos-receive-router-deployment.yaml');
    expect(router.spec.replicas).toBe(2);
    expect(router.metadata.labels['app.kubernetes.io/component']).toBe('thanos-receive-router');
    expect(router.spec.template.spec.volumes).toEqual([
      { name: 'hashring-config', configMap: { name: 'hashring-config' } },
    ]);
    expect(container(router).args).toContain('--receive.hashrings-file=/var/lib/thanos-receive/hashrings.json');
    expect(container(router).args.some((arg: string) => arg.startsWith('--objstore'))).toBe(false);
  });

  it('points query at the store API of every hashring', () => {
    const args: string[] = container(get(out, 'thanos-query-deployment.yaml')).args;
    expect(args.filter((arg) => arg.startsWith('--endpoint='))).toEqual([
      '--endpoint=dnssrv+_grpc._tcp.thanos-receive-ingestor-default.monitoring:10901',
      '--endpoint=dnssrv+_grpc._tcp.thanos-receive-ingestor-team-a.monitoring:10901',
      '--endpoint=dnssrv+_grpc._tcp.thanos-receive-ingestor-team-b.monitoring:10901',
    ]);
  });

  it('renders no PDB when floor(replicationFactor / 2) is 0', () => {
    const single = files(stack(...common(), 'receive:', '  replicas: 1', '  replicationFactor: 1'));
    expect(single.has('thanos-receive-podDisruptionBudget.yaml')).toBe(false);
    const pinned = files(
      stack(
        ...common(),
        'receive:',
        '  replicas: 3',
        '  replicationFactor: 3',
        '  podDisruptionBudgetMaxUnavailable: 0',
      ),
    );
    expect(pinned.has('thanos-receive-podDisruptionBudget.yaml')).toBe(false);
  });
});

describe('store and compact shards', () => {
  it('store shards: one StatefulSet per shard with a hashmod relabel config, one ServiceAccount', () => {
    const out = files(stack(...common(), 'storeShards:', '  shards: 12', '  replicas: 2', '  serviceMonitor: true'));
    const names = [...out.keys()];
    // jsonnet -m writes files in byte order of their names: shard1, shard10, shard11, shard2 ...
    expect(names).toEqual([...names].sort());
    for (let shard = 0; shard < 12; shard++) {
      const sts = get(out, `thanos-store-shard${shard}-statefulSet.yaml`);
      expect(sts.metadata.name).toBe(`thanos-store-${shard}`);
      expect(sts.metadata.labels['store.thanos.io/shard']).toBe(`shard-${shard}`);
      expect(sts.spec.selector.matchLabels['store.thanos.io/shard']).toBe(`shard-${shard}`);
      expect(sts.spec.replicas).toBe(2);
      expect(sts.spec.template.spec.serviceAccountName).toBe('thanos-store');
      const relabel = container(sts).args.at(-1);
      expect(parseYaml(relabel.replace('--selector.relabel-config=\n', ''))).toEqual([
        { action: 'hashmod', source_labels: ['__block_id'], target_label: 'shard', modulus: 12 },
        { action: 'keep', source_labels: ['shard'], regex: shard },
      ]);
      expect(out.has(`thanos-store-shard${shard}-serviceAccount.yaml`)).toBe(false);
      expect(out.has(`thanos-store-shard${shard}-serviceMonitor.yaml`)).toBe(false);
    }
    expect(get(out, 'thanos-store-shards-serviceAccount.yaml').metadata.name).toBe('thanos-store');
    const monitor = get(out, 'thanos-store-shards-serviceMonitor.yaml');
    expect(monitor.spec.selector.matchLabels['app.kubernetes.io/instance']).toBeUndefined();
    expect(monitor.spec.endpoints[0].relabelings[1].sourceLabels).toEqual([
      '__meta_kubernetes_service_label_store_thanos_io_shard',
    ]);
  });

  it('compact shards hash the configured source labels; compactors always run one replica', () => {
    // kube-thanos-compact.libsonnet asserts replicas is 0 or 1 and renders 1 either way: anything else is refused.
    expect(() =>
      files(stack(...common(), 'compactShards:', '  shards: 2', '  sourceLabels: [cluster]', '  replicas: 4')),
    ).toThrow(/compactShards\.replicas: kube-thanos always runs exactly one compactShards pod/);
    const out = files(
      stack(...common(), 'compactShards:', '  shards: 2', '  sourceLabels: [cluster, region]', '  replicas: 1'),
    );
    for (const shard of [0, 1]) {
      const sts = get(out, `thanos-compact-shard${shard}-statefulSet.yaml`);
      expect(sts.spec.replicas).toBe(1);
      expect(sts.metadata.labels['compact.thanos.io/shard']).toBe(`shard-${shard}`);
      expect(container(sts).args.at(-1)).toBe(
        `--selector.relabel-config=\n  - action: hashmod\n    source_labels: ["cluster", "region"]\n    target_label: shard\n    modulus: 2\n  - action: keep\n    source_labels: ["shard"]\n    regex: ${shard}\n`,
      );
    }
    expect(out.has('thanos-compact-shards-serviceMonitor.yaml')).toBe(false);
  });
});

describe('options that reach every component', () => {
  it('IRSA: serviceAccountAnnotations from common land on every ServiceAccount, a component can override', () => {
    const arn = 'arn:aws:iam::123456789012:role/thanos';
    const out = files(
      stack(
        ...common(),
        `  serviceAccountAnnotations: {eks.amazonaws.com/role-arn: "${arn}"}`,
        'store:',
        '  replicas: 1',
        'compact: {}',
        'query:',
        '  replicas: 1',
        '  replicaLabels: [replica]',
        '  serviceAccountAnnotations: {}',
      ),
    );
    expect(get(out, 'thanos-store-serviceAccount.yaml').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': arn,
    });
    expect(get(out, 'thanos-compact-serviceAccount.yaml').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': arn,
    });
    expect(get(out, 'thanos-query-serviceAccount.yaml').metadata.annotations).toEqual({});
  });

  it('other namespaces and versions flow into labels, images, endpoints and anti-affinity', () => {
    const out = files(
      stack(
        ...common('observability', 'v0.42.4'),
        'store:',
        '  replicas: 1',
        'query:',
        '  replicas: 1',
        '  replicaLabels: [r]',
      ),
    );
    const sts = get(out, 'thanos-store-statefulSet.yaml');
    expect(sts.metadata.namespace).toBe('observability');
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe('v0.42.4');
    expect(sts.spec.selector.matchLabels['app.kubernetes.io/version']).toBeUndefined();
    expect(container(sts).image).toBe('quay.io/thanos/thanos:v0.42.4');
    expect(
      sts.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
        .namespaces,
    ).toEqual(['observability']);
    expect(container(get(out, 'thanos-query-deployment.yaml')).args).toContain(
      '--endpoint=dnssrv+_grpc._tcp.thanos-store.observability:10901',
    );
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
  });

  it("tracing: the service name is the component's kube-thanos name unless the config sets one", () => {
    const out = files(
      stack(
        ...common(),
        '  tracing: {type: OTLP, config: {client_type: grpc, endpoint: "$(HOST_IP_ADDRESS):4317", insecure: true}}',
        'store:',
        '  name: store-eu',
        '  replicas: 1',
        'rule:',
        '  replicas: 1',
        '  tracing: {type: JAEGER, config: {service_name: ruler, sampler_param: 0.5}}',
      ),
    );
    const storeArgs: string[] = container(get(out, 'thanos-store-statefulSet.yaml')).args;
    const storeTracing = storeArgs.find((arg) => arg.startsWith('--tracing.config='));
    expect(parseYaml(storeTracing?.slice('--tracing.config='.length) ?? '')).toEqual({
      type: 'OTLP',
      config: {
        client_type: 'grpc',
        endpoint: '$(HOST_IP_ADDRESS):4317',
        insecure: true,
        service_name: 'thanos-store',
      },
    });
    const ruleArgs: string[] = container(get(out, 'thanos-rule-statefulSet.yaml')).args;
    expect(ruleArgs).toContain(
      '--tracing.config="config":\n  "sampler_param": 0.5\n  "service_name": "ruler"\n"type": "JAEGER"',
    );
  });

  it('extraEnv is appended after kube-thanos env; securityContext overrides drive the container defaults', () => {
    const out = files(
      stack(
        ...common(),
        'store:',
        '  replicas: 1',
        '  extraEnv: [{name: GOMEMLIMIT, value: 3GiB}]',
        '  securityContext: {fsGroup: 1000, runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}',
      ),
    );
    // kube-thanos reads all four of runAsUser, runAsGroup, runAsNonRoot and seccompProfile to derive the container's.
    expect(() => files(stack(...common(), 'store:', '  replicas: 1', '  securityContext: {runAsUser: 1000}'))).toThrow(
      /store\.securityContext: kube-thanos derives/,
    );
    const sts = get(out, 'thanos-store-statefulSet.yaml');
    expect(container(sts).env.map((env: { name: string }) => env.name)).toEqual([
      'OBJSTORE_CONFIG',
      'HOST_IP_ADDRESS',
      'GOMEMLIMIT',
    ]);
    expect(sts.spec.template.spec.securityContext).toEqual({
      fsGroup: 1000,
      runAsUser: 1000,
      runAsGroup: 1000,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container(sts).securityContext).toEqual({
      runAsUser: 1000,
      runAsGroup: 1000,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('an objstore TLS secret is mounted where the objectStorageConfig says', () => {
    const out = files(
      stack(
        ...common(),
        'store:',
        '  replicas: 1',
        '  objectStorageConfig: {name: s, key: k, tlsSecretName: objstore-ca, tlsSecretMountPath: /etc/objstore-tls}',
      ),
    );
    const sts = get(out, 'thanos-store-statefulSet.yaml');
    expect(sts.spec.template.spec.volumes).toEqual([{ name: 'tls-secret', secret: { secretName: 'objstore-ca' } }]);
    expect(container(sts).volumeMounts).toContainEqual({ name: 'tls-secret', mountPath: '/etc/objstore-tls' });
  });

  it('serviceMonitor: false renders no ServiceMonitor; receive without objstore ships no blocks', () => {
    const out = files(
      stack(...common(), 'receive:', '  replicas: 1', '  replicationFactor: 1', '  objectStorageConfig: null'),
    );
    expect([...out.keys()]).toEqual([
      'thanos-receive-service.yaml',
      'thanos-receive-serviceAccount.yaml',
      'thanos-receive-statefulSet.yaml',
    ]);
    const receive = container(get(out, 'thanos-receive-statefulSet.yaml'));
    expect(receive.args.some((arg: string) => arg.includes('objstore'))).toBe(false);
    expect(receive.env.map((env: { name: string }) => env.name)).toEqual(['NAME', 'NAMESPACE', 'HOST_IP_ADDRESS']);
  });
});

describe('caches', () => {
  it('memcached caches get the kube-thanos defaults under the given config; other types pass through', () => {
    const out = files(
      stack(
        ...common(),
        'store:',
        '  replicas: 1',
        '  indexCache: {type: MEMCACHED, config: {addresses: ["dnssrv+_client._tcp.memcached.monitoring"], timeout: 2s}}',
        '  bucketCache: {type: IN-MEMORY, config: {max_size: 1GB}}',
        'queryFrontend:',
        '  replicas: 1',
        '  downstreamURL: http://thanos-query.monitoring:9090',
        '  queryRangeCache: {type: in-memory, config: {max_size: 500MB}}',
        '  labelsCache: {type: REDIS, config: {addr: redis:6379}}',
      ),
    );
    const docOf = (args: string[], flag: string) =>
      parseYaml(args.find((arg) => arg.startsWith(flag))?.slice(flag.length) ?? 'null');
    const storeArgs: string[] = container(get(out, 'thanos-store-statefulSet.yaml')).args;
    expect(docOf(storeArgs, '--index-cache.config=')).toEqual({
      type: 'MEMCACHED',
      config: {
        addresses: ['dnssrv+_client._tcp.memcached.monitoring'],
        timeout: '2s',
        max_idle_connections: 100,
        max_async_concurrency: 20,
        max_async_buffer_size: 10000,
        max_item_size: '1MiB',
        max_get_multi_concurrency: 100,
        max_get_multi_batch_size: 0,
        dns_provider_update_interval: '10s',
      },
    });
    expect(docOf(storeArgs, '--store.caching-bucket.config=')).toEqual({
      type: 'IN-MEMORY',
      config: { max_size: '1GB' },
    });
    const frontendArgs: string[] = container(get(out, 'thanos-query-frontend-deployment.yaml')).args;
    expect(docOf(frontendArgs, '--query-range.response-cache-config=')).toEqual({
      type: 'in-memory',
      config: { max_size: '500MB', max_size_items: 2048, validity: '6h' },
    });
    expect(docOf(frontendArgs, '--labels.response-cache-config=')).toEqual({
      type: 'REDIS',
      config: { addr: 'redis:6379' },
    });
  });
});

describe('rule', () => {
  it('runs configmap-reload only when a ConfigMap is mounted', () => {
    const bare = files(
      stack(...common(), 'rule:', '  replicas: 1', '  queriers: [dnssrv+_http._tcp.thanos-query.monitoring]'),
    );
    const sts = get(bare, 'thanos-rule-statefulSet.yaml');
    expect(sts.spec.template.spec.containers).toHaveLength(1);
    expect(sts.spec.template.spec.volumes).toEqual([]);
    expect(container(sts).args).toContain('--query=dnssrv+_http._tcp.thanos-query.monitoring');

    const withAlertmanager = files(
      stack(
        ...common(),
        'rule:',
        '  replicas: 1',
        '  reloaderImage: ghcr.io/jimmidyson/configmap-reload:v0.14.0',
        '  alertmanagerConfigFile: {name: am, key: am.yaml}',
      ),
    );
    const ruler = get(withAlertmanager, 'thanos-rule-statefulSet.yaml');
    const reloader = container(ruler, 1);
    expect(reloader.name).toBe('configmap-reloader');
    expect(reloader.args).toEqual([
      '-webhook-url=http://localhost:10902/-/reload',
      '-volume-dir=/etc/thanos/config/am',
    ]);
    expect(container(ruler).args).toContain('--alertmanagers.config-file=/etc/thanos/config/am/am.yaml');
    expect(container(ruler).volumeMounts).toContainEqual({
      name: 'am',
      mountPath: '/etc/thanos/config/am',
      readOnly: true,
    });
  });
});

describe('set-level guarantees', () => {
  it('every object survives toKubeYaml and reads back equal', () => {
    const out = renderStack(
      stack(
        ...common(),
        'store:',
        '  replicas: 1',
        'query:',
        '  replicas: 1',
        '  replicaLabels: [r]',
        'receive:',
        '  replicas: 3',
        '  replicationFactor: 3',
      ),
    );
    for (const manifest of out)
      expect(parseYaml(toKubeYaml(manifest.object))).toEqual(JSON.parse(JSON.stringify(manifest.object)));
  });

  it('two components rendering the same file is a config error', () => {
    const config = stack(
      ...common(),
      'receiveHashrings:',
      '  replicas: 1',
      '  replicationFactor: 1',
      '  hashrings: [{hashring: router, tenants: []}]',
      'receiveIngestor:',
      '  replicas: 1',
      '  replicationFactor: 1',
      'receiveRouter:',
      '  replicas: 1',
      '  replicationFactor: 1',
    );
    expect(() => renderStack(config)).toThrow(ConfigError);
    expect(() => renderStack(config)).toThrow(
      /stack\.yaml:9:1: receiveHashrings: renders thanos-receive-router-service\.yaml, which receiveRouter renders too/,
    );
  });

  it('a config built in code is checked too', () => {
    const config = {
      apiVersion: 'thanos-gitops/v1alpha1',
      kind: 'ThanosStack',
      store: { namespace: 'x' },
    } as StackConfig;
    expect(() => renderStack(config)).toThrow(/<config>: store\.version: missing required option/);
  });
});
