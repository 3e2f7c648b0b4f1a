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
import { applyManifestSet, KubeClient, LEASE_NAME, ReleaseHistory, SecretReleaseStore } from '../../src/kube/index.js';
import type { KubeObject, Manifest } from '../../src/model/objects.js';
import { bindDeployer, bindPlanIdentity, createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import {
  buildBundles,
  runLambdaBundle,
  runLambdaBundleWarm,
  startEksAuthProxy,
  startFakeAws,
  type EksAuthProxy,
  type FakeAws,
  type FakeCluster,
  type LambdaInvocation,
  type LambdaRunOptions,
} from '../helpers/fake-aws.js';

const ROOT = join(import.meta.dirname, '../..');
const GOLDEN = join(ROOT, '../shared/kube-thanos/example');
const ACCOUNT = '111122223333';
const CLUSTER_ACCESS_ROLE = 'arn:aws:iam::444455556666:role/thanos-gitops-cluster-access';
/** The plan function's own cluster role, mapped to the plan identity (its Role and dry-run-only admission policy). */
const PLAN_CLUSTER_ACCESS_ROLE = 'arn:aws:iam::444455556666:role/thanos-gitops-plan-cluster-access';
const PLANTED = 'planted-s3-secret-9f8e7d6c5b4a';
const EXEC_KEYS = {
  apply: {
    id: 'ASIAAPPLYEXECROLE001',
    secret: 'apply/exec/secret/EXAMPLEKEY',
    token: 'IQoJapplyexecsessiontoken',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-apply/thanos-gitops-apply`,
  },
  plan: {
    id: 'ASIAPLANEXECROLE0001',
    secret: 'plan/exec/secret/EXAMPLEKEY',
    token: 'IQoJplanexecsessiontoken',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-plan/thanos-gitops-plan`,
  },
};

let bundle: string;
let aws: FakeAws;
let proxy: EksAuthProxy;
let ns: string;
const clusters: Record<string, FakeCluster> = {};
const invocations: LambdaInvocation[] = [];
const WARM_RECONCILES = 50;
// Measured on this suite: ~17.7 KB per invocation while the client kept every request record, ~1.4 KB without.
const WARM_SLOPE_LIMIT = 6 * 1024;
/** The logs of the warm-container run (many invocations in one process). */
let warmLogs = '';

function kubectl(...args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', testCluster().adminKubeconfig, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    object: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'thanos-objectstorage', namespace },
      type: 'Opaque',
      stringData: { 'thanos.yaml': `type: S3\nconfig:\n  bucket: thanos\n  secret_key: ${PLANTED}\n` },
    },
  });
  return manifests;
}

function release(manifests: unknown[], commit = 'c0ffee'.padEnd(40, '0')) {
  return { repository: 'acme/observability', commit, actor: 'octocat', environment: 'prod', manifests };
}

function functionEnv(mode: 'plan' | 'apply', namespace = ns): Record<string, string> {
  const key = EXEC_KEYS[mode];
  return {
    // What Lambda puts in a function's environment, then what infra/ sets.
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: key.id,
    AWS_SECRET_ACCESS_KEY: key.secret,
    AWS_SESSION_TOKEN: key.token,
    AWS_LAMBDA_FUNCTION_NAME: `thanos-gitops-${mode}`,
    AWS_ENDPOINT_URL: aws.url,
    THANOS_GITOPS_MODE: mode,
    CLUSTER_NAME: 'prod',
    CLUSTER_ROLE_ARN: mode === 'plan' ? PLAN_CLUSTER_ACCESS_ROLE : CLUSTER_ACCESS_ROLE,
    TARGET_NAMESPACES: namespace,
    ENVIRONMENT: 'prod',
  };
}

async function invoke(
  mode: 'plan' | 'apply',
  event: unknown,
  options: LambdaRunOptions & { namespace?: string } = {},
): Promise<LambdaInvocation> {
  const outcome = await runLambdaBundle(bundle, event, functionEnv(mode, options.namespace), options);
  invocations.push(outcome);
  return outcome;
}

