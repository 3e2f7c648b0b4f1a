/**
 * The bundled reconciler (dist/lambda/index.mjs) carrying out an ordered ingestor ring resize and stopped by its
 * deadline in the middle of it, twice: the release stays `pending` with the step it reached, the Lease is released,
 * and the next invocation with the same release resumes after that step and converges. As on EKS, the function sees
 * the cluster through the EKS-style authenticating proxy (test/helpers/fake-aws.ts) as the apply identity with the
 * shipped Role (src/kube/rbac.ts), and reads the receivers' /metrics through the real kube-apiserver's pod proxy.
 *
 * No kube-controller-manager or kubelet runs here: the test plays them (Pods for each workload's replicas, workload
 * status), and a small HTTP server on this machine's non-loopback address stands in for the receivers' /metrics,
 * answering thanos_receive_config_hash of the live hashrings file as a receiver that loaded it does (Thanos v0.42.4
 * pkg/receive/config.go); what real Thanos does during a resize is proven in thanos-ring-scaling.test.ts. The
 * apiserver proxies only to global unicast pod IPs (Kubernetes v1.34.4 pkg/registry/core/pod/strategy.go), hence
 * the non-loopback address.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseStackConfig } from '../../src/config/index.js';
import { applyManifestSet, KubeClient, LEASE_NAME, ReleaseHistory, SecretReleaseStore } from '../../src/kube/index.js';
import { rbacRules } from '../../src/kube/rbac.js';
import type { KubeObject } from '../../src/model/objects.js';
import { renderStack } from '../../src/render/index.js';
import { ORDER_DONE_ANNOTATION, ORDER_STEPS_ANNOTATION } from '../../src/ring/ring-executor.js';
import { ringConfigHash } from '../../src/thanos/ring-observation.js';
import { bindDeployer, createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import {
  buildBundles,
  runLambdaBundle,
  startEksAuthProxy,
  startFakeAws,
  type EksAuthProxy,
  type FakeAws,
  type FakeCluster,
  type LambdaInvocation,
} from '../helpers/fake-aws.js';

const ROOT = join(import.meta.dirname, '../..');
const ACCOUNT = '111122223333';
const CLUSTER_ACCESS_ROLE = 'arn:aws:iam::444455556666:role/thanos-gitops-cluster-access';
const EXEC = {
  id: 'ASIAAPPLYEXECROLE002',
  secret: 'apply/exec/secret/ORDEREDKEY',
  token: 'IQoJorderedsessiontoken',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-apply/thanos-gitops-apply`,
};
const INGESTOR = 'thanos-receive-ingestor-default';
const ROUTER = 'thanos-receive-router';

let bundle: string;
let aws: FakeAws;
let proxy: EksAuthProxy;
let admin: KubeClient;
let ns: string;
let metricsServer: http.Server;
let metricsPort: number;
let hostIp: string;
const clusters: Record<string, FakeCluster> = {};

/** The kube-controller-manager and kubelet of this test: paused, nothing changes. */
const control = { paused: false, running: true };
/** When set, the stand-in receivers keep answering this hash (they have not loaded a newer file). */
let frozenHash: number | undefined;

function render(namespace: string, ingestors: number) {
  return renderStack(
    parseStackConfig(
      stringify({
        apiVersion: 'thanos-gitops/v1alpha1',
        kind: 'ThanosStack',
        common: {
          namespace,
          version: 'v0.42.4',
          image: 'quay.io/thanos/thanos:v0.42.4',
          objectStorageConfig: { name: 'thanos-objectstorage', key: 'thanos.yaml' },
          hashringConfigMapName: 'hashring-config',
          volumeClaimTemplate: {
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        },
        receiveIngestor: {
          replicas: ingestors,
          replicationFactor: 2,
          hashrings: [{ hashring: 'default', tenants: [] }],
          hashringsFileRefreshInterval: '5s',
        },
        receiveRouter: {
          routerReplicas: 1,
          replicationFactor: 2,
          objectStorageConfig: null,
          hashringsFileRefreshInterval: '5s',
        },
      }),
      'thanos-stack.yaml',
    ),
  );
}

async function liveHash(): Promise<number> {
  const ring = await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'hashring-config' });
  return ringConfigHash(String((ring?.['data'] as Record<string, string> | undefined)?.['hashrings.json'] ?? ''));
}

