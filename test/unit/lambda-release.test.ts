import { describe, expect, it, vi } from 'vitest';
import { loadConfig, type ReconcilerConfig } from '../../lambda/config.js';
import { handleInvocation } from '../../lambda/reconciler.js';
import { readOnlyClient } from '../../src/kube/read-only.js';
import { parseEvent, RefusedError } from '../../src/reconciler/event.js';
import { checkRelease } from '../../src/reconciler/release-policy.js';
import { MAX_PAYLOAD_BYTES, type ReleasePayload } from '../../src/reconciler/release.js';
import type { KubeClient } from '../../src/kube/index.js';

const env = {
  THANOS_GITOPS_MODE: 'apply',
  CLUSTER_NAME: 'prod',
  AWS_REGION: 'eu-west-1',
  TARGET_NAMESPACES: 'thanos,thanos-tenants',
  ENVIRONMENT: 'prod',
};

function release(manifests: ReleasePayload['manifests'], overrides: Partial<ReleasePayload> = {}): ReleasePayload {
  return {
    repository: 'acme/observability',
    commit: 'a'.repeat(40),
    actor: 'octocat',
    environment: 'prod',
    manifests,
    ...overrides,
  };
}

const sts = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'thanos-store', namespace: 'thanos' },
  spec: {},
};
const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'thanos-query' }, spec: {} };

describe('function configuration', () => {
  it('reads the environment with defaults', () => {
    const config = loadConfig(env);
    expect(config.mode).toBe('apply');
    expect(config.namespace).toBe('thanos');
    expect(config.policy.allowedKinds).toContain('ServiceMonitor.monitoring.coreos.com');
    expect(config.policy.allowClusterScoped).toBe(false);
    expect(
      loadConfig({ ...env, ALLOWED_KINDS: 'ConfigMap, StatefulSet.apps', ALLOW_CLUSTER_SCOPED: 'true' }).policy,
    ).toMatchObject({ allowedKinds: ['ConfigMap', 'StatefulSet.apps'], allowClusterScoped: true });
  });

  it('names the variable to fix', () => {
    expect(() => loadConfig({ ...env, THANOS_GITOPS_MODE: 'yolo' })).toThrow(
      /THANOS_GITOPS_MODE is 'yolo'; set it to plan or apply/,
    );
    expect(() => loadConfig({ ...env, CLUSTER_NAME: '' })).toThrow(/CLUSTER_NAME is not set/);
    expect(() => loadConfig({ ...env, TARGET_NAMESPACES: ' , ' })).toThrow(/TARGET_NAMESPACES is not set/);
    expect(() => loadConfig({ ...env, ALLOW_CLUSTER_SCOPED: 'maybe' })).toThrow(/ALLOW_CLUSTER_SCOPED is 'maybe'/);
  });

  it("names every variable to fix in one refusal, and takes the SDK's AWS_DEFAULT_REGION when AWS_REGION is absent", () => {
    const { AWS_REGION: _region, ...withoutRegion } = env;
    expect(() =>
      loadConfig({ ...withoutRegion, THANOS_GITOPS_MODE: undefined, CLUSTER_NAME: '', ROTATION_MODE: 'keys' }),
    ).toThrow(
      new RefusedError(
        "function misconfigured: THANOS_GITOPS_MODE is ''; set it to plan or apply; environment variable CLUSTER_NAME is not set; environment variable AWS_REGION is not set; ROTATION_MODE is 'keys'; set it to irsa or accessKeys",
      ),
    );
    expect(loadConfig({ ...withoutRegion, AWS_DEFAULT_REGION: 'us-east-2' }).region).toBe('us-east-2');
  });

  it('is read once, at cold start: a warm container keeps the configuration (or the refusal) it started with', async () => {
    const saved = { ...process.env };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      vi.resetModules();
      delete process.env.THANOS_GITOPS_MODE;
      const { handler } = await import('../../lambda/handler.js');
      await expect(handler({ action: 'reconcile' })).rejects.toThrow(
        /function misconfigured: THANOS_GITOPS_MODE is ''/,
      );
      Object.assign(process.env, env);
      await expect(handler({ action: 'reconcile' })).rejects.toThrow(
        /function misconfigured: THANOS_GITOPS_MODE is ''/,
      );
      const lines = stdout.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
      expect(lines.map((line) => [line.level, line.errorType])).toEqual([
        ['error', 'RefusedError'],
        ['error', 'RefusedError'],
      ]);
    } finally {
      stdout.mockRestore();
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });
});

