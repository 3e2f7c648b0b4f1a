/**
 * Deploy-on-merge end to end: the bundled Action (dist/action/index.js) run as the runner runs it, with INPUT_* env,
 * a push event to the default branch and ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN pointing at a local OIDC token endpoint
 * that signs RS256 JWTs like token.actions.githubusercontent.com. The Action's real SDK clients call the local AWS
 * stand-in: AssumeRoleWithWebIdentity (the stand-in verifies the JWT's signature, audience and subject, like the
 * role's trust policy) and Lambda Invoke, whose stand-in runs the real bundled Lambda handler (a fresh Node process
 * per invocation, as the runtime loads it) against the real test kube-apiserver behind the EKS-style auth proxy.
 */
import { createSign, generateKeyPairSync, createVerify, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { bindDeployer, createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import {
  buildBundles,
  runLambdaBundle,
  startEksAuthProxy,
  startFakeAws,
  type EksAuthProxy,
  type FakeAws,
  type FakeCluster,
} from '../helpers/fake-aws.js';
import { runActionBundle, type ActionRun } from '../helpers/run-action.js';

const ROOT = join(import.meta.dirname, '../..');
const GOLDEN = join(ROOT, '../shared/kube-thanos/example');
const ACCOUNT = '111122223333';
const REPOSITORY = 'acme/observability';
const APPLY_ROLE = `arn:aws:iam::${ACCOUNT}:role/thanos-gitops-gha-apply`;
const PLAN_ROLE = `arn:aws:iam::${ACCOUNT}:role/thanos-gitops-gha-plan`;
const CLUSTER_ACCESS_ROLE = `arn:aws:iam::${ACCOUNT}:role/thanos-gitops-cluster-access`;
const PLANTED = 'planted-deploy-secret-Zx81Qw';
const OIDC_REQUEST_TOKEN = 'oidc-request-token-e2e-0001';
const EXEC = {
  id: 'ASIAEXECROLEKEY00001',
  secret: 'exec/role/secret/EXAMPLEKEY',
  token: 'IQoJexecsessiontoken',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-fn/thanos-gitops-fn`,
};

let bundles: { lambda: string; action: string };
let aws: FakeAws;
let proxy: EksAuthProxy;
let oidc: http.Server;
let oidcUrl: string;
let ns: string;
let workspace: string;
const clusters: Record<string, FakeCluster> = {};
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const functionLogs: string[] = [];
const issuedJwts: string[] = [];

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** A GitHub Actions OIDC token: RS256, iss token.actions.githubusercontent.com, the audience asked for. */
function signJwt(claims: Record<string, unknown>): string {
  const head = `${b64url({ alg: 'RS256', typ: 'JWT', kid: 'e2e' })}.${b64url(claims)}`;
  const signature = createSign('RSA-SHA256').update(head).sign(privateKey).toString('base64url');
  return `${head}.${signature}`;
}

function verifyJwt(token: string): Record<string, unknown> {
  const [head, body, signature] = token.split('.');
  if (!head || !body || !signature) throw new Error('not a JWT');
  if (!createVerify('RSA-SHA256').update(`${head}.${body}`).verify(publicKey, Buffer.from(signature, 'base64url')))
    throw new Error('bad JWT signature');
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  if (claims.iss !== 'https://token.actions.githubusercontent.com') throw new Error('wrong issuer');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) throw new Error('expired');
  return claims;
}

function kubectl(...args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', testCluster().adminKubeconfig, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the bundled Action once, as the runner does (`node dist/action/index.js` with INPUT_* and GITHUB_* env). */
async function runAction(
  inputs: Record<string, string>,
  event: { name: string; payload: Record<string, unknown>; ref: string },
): Promise<ActionRun> {
  const sha = 'd'.repeat(40);
  const env: Record<string, string> = {
    GITHUB_EVENT_NAME: event.name,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_SHA: sha,
    GITHUB_REF: event.ref,
    GITHUB_ACTOR: 'octocat',
    GITHUB_RUN_ID: '4242',
    GITHUB_WORKSPACE: workspace,
    ACTIONS_ID_TOKEN_REQUEST_URL: `${oidcUrl}/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: OIDC_REQUEST_TOKEN,
    AWS_ENDPOINT_URL: aws.url,
    // action.yml defaults, as the runner passes every declared input.
    INPUT_MODE: 'deploy',
    INPUT_SOURCE: 'manifests',
    'INPUT_MANIFESTS-DIR': 'deploy',
    INPUT_CONFIG: 'thanos-stack.yaml',
    INPUT_ENVIRONMENT: 'prod',
    'INPUT_GITHUB-TOKEN': 'ghs_unused',
    INPUT_COMMENT: 'true',
    'INPUT_LIVE-DIFF': 'false',
    'INPUT_AWS-REGION': 'eu-west-1',
    'INPUT_ROLE-TO-ASSUME': APPLY_ROLE,
    'INPUT_APPLY-FUNCTION': 'thanos-gitops-apply',
    'INPUT_PLAN-FUNCTION': 'thanos-gitops-plan',
    ...inputs,
  };
  return runActionBundle({
    bundle: bundles.action,
    cwd: workspace,
    runDirPrefix: join(tmpdir(), 'thanos-gitops-deploy-run-'),
    event: event.payload,
    env,
  });
}

const pushToMain = {
  name: 'push',
  ref: 'refs/heads/main',
  payload: {
    ref: 'refs/heads/main',
    before: 'c'.repeat(40),
    after: 'd'.repeat(40),
    repository: { full_name: REPOSITORY, name: 'observability', owner: { login: 'acme' }, default_branch: 'main' },
    pusher: { name: 'octocat' },
  },
};

function lambdaEnv(mode: 'plan' | 'apply'): Record<string, string> {
  return {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: EXEC.id,
    AWS_SECRET_ACCESS_KEY: EXEC.secret,
    AWS_SESSION_TOKEN: EXEC.token,
    AWS_LAMBDA_FUNCTION_NAME: `thanos-gitops-${mode}`,
    AWS_ENDPOINT_URL: aws.url,
    THANOS_GITOPS_MODE: mode,
    CLUSTER_NAME: 'prod',
    CLUSTER_ROLE_ARN: CLUSTER_ACCESS_ROLE,
    TARGET_NAMESPACES: ns,
    ENVIRONMENT: 'prod',
  };
}

async function runFunction(mode: 'plan' | 'apply', payload: unknown): Promise<unknown> {
  const outcome = await runLambdaBundle(bundles.lambda, payload, lambdaEnv(mode));
  functionLogs.push(outcome.logs);
  if (outcome.error) {
    const error = new Error(outcome.error.errorMessage);
    error.name = outcome.error.errorType;
    throw error;
  }
  return outcome.result;
}

function writeDeployDir(namespace: string, extra: Record<string, unknown> = {}): void {
  const dir = join(workspace, 'deploy');
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(GOLDEN)) copyFileSync(join(GOLDEN, file), join(dir, file));
  // Point the golden objects at the test namespace, as a repository for this environment would.
  for (const file of readdirSync(dir))
    writeFileSync(
      join(dir, file),
      readFileSync(join(dir, file), 'utf8').replace(/^ {2}namespace: thanos$/m, `  namespace: ${namespace}`),
    );
  writeFileSync(
    join(dir, 'thanos-objectstorage-secret.yaml'),
    stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'thanos-objectstorage', namespace },
      type: 'Opaque',
      stringData: { 'thanos.yaml': `type: S3\nconfig:\n  secret_key: ${PLANTED}\n` },
    }),
  );
  for (const [file, object] of Object.entries(extra)) writeFileSync(join(dir, file), stringify(object));
}