/** One pass of what the controllers and kubelet would do: Pods for each workload's replicas, Ready; status. */
async function reconcilePods(): Promise<void> {
  for (const [kind, name] of [
    ['StatefulSet', INGESTOR],
    ['Deployment', ROUTER],
  ] as const) {
    const workload = await admin.get({ apiVersion: 'apps/v1', kind, namespace: ns, name });
    if (!workload) continue;
    const spec = workload['spec'] as {
      replicas?: number;
      template: {
        metadata: { labels: Record<string, string> };
        spec: { containers: Array<{ name: string; image?: string }> };
      };
    };
    const want = spec.replicas ?? 1;
    const pods = await admin.list(
      'v1',
      'Pod',
      ns,
      Object.entries(spec.template.metadata.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    );
    for (const pod of pods) {
      const ordinal = Number(pod.metadata.name.slice(name.length + 1));
      if (ordinal >= want)
        await admin.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod.metadata.name });
    }
    for (let ordinal = 0; ordinal < want; ordinal++) {
      const podName = `${name}-${ordinal}`;
      if (pods.some((p) => p.metadata.name === podName)) continue;
      const created = await admin.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: podName, namespace: ns, labels: spec.template.metadata.labels },
        spec: {
          containers: spec.template.spec.containers.map((c) => ({
            name: c.name,
            image: c.image ?? 'thanos',
            ports: [{ name: 'http', containerPort: metricsPort }],
          })),
        },
      });
      await admin.replaceStatus({
        ...created,
        status: {
          phase: 'Running',
          podIP: hostIp,
          podIPs: [{ ip: hostIp }],
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      });
    }
    const status =
      kind === 'StatefulSet'
        ? {
            replicas: want,
            readyReplicas: want,
            currentReplicas: want,
            updatedReplicas: want,
            availableReplicas: want,
            observedGeneration: workload.metadata.generation,
          }
        : {
            replicas: want,
            readyReplicas: want,
            updatedReplicas: want,
            availableReplicas: want,
            observedGeneration: workload.metadata.generation,
          };
    await admin.replaceStatus({ ...workload, status } as KubeObject);
  }
}

async function controllerLoop(): Promise<void> {
  while (control.running) {
    if (!control.paused) await reconcilePods().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function functionEnv(): Record<string, string> {
  return {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: EXEC.id,
    AWS_SECRET_ACCESS_KEY: EXEC.secret,
    AWS_SESSION_TOKEN: EXEC.token,
    AWS_LAMBDA_FUNCTION_NAME: 'thanos-gitops-apply',
    AWS_ENDPOINT_URL: aws.url,
    THANOS_GITOPS_MODE: 'apply',
    CLUSTER_NAME: 'prod',
    CLUSTER_ROLE_ARN: CLUSTER_ACCESS_ROLE,
    TARGET_NAMESPACES: ns,
    ENVIRONMENT: 'prod',
  };
}

function applyEvent(ingestors: number) {
  return {
    action: 'apply',
    release: {
      repository: 'acme/observability',
      commit: 'ab12'.padEnd(40, String(ingestors)),
      actor: 'octocat',
      environment: 'prod',
      manifests: render(ns, ingestors),
    },
  };
}

function progress(outcome: LambdaInvocation): string[] {
  return outcome.logs
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type?: string; message?: string })
    .filter((l) => l.type === 'progress')
    .map((l) => String(l.message));
}

beforeAll(async () => {
  bundle = buildBundles(ROOT).lambda;
  const cluster = testCluster();
  admin = KubeClient.fromFile(cluster.adminKubeconfig);
  ns = await createNamespace(uniqueNamespace('lambda-ordered'));
  // The apply identity's Role as shipped: it includes pods list and pods/proxy get for the ring observations.
  await bindDeployer(ns, rbacRules('apply', ['prod']));
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!address)
    throw new Error(
      'this test needs a non-loopback IPv4 address on this machine: the apiserver proxies only to global unicast pod IPs',
    );
  hostIp = address;
  metricsServer = http.createServer((_req, res) => {
    void (async () => {
      const hash = frozenHash ?? (await liveHash());
      res.end(
        `# TYPE thanos_receive_config_hash gauge\nthanos_receive_config_hash ${hash}\nthanos_receive_config_last_reload_successful 1\n`,
      );
    })().catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => metricsServer.listen(0, hostIp, resolve));
  metricsPort = (metricsServer.address() as AddressInfo).port;
  aws = await startFakeAws({
    accountId: ACCOUNT,
    keys: { [EXEC.id]: { secretAccessKey: EXEC.secret, sessionToken: EXEC.token, arn: EXEC.arn } },
    roles: { [CLUSTER_ACCESS_ROLE]: { trusted: [EXEC.arn] } },
    clusters,
  });
  proxy = await startEksAuthProxy({
    clusterName: 'prod',
    region: 'eu-west-1',
    stsUrl: aws.url,
    upstream: { server: cluster.server, ca: readFileSync(cluster.caFile, 'utf8') },
    identities: [
      {
        arnPrefix: 'arn:aws:sts::444455556666:assumed-role/thanos-gitops-cluster-access/',
        token: cluster.deployerToken,
      },
    ],
  });
  clusters.prod = { endpoint: proxy.url, caData: proxy.caData };
  void controllerLoop();
});