describe('events', () => {
  it('accepts direct events, the Scheduler fixed input and EventBridge envelopes', () => {
    expect(parseEvent({ action: 'reconcile' })).toEqual({ action: 'reconcile' });
    expect(parseEvent({ action: 'rotate' })).toEqual({ action: 'rotate' });
    expect(
      parseEvent({
        version: '0',
        source: 'aws.scheduler',
        'detail-type': 'Scheduled Event',
        detail: { action: 'rotate' },
      }),
    ).toEqual({ action: 'rotate' });
    expect(parseEvent({ action: 'rollback', revision: 3 })).toEqual({ action: 'rollback', revision: 3 });
    expect(parseEvent({ action: 'apply', release: release([sts]) }).action).toBe('apply');
  });

  it('refuses malformed events with the path of the problem', () => {
    expect(() => parseEvent({ action: 'destroy' })).toThrow(RefusedError);
    expect(() => parseEvent({ action: 'apply', release: release([sts], { commit: 'not-a-sha' }) })).toThrow(
      /release.commit: commit must be a hex git sha/,
    );
    expect(() => parseEvent({ action: 'apply', release: { ...release([sts]), extra: 1 } })).toThrow(/invalid event/);
    expect(() =>
      parseEvent({
        action: 'apply',
        release: release([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } }]),
      }),
    ).toThrow(/release.manifests.0/);
    expect(() => parseEvent({ source: 'aws.scheduler', 'detail-type': 'Scheduled Event', detail: {} })).toThrow(
      /configure the schedule's input as \{"action":"reconcile"\}/,
    );
    expect(() => parseEvent({ action: 'rollback', revision: 0 })).toThrow(/revision/);
  });
});

