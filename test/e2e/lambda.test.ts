/**
 * The bundled reconciler (dist/lambda/index.mjs, built by scripts/build.mjs) loaded as the Lambda Node.js runtime
 * loads it, in a fresh process per invocation, against the real test kube-apiserver. AWS is the local stand-in
 * (test/helpers/fake-aws.ts) reached by the real SDK clients over HTTP: STS AssumeRole into the cluster-access role,
 * EKS DescribeCluster. The apiserver cannot validate EKS tokens, so it sits behind an EKS-style authenticating proxy
 * that accepts only `k8s-aws-v1.` tokens, replays them against the fake STS with its own cluster id, and maps the
 * caller's role to the RBAC-limited deployer identity (the access entry + RoleBinding infra/ creates).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createEksToken } from '../../src/kube/eks-token.js';
import type { KubeObject, Manifest } from '../../src/manifests/types.js';
import { bindDeployer, createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { buildBundles, runLambdaBundle, startEksAuthProxy, startFakeAws, type EksAuthProxy, type FakeAws, type FakeCluster, type LambdaInvocation } from '../helpers/fake-aws.js';

const ROOT = join(import.meta.dirname, '../..');
const GOLDEN = join(ROOT, '../shared/kube-thanos/example');
const ACCOUNT = '111122223333';
const CLUSTER_ACCESS_ROLE = 'arn:aws:iam::444455556666:role/thanos-gitops-cluster-access';
const PLANTED = 'planted-s3-secret-9f8e7d6c5b4a';
const EXEC_KEYS = {
  apply: { id: 'ASIAAPPLYEXECROLE001', secret: 'apply/exec/secret/EXAMPLEKEY', token: 'IQoJapplyexecsessiontoken', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-apply/thanos-gitops-apply` },
  plan: { id: 'ASIAPLANEXECROLE0001', secret: 'plan/exec/secret/EXAMPLEKEY', token: 'IQoJplanexecsessiontoken', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-plan/thanos-gitops-plan` },
};

let bundle: string;
let aws: FakeAws;
let proxy: EksAuthProxy;
let ns: string;
const clusters: Record<string, FakeCluster> = {};
const invocations: LambdaInvocation[] = [];

function kubectl(...args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', testCluster().adminKubeconfig, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function goldenManifests(namespace: string): Manifest[] {
  const manifests = readdirSync(GOLDEN)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const object = parse(readFileSync(join(GOLDEN, file), 'utf8')) as KubeObject;
      object.metadata.namespace = namespace;
      return { file, object };
    });
  manifests.push({
    file: 'thanos-objectstorage-secret.yaml',
    object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'thanos-objectstorage', namespace }, type: 'Opaque', stringData: { 'thanos.yaml': `type: S3\nconfig:\n  bucket: thanos\n  secret_key: ${PLANTED}\n` } },
  });
  return manifests;
}

function release(manifests: unknown[], commit = 'c0ffee'.padEnd(40, '0')) {
  return { repository: 'acme/observability', commit, actor: 'octocat', environment: 'prod', manifests };
}

async function invoke(mode: 'plan' | 'apply', event: unknown): Promise<LambdaInvocation> {
  const key = EXEC_KEYS[mode];
  const outcome = await runLambdaBundle(bundle, event, {
    // What Lambda puts in a function's environment, then what infra/ sets.
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: key.id,
    AWS_SECRET_ACCESS_KEY: key.secret,
    AWS_SESSION_TOKEN: key.token,
    AWS_LAMBDA_FUNCTION_NAME: `thanos-gitops-${mode}`,
    AWS_ENDPOINT_URL: aws.url,
    THANOS_GITOPS_MODE: mode,
    CLUSTER_NAME: 'prod',
    CLUSTER_ROLE_ARN: CLUSTER_ACCESS_ROLE,
    TARGET_NAMESPACES: ns,
    ENVIRONMENT: 'prod',
  });
  invocations.push(outcome);
  return outcome;
}

function liveNames(): string[] {
  const out = kubectl('get', 'serviceaccounts,configmaps,services,statefulsets,deployments,servicemonitors,secrets', '-n', ns, '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}');
  return out.split('\n').filter((line) => line && !line.startsWith('ServiceAccount/default') && !line.startsWith('ConfigMap/kube-root-ca.crt')).sort();
}

beforeAll(async () => {
  bundle = buildBundles(ROOT).lambda;
  const cluster = testCluster();
  ns = await createNamespace(uniqueNamespace('lambda'));
  // What the apply identity gets in its namespace (src/kube/rbac.ts ships the same verbs).
  await bindDeployer(ns, [
    { apiGroups: [''], resources: ['configmaps', 'secrets', 'services', 'serviceaccounts'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] },
    { apiGroups: ['apps'], resources: ['statefulsets', 'deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] },
    { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] },
    { apiGroups: ['monitoring.coreos.com'], resources: ['servicemonitors'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] },
  ]);
  aws = await startFakeAws({
    accountId: ACCOUNT,
    keys: Object.fromEntries(Object.values(EXEC_KEYS).map((k) => [k.id, { secretAccessKey: k.secret, sessionToken: k.token, arn: k.arn }])),
    roles: { [CLUSTER_ACCESS_ROLE]: { trusted: [EXEC_KEYS.apply.arn, EXEC_KEYS.plan.arn] } },
    clusters,
  });
  proxy = await startEksAuthProxy({
    clusterName: 'prod',
    region: 'eu-west-1',
    stsUrl: aws.url,
    upstream: { server: cluster.server, ca: readFileSync(cluster.caFile, 'utf8') },
    identities: [{ arnPrefix: 'arn:aws:sts::444455556666:assumed-role/thanos-gitops-cluster-access/', token: cluster.deployerToken }],
  });
  clusters.prod = { endpoint: proxy.url, caData: proxy.caData };
});

afterAll(async () => {
  await proxy?.close();
  await aws?.close();
});

describe('reconciler Lambda bundle', () => {
  it('plan: authenticates with an EKS token minted from the assumed cluster-access role and never writes', async () => {
    const before = liveNames();
    const outcome = await invoke('plan', { action: 'plan', release: release(goldenManifests(ns)) });
    expect(outcome.error).toBeUndefined();
    const result = outcome.result as { applied: number; pruned: number; report: string; diff: { counts: { added: number } }; writes: number; mode: string };
    expect(result.mode).toBe('plan');
    expect(result.diff.counts.added).toBe(17);
    expect(result.applied).toBe(17);
    expect(result.writes).toBe(0);
    expect(result.report).toContain('thanos-gitops plan for `prod`');
    expect(liveNames()).toEqual(before);

    // The AWS side: AssumeRole signed by the execution role, DescribeCluster signed by the assumed role.
    const assume = aws.calls.find((c) => c.operation === 'AssumeRole');
    expect(assume).toMatchObject({ accessKeyId: EXEC_KEYS.plan.id, status: 200, params: { RoleArn: CLUSTER_ACCESS_ROLE, RoleSessionName: 'thanos-gitops-reconciler' } });
    const describe = aws.calls.find((c) => c.operation === 'DescribeCluster');
    expect(describe?.status).toBe(200);
    expect(describe?.accessKeyId).toMatch(/^ASIA/);
    expect(describe?.accessKeyId).not.toBe(EXEC_KEYS.plan.id);

    // The token: what aws-iam-authenticator accepts, checked by replaying it against STS with the cluster id.
    expect(proxy.checks.length).toBeGreaterThan(0);
    for (const check of proxy.checks) {
      expect(check.ok, check.reason).toBe(true);
      const url = new URL(check.url);
      expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
      expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
      expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
      expect(url.searchParams.get('X-Amz-Security-Token')).toBeTruthy();
      expect(check.arn).toBe('arn:aws:sts::444455556666:assumed-role/thanos-gitops-cluster-access/thanos-gitops-reconciler');
    }
    const replays = aws.calls.filter((c) => c.operation === 'GetCallerIdentity');
    expect(replays.length).toBe(proxy.checks.length);
    expect(replays.every((c) => c.headers['x-k8s-aws-id'] === 'prod' && c.status === 200)).toBe(true);
    expect(proxy.forwarded.every((f) => f.method === 'GET' || f.path.includes('dryRun=All'))).toBe(true);
  });

  it('a plan function refuses an apply event and writes nothing', async () => {
    const before = liveNames();
    const calls = aws.calls.length;
    const outcome = await invoke('plan', { action: 'apply', release: release(goldenManifests(ns)) });
    expect(outcome.error?.errorType).toBe('RefusedError');
    expect(outcome.error?.errorMessage).toMatch(/plan function \(THANOS_GITOPS_MODE=plan\): it refuses 'apply'/);
    expect(aws.calls.length).toBe(calls); // refused before any AWS or cluster call
    expect(liveNames()).toEqual(before);
    const log = JSON.parse(outcome.logs.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(log).toMatchObject({ level: 'error', action: 'apply', mode: 'plan', errorType: 'RefusedError', repository: 'acme/observability' });
  });

  it('apply: the release lands; re-apply is a no-op; kubectl sees it', async () => {
    const outcome = await invoke('apply', { action: 'apply', release: release(goldenManifests(ns)) });
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toMatchObject({ action: 'apply', mode: 'apply', revision: 1, applied: 17, pruned: 0, commit: 'c0ffee'.padEnd(40, '0') });
    expect(kubectl('get', 'statefulset', 'thanos-store', '-n', ns, '-o', 'jsonpath={.spec.serviceName}')).toBe('thanos-store');
    expect(kubectl('get', 'servicemonitor', 'thanos-query', '-n', ns, '-o', 'jsonpath={.metadata.name}')).toBe('thanos-query');
    expect(liveNames()).toHaveLength(17 + 2); // + ApplySet parent and the release record

    const again = await invoke('apply', { action: 'apply', release: release(goldenManifests(ns)) });
    expect(again.result).toMatchObject({ applied: 0, unchanged: 17, writes: 0 });
    const log = JSON.parse(again.logs.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(log).toMatchObject({ level: 'info', action: 'apply', applied: 0, unchanged: 17, environment: 'prod' });
    expect(log._aws).toBeUndefined(); // the drift metric comes from reconciles only
  });

  it('refuses a release with a foreign namespace or a ClusterRoleBinding, naming them, and applies nothing', async () => {
    const before = kubectl('get', 'secrets,configmaps', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}');
    const manifests: unknown[] = goldenManifests(ns);
    manifests.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sneaky', namespace: 'kube-system' }, data: {} });
    manifests.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'thanos-gitops-pwn' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [] });
    const outcome = await invoke('apply', { action: 'apply', release: release(manifests, 'bad'.padEnd(40, '1').replace(/[^0-9a-f]/g, 'b')) });
    expect(outcome.error?.errorType).toBe('RefusedError');
    expect(outcome.error?.errorMessage).toContain('nothing was applied');
    expect(outcome.error?.errorMessage).toContain('ConfigMap kube-system/sneaky');
    expect(outcome.error?.errorMessage).toContain('namespace kube-system is not one of the target namespaces');
    expect(outcome.error?.errorMessage).toContain('ClusterRoleBinding thanos-gitops-pwn');
    expect(() => kubectl('get', 'clusterrolebinding', 'thanos-gitops-pwn')).toThrow();
    expect(kubectl('get', 'secrets,configmaps', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}')).toBe(before);
  });

  it('refuses a release whose hashring is smaller than the replication factor, and applies nothing', async () => {
    const before = kubectl('get', 'secrets,configmaps,statefulsets', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}');
    const manifests = goldenManifests(ns);
    for (const { object } of manifests) {
      const args = (object as any).spec?.template?.spec?.containers?.[0]?.args as string[] | undefined;
      if (args?.[0] === 'receive') (object as any).spec.template.spec.containers[0].args = args.map((arg) => arg.replace(/^--receive\.replication-factor=\d+$/, '--receive.replication-factor=3'));
    }
    const outcome = await invoke('apply', { action: 'apply', release: release(manifests, 'a11'.padEnd(40, '4')) });
    expect(outcome.error?.errorType).toBe('RefusedError');
    expect(outcome.error?.errorMessage).toContain('stack validation found 1 error');
    expect(outcome.error?.errorMessage).toContain('hashring `default` has 1 endpoint but the replication factor is 3');
    expect(outcome.error?.errorMessage).toContain('Thanos v0.42.4, pkg/receive/hashring.go');
    expect(kubectl('get', 'secrets,configmaps,statefulsets', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}')).toBe(before);
  });

  it('reconcile (from the schedule): finds drift made by another field manager and puts it back', async () => {
    const original = kubectl('get', 'service', 'thanos-query', '-n', ns, '-o', 'jsonpath={.metadata.labels.app\\.kubernetes\\.io/version}');
    kubectl('patch', 'service', 'thanos-query', '-n', ns, '--type', 'merge', '--field-manager', 'someone-else', '-p', '{"metadata":{"labels":{"app.kubernetes.io/version":"hand-edited"}}}');
    const outcome = await invoke('apply', { version: '0', source: 'aws.scheduler', 'detail-type': 'Scheduled Event', detail: { action: 'reconcile' } });
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toMatchObject({ action: 'reconcile', revision: 1, drifted: 1 });
    expect((outcome.result as { objects: { drifted: string[] } }).objects.drifted[0]).toContain(`Service ${ns}/thanos-query`);
    expect((outcome.result as { objects: { drifted: string[] } }).objects.drifted[0]).toContain('changed by someone-else');
    expect(kubectl('get', 'service', 'thanos-query', '-n', ns, '-o', 'jsonpath={.metadata.labels.app\\.kubernetes\\.io/version}')).toBe(original);
    const log = JSON.parse(outcome.logs.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(log).toMatchObject({ action: 'reconcile', DriftedObjects: 1, Environment: 'prod' });
    expect(log._aws).toMatchObject({ CloudWatchMetrics: [{ Namespace: 'ThanosGitops', Dimensions: [['Environment']], Metrics: [{ Name: 'DriftedObjects', Unit: 'Count' }] }] });

    const quiet = await invoke('apply', { action: 'reconcile' });
    expect(quiet.result).toMatchObject({ drifted: 0, writes: 0 });
  });

  it('rollback re-applies an earlier revision as a new one; rotate without settings has nothing to do', async () => {
    const changed = goldenManifests(ns).filter((m) => m.file !== 'thanos-store-serviceMonitor.yaml');
    const second = await invoke('apply', { action: 'apply', release: release(changed, 'beef'.padEnd(40, '2')) });
    expect(second.result).toMatchObject({ revision: 2, pruned: 1 });
    expect(() => kubectl('get', 'servicemonitor', 'thanos-store', '-n', ns)).toThrow();
    const back = await invoke('apply', { action: 'rollback', revision: 1 });
    expect(back.error).toBeUndefined();
    expect(back.result).toMatchObject({ action: 'rollback', revision: 3, applied: 1 });
    expect(kubectl('get', 'servicemonitor', 'thanos-store', '-n', ns, '-o', 'jsonpath={.metadata.name}')).toBe('thanos-store');

    const rotate = await invoke('apply', { action: 'rotate' });
    expect(rotate.error).toBeUndefined();
    expect((rotate.result as { warnings: string[] }).warnings.join('\n')).toContain('carries no tls or objectStorage settings');
  });

  it('rotate (from the schedule) issues certificates from the tls settings the release carried', async () => {
    const settings = { tls: { certificates: { tenants: [{ id: 'team-a' }] } } };
    const applied = await invoke('apply', { action: 'apply', release: { ...release(goldenManifests(ns), 'feed'.padEnd(40, '3')), settings } });
    expect(applied.error).toBeUndefined();
    expect(kubectl('get', 'configmap', 'thanos-gitops-settings-prod', '-n', ns, '-o', 'jsonpath={.data.settings\\.json}')).toBe(JSON.stringify(settings));
    const rotate = await invoke('apply', { version: '0', source: 'aws.scheduler', 'detail-type': 'Scheduled Event', detail: { action: 'rotate' } });
    expect(rotate.error).toBeUndefined();
    const lines = (rotate.result as { rotation: string[] }).rotation;
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(/team-a/);
    const secrets = kubectl('get', 'secrets', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}');
    expect(secrets).toContain('thanos-gitops-ca');
    expect(secrets).toContain('thanos-receive-router-tls');
    expect(secrets).toContain('thanos-tenant-team-a');
    expect(rotate.logs).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(rotate.result)).not.toContain('PRIVATE KEY');
  });

  it('the proxy refuses a token minted for another cluster, as EKS does', async () => {
    const other = await createEksToken({ clusterName: 'other', region: 'eu-west-1', credentials: { accessKeyId: EXEC_KEYS.apply.id, secretAccessKey: EXEC_KEYS.apply.secret, sessionToken: EXEC_KEYS.apply.token } });
    const status = await new Promise<number>((resolve, reject) => {
      https
        .get(`${proxy.url}/api/v1/namespaces/${ns}/secrets`, { ca: Buffer.from(proxy.caData, 'base64'), headers: { authorization: `Bearer ${other.token}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    expect(status).toBe(401);
    expect(proxy.checks.at(-1)?.reason).toMatch(/SignatureDoesNotMatch/);
  });

  it('ships without client-node: the in-memory KubeConfig (lambda/esbuild.mjs) serves every event above', () => {
    // client-node's generated models and its undici transport are gone: every invocation in this file ran without them.
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/CoreV1Event|undici/);
  });

  it('no secret value reaches any log line or result, plain or base64', () => {
    expect(invocations.length).toBeGreaterThan(5);
    const everything = invocations.map((i) => `${i.logs}\n${JSON.stringify(i.result ?? null)}\n${JSON.stringify(i.error ?? null)}`).join('\n');
    const secrets = [PLANTED, EXEC_KEYS.apply.secret, EXEC_KEYS.plan.secret, EXEC_KEYS.apply.token, ...[...aws.issued.values()].flatMap((k) => [k.secretAccessKey, k.sessionToken ?? ''])].filter(Boolean);
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(Buffer.from(secret).toString('base64'));
    }
    // Tokens are credentials too: none is logged.
    expect(everything).not.toContain('k8s-aws-v1.');
    // One structured line per invocation.
    for (const invocation of invocations) {
      const lines = invocation.logs.trim().split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(() => JSON.parse(lines[0] as string)).not.toThrow();
    }
  });
});
