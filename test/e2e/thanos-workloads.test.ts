// Every workload starts and becomes ready on real Thanos (the version examples/stack pins): the bundled example
// without tls:, and kube-thanos's `all` set (every component kube-thanos renders, sharded store and compactor,
// three receive variants, ruler, query-frontend, bucket web and replicate). `--help` is no oracle (hidden flags,
// values checked only at start), so each pod is started with its rendered flags and must pass its readinessProbe.
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/model/objects.js';
import { goldenIn } from './rotation-fixture.js';
import { exampleConfig, startStack, type ThanosStack } from './thanos-fixture.js';

const stacks: ThanosStack[] = [];

afterAll(async () => {
  for (const stack of stacks) await stack.stop();
});

function objstoreYaml(bucket: string): string {
  // Static keys: kube-thanos's ServiceAccounts carry no IRSA role, and the stand-in accepts any key.
  return `type: S3\nconfig:\n  bucket: "${bucket}"\n  endpoint: "s3.eu-west-1.amazonaws.com"\n  region: "eu-west-1"\n  access_key: "test"\n  secret_key: "test"\n`;
}

/** kube-thanos's `all` set in `namespace`, with the ConfigMaps and Secrets it references but does not render. */
function allSet(namespace: string, memcached = '127.0.0.1:11211'): KubeObject[] {
  const objects = goldenIn('all', namespace).map((m) => m.object);
  for (const object of objects) {
    const containers =
      (object.spec as { template?: { spec?: { containers?: { args?: string[] }[] } } } | undefined)?.template?.spec
        ?.containers ?? [];
    for (const container of containers) {
      // kube-thanos renders `all` for namespace thanos: follow the move. Its memcached address is a placeholder
      // (`<MEMCACHED_SERVICE>`) that a user replaces; here it is an address where no memcached runs (cache
      // operations fail and are logged; startup needs only an address).
      container.args = container.args?.map((arg) =>
        arg
          .replace(/\.thanos(?=$|:|\n|")/g, `.${namespace}`)
          .replaceAll(`dnssrv+_client._tcp.<MEMCACHED_SERVICE>.${namespace}`, memcached),
      );
    }
  }
  const endpoints = (name: string, replicas: number) =>
    Array.from({ length: replicas }, (_, i) => ({
      address: `${name}-${i}.${name}.${namespace}.svc.cluster.local:10901`,
    }));
  const hashrings = [
    { hashring: 'default', tenants: [], endpoints: endpoints('thanos-receive-default', 3) },
    { hashring: 'region-1', tenants: ['region-1'], endpoints: endpoints('thanos-receive-region-1', 3) },
  ];
  const secret = (name: string, key: string, value: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    data: { [key]: Buffer.from(value).toString('base64') },
  });
  const configMap = (name: string, data: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
    data,
  });
  return [
    secret('thanos-objectstorage', 'thanos.yaml', objstoreYaml('thanos-all')),
    secret('thanos-objectstorage-to', 'thanos.yaml', objstoreYaml('thanos-all')),
    configMap('hashring', { 'hashrings.json': JSON.stringify(hashrings) }),
    configMap('test', { test: 'groups:\n- name: test\n  rules:\n  - record: test:up\n    expr: vector(1)\n' }),
    configMap('thanos-ruler-config', { 'config.yaml': 'alertmanagers: []\n' }),
    configMap('thanos-stateless-ruler-config', { 'rw-config.yaml': 'remote_write: []\n' }),
    ...objects,
  ];
}

describe('every workload starts and becomes ready on real Thanos', () => {
  it('the bundled example without tls:', { timeout: 600_000 }, async () => {
    const stack = await startStack('thanos-plain', exampleConfig);
    stacks.push(stack);
    const pods = stack.runner.list();
    // kube-thanos's five workloads plus the example's query frontend (one pod: its HorizontalPodAutoscaler owns the count).
    expect(new Set(pods.map((p) => p.workload)).size).toBe(6);
    expect(pods.filter((p) => !p.ready).map((p) => p.name)).toEqual([]);
    expect(pods).toHaveLength(11);
  });

  it("kube-thanos's all set", { timeout: 600_000 }, async () => {
    const stack = await startStack(
      'thanos-all',
      () => ({ objectStorage: { bucket: 'thanos-all', region: 'eu-west-1' } }),
      {
        objects: (namespace) => allSet(namespace),
        waitFor: (workload) => workload !== 'StatefulSet/thanos-rule',
      },
    );
    stacks.push(stack);
    const pods = stack.runner.list();
    const workloads = new Set(pods.map((p) => p.workload));
    const expected = allSet(stack.namespace)
      .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort();
    expect([...workloads].sort()).toEqual(expected);
    expect(pods.filter((p) => !p.ready).map((p) => p.name)).toEqual(['thanos-rule-0']);
    // kube-thanos's all.jsonnet sets alertmanagersURLs and an alertmanagers config file; Thanos v0.42.4 refuses
    // the pair at start (cmd/thanos/rule.go).
    expect(stack.runner.logTail('thanos-rule-0', 5)).toContain(
      '--alertmanagers.url and --alertmanagers.config* parameters cannot be defined at the same time',
    );
  });
});