beforeAll(async () => {
  bundles = buildBundles(ROOT);
  const cluster = testCluster();
  ns = await createNamespace(uniqueNamespace('deploy'));
  await bindDeployer(ns, [
    {
      apiGroups: ['', 'apps', 'policy', 'monitoring.coreos.com', 'coordination.k8s.io'],
      resources: [
        'configmaps',
        'secrets',
        'services',
        'serviceaccounts',
        'statefulsets',
        'deployments',
        'poddisruptionbudgets',
        'servicemonitors',
        'leases',
      ],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
    },
  ]);
  workspace = mkdtempSync(join(tmpdir(), 'thanos-gitops-deploy-ws-'));
  writeDeployDir(ns);

  oidc = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/token' || req.headers.authorization !== `Bearer ${OIDC_REQUEST_TOKEN}`) {
      res.writeHead(401).end();
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const jwt = signJwt({
      jti: randomUUID(),
      sub: `repo:${REPOSITORY}:ref:refs/heads/main`,
      aud: url.searchParams.get('audience') ?? 'https://github.com/acme',
      ref: 'refs/heads/main',
      repository: REPOSITORY,
      repository_owner: 'acme',
      actor: 'octocat',
      event_name: 'push',
      iss: 'https://token.actions.githubusercontent.com',
      nbf: now - 5,
      iat: now,
      exp: now + 300,
    });
    issuedJwts.push(jwt);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: jwt }));
  });
  await new Promise<void>((resolve) => oidc.listen(0, '127.0.0.1', resolve));
  oidcUrl = `http://127.0.0.1:${(oidc.address() as { port: number }).port}`;

  aws = await startFakeAws({
    accountId: ACCOUNT,
    keys: { [EXEC.id]: { secretAccessKey: EXEC.secret, sessionToken: EXEC.token, arn: EXEC.arn } },
    roles: { [CLUSTER_ACCESS_ROLE]: { trusted: [EXEC.arn] } },
    clusters,
    // The trust policies infra/ writes: audience sts.amazonaws.com; apply only from main, plan only from PRs.
    async verifyWebIdentity(token, roleArn) {
      const claims = verifyJwt(token);
      if (claims.aud !== 'sts.amazonaws.com')
        throw new Error(`audience ${String(claims.aud)} is not sts.amazonaws.com`);
      const allowed =
        roleArn === APPLY_ROLE
          ? `repo:${REPOSITORY}:ref:refs/heads/main`
          : roleArn === PLAN_ROLE
            ? `repo:${REPOSITORY}:pull_request`
            : '';
      if (claims.sub !== allowed) throw new Error(`subject ${String(claims.sub)} may not assume ${roleArn}`);
      return claims;
    },
    functions: {
      'thanos-gitops-apply': {
        handler: (payload) => runFunction('apply', payload),
        invokers: [`arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-gha-apply/`],
      },
      'thanos-gitops-plan': {
        handler: (payload) => runFunction('plan', payload),
        invokers: [
          `arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-gha-plan/`,
          `arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-gha-apply/`,
        ],
      },
    },
  });
  proxy = await startEksAuthProxy({
    clusterName: 'prod',
    region: 'eu-west-1',
    stsUrl: aws.url,
    upstream: { server: cluster.server, ca: readFileSync(cluster.caFile, 'utf8') },
    identities: [
      { arnPrefix: `arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-cluster-access/`, token: cluster.deployerToken },
    ],
  });
  clusters.prod = { endpoint: proxy.url, caData: proxy.caData };
});

