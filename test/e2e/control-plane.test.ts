/**
 * Proves the e2e control plane is a real Kubernetes API server, driven with the real kubectl: its version,
 * server-side apply with field ownership and conflicts, the ServiceMonitor CRD with schema validation, RBAC
 * for the deployer identity, and durability across a crash (SIGKILL) and restart.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  adminAccess,
  bindDeployer,
  createNamespace,
  deployerAccess,
  testCluster,
  uniqueNamespace,
} from '../helpers/cluster.js';
import {
  apiserverDir,
  KubeRequestError,
  kubeRequest,
  runKubectl,
  startControlPlane,
  type ControlPlane,
} from '../helpers/control-plane.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const goldenServiceMonitor = path.join(repoRoot, '../shared/kube-thanos/example/thanos-query-serviceMonitor.yaml');

interface ManagedField {
  manager: string;
  operation: string;
}
interface ConfigMap {
  metadata: { name: string; namespace: string; managedFields?: ManagedField[] };
  data?: Record<string, string>;
}

async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  return await runKubectl(['--kubeconfig', kubeconfig, ...args], input);
}

/** Resolves with the rejection of `promise` (which must reject). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}

function configMap(namespace: string, name: string, data: Record<string, string>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
}

describe('the e2e control plane', () => {
  const cluster = testCluster();
  let namespace: string;
  let otherNamespace: string;

  beforeAll(async () => {
    namespace = await createNamespace(uniqueNamespace('control-plane'));
    otherNamespace = await createNamespace(uniqueNamespace('control-plane-other'));
  });

  it('reports the real Kubernetes release to kubectl version', async () => {
    const output = JSON.parse(await kubectl(cluster.adminKubeconfig, ['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string; major: string; minor: string };
    };
    expect(output.serverVersion.gitVersion).toBe(cluster.version);
    expect(output.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    if (cluster.kind === 'test-apiserver') {
      const goMod = await readFile(path.join(apiserverDir, 'go.mod'), 'utf8');
      const pinned = /^\s*k8s\.io\/kubernetes (v1\.\d+\.\d+)\s*$/m.exec(goMod)?.[1];
      expect(output.serverVersion.gitVersion).toBe(pinned);
      expect(`v${output.serverVersion.major}.${output.serverVersion.minor}`).toBe(
        pinned?.split('.').slice(0, 2).join('.'),
      );
    }
  });

  it('server-side applies a ConfigMap with kubectl, records the field manager and refuses a conflicting owner', async () => {
    const applied = await kubectl(
      cluster.adminKubeconfig,
      ['apply', '--server-side', '-f', '-'],
      configMap(namespace, 'settings', { retention: '15d' }),
    );
    expect(applied).toContain('configmap/settings serverside-applied');

    const stored = (await kubeRequest(
      adminAccess(),
      'GET',
      `/api/v1/namespaces/${namespace}/configmaps/settings`,
    )) as ConfigMap;
    expect(stored.data).toEqual({ retention: '15d' });
    expect(stored.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'kubectl', operation: 'Apply' }),
    );

    // A second manager claiming the same field with another value conflicts, as on any real cluster.
    const conflict = await rejectionOf(
      kubectl(
        cluster.adminKubeconfig,
        ['apply', '--server-side', '--field-manager=other-tool', '-f', '-'],
        configMap(namespace, 'settings', { retention: '30d' }),
      ),
    );
    expect(conflict.message).toMatch(/conflict/i);
    expect(conflict.message).toContain('kubectl');

    // Re-applying the same intent is a no-op for the owner and leaves the value alone.
    await kubectl(
      cluster.adminKubeconfig,
      ['apply', '--server-side', '-f', '-'],
      configMap(namespace, 'settings', { retention: '15d' }),
    );
    const after = (await kubeRequest(
      adminAccess(),
      'GET',
      `/api/v1/namespaces/${namespace}/configmaps/settings`,
    )) as ConfigMap;
    expect(after.data).toEqual({ retention: '15d' });
  });

  it('serves the ServiceMonitor CRD: the kube-thanos golden applies, and schema violations are refused', async () => {
    const resources = await kubectl(cluster.adminKubeconfig, [
      'api-resources',
      '--api-group=monitoring.coreos.com',
      '-o',
      'name',
    ]);
    expect(resources.split('\n')).toContain('servicemonitors.monitoring.coreos.com');

    const golden = parseYaml(await readFile(goldenServiceMonitor, 'utf8')) as {
      metadata: { namespace?: string; name: string };
      spec: unknown;
    };
    golden.metadata.namespace = namespace;
    const applied = await kubectl(
      cluster.adminKubeconfig,
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify(golden),
    );
    expect(applied).toContain(`servicemonitor.monitoring.coreos.com/${golden.metadata.name} serverside-applied`);

    const listed = JSON.parse(
      await kubectl(cluster.adminKubeconfig, ['get', 'smon', '-n', namespace, '-o', 'json']),
    ) as {
      items: { metadata: { name: string }; spec: unknown }[];
    };
    expect(listed.items.map((item) => item.metadata.name)).toEqual([golden.metadata.name]);
    expect(listed.items[0]?.spec).toEqual(golden.spec);

    // Structural errors fail while building the apply patch; value errors fail OpenAPI validation.
    const wrongType = {
      ...golden,
      metadata: { name: 'wrong-type', namespace },
      spec: { endpoints: 'http', selector: {} },
    };
    const notAList = await rejectionOf(
      kubectl(cluster.adminKubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify(wrongType)),
    );
    expect(notAList.message).toMatch(/\.spec\.endpoints: expected list/);
    const badValues = {
      ...golden,
      metadata: { name: 'bad-values', namespace },
      spec: { endpoints: [{ port: 'http', interval: '5 minutes' }] },
    };
    const refused = await rejectionOf(
      kubectl(cluster.adminKubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify(badValues)),
    );
    expect(refused.message).toContain('spec.endpoints[0].interval: Invalid value: "5 minutes"');
    expect(refused.message).toContain('spec.selector: Required value');
  });

  it('lets the deployer do only what a Role in its namespace grants (RBAC)', async () => {
    await bindDeployer(namespace, [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'patch'] },
    ]);

    const created = await kubectl(
      cluster.deployerKubeconfig,
      ['apply', '--server-side', '-f', '-'],
      configMap(namespace, 'deployer-owned', { a: 'b' }),
    );
    expect(created).toContain('configmap/deployer-owned serverside-applied');

    // Same verb, another namespace: no binding there.
    const elsewhere = await rejectionOf(
      kubectl(
        cluster.deployerKubeconfig,
        ['apply', '--server-side', '-f', '-'],
        configMap(otherNamespace, 'deployer-owned', { a: 'b' }),
      ),
    );
    expect(elsewhere.message).toMatch(/forbidden/i);
    expect(elsewhere.message).toContain(cluster.deployer.username);

    // Same namespace, a resource the Role does not list.
    const secrets = await rejectionOf(kubeRequest(deployerAccess(), 'GET', `/api/v1/namespaces/${namespace}/secrets`));
    expect(secrets).toBeInstanceOf(KubeRequestError);
    expect((secrets as KubeRequestError).status).toBe(403);
    expect((secrets as KubeRequestError).reason).toBe('Forbidden');

    // Cluster-scoped reads are not granted either.
    const namespaces = await rejectionOf(kubeRequest(deployerAccess(), 'GET', '/api/v1/namespaces'));
    expect((namespaces as KubeRequestError).status).toBe(403);

    const canI = (
      await kubectl(cluster.deployerKubeconfig, ['auth', 'can-i', 'patch', 'configmaps', '-n', namespace])
    ).trim();
    expect(canI).toBe('yes');
  });
});

interface TokenReview {
  apiVersion: string;
  kind: string;
  spec: { token: string };
}

/**
 * A TokenReview webhook on 127.0.0.1, the shape in which EKS authenticates `k8s-aws-v1.` tokens
 * (aws-iam-authenticator): the apiserver asks it about every bearer token its own authenticators do not know.
 */