afterAll(async () => {
  control.running = false;
  metricsServer?.close();
  await proxy?.close();
  await aws?.close();
  admin?.close();
});

describe('the Lambda deadline in the middle of an ordered ring resize', () => {
  it('stops at the deadline with the release pending at its step, twice; each next invocation resumes there and the last converges', async () => {
    // The live stack: three ingestors, their ring, all Ready.
    await applyManifestSet(admin, render(ns, 3), { environment: 'prod', namespace: ns });
    const history = new ReleaseHistory(new SecretReleaseStore(admin, ns, 'prod'));
    const ringEndpoints = async () => {
      const ring = await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'hashring-config' });
      return (
        JSON.parse((ring?.['data'] as Record<string, string>)['hashrings.json']!) as Array<{ endpoints: string[] }>
      )[0]!.endpoints.length;
    };
    const replicas = async () =>
      (
        (await admin.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: INGESTOR }))?.['spec'] as {
          replicas: number;
        }
      ).replicas;
    const pending = async () => {
      const releases = (await history.list()).filter((r) => r.status === 'pending');
      expect(releases).toHaveLength(1);
      const annotations = await history.state(releases[0]!.revision);
      const steps = JSON.parse(annotations[ORDER_STEPS_ANNOTATION]!) as Array<{ kind: string }>;
      return {
        revision: releases[0]!.revision,
        done: Number(annotations[ORDER_DONE_ANNOTATION]),
        steps: steps.map((s) => s.kind),
      };
    };
    const leaseReleased = async () => {
      const lease = await admin.get({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: ns,
        name: LEASE_NAME,
      });
      expect((lease?.['spec'] as { holderIdentity?: string } | undefined)?.holderIdentity ?? '').toBe('');
    };
    await expect.poll(async () => (await admin.list('v1', 'Pod', ns)).length, { timeout: 20_000 }).toBe(4);

    // 1. No controller: the fourth ingestor never becomes Ready, and the deadline stops the wait for it.
    control.paused = true;
    const first = await runLambdaBundle(bundle, applyEvent(4), functionEnv(), { timeoutMs: 20_000 });
    expect(first.error, first.logs).toMatchObject({ errorType: 'InterruptedError' });
    expect(first.error!.errorMessage).toMatch(/before the function timeout/);
    const stopped = await pending();
    expect(stopped.steps).toEqual([
      'apply-pinned',
      'scale-up',
      'await-ready',
      'publish-ring',
      'await-ring-loaded',
      'apply-final',
    ]);
    expect(stopped.done).toBe(1); // scale-up done, stopped while waiting in await-ready
    expect(progress(first).some((line) => line.startsWith('step 3/6 await-ready:'))).toBe(true);
    expect(await replicas()).toBe(4);
    expect(await ringEndpoints()).toBe(3); // the ring still names only running pods
    await leaseReleased();

    // 2. The controller runs again, but the receivers do not load the new file: stopped in await-ring-loaded.
    control.paused = false;
    frozenHash = await liveHash();
    const second = await runLambdaBundle(bundle, applyEvent(4), functionEnv(), { timeoutMs: 20_000 });
    expect(second.error, second.logs).toMatchObject({ errorType: 'InterruptedError' });
    expect(progress(second)).toContain(
      `resuming the ordered apply of release revision ${stopped.revision} after step 2/6`,
    );
    expect(progress(second).some((line) => line.startsWith('step 1/6') || line.startsWith('step 2/6'))).toBe(false);
    const stoppedAgain = await pending();
    expect(stoppedAgain).toMatchObject({ revision: stopped.revision, done: 3 }); // publish-ring done
    expect(await ringEndpoints()).toBe(4);
    await leaseReleased();

    // 3. The receivers load the ring: the next invocation resumes at await-ring-loaded and converges.
    frozenHash = undefined;
    const third = await runLambdaBundle(bundle, applyEvent(4), functionEnv());
    expect(third.error, third.logs).toBeUndefined();
    expect(progress(third)).toContain(
      `resuming the ordered apply of release revision ${stopped.revision} after step 4/6`,
    );
    expect(
      progress(third)
        .filter((line) => /^step \d\/6 \S+:/.test(line))
        .map((line) => line.split(':')[0]),
    ).toEqual(['step 5/6 await-ring-loaded', 'step 6/6 apply-final']);
    const releases = await history.list();
    expect(releases.filter((r) => r.status === 'pending')).toEqual([]);
    expect(releases.find((r) => r.revision === stopped.revision)?.status).toBe('superseded');
    expect(releases.at(-1)?.status).toBe('deployed');
    expect(await replicas()).toBe(4);
    expect(await ringEndpoints()).toBe(4);
    await leaseReleased();
    process.stderr.write(
      `Lambda ordered resize: stopped after step ${stopped.done + 1}/6 and after step ${stoppedAgain.done + 1}/6, converged on the third invocation\n`,
    );
  }, 180_000);
});
