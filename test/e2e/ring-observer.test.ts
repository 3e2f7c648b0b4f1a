// How the ordered ring steps observe receivers, against the real kube-apiserver: pods are listed through the
// apiserver by the workload's selector; /metrics through the pod proxy is authorized by the apply Role's pods/proxy
// get, and the apiserver refuses to proxy to a loopback pod IP (Kubernetes v1.34.4 pkg/registry/core/pod/strategy.go,
// ResourceLocation), which is why the pod runner's 127.x pods are read directly (--observe direct).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient } from '../../src/kube/index.js';
import { applyInOrder, directPodObserver, OrderedStepTimeoutError, podProxyObserver } from '../../src/ring/index.js';
import { applyManifestSet } from '../../src/kube/index.js';
import { parseStackConfig } from '../../src/config/index.js';
import { renderStack } from '../../src/render/index.js';
import { stringify } from 'yaml';
import { rbacRules } from '../../src/kube/rbac.js';
import { bindDeployer, createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';

let namespace: string;
let admin: KubeClient;
let deployer: KubeClient;
let server: http.Server;
let port: number;

beforeAll(async () => {
  const cluster = testCluster();
  admin = KubeClient.fromFile(cluster.adminKubeconfig);
  deployer = KubeClient.fromFile(cluster.deployerKubeconfig);
  namespace = await createNamespace(uniqueNamespace('ring-observer'));
  await bindDeployer(namespace, rbacRules('apply'));
  // A tiny HTTP server as the pod's container: a receiver's metrics.
  server = http.createServer((_req, res) => res.end('thanos_receive_config_hash 877889402771\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const labels = { 'app.kubernetes.io/name': 'thanos-receive', 'app.kubernetes.io/instance': 'ingestor' };
  await admin.apply(
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'ingestor', namespace },
      spec: {
        replicas: 1,
        serviceName: 'ingestor',
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'thanos', image: 'quay.io/thanos/thanos:v0.42.4' }] },
        },
      },
    },
    { fieldManager: 'test', force: true },
  );
  const pod = await admin.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'ingestor-0', namespace, labels },
    spec: { containers: [{ name: 'thanos', image: 'quay.io/thanos/thanos:v0.42.4' }] },
  });
  await admin.replaceStatus({
    ...pod,
    status: {
      phase: 'Running',
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  });
});

afterAll(async () => {
  server?.close();
  admin?.close();
  deployer?.close();
});

describe('ring observers', () => {
  it("lists the workload's pods with readiness and IP through the apiserver, as the apply identity", async () => {
    expect(await podProxyObserver(deployer).pods({ kind: 'StatefulSet', namespace, name: 'ingestor' })).toEqual([
      { namespace, name: 'ingestor-0', ready: true, ip: '127.0.0.1' },
    ]);
  });

  it('pod proxy: the apply Role may GET pods/proxy, and the apiserver refuses a loopback pod IP ("address not allowed")', async () => {
    const error = await podProxyObserver(deployer, port)
      .metrics({ namespace, name: 'ingestor-0', ready: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(400);
    expect((error as KubeApiError).message).toContain('address not allowed');
  });

  it('direct: reads /metrics at status.podIP', async () => {
    const [pod] = await directPodObserver(deployer, port).pods({ kind: 'StatefulSet', namespace, name: 'ingestor' });
    expect(await directPodObserver(deployer, port).metrics(pod!)).toContain('thanos_receive_config_hash 877889402771');
  });
});

describe('an ordered step that times out', () => {
  it('fails naming the step and what it waited for, leaves the ring naming only running pods and the release pending', async () => {
    const ns = await createNamespace(uniqueNamespace('ring-timeout'));
    const render = (replicas: number) =>
      renderStack(
        parseStackConfig(
          stringify({
            apiVersion: 'thanos-gitops/v1alpha1',
            kind: 'ThanosStack',
            common: {
              namespace: ns,
              version: 'v0.42.4',
              image: 'quay.io/thanos/thanos:v0.42.4',
              objectStorageConfig: { name: 'thanos-objectstorage', key: 'thanos.yaml' },
              hashringConfigMapName: 'hashring-config',
              volumeClaimTemplate: {
                spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
              },
            },
            receiveIngestor: { replicas, replicationFactor: 2, hashrings: [{ hashring: 'default', tenants: [] }] },
            receiveRouter: { routerReplicas: 1, replicationFactor: 2, objectStorageConfig: null },
          }),
          'thanos-stack.yaml',
        ),
      );
    const options = { environment: 'timeout', namespace: ns, missingKinds: 'skip' as const };
    await applyManifestSet(admin, render(3), options);
    // No controller runs here: the grown StatefulSet never reports its fourth pod Ready.
    const error = await applyInOrder(admin, render(4), {
      ...options,
      observer: directPodObserver(admin),
      stepTimeoutMs: 1500,
      pollMs: 200,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrderedStepTimeoutError);
    expect((error as Error).message).toMatch(
      /^step 3\/6 await-ready timed out after 2s: StatefulSet .*\/thanos-receive-ingestor-default has 0\/4 Ready pods \(waiting for thanos-receive-ingestor-default-3\)\. No ring names the new pods yet/,
    );
    expect((error as Error).message).toContain(
      'stays pending at this step: fix the cause and run apply again to resume here, or apply --no-order',
    );
    const ring = await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'hashring-config' });
    expect(
      (JSON.parse((ring?.['data'] as Record<string, string>)['hashrings.json']!) as Array<{ endpoints: string[] }>)[0]!
        .endpoints,
    ).toHaveLength(3);
    const releases = await admin.list('v1', 'Secret', ns, 'owner=thanos-gitops');
    expect(releases.map((r) => r.metadata.labels?.status).sort()).toEqual(['deployed', 'pending']);
  });
});