describe('release policy', () => {
  const policy = loadConfig(env).policy;

  it('fills the home namespace into objects that name none', () => {
    const set = checkRelease(release([sts, svc]), policy);
    expect(set.map((m) => m.object.metadata.namespace)).toEqual(['thanos', 'thanos']);
    expect(set[1]?.file).toBe('thanos-query-service.yaml');
    const withFiles = checkRelease(release([{ file: 'thanos-store-statefulSet.yaml', object: sts }]), policy);
    expect(withFiles[0]?.file).toBe('thanos-store-statefulSet.yaml');
  });

  it('refuses foreign namespaces, disallowed kinds and cluster-scoped objects, naming each', () => {
    const bad = release([
      { ...sts, metadata: { name: 'thanos-store', namespace: 'kube-system' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'pwn' } },
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'miner', namespace: 'thanos' } },
    ]);
    let message = '';
    try {
      checkRelease(bad, policy);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('refused, nothing was applied');
    expect(message).toContain(
      'StatefulSet kube-system/thanos-store (thanos-store-statefulset.yaml): namespace kube-system is not one of the target namespaces (thanos, thanos-tenants)',
    );
    expect(message).toContain('ClusterRoleBinding pwn');
    expect(message).toContain('kind ClusterRoleBinding is not allowed');
    expect(message).toContain('kind CronJob is not allowed');
    const permissive = { ...policy, allowedKinds: [...policy.allowedKinds, 'ClusterRoleBinding'] };
    expect(() =>
      checkRelease(
        release([{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x' } }]),
        permissive,
      ),
    ).toThrow(/cluster-scoped objects are not allowed \(set ALLOW_CLUSTER_SCOPED=true/);
    expect(() =>
      checkRelease(
        release([{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x' } }]),
        { ...permissive, allowClusterScoped: true },
      ),
    ).not.toThrow();
  });

  it('refuses duplicates, another environment and payloads over 6 MB', () => {
    expect(() => checkRelease(release([sts, sts]), policy)).toThrow(/appears twice/);
    expect(() => checkRelease(release([sts], { environment: 'staging' }), policy)).toThrow(
      /environment 'staging' but this function serves 'prod'/,
    );
    const big = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big', namespace: 'thanos' },
      data: { blob: 'x'.repeat(MAX_PAYLOAD_BYTES) },
    };
    expect(() => checkRelease(release([big]), policy)).toThrow(/over Lambda's 6291456-byte synchronous payload limit/);
  });
});

describe('plan mode', () => {
  const config: ReconcilerConfig = loadConfig({ ...env, THANOS_GITOPS_MODE: 'plan' });

  it('refuses every writing action before connecting to the cluster', async () => {
    for (const event of [
      { action: 'apply', release: release([sts]) },
      { action: 'reconcile' },
      { action: 'rotate' },
      { action: 'rollback', revision: 1 },
    ]) {
      let connected = false;
      const outcome = await handleInvocation(event, config, {
        connect: async () => {
          connected = true;
          throw new Error('must not connect');
        },
      });
      expect(outcome.error?.name).toBe('RefusedError');
      expect(outcome.error?.message).toContain('this is a plan function (THANOS_GITOPS_MODE=plan)');
      expect(connected).toBe(false);
      const line = JSON.parse(outcome.logLine) as Record<string, unknown>;
      expect(line).toMatchObject({ level: 'error', action: event.action, mode: 'plan', errorType: 'RefusedError' });
    }
  });

  it('the read-only client throws on any write, even one the engine would send', async () => {
    const sent: string[] = [];
    const fake = {
      async request(method: string, path: string) {
        sent.push(`${method} ${path}`);
        return {};
      },
      async apply(this: KubeClient, object: { kind: string }, options: { dryRun?: boolean }) {
        return (this as unknown as { request: (m: string, p: string, o: unknown) => Promise<unknown> }).request(
          'PATCH',
          `/x/${object.kind}${options.dryRun ? '?fieldManager=m&dryRun=All' : ''}`,
          { dryRun: !!options.dryRun },
        );
      },
    } as unknown as KubeClient;
    const guarded = readOnlyClient(fake);
    await guarded.apply(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
      { fieldManager: 'm', dryRun: true },
    );
    await expect(
      guarded.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }, { fieldManager: 'm' }),
    ).rejects.toThrow(/plan function refused a PATCH of \/x\/ConfigMap/);
    expect(sent).toEqual(['PATCH /x/ConfigMap?fieldManager=m&dryRun=All']);
  });

  it('the read-only client decides by the request sent, not by a dryRun option the caller passes', async () => {
    const sent: string[] = [];
    const fake = {
      async request(method: string, path: string) {
        sent.push(`${method} ${path}`);
        return {};
      },
    } as unknown as KubeClient;
    const guarded = readOnlyClient(fake);
    const raw = (method: string, path: string, options: Record<string, unknown>) =>
      (guarded as unknown as { request: (m: string, p: string, o: unknown) => Promise<unknown> }).request(
        method,
        path,
        options,
      );
    // The attack: a raw DELETE that claims to be a dry-run but whose URL does not ask the server for one.
    await expect(
      raw('DELETE', '/api/v1/namespaces/thanos/secrets/thanos-gitops-ca', {
        object: 'x',
        dryRun: true,
        body: { dryRun: ['All'] },
      }),
    ).rejects.toThrow(/plan function refused a DELETE of \/api\/v1\/namespaces\/thanos\/secrets\/thanos-gitops-ca/);
    await expect(
      raw('POST', '/api/v1/namespaces/thanos/configmaps?dryRun=None', { object: 'x', dryRun: true }),
    ).rejects.toThrow(/refused a POST/);
    await expect(
      raw('PUT', '/api/v1/namespaces/thanos/configmaps/a?fieldManager=dryRun%3DAll', { object: 'x', dryRun: true }),
    ).rejects.toThrow(/refused a PUT/);
    await expect(raw('delete', '/api/v1/namespaces/thanos/configmaps/a', { object: 'x' })).rejects.toThrow(
      /refused a delete/,
    );
    await raw('DELETE', '/api/v1/namespaces/thanos/configmaps/a?dryRun=All', { object: 'x' });
    await raw('GET', '/api/v1/namespaces/thanos/configmaps/a', { object: 'x' });
    expect(sent).toEqual([
      'DELETE /api/v1/namespaces/thanos/configmaps/a?dryRun=All',
      'GET /api/v1/namespaces/thanos/configmaps/a',
    ]);
  });
});