/** The JSON log lines of an invocation: progress lines, then the one summary line. */
function logLines(logs: string): Array<Record<string, unknown>> {
  return logs
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function liveNames(): string[] {
  const out = kubectl(
    'get',
    'serviceaccounts,configmaps,services,statefulsets,deployments,servicemonitors,secrets',
    '-n',
    ns,
    '-o',
    'jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}',
  );
  // The plan identity's ServiceAccount is test setup, not part of any release.
  return out
    .split('\n')
    .filter(
      (line) =>
        line &&
        !line.startsWith('ServiceAccount/default') &&
        line !== 'ServiceAccount/planner' &&
        !line.startsWith('ConfigMap/kube-root-ca.crt'),
    )
    .sort();
}

beforeAll(async () => {
  bundle = buildBundles(ROOT).lambda;
  const cluster = testCluster();
  ns = await createNamespace(uniqueNamespace('lambda'));
  // What the apply identity gets in its namespace (src/kube/rbac.ts ships the same verbs).
  await bindDeployer(ns, [
    {
      apiGroups: [''],
      resources: ['configmaps', 'secrets', 'services', 'serviceaccounts'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
    },
    {
      apiGroups: ['apps'],
      resources: ['statefulsets', 'deployments'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
    },
    {
      apiGroups: ['policy'],
      resources: ['poddisruptionbudgets'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
    },
    {
      apiGroups: ['monitoring.coreos.com'],
      resources: ['servicemonitors'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
    },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
    },
  ]);
  const planIdentity = await bindPlanIdentity(ns, 'prod');
  aws = await startFakeAws({
    accountId: ACCOUNT,
    keys: Object.fromEntries(
      Object.values(EXEC_KEYS).map((k) => [k.id, { secretAccessKey: k.secret, sessionToken: k.token, arn: k.arn }]),
    ),
    roles: {
      [CLUSTER_ACCESS_ROLE]: { trusted: [EXEC_KEYS.apply.arn] },
      [PLAN_CLUSTER_ACCESS_ROLE]: { trusted: [EXEC_KEYS.plan.arn] },
    },
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
      {
        arnPrefix: 'arn:aws:sts::444455556666:assumed-role/thanos-gitops-plan-cluster-access/',
        token: planIdentity.token,
      },
    ],
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
    const result = outcome.result as {
      applied: number;
      pruned: number;
      report: string;
      diff: { counts: { added: number; modified: number } };
      writes: number;
      mode: string;
    };
    expect(result.mode).toBe('plan');
    // The PR's Secret is never compared with the cluster: it "will be written", with its key names only.
    expect(result.diff.counts.added).toBe(16);
    expect(result.diff.counts.modified).toBe(1);
    expect(result.applied).toBe(17);
    const secretEntry = (
      result.diff as unknown as { entries: Array<{ kind: string; name: string; patch: string }> }
    ).entries.find((e) => e.kind === 'Secret');
    expect(secretEntry?.name).toBe('thanos-objectstorage');
    expect(secretEntry?.patch).toContain('will be written');
    expect(secretEntry?.patch).toContain('keys: thanos.yaml');
    expect(result.writes).toBe(0);
    expect(result.report).toContain('thanos-gitops plan for `prod`');
    expect(liveNames()).toEqual(before);

    // The AWS side: AssumeRole signed by the execution role, DescribeCluster signed by the assumed role.
    const assume = aws.calls.find((c) => c.operation === 'AssumeRole');
    expect(assume).toMatchObject({
      accessKeyId: EXEC_KEYS.plan.id,
      status: 200,
      params: { RoleArn: PLAN_CLUSTER_ACCESS_ROLE, RoleSessionName: 'thanos-gitops-reconciler' },
    });
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
      expect(check.arn).toBe(
        'arn:aws:sts::444455556666:assumed-role/thanos-gitops-plan-cluster-access/thanos-gitops-reconciler',
      );
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
    expect(log).toMatchObject({
      level: 'error',
      action: 'apply',
      mode: 'plan',
      errorType: 'RefusedError',
      repository: 'acme/observability',
    });
  });

  it('apply: the release lands; re-apply is a no-op; kubectl sees it', async () => {
    const outcome = await invoke('apply', { action: 'apply', release: release(goldenManifests(ns)) });
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toMatchObject({
      action: 'apply',
      mode: 'apply',
      revision: 1,
      applied: 17,
      pruned: 0,
      commit: 'c0ffee'.padEnd(40, '0'),
    });
    expect(kubectl('get', 'statefulset', 'thanos-store', '-n', ns, '-o', 'jsonpath={.spec.serviceName}')).toBe(
      'thanos-store',
    );
    expect(kubectl('get', 'servicemonitor', 'thanos-query', '-n', ns, '-o', 'jsonpath={.metadata.name}')).toBe(
      'thanos-query',
    );
    expect(liveNames()).toHaveLength(17 + 2); // + ApplySet parent and the release record

    const again = await invoke('apply', { action: 'apply', release: release(goldenManifests(ns)) });
    expect(again.result).toMatchObject({ applied: 0, unchanged: 17, writes: 0 });
    const log = JSON.parse(again.logs.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(log).toMatchObject({ level: 'info', action: 'apply', applied: 0, unchanged: 17, environment: 'prod' });
    expect(log._aws).toBeUndefined(); // the drift metric comes from reconciles only
  });

  it('refuses a release with a foreign namespace or a ClusterRoleBinding, naming them, and applies nothing', async () => {
    const before = kubectl(
      'get',
      'secrets,configmaps',
      '-n',
      ns,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}',
    );
    const manifests: unknown[] = goldenManifests(ns);
    manifests.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'sneaky', namespace: 'kube-system' },
      data: {},
    });
    manifests.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'thanos-gitops-pwn' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [],
    });
    const outcome = await invoke('apply', {
      action: 'apply',
      release: release(manifests, 'bad'.padEnd(40, '1').replace(/[^0-9a-f]/g, 'b')),
    });
    expect(outcome.error?.errorType).toBe('RefusedError');
    expect(outcome.error?.errorMessage).toContain('nothing was applied');
    expect(outcome.error?.errorMessage).toContain('ConfigMap kube-system/sneaky');
    expect(outcome.error?.errorMessage).toContain('namespace kube-system is not one of the target namespaces');
    expect(outcome.error?.errorMessage).toContain('ClusterRoleBinding thanos-gitops-pwn');
    expect(() => kubectl('get', 'clusterrolebinding', 'thanos-gitops-pwn')).toThrow();
    expect(
      kubectl(
        'get',
        'secrets,configmaps',
        '-n',
        ns,
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}',
      ),
    ).toBe(before);
  });

  describe('the apply policy refuses hostile releases before any request reaches the cluster', () => {
    const edit = (file: string, change: (object: Record<string, any>) => void) => (manifests: Manifest[]) => {
      const entry = manifests.find((m) => m.file === file);
      if (!entry) throw new Error(`no ${file}`);
      change(entry.object as Record<string, any>);
      return manifests;
    };
    const add = (file: string, object: Record<string, unknown>) => (manifests: Manifest[]) => [
      ...manifests,
      { file, object: object as KubeObject },
    ];
    const attacks: Array<{ name: string; build: (manifests: Manifest[]) => Manifest[]; names: string[] }> = [
      {
        name: 'a privileged container',
        // Without allowPrivilegeEscalation: false, which the API server refuses next to privileged: a pod it would run.
        build: edit('thanos-query-deployment.yaml', (o) => {
          const context = o.spec.template.spec.containers[0].securityContext;
          context.privileged = true;
          delete context.allowPrivilegeEscalation;
        }),
        names: [
          'Deployment NS/thanos-query (thanos-query-deployment.yaml): .spec.template.spec.containers[0].securityContext.privileged',
        ],
      },
      {
        name: 'a hostPath / volume',
        build: edit(
          'thanos-store-statefulSet.yaml',
          (o) => (o.spec.template.spec.volumes = [{ name: 'host', hostPath: { path: '/' } }]),
        ),
        names: ['StatefulSet NS/thanos-store (thanos-store-statefulSet.yaml): .spec.template.spec.volumes[0].hostPath'],
      },
      {
        name: 'hostNetwork (IMDS and the node network)',
        build: edit('thanos-query-deployment.yaml', (o) => (o.spec.template.spec.hostNetwork = true)),
        names: ['Deployment NS/thanos-query (thanos-query-deployment.yaml): .spec.template.spec.hostNetwork'],
      },
      {
        name: "another identity's ServiceAccount",
        build: edit('thanos-query-deployment.yaml', (o) => (o.spec.template.spec.serviceAccountName = 'planner')),
        names: [
          'Deployment NS/thanos-query (thanos-query-deployment.yaml): .spec.template.spec.serviceAccountName: ServiceAccount "planner" is not defined in this set',
        ],
      },
      {
        name: 'a LoadBalancer Service',
        build: edit('thanos-query-service.yaml', (o) => (o.spec.type = 'LoadBalancer')),
        names: [
          'Service NS/thanos-query (thanos-query-service.yaml): .spec.type: Service type LoadBalancer is not allowed',
        ],
      },
      {
        name: 'a service-account-token Secret',
        build: add('token.yaml', {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'query-token', annotations: { 'kubernetes.io/service-account.name': 'thanos-query' } },
          type: 'kubernetes.io/service-account-token',
        }),
        names: ['Secret NS/query-token (token.yaml): .type: a kubernetes.io/service-account-token Secret'],
      },
      {
        name: 'a Deployment of a foreign API group',
        build: add('evil.yaml', {
          apiVersion: 'evil.example.com/v1',
          kind: 'Deployment',
          metadata: { name: 'evil' },
          spec: {},
        }),
        names: ['Deployment evil (evil.yaml): kind Deployment is not allowed in group evil.example.com'],
      },
    ];

    for (const attack of attacks) {
      it(`apply function: ${attack.name}`, async () => {
        const state = kubectl(
          'get',
          'serviceaccounts,configmaps,services,statefulsets,deployments,secrets',
          '-n',
          ns,
          '-o',
          'jsonpath={range .items[*]}{.kind}/{.metadata.name}@{.metadata.resourceVersion} {end}',
        );
        const forwarded = proxy.forwarded.length;
        const calls = aws.calls.length;
        const outcome = await invoke('apply', {
          action: 'apply',
          release: release(attack.build(goldenManifests(ns)), 'a77ac4'.padEnd(40, '0')),
        });
        expect(outcome.error?.errorType).toBe('RefusedError');
        expect(outcome.error?.errorMessage).toContain('refused, nothing was applied');
        for (const name of attack.names) expect(outcome.error?.errorMessage).toContain(name.replace('NS/', `${ns}/`));
        expect(outcome.error?.errorMessage).toContain('fix: ');
        // Refused before any AWS call or any request to the API server, so nothing can have been written.
        expect(aws.calls.length).toBe(calls);
        expect(proxy.forwarded.length).toBe(forwarded);
        expect(
          kubectl(
            'get',
            'serviceaccounts,configmaps,services,statefulsets,deployments,secrets',
            '-n',
            ns,
            '-o',
            'jsonpath={range .items[*]}{.kind}/{.metadata.name}@{.metadata.resourceVersion} {end}',
          ),
        ).toBe(state);
        expect(() => kubectl('get', 'secret', 'query-token', '-n', ns)).toThrow();
      });
    }

    it('the plan function refuses the same release too (the pull request learns it before merge)', async () => {
      const forwarded = proxy.forwarded.length;
      const outcome = await invoke('plan', {
        action: 'plan',
        release: release(attacks[0]!.build(goldenManifests(ns))),
      });
      expect(outcome.error?.errorType).toBe('RefusedError');
      expect(outcome.error?.errorMessage).toContain('.spec.template.spec.containers[0].securityContext.privileged');
      expect(proxy.forwarded.length).toBe(forwarded);
    });
  });

  it('refuses a release whose hashring is smaller than the replication factor, and applies nothing', async () => {
    const before = kubectl(
      'get',
      'secrets,configmaps,statefulsets',
      '-n',
      ns,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}',
    );
    const manifests = goldenManifests(ns);
    for (const { object } of manifests) {
      const args = (object as any).spec?.template?.spec?.containers?.[0]?.args as string[] | undefined;
      if (args?.[0] === 'receive')
        (object as any).spec.template.spec.containers[0].args = args.map((arg) =>
          arg.replace(/^--receive\.replication-factor=\d+$/, '--receive.replication-factor=3'),
        );
    }
    const outcome = await invoke('apply', { action: 'apply', release: release(manifests, 'a11'.padEnd(40, '4')) });
    expect(outcome.error?.errorType).toBe('RefusedError');
    expect(outcome.error?.errorMessage).toContain('stack validation found 1 error');
    expect(outcome.error?.errorMessage).toContain('hashring `default` has 1 endpoint but the replication factor is 3');
    expect(outcome.error?.errorMessage).toContain('Thanos v0.42.4, pkg/receive/hashring.go');
    expect(
      kubectl(
        'get',
        'secrets,configmaps,statefulsets',
        '-n',
        ns,
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}',
      ),
    ).toBe(before);
  });

  it('reconcile (from the schedule): finds drift made by another field manager and puts it back', async () => {
    const original = kubectl(
      'get',
      'service',
      'thanos-query',
      '-n',
      ns,
      '-o',
      'jsonpath={.metadata.labels.app\\.kubernetes\\.io/version}',
    );
    kubectl(
      'patch',
      'service',
      'thanos-query',
      '-n',
      ns,
      '--type',
      'merge',
      '--field-manager',
      'someone-else',
      '-p',
      '{"metadata":{"labels":{"app.kubernetes.io/version":"hand-edited"}}}',
    );
    const outcome = await invoke('apply', {
      version: '0',
      source: 'aws.scheduler',
      'detail-type': 'Scheduled Event',
      detail: { action: 'reconcile' },
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toMatchObject({ action: 'reconcile', revision: 1, drifted: 1 });
    expect((outcome.result as { objects: { drifted: string[] } }).objects.drifted[0]).toContain(
      `Service ${ns}/thanos-query`,
    );
    expect((outcome.result as { objects: { drifted: string[] } }).objects.drifted[0]).toContain(
      'changed by someone-else',
    );
    expect(
      kubectl(
        'get',
        'service',
        'thanos-query',
        '-n',
        ns,
        '-o',
        'jsonpath={.metadata.labels.app\\.kubernetes\\.io/version}',
      ),
    ).toBe(original);
    const log = JSON.parse(outcome.logs.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(log).toMatchObject({ action: 'reconcile', DriftedObjects: 1, Environment: 'prod' });
    expect(log._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: 'ThanosGitops',
          Dimensions: [['Environment']],
          Metrics: [{ Name: 'DriftedObjects', Unit: 'Count' }],
        },
      ],
    });

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
    expect(kubectl('get', 'servicemonitor', 'thanos-store', '-n', ns, '-o', 'jsonpath={.metadata.name}')).toBe(
      'thanos-store',
    );

    const rotate = await invoke('apply', { action: 'rotate' });
    expect(rotate.error).toBeUndefined();
    expect((rotate.result as { warnings: string[] }).warnings.join('\n')).toContain(
      'carries no tls or objectStorage settings',
    );
  });

  it('rotate (from the schedule) issues certificates from the tls settings the release carried', async () => {
    const settings = { tls: { certificates: { tenants: [{ id: 'team-a' }] } } };
    const applied = await invoke('apply', {
      action: 'apply',
      release: { ...release(goldenManifests(ns), 'feed'.padEnd(40, '3')), settings },
    });
    expect(applied.error).toBeUndefined();
    expect(
      kubectl('get', 'configmap', 'thanos-gitops-settings-prod', '-n', ns, '-o', 'jsonpath={.data.settings\\.json}'),
    ).toBe(JSON.stringify(settings));
    const rotate = await invoke('apply', {
      version: '0',
      source: 'aws.scheduler',
      'detail-type': 'Scheduled Event',
      detail: { action: 'rotate' },
    });
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

  it("rollback refuses a revision that today's policy refuses (recorded before the policy), applying nothing", async () => {
    // A revision recorded by an admin without the policy, as an older version of the tool would have.
    const admin = KubeClient.fromFile(testCluster().adminKubeconfig);
    const privileged = goldenManifests(ns);
    const query = privileged.find((m) => m.file === 'thanos-query-deployment.yaml')!.object as Record<string, any>;
    // The API server itself refuses privileged with allowPrivilegeEscalation: false, so the attack drops the latter.
    query.spec.template.spec.containers[0].securityContext.privileged = true;
    delete query.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation;
    const old = await applyManifestSet(admin, privileged, { environment: 'prod', namespace: ns, wait: false });
    admin.close();
    const fixed = await invoke('apply', {
      action: 'apply',
      release: release(goldenManifests(ns), 'f1e2d3'.padEnd(40, '4')),
    });
    expect(fixed.error).toBeUndefined();
    const privilegedNow = () =>
      kubectl(
        'get',
        'deployment',
        'thanos-query',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].securityContext.privileged}',
      );
    expect(privilegedNow()).toBe('');
    const back = await invoke('apply', { action: 'rollback', revision: old.revision });
    expect(back.error?.errorType).toBe('RefusedError');
    expect(back.error?.errorMessage).toContain(`rollback to revision ${old.revision} refused, nothing was applied`);
    expect(back.error?.errorMessage).toContain(
      `Deployment ${ns}/thanos-query (thanos-query-deployment.yaml): .spec.template.spec.containers[0].securityContext.privileged`,
    );
    expect(privilegedNow()).toBe('');
  });

  it('the proxy refuses a token minted for another cluster, as EKS does', async () => {
    const other = await createEksToken({
      clusterName: 'other',
      region: 'eu-west-1',
      credentials: {
        accessKeyId: EXEC_KEYS.apply.id,
        secretAccessKey: EXEC_KEYS.apply.secret,
        sessionToken: EXEC_KEYS.apply.token,
      },
    });
    const status = await new Promise<number>((resolve, reject) => {
      https
        .get(
          `${proxy.url}/api/v1/namespaces/${ns}/secrets`,
          { ca: Buffer.from(proxy.caData, 'base64'), headers: { authorization: `Bearer ${other.token}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    expect(status).toBe(401);
    expect(proxy.checks.at(-1)?.reason).toMatch(/SignatureDoesNotMatch/);
  });

  it('ships without client-node: the in-memory KubeConfig (lambda/esbuild.mjs) serves every event above', () => {
    // client-node's generated models and its undici transport are gone: every invocation in this file ran without them.
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/CoreV1Event|undici/);
  });

  it('engine progress reaches CloudWatch: structured progress lines, then the summary line', async () => {
    const settings = { tls: { certificates: { tenants: [{ id: 'team-a' }] } } };
    const extra = {
      file: 'progress-check.yaml',
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'progress-check', namespace: ns },
        data: { a: '1' },
      },
    };
    const outcome = await invoke('apply', {
      action: 'apply',
      release: { ...release([...goldenManifests(ns), extra], 'abcd'.padEnd(40, '4')), settings },
    });
    expect(outcome.error).toBeUndefined();
    const lines = logLines(outcome.logs);
    const summary = lines.at(-1) as Record<string, unknown>;
    expect(summary).toMatchObject({ level: 'info', message: 'apply ok', action: 'apply' });
    const progress = lines.slice(0, -1);
    expect(progress.length).toBeGreaterThan(0);
    for (const line of progress)
      expect(line).toMatchObject({
        level: 'info',
        type: 'progress',
        action: 'apply',
        environment: 'prod',
        requestId: summary.requestId,
      });
    expect(progress.map((line) => line.message)).toContain(`created ConfigMap ${ns}/progress-check`);
  });

  it('a warm container: each result counts only its own writes, and memory stays flat over 50 reconciles', async () => {
    const settings = { tls: { certificates: { tenants: [{ id: 'team-a' }] } } };
    const reconciles = Array.from({ length: WARM_RECONCILES }, () => ({ action: 'reconcile' }));
    const { invocations: runs, logs } = await runLambdaBundleWarm(
      bundle,
      [
        { action: 'apply', release: { ...release(goldenManifests(ns), 'abcd'.padEnd(40, '5')), settings } },
        { action: 'rotate' },
        ...reconciles,
      ],
      functionEnv('apply'),
    );
    warmLogs = logs;
    const heap = runs.map((r) => r.heapUsed);
    // After 20 invocations of warm-up (lazy imports, JIT), the least-squares slope of the heap after GC.
    const tail = heap.slice(22);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const xs = tail.map((_, i) => i);
    const [mx, my] = [mean(xs), mean(tail)];
    const perInvocation =
      xs.reduce((a, x, i) => a + (x - mx) * ((tail[i] as number) - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    process.stderr.write(
      `warm Lambda: heap after GC ${((heap[22] as number) / 1048576).toFixed(2)} MiB at invocation 23, ${((heap.at(-1) as number) / 1048576).toFixed(2)} MiB at ${heap.length}; ` +
        `slope ${Math.round(perInvocation)} bytes per invocation; reconcile ${Math.round(mean(runs.slice(2).map((r) => r.ms)))} ms on average\n`,
    );
    expect(runs.map((r) => r.error).filter(Boolean)).toEqual([]);
    const [apply, rotate] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect((apply.result as { pruned: number; writes: number }).pruned).toBe(1);
    expect((apply.result as { writes: number }).writes).toBeGreaterThan(0);
    // Certificates were issued earlier: this rotate only takes and releases the Lease (two writes), and its count says
    // so instead of adding the apply's writes before it.
    expect((rotate.result as { writes: number; rotation: string[] }).rotation.join('\n')).toMatch(/nothing to do/);
    expect((rotate.result as { writes: number }).writes).toBe(2);
    for (const run of runs.slice(2)) expect(run.result).toMatchObject({ drifted: 0, writes: 0 });
    // Each reconcile sends ~30 requests; kept records added ~17 KiB per invocation.
    expect(perInvocation).toBeLessThan(WARM_SLOPE_LIMIT);
  }, 180_000);

  it('the deadline: the run stops starting new work before the timeout, records a failed revision, releases the Lease; the next invocation converges', async () => {
    const deadlineNs = await createNamespace(uniqueNamespace('lambda-deadline'));
    await bindDeployer(deadlineNs, [
      {
        apiGroups: [''],
        resources: ['configmaps', 'secrets'],
        verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
      },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
      },
    ]);
    const admin = KubeClient.fromFile(testCluster().adminKubeconfig);
    const history = new ReleaseHistory(new SecretReleaseStore(admin, deadlineNs, 'prod'));
    const configMaps = (round: number) =>
      Array.from({ length: 500 }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${i}`, namespace: deadlineNs },
        data: { round: String(round), pad: 'x'.repeat(1000) },
      }));
    let midWrite = false;
    const seen: string[] = [];
    try {
      // The fake timeout is bisected until the deadline lands while objects are being written: between a timeout that
      // stops the run before its first write and one it finishes within. The write phase of 500 objects is a short
      // window whose place depends on the machine's load, so no fixed list of timeouts finds it every time.
      let stopsBeforeWriting = 500;
      let finishes = 20_000;
      for (let round = 0; round < 16 && finishes - stopsBeforeWriting > 10; round++) {
        const timeoutMs = round === 0 ? finishes : Math.round((stopsBeforeWriting + finishes) / 2);
        const before = await history.list();
        const outcome = await invoke(
          'apply',
          {
            action: 'apply',
            release: { ...release(configMaps(round), 'dead'.padEnd(40, String(round % 10))), environment: 'prod' },
          },
          { namespace: deadlineNs, timeoutMs },
        );
        const lines = logLines(outcome.logs);
        const summary = lines.at(-1) as { durationMs: number };
        const wrote = lines.some(
          (line) => line.type === 'progress' && /^(created|configured) /.test(String(line.message)),
        );
        seen.push(
          `${timeoutMs}ms: ${outcome.error ? `stopped${wrote ? ' mid-write' : ''}` : 'finished'} in ${summary.durationMs}ms`,
        );
        expect(summary.durationMs).toBeLessThan(timeoutMs);
        const lease = await admin.get({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          namespace: deadlineNs,
          name: LEASE_NAME,
        });
        if (lease) expect((lease.spec as { holderIdentity?: string }).holderIdentity).toBe('');
        const after = await history.list();
        expect(new Set(after.map((r) => r.revision)).size).toBe(after.length);
        if (!outcome.error) {
          finishes = timeoutMs;
          continue;
        }
        expect(outcome.error).toMatchObject({ errorType: 'InterruptedError' });
        expect(outcome.error.errorMessage).toMatch(/interrupted \(\d+(\.\d+)?s before the function timeout\)/);
        if (wrote) {
          // Written objects are on record as one failed revision, never a half-written one.
          expect(after).toHaveLength(before.length + 1);
          expect(after.at(-1)).toMatchObject({ status: 'failed' });
          expect(after.at(-1)?.description).toMatch(/before the function timeout/);
          midWrite = true;
          break;
        }
        expect(after).toEqual(before);
        stopsBeforeWriting = timeoutMs;
      }
      expect(midWrite, seen.join('; ')).toBe(true);
      const next = await invoke(
        'apply',
        { action: 'apply', release: { ...release(configMaps(99), 'dead'.padEnd(40, 'f')), environment: 'prod' } },
        { namespace: deadlineNs },
      );
      expect(next.error).toBeUndefined();
      const again = await invoke(
        'apply',
        { action: 'apply', release: { ...release(configMaps(99), 'dead'.padEnd(40, 'f')), environment: 'prod' } },
        { namespace: deadlineNs },
      );
      expect(again.result).toMatchObject({ applied: 0, writes: 0 });
      expect((await history.list()).filter((r) => r.status === 'deployed')).toHaveLength(1);
      process.stderr.write(`Lambda deadline: ${seen.join('; ')}\n`);
    } finally {
      admin.close();
    }
  }, 120_000);

  it('no secret value reaches any log line or result, plain or base64', () => {
    expect(invocations.length).toBeGreaterThan(5);
    const everything = [
      warmLogs,
      ...invocations.map((i) => `${i.logs}\n${JSON.stringify(i.result ?? null)}\n${JSON.stringify(i.error ?? null)}`),
    ].join('\n');
    const secrets = [
      PLANTED,
      EXEC_KEYS.apply.secret,
      EXEC_KEYS.plan.secret,
      EXEC_KEYS.apply.token,
      ...[...aws.issued.values()].flatMap((k) => [k.secretAccessKey, k.sessionToken ?? '']),
    ].filter(Boolean);
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(Buffer.from(secret).toString('base64'));
    }
    // Tokens are credentials too: none is logged.
    expect(everything).not.toContain('k8s-aws-v1.');
    // Structured lines only: progress lines, then exactly one summary line per invocation.
    for (const invocation of invocations) {
      const lines = logLines(invocation.logs);
      expect(lines.filter((line) => line.type !== 'progress')).toHaveLength(1);
      expect(lines.at(-1)?.message).toMatch(/^\w+ (ok|failed)$/);
    }
  });
});