async function startTokenWebhook(tokens: Record<string, { username: string; groups: string[] }>) {
  const reviewed: string[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TokenReview;
      reviewed.push(review.spec.token);
      const user = tokens[review.spec.token];
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          apiVersion: review.apiVersion,
          kind: 'TokenReview',
          status: user
            ? { authenticated: true, user: { username: user.username, uid: user.username, groups: user.groups } }
            : { authenticated: false },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/authenticate`;
  return { url, reviewed, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('a private control plane', () => {
  const webhookToken = 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9uPUdldENhbGxlcklkZW50aXR5';
  let controlPlane: ControlPlane;
  let webhook: Awaited<ReturnType<typeof startTokenWebhook>>;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'thanos-gitops-webhook-'));
    webhook = await startTokenWebhook({
      [webhookToken]: {
        username: 'arn:aws:iam::111122223333:role/gitops-deployer',
        groups: ['thanos-gitops:deployers'],
      },
    });
    const webhookConfig = path.join(dir, 'token-webhook.kubeconfig');
    await writeFile(
      webhookConfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'authenticator', cluster: { server: webhook.url } }],
        users: [{ name: 'apiserver', user: {} }],
        contexts: [{ name: 'webhook', context: { cluster: 'authenticator', user: 'apiserver' } }],
        'current-context': 'webhook',
      }),
    );
    // Its own server and data dir, so crashing it leaves the shared one untouched.
    controlPlane = await startControlPlane({
      extraArgs: [
        `--authentication-token-webhook-config-file=${webhookConfig}`,
        '--authentication-token-webhook-version=v1',
      ],
    });
  }, 240_000);

  afterAll(async () => {
    await controlPlane?.stop();
    await webhook?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps its objects, tokens and CRDs across SIGKILL and restart', async () => {
    const admin = { server: controlPlane.server, caFile: controlPlane.caFile, token: controlPlane.adminToken };
    await kubectl(controlPlane.adminKubeconfig, ['create', 'namespace', 'durable']);
    await kubectl(
      controlPlane.adminKubeconfig,
      ['apply', '--server-side', '-f', '-'],
      configMap('durable', 'state', { generation: '1' }),
    );
    const before = (await kubeRequest(admin, 'GET', '/api/v1/namespaces/durable/configmaps/state')) as ConfigMap & {
      metadata: { uid: string };
    };

    await controlPlane.kill();
    const down = await rejectionOf(kubeRequest(admin, 'GET', '/readyz'));
    expect((down as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');

    await controlPlane.restart();
    const after = (await kubeRequest(admin, 'GET', '/api/v1/namespaces/durable/configmaps/state')) as ConfigMap & {
      metadata: { uid: string };
    };
    expect(after.data).toEqual({ generation: '1' });
    expect(after.metadata.uid).toBe(before.metadata.uid);
    // Same port, same serving certificate and tokens: the kubeconfig written at first start still works.
    const resources = await kubectl(controlPlane.adminKubeconfig, [
      'api-resources',
      '--api-group=monitoring.coreos.com',
      '-o',
      'name',
    ]);
    expect(resources).toContain('servicemonitors.monitoring.coreos.com');
    await kubectl(
      controlPlane.adminKubeconfig,
      ['apply', '--server-side', '-f', '-'],
      configMap('durable', 'state', { generation: '2' }),
    );
    const updated = (await kubeRequest(admin, 'GET', '/api/v1/namespaces/durable/configmaps/state')) as ConfigMap;
    expect(updated.data).toEqual({ generation: '2' });
  }, 240_000);

  it('passes kube-apiserver flags through (kept across restart): a token webhook authenticates an EKS-style identity', async () => {
    const asWebhookUser = { server: controlPlane.server, caFile: controlPlane.caFile, token: webhookToken };
    const review = (await kubeRequest(asWebhookUser, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    })) as { status: { userInfo: { username: string; groups: string[] } } };
    expect(review.status.userInfo.username).toBe('arn:aws:iam::111122223333:role/gitops-deployer');
    expect(review.status.userInfo.groups).toEqual(
      expect.arrayContaining(['thanos-gitops:deployers', 'system:authenticated']),
    );
    expect(webhook.reviewed).toContain(webhookToken);

    // Authenticated is not authorized: no binding names this identity yet.
    const forbidden = await rejectionOf(kubeRequest(asWebhookUser, 'GET', '/api/v1/namespaces/durable/configmaps'));
    expect((forbidden as KubeRequestError).status).toBe(403);
    // A token the webhook does not know is unauthenticated.
    const unknown = await rejectionOf(
      kubeRequest({ ...asWebhookUser, token: 'k8s-aws-v1.unknown' }, 'GET', '/api/v1/namespaces'),
    );
    expect((unknown as KubeRequestError).status).toBe(401);
    // Static tokens never reach the webhook: the apiserver's own token file answers first.
    expect(webhook.reviewed).not.toContain(controlPlane.adminToken);
  });

  it('never writes its tokens to its log', async () => {
    const log = await readFile(path.join(controlPlane.dataDir, 'apiserver.log'), 'utf8');
    expect(log.length).toBeGreaterThan(0);
    for (const token of [controlPlane.adminToken, controlPlane.deployerToken, webhookToken]) {
      expect(log).not.toContain(token);
      expect(log).not.toContain(Buffer.from(token).toString('base64'));
    }
  });
});

describe('startControlPlane failures are loud, never skips', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'thanos-gitops-broken-apiserver-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names a missing binary and says how to build one', async () => {
    const error = await rejectionOf(startControlPlane({ binary: path.join(dir, 'no-such-kube-apiserver') }));
    expect(error.message).toContain('no-such-kube-apiserver is not an executable file');
    expect(error.message).toContain('bash test/apiserver/build.sh');
  });

  it('reports the exit and the last lines of stderr when the server dies during start-up', async () => {
    const binary = path.join(dir, 'dies.sh');
    await writeFile(
      binary,
      '#!/bin/sh\necho "starting" >&2\necho "listen tcp 127.0.0.1:6443: bind: address already in use" >&2\nexit 3\n',
      { mode: 0o755 },
    );
    const dataDir = path.join(dir, 'dies-data');
    const error = await rejectionOf(startControlPlane({ binary, dataDir }));
    expect(error.message).toContain('did not become ready: it exited with code 3');
    expect(error.message).toContain('bind: address already in use');
    expect(error.message).toContain(path.join(dataDir, 'apiserver.log'));
    expect(error.message).toContain('bash test/apiserver/build.sh');
  });

  it('gives up on a server that never becomes ready, and kills it', async () => {
    const pidFile = path.join(dir, 'hangs.pid');
    const binary = path.join(dir, 'hangs.sh');
    await writeFile(binary, `#!/bin/sh\necho $$ > ${pidFile}\necho "waiting for etcd" >&2\nexec sleep 600\n`, {
      mode: 0o755,
    });
    const error = await rejectionOf(
      startControlPlane({ binary, dataDir: path.join(dir, 'hangs-data'), readyTimeoutMs: 1500 }),
    );
    expect(error.message).toContain('/readyz was not ok within 1.5s');
    expect(error.message).toContain('waiting for etcd');
    const pid = Number(await readFile(pidFile, 'utf8'));
    await expect.poll(() => isAlive(pid)).toBe(false);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
