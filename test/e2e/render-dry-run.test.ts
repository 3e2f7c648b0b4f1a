/**
 * Renderings beyond the goldens (hashrings with tenants, shards, caches, the ruler's reloader, IRSA, an objstore TLS
 * secret, PDBs) are real Kubernetes objects: a real kube-apiserver accepts every one in a server-side dry-run create
 * with strict field validation, so a misplaced or misspelled field fails here rather than in a cluster.
 *
 * It starts its own control plane (test/helpers/control-plane.ts), as the shared one is only provided to test/e2e.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStackConfig } from '../../src/config/index.js';
import type { KubeObject } from '../../src/model/objects.js';
import { renderStack } from '../../src/render/index.js';
import { kubeRequest, startControlPlane, type ClusterAccess, type ControlPlane } from '../helpers/control-plane.js';

const SHARED = resolve(process.cwd(), '../shared/kube-thanos');

const RESOURCES: Record<string, string> = {
  ConfigMap: 'configmaps',
  Deployment: 'deployments',
  PodDisruptionBudget: 'poddisruptionbudgets',
  Service: 'services',
  ServiceAccount: 'serviceaccounts',
  ServiceMonitor: 'servicemonitors',
  StatefulSet: 'statefulsets',
};

const VARIED = `
apiVersion: thanos-gitops/v1alpha1
kind: ThanosStack
common:
  namespace: render-varied
  version: v0.42.4
  image: quay.io/thanos/thanos:v0.42.4
  objectStorageConfig: {name: thanos-objstore, key: objstore.yml, tlsSecretName: objstore-ca, tlsSecretMountPath: /etc/objstore-tls}
  volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], storageClassName: gp3, resources: {requests: {storage: 50Gi}}}}
  serviceMonitor: true
  serviceAccountAnnotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/thanos"}
  tracing: {type: OTLP, config: {client_type: grpc, endpoint: "$(HOST_IP_ADDRESS):4317", insecure: true}}
  extraEnv: [{name: GOMEMLIMIT, value: 2GiB}]
  resources: {requests: {cpu: 250m, memory: 1Gi}, limits: {memory: 2Gi}}
receiveIngestor:
  replicas: 3
  replicationFactor: 3
  retention: 2d
  tenantHeader: THANOS-TENANT
  receiveLimitsConfigFile: {name: receive-limits, key: limits.yaml}
  hashrings:
  - {hashring: default, tenants: []}
  - {hashring: team-a, tenants: [a1, a2], tenant_matcher_type: exact}
receiveRouter:
  routerReplicas: 2
  replicationFactor: 3
  tenantLabelName: tenant_id
storeShards:
  shards: 3
  replicas: 2
  minTime: -2w
  indexCache: {type: memcached, config: {addresses: ["dnssrv+_client._tcp.memcached.render-varied"]}}
  bucketCache: {type: memcached, config: {addresses: ["dnssrv+_client._tcp.memcached.render-varied"]}}
compactShards:
  shards: 2
  sourceLabels: [cluster]
  retentionResolutionRaw: 30d
  deduplicationReplicaLabels: [receive_replica]
rule:
  replicas: 2
  reloaderImage: ghcr.io/jimmidyson/configmap-reload:v0.14.0
  rulesConfig: [{name: team-rules, key: rules.yaml}]
  alertmanagerConfigFile: {name: am-config, key: am.yaml}
  queriers: [dnssrv+_http._tcp.thanos-query.render-varied]
query:
  replicas: 2
  replicaLabels: [replica, receive_replica, rule_replica]
  queryTimeout: 2m
  useThanosEngine: true
  telemetryDurationQuantiles: "0.1, 0.5, 0.9"
queryFrontend:
  replicas: 2
  downstreamURL: http://thanos-query.render-varied:9090
  queryRangeCache: {type: in-memory}
bucket:
  replicas: 1
bucketReplicate:
  replicas: 1
  objectStorageToConfig: {name: thanos-objstore-dr, key: objstore.yml}
  compactionLevels: [1, 2]
sidecar:
  podLabelSelector: {app.kubernetes.io/name: prometheus}
`;

let cp: ControlPlane;
let admin: ClusterAccess;

beforeAll(async () => {
  cp = await startControlPlane();
  admin = { server: cp.server, caFile: cp.caFile, token: cp.adminToken };
  for (const name of ['thanos', 'render-varied']) {
    await kubeRequest(admin, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
}, 240_000);

afterAll(async () => {
  await cp?.stop();
});

async function dryRunCreate(object: KubeObject): Promise<void> {
  const resource = RESOURCES[object.kind];
  if (!resource) throw new Error(`no resource path for ${object.kind}`);
  const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const namespace = object.metadata.namespace ?? '';
  await kubeRequest(
    admin,
    'POST',
    `${base}/namespaces/${namespace}/${resource}?dryRun=All&fieldValidation=Strict`,
    object,
  );
}

describe.each([
  ['example.yaml', () => readFileSync(join(SHARED, 'example.yaml'), 'utf8'), 16],
  ['all.yaml', () => readFileSync(join(SHARED, 'all.yaml'), 'utf8'), 56],
  ['a varied stack (tenants, shards, caches, reloader, IRSA, objstore TLS)', () => VARIED, 46],
])('%s', (name, text, count) => {
  it('every rendered object passes a strict server-side dry-run create', async () => {
    const set = renderStack(parseStackConfig(text(), name));
    expect(set).toHaveLength(count);
    const failures: string[] = [];
    for (const manifest of set) {
      await dryRunCreate(manifest.object).catch((error: unknown) =>
        failures.push(`${manifest.file}: ${(error as Error).message}`),
      );
    }
    expect(failures).toEqual([]);
  });
});
