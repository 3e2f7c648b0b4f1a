// KubeClient at the HTTP level: a local node:http server stands in for the apiserver's wire shapes (the e2e tests
// run the same client against a real kube-apiserver).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient, KubeConnectionError } from '../../src/kube/index.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Handler = (req: Seen, res: http.ServerResponse) => void;

const CORE_V1 = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    { name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['get', 'list', 'patch'] },
    { name: 'secrets', namespaced: true, kind: 'Secret', verbs: ['get', 'list', 'patch'] },
    { name: 'namespaces', namespaced: false, kind: 'Namespace', verbs: ['get'] },
  ],
};
const APPS_V1 = {
  kind: 'APIResourceList',
  groupVersion: 'apps/v1',
  resources: [
    { name: 'statefulsets', namespaced: true, kind: 'StatefulSet', verbs: ['get', 'patch'] },
    { name: 'statefulsets/status', namespaced: true, kind: 'StatefulSet', verbs: ['get', 'put'] },
  ],
};

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function fakeApiserver(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      res.setHeader('Content-Type', 'application/json');
      if (entry.url === '/api/v1') return void res.end(JSON.stringify(CORE_V1));
      if (entry.url === '/apis/apps/v1') return void res.end(JSON.stringify(APPS_V1));
      handler(entry, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function kubeConfig(server: string, token?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node refuses plain http unless TLS verification is off; the real TLS path runs in the e2e tests.
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [token ? { name: 'u', token } : { name: 'u' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

function status(res: http.ServerResponse, code: number, body: object, headers: Record<string, string> = {}) {
  res.statusCode = code;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, ...body }));
}

describe('KubeClient', () => {
  it('sends the apply body byte-for-byte as JSON with the apply-patch content type, field manager and force', async () => {
    const { url, seen } = await fakeApiserver((req, res) => res.end(req.body));
    const client = KubeClient.fromKubeConfig(kubeConfig(url, 'static-token'));
    const object = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'thanos-store', namespace: 'thanos' },
      spec: {
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' },
        minReadySeconds: 5,
        futureFieldNoModelKnows: { nested: [1, 2] },
      },
    };
    const result = await client.apply(object, { fieldManager: 'thanos-gitops', force: true });
    const patch = seen.find((s) => s.method === 'PATCH');
    expect(patch?.url).toBe(
      '/apis/apps/v1/namespaces/thanos/statefulsets/thanos-store?fieldManager=thanos-gitops&force=true',
    );
    expect(patch?.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(patch?.headers.authorization).toBe('Bearer static-token');
    expect(JSON.parse(patch?.body ?? '')).toEqual(object);
    expect(result).toEqual(object);
    expect(client.writeCount).toBe(1);
    client.close();
  });

  it('marks dry-runs and does not count them as writes', async () => {
    const { url, seen } = await fakeApiserver((req, res) => res.end(req.body));
    const client = KubeClient.fromKubeConfig(kubeConfig(url, 't'));
    await client.apply(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n' } },
      { fieldManager: 'x', dryRun: true },
    );
    expect(seen.at(-1)?.url).toContain('dryRun=All');
    expect(client.writeCount).toBe(0);
    client.close();
  });

  it('asks the token provider on every request, so a refreshed token is used', async () => {
    const { url, seen } = await fakeApiserver((_req, res) =>
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } })),
    );
    let n = 0;
    const client = KubeClient.fromKubeConfig(kubeConfig(url), { tokenProvider: async () => `token-${++n}` });
    await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'a' });
    await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'a' });
    const auths = seen.filter((s) => s.url.startsWith('/api/v1/namespaces')).map((s) => s.headers.authorization);
    expect(auths).toEqual(['Bearer token-2', 'Bearer token-3']);
    client.close();
  });

  it('uses authenticators added with kc.addAuthenticator', async () => {
    const { url, seen } = await fakeApiserver((_req, res) => res.end('{"items":[]}'));
    const kc = kubeConfig(url);
    let minted = 0;
    kc.addAuthenticator({
      isAuthProvider: () => true,
      applyAuthentication: async (_user, opts) => {
        opts.headers = { ...(opts.headers ?? {}), Authorization: `Bearer minted-${++minted}` };
      },
    });
    const client = KubeClient.fromKubeConfig(kc);
    await client.list('v1', 'ConfigMap', 'n');
    await client.list('v1', 'ConfigMap', 'n');
    expect(seen.at(-1)?.headers.authorization).toBe(`Bearer minted-${minted}`);
    expect(minted).toBeGreaterThanOrEqual(2);
    client.close();
  });

  it('returns undefined for 404 on get and names the object in other errors', async () => {
    const { url } = await fakeApiserver((req, res) => {
      if (req.method === 'GET') return status(res, 404, { reason: 'NotFound', message: 'not found' });
      status(res, 403, {
        reason: 'Forbidden',
        message: 'configmaps "a" is forbidden: User "deployer" cannot patch resource "configmaps"',
      });
    });
    const client = KubeClient.fromKubeConfig(kubeConfig(url, 't'));
    expect(await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'a' })).toBeUndefined();
    const error = await client
      .apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n' } }, { fieldManager: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(403);
    expect((error as KubeApiError).object).toBe('ConfigMap n/a');
    expect((error as Error).message).toMatch(/^ConfigMap n\/a: configmaps "a" is forbidden.*\(HTTP 403 Forbidden\)$/);
    client.close();
  });

  it('parses server-side apply conflicts into field and manager', async () => {
    const { url } = await fakeApiserver((_req, res) =>
      status(res, 409, {
        reason: 'Conflict',
        message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas',
        details: {
          causes: [
            {
              reason: 'FieldManagerConflict',
              message: 'conflict with "kubectl-edit" using apps/v1',
              field: '.spec.replicas',
            },
          ],
        },
      }),
    );
    const client = KubeClient.fromKubeConfig(kubeConfig(url, 't'));
    const error = (await client
      .apply(
        { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's', namespace: 'n' } },
        { fieldManager: 'x' },
      )
      .catch((e: unknown) => e)) as KubeApiError;
    expect(error.conflicts).toEqual([
      { field: '.spec.replicas', manager: 'kubectl-edit', message: 'conflict with "kubectl-edit" using apps/v1' },
    ]);
    client.close();
  });

  it('retries 429 (honouring Retry-After) and 5xx, then succeeds', async () => {
    let calls = 0;
    const { url } = await fakeApiserver((_req, res) => {
      calls++;
      if (calls === 1)
        return status(res, 429, { reason: 'TooManyRequests', message: 'slow down' }, { 'Retry-After': '0' });
      if (calls === 2) return status(res, 503, { reason: 'ServiceUnavailable', message: 'etcd down' });
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }));
    });
    const client = KubeClient.fromKubeConfig(kubeConfig(url, 't'), { retry: { baseDelayMs: 1, maxDelayMs: 5 } });
    expect((await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'a' }))?.metadata.name).toBe(
      'a',
    );
    expect(calls).toBe(3);
    client.close();
  });

  it('gives up on a dead server with an error naming the object', async () => {
    const { url } = await fakeApiserver(() => undefined);
    const client = KubeClient.fromKubeConfig(kubeConfig(url, 't'), {
      retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    await client.resource('v1', 'ConfigMap');
    await Promise.all(
      servers.splice(0).map(
        (s) =>
          new Promise((resolve) => {
            s.closeAllConnections();
            s.close(resolve);
          }),
      ),
    );
    const error = await client
      .get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'gone' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeConnectionError);
    expect((error as Error).message).toMatch(/^ConfigMap n\/gone: cannot reach the Kubernetes API \(ECONNREFUSED\)/);
    expect(client.requests.filter((r) => r.status === 0)).toHaveLength(3);
    client.close();
  });

  it('retries a request the server never answers only once, then names the object', async () => {
    const { url, seen } = await fakeApiserver(() => undefined);
    const client = KubeClient.fromKubeConfig(kubeConfig(url, 't'), {
      timeoutMs: 100,
      retry: { retries: 5, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const error = await client
      .apply(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stuck', namespace: 'n' } },
        { fieldManager: 'x' },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeConnectionError);
    expect((error as Error).message).toMatch(/^ConfigMap n\/stuck: cannot reach the Kubernetes API \(ETIMEDOUT\)/);
    expect(seen.filter((s) => s.method === 'PATCH')).toHaveLength(2);
    client.close();
  });

  it('scrubs values a Secret validation error echoes', async () => {
    const planted = 'hunter2-planted-value';
    const { url } = await fakeApiserver((_req, res) =>
      status(res, 422, {
        reason: 'Invalid',
        message: `Secret "s" is invalid: metadata.annotations: Invalid value: "${planted}": bad`,
        details: {
          causes: [
            { reason: 'FieldValueInvalid', message: `Invalid value: "${planted}": bad`, field: 'metadata.annotations' },
          ],
        },
      }),
    );
    const client = KubeClient.fromKubeConfig(kubeConfig(url, 't'));
    const error = (await client
      .apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' } }, { fieldManager: 'x' })
      .catch((e: unknown) => e)) as KubeApiError;
    expect(error.message).toContain('Invalid value: <redacted>');
    expect(JSON.stringify({ message: error.message, causes: error.causes })).not.toContain(planted);
    client.close();
  });

  it('discovers plurals and scope, lists with label selectors and follows continue tokens', async () => {
    const { url, seen } = await fakeApiserver((req, res) => {
      const continueToken = new URL(req.url, 'http://x').searchParams.get('continue');
      if (req.url.startsWith('/apis/')) return status(res, 404, { reason: 'NotFound', message: 'not found' });
      if (!continueToken)
        return void res.end(JSON.stringify({ items: [{ metadata: { name: 'a' } }], metadata: { continue: 'next' } }));
      res.end(JSON.stringify({ items: [{ metadata: { name: 'b' } }], metadata: {} }));
    });
    const client = KubeClient.fromKubeConfig(kubeConfig(url, 't'));
    expect(await client.resource('apps/v1', 'StatefulSet')).toEqual({
      plural: 'statefulsets',
      namespaced: true,
      verbs: ['get', 'patch'],
      subresources: ['status'],
    });
    expect(await client.isServed('monitoring.coreos.com/v1', 'ServiceMonitor')).toBe(false);
    const items = await client.list('v1', 'ConfigMap', 'n', 'applyset.kubernetes.io/part-of=x');
    expect(items.map((i) => [i.kind, i.apiVersion, i.metadata.name])).toEqual([
      ['ConfigMap', 'v1', 'a'],
      ['ConfigMap', 'v1', 'b'],
    ]);
    expect(seen.filter((s) => s.url.startsWith('/api/v1/namespaces/n/configmaps'))[0]?.url).toBe(
      '/api/v1/namespaces/n/configmaps?limit=500&labelSelector=applyset.kubernetes.io%2Fpart-of%3Dx',
    );
    client.close();
  });
});
