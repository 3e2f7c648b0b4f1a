// How the ordered ring steps observe receivers, against the real kube-apiserver: pods are listed through the
// apiserver by the workload's selector; /metrics through the pod proxy is authorized by the apply Role's pods/proxy
// get, and the apiserver refuses to proxy to a loopback pod IP (Kubernetes v1.34.4 pkg/registry/core/pod/strategy.go,
// ResourceLocation), which is why the pod runner's 127.x pods are read directly (--observe direct).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient } from '../../src/kube/index.js';
import { directPodObserver, podProxyObserver } from '../../src/kube/ordering/index.js';
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
  await admin.apply({
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'ingestor', namespace },
    spec: { replicas: 1, serviceName: 'ingestor', selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'thanos', image: 'quay.io/thanos/thanos:v0.42.4' }] } } },
  }, { fieldManager: 'test', force: true });
  const pod = await admin.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ingestor-0', namespace, labels }, spec: { containers: [{ name: 'thanos', image: 'quay.io/thanos/thanos:v0.42.4' }] } });
  await admin.replaceStatus({ ...pod, status: { phase: 'Running', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }], conditions: [{ type: 'Ready', status: 'True' }] } });
});

afterAll(async () => {
  server?.close();
  admin?.close();
  deployer?.close();
});

describe('ring observers', () => {
  it('lists the workload\'s pods with readiness and IP through the apiserver, as the apply identity', async () => {
    expect(await podProxyObserver(deployer).pods({ kind: 'StatefulSet', namespace, name: 'ingestor' })).toEqual([{ namespace, name: 'ingestor-0', ready: true, ip: '127.0.0.1' }]);
  });

  it('pod proxy: the apply Role may GET pods/proxy, and the apiserver refuses a loopback pod IP ("address not allowed")', async () => {
    const error = await podProxyObserver(deployer, port).metrics({ namespace, name: 'ingestor-0', ready: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(400);
    expect((error as KubeApiError).message).toContain('address not allowed');
  });

  it('direct: reads /metrics at status.podIP', async () => {
    const [pod] = await directPodObserver(deployer, port).pods({ kind: 'StatefulSet', namespace, name: 'ingestor' });
    expect(await directPodObserver(deployer, port).metrics(pod!)).toContain('thanos_receive_config_hash 877889402771');
  });
});