afterAll(async () => {
  await proxy?.close();
  await aws?.close();
  await new Promise<void>((resolve) => (oidc ? oidc.close(() => resolve()) : resolve()));
});

describe('mode: deploy on a push to the default branch', () => {
  const runs: ActionRun[] = [];

  it('assumes the apply role with the OIDC token, invokes the apply function and the release is applied', async () => {
    const run = await runAction({}, pushToMain);
    runs.push(run);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({ revision: '1', applied: '17', pruned: '0' });
    expect(run.summary).toContain('thanos-gitops deploy to `prod`');
    expect(run.summary).toContain('revision 1');
    expect(run.summary).toContain(`StatefulSet ${ns}/thanos-store`);

    // What kubectl sees.
    expect(
      kubectl('get', 'statefulset', 'thanos-receive-ingestor-default', '-n', ns, '-o', 'jsonpath={.spec.replicas}'),
    ).toBe('1');
    expect(
      kubectl(
        'get',
        'secrets',
        '-n',
        ns,
        '-l',
        'owner=thanos-gitops,name=prod',
        '-o',
        'jsonpath={.items[*].metadata.labels.status}',
      ),
    ).toBe('deployed');

    // The AWS calls, in order: the web identity exchange (unsigned), then Invoke signed by that session.
    const web = aws.calls.find((c) => c.operation === 'AssumeRoleWithWebIdentity');
    expect(web).toMatchObject({
      status: 200,
      accessKeyId: '',
      params: { RoleArn: APPLY_ROLE, RoleSessionName: 'thanos-gitops-4242' },
    });
    expect(web?.params.WebIdentityToken).toBe(issuedJwts[0]);
    const invoke = aws.calls.find((c) => c.operation === 'Invoke');
    expect(invoke).toMatchObject({ status: 200, params: { FunctionName: 'thanos-gitops-apply' } });
    expect(invoke?.caller).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-gha-apply/thanos-gitops-4242`);
    expect(invoke?.headers['x-amz-invocation-type']).toBe('RequestResponse');
    const event = JSON.parse(invoke?.body ?? '{}') as {
      action: string;
      release: { repository: string; commit: string; actor: string; environment: string; manifests: unknown[] };
    };
    expect(event.action).toBe('apply');
    expect(event.release).toMatchObject({
      repository: REPOSITORY,
      commit: 'd'.repeat(40),
      actor: 'octocat',
      environment: 'prod',
    });
    expect(event.release.manifests).toHaveLength(17);
  });

  it('a second deploy of the same commit changes nothing', async () => {
    const run = await runAction({}, pushToMain);
    runs.push(run);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({ revision: '', applied: '0', pruned: '0' });
  });

  it('fails the step with the function reason when the release is refused, and applies nothing', async () => {
    const before = kubectl(
      'get',
      'secrets,configmaps,services',
      '-n',
      ns,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}',
    );
    writeDeployDir(ns, {
      'evil-configmap.yaml': {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'evil', namespace: 'kube-system' },
        data: { a: 'b' },
      },
    });
    try {
      const run = await runAction({}, pushToMain);
      runs.push(run);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /::error::function thanos-gitops-apply failed \(Unhandled\): RefusedError: release acme\/observability@dddddddddddd refused, nothing was applied:/,
      );
      expect(run.stdout).toContain('ConfigMap kube-system/evil');
      expect(
        kubectl(
          'get',
          'secrets,configmaps,services',
          '-n',
          ns,
          '-o',
          'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}',
        ),
      ).toBe(before);
    } finally {
      writeDeployDir(ns);
      execFileSync('rm', ['-f', join(workspace, 'deploy/evil-configmap.yaml')]);
    }
  });

  it('a merged privileged pod is refused by the apply function before any request reaches the cluster', async () => {
    const before = kubectl(
      'get',
      'secrets,configmaps,services,deployments,statefulsets',
      '-n',
      ns,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}',
    );
    const file = join(workspace, 'deploy/thanos-query-deployment.yaml');
    const original = readFileSync(file, 'utf8');
    // privileged without allowPrivilegeEscalation: false (the API server refuses that pair itself): a pod it would run.
    writeFileSync(
      file,
      original.replace(
        '        securityContext:\n          allowPrivilegeEscalation: false',
        '        securityContext:\n          privileged: true',
      ),
    );
    expect(readFileSync(file, 'utf8')).toContain('privileged: true');
    const forwarded = proxy.forwarded.length;
    try {
      const run = await runAction({}, pushToMain);
      runs.push(run);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /::error::function thanos-gitops-apply failed \(Unhandled\): RefusedError: release acme\/observability@dddddddddddd refused, nothing was applied: the apply policy \(built-in default\) refuses 1 field/,
      );
      expect(run.stdout).toContain(
        `Deployment ${ns}/thanos-query (thanos-query-deployment.yaml): .spec.template.spec.containers[0].securityContext.privileged`,
      );
      expect(proxy.forwarded.length).toBe(forwarded);
      expect(
        kubectl(
          'get',
          'secrets,configmaps,services,deployments,statefulsets',
          '-n',
          ns,
          '-o',
          'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}',
        ),
      ).toBe(before);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('refuses to deploy a push to another branch, before asking for any token', async () => {
    const calls = aws.calls.length;
    const tokens = issuedJwts.length;
    const run = await runAction(
      {},
      { ...pushToMain, ref: 'refs/heads/feature', payload: { ...pushToMain.payload, ref: 'refs/heads/feature' } },
    );
    runs.push(run);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "::error::mode 'deploy' applies pushes to the default branch (main); this push is to refs/heads/feature",
    );
    expect(aws.calls.length).toBe(calls);
    expect(issuedJwts.length).toBe(tokens);
  });

  it('a role whose trust policy does not match the workflow is refused by STS with a readable reason', async () => {
    const run = await runAction({ 'INPUT_ROLE-TO-ASSUME': PLAN_ROLE }, pushToMain);
    runs.push(run);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /::error::sts:AssumeRoleWithWebIdentity into arn:aws:iam::111122223333:role\/thanos-gitops-gha-plan failed: .*may not assume.*Check the role's trust policy/,
    );
  });

  it('live-diff on a pull request: the plan function plans the head against the live cluster', async () => {
    writeDeployDir(ns);
    // A change the live diff must show: one more ingestor replica.
    const file = join(workspace, 'deploy/thanos-receive-ingestor-default-statefulSet.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^ {2}replicas: 1$/m, '  replicas: 2'));
    const before = kubectl(
      'get',
      'statefulsets',
      '-n',
      ns,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}',
    );
    const run = await runAction(
      { INPUT_MODE: 'diff', 'INPUT_LIVE-DIFF': 'true', INPUT_COMMENT: 'false', 'INPUT_ROLE-TO-ASSUME': APPLY_ROLE },
      {
        name: 'pull_request',
        ref: 'refs/pull/7/merge',
        payload: {
          number: 7,
          pull_request: {
            number: 7,
            base: { ref: 'main', sha: 'c'.repeat(40) },
            head: { ref: 'feature', sha: 'd'.repeat(40) },
          },
          repository: {
            full_name: REPOSITORY,
            name: 'observability',
            owner: { login: 'acme' },
            default_branch: 'main',
          },
        },
      },
    );
    runs.push(run);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // The ingestor's replicas, and the PR's Secret: never compared with the cluster, always "will be written".
    expect(run.outputs).toMatchObject({ changed: 'true', modified: '2', added: '0', removed: '0' });
    expect(run.summary).toContain('will be written');
    expect(run.summary).toContain('live cluster');
    expect(run.summary).toContain('thanos-receive-ingestor-default');
    expect(run.summary).toMatch(/-\s+replicas: 1\n\+\s+replicas: 2/);
    const invoke = aws.calls.filter((c) => c.operation === 'Invoke').at(-1);
    expect(invoke?.params.FunctionName).toBe('thanos-gitops-plan');
    expect(
      kubectl(
        'get',
        'statefulsets',
        '-n',
        ns,
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}',
      ),
    ).toBe(before);
    writeDeployDir(ns);
  });

  it('source config: the stack config is rendered on the runner and its tls section travels as rotation settings', async () => {
    const stack = readFileSync(join(ROOT, '../shared/kube-thanos/example.yaml'), 'utf8').replace(
      /^ {2}namespace: thanos$/m,
      `  namespace: ${ns}`,
    );
    writeFileSync(
      join(workspace, 'thanos-stack.yaml'),
      `${stack}\ntls:\n  certificates:\n    tenants:\n      - id: team-a\n`,
    );
    // The config resizes the ingestor ring against the live objects; this control plane has no controllers or pods to
    // observe, so the release is applied in one shot (the ordered steps are proven on real Thanos in thanos-ring-scaling).
    const run = await runAction(
      {
        INPUT_SOURCE: 'config',
        INPUT_CONFIG: 'thanos-stack.yaml',
        'INPUT_MANIFESTS-DIR': '',
        'INPUT_ORDERED-APPLY': 'false',
      },
      pushToMain,
    );
    runs.push(run);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(Number(run.outputs.revision)).toBeGreaterThan(1);
    const invoke = aws.calls.filter((c) => c.operation === 'Invoke').at(-1);
    const event = JSON.parse(invoke?.body ?? '{}') as {
      release: { settings?: { tls?: { certificates?: { tenants?: Array<{ id: string }> } } } };
    };
    expect(event.release.settings?.tls?.certificates?.tenants?.[0]?.id).toBe('team-a');
    expect(
      kubectl('get', 'configmap', 'thanos-gitops-settings-prod', '-n', ns, '-o', 'jsonpath={.data.settings\\.json}'),
    ).toContain('team-a');
    // The router now serves remote-write over mTLS from the Secret rotation will issue.
    expect(
      kubectl(
        'get',
        'deployment',
        'thanos-receive-router',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].args}',
      ),
    ).toContain('--remote-write.server-tls-cert');
  });

  it('no secret value, key or token appears in any output, summary or function log', () => {
    // `::add-mask::` commands are consumed by the runner (never shown); they are how the secrets get masked.
    const masked = runs
      .flatMap((r) => r.stdout.split('\n'))
      .filter((line) => line.startsWith('::add-mask::'))
      .map((line) => line.slice('::add-mask::'.length));
    for (const key of [...aws.issued.values()].filter((k) => k.arn.includes('thanos-gitops-gha-'))) {
      expect(masked).toContain(key.secretAccessKey);
      expect(masked).toContain(key.sessionToken);
    }
    const shown = (text: string) =>
      text
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n');
    const texts = [
      ...runs.flatMap((r) => [shown(r.stdout), r.stderr, r.summary, JSON.stringify(r.outputs)]),
      ...functionLogs,
    ].join('\n');
    const secrets = [
      PLANTED,
      EXEC.secret,
      EXEC.token,
      OIDC_REQUEST_TOKEN,
      ...issuedJwts,
      ...[...aws.issued.values()].flatMap((k) => [k.secretAccessKey, k.sessionToken ?? '']),
    ].filter(Boolean);
    for (const secret of secrets) {
      expect(texts).not.toContain(secret);
      expect(texts).not.toContain(Buffer.from(secret).toString('base64'));
    }
    expect(texts).not.toContain('k8s-aws-v1.');
  });
});
