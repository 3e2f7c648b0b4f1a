// Runs the bundled Action (dist/action/index.js) the way the GitHub runner does: `node` with INPUT_* variables
// (upper-cased, dashes kept), a pull_request event file, GITHUB_OUTPUT/GITHUB_STEP_SUMMARY files and a real git
// checkout, against a local fake of GitHub's REST API.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS_BOT, startFakeGitHub, type FakeGitHub, type FakeUser } from '../helpers/fake-github.js';
import { runActionBundle, type ActionRun } from '../helpers/run-action.js';
import { git } from '../helpers/git.js';

const ROOT = join(import.meta.dirname, '../..');
const BUNDLE = join(ROOT, 'dist/action/index.js');
const GOLDEN = join(ROOT, '../shared/kube-thanos/example');
const TOKEN = 'ghs_e2eTestToken000000000000000000000000';
const REPOSITORY = 'acme/observability';
const PR = 42;
const PLANTED = 'planted-objstore-Secret-9f3Kq';
const PLANTED_BASE64 = Buffer.from(PLANTED).toString('base64');

/** The defaults action.yml declares, as the runner passes them (every declared input is set). */
function defaultInputs(token: string): Record<string, string> {
  const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  const env: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs)) {
    const value = input.default === '${{ github.token }}' ? token : (input.default ?? '');
    env[`INPUT_${name.toUpperCase()}`] = value;
  }
  return env;
}

function objstoreSecret(value: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'thanos-objectstorage', namespace: 'thanos' },
    type: 'Opaque',
    stringData: { 'thanos.yaml': value },
  });
}

type Mutable = Record<string, any>;

function editYaml(path: string, edit: (object: Mutable) => void): void {
  const object = parse(readFileSync(path, 'utf8')) as Mutable;
  edit(object);
  writeFileSync(path, stringify(object));
}

interface Checkout {
  scratch: string;
  repo: string;
  baseSha: string;
}

/** A git repository whose `main` holds what `populate` writes, checked out on a `feature` branch. */
function createCheckout(populate: (repo: string) => void): Checkout {
  const scratch = mkdtempSync(join(tmpdir(), 'thanos-gitops-action-'));
  const repo = join(scratch, 'repo');
  mkdirSync(repo, { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  populate(repo);
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'base');
  const baseSha = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '-q', '-b', 'feature');
  return { scratch, repo, baseSha };
}

/** Commits the working tree as the PR head and runs the Action once, as the runner would. */
async function runBundledAction(
  checkout: Checkout,
  apiUrl: string,
  inputs: Record<string, string>,
  eventName: 'pull_request' | 'push' = 'pull_request',
): Promise<ActionRun> {
  const { scratch, repo, baseSha } = checkout;
  git(repo, 'add', '-A');
  const beforeSha = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'head');
  const headSha = git(repo, 'rev-parse', 'HEAD');
  const pushEvent = {
    ref: 'refs/heads/feature',
    before: beforeSha,
    after: headSha,
    repository: { full_name: REPOSITORY, name: 'observability', owner: { login: 'acme' } },
    pusher: { name: 'dev' },
  };
  const pullRequestEvent = {
    action: 'synchronize',
    number: PR,
    pull_request: {
      number: PR,
      state: 'open',
      title: 'Scale the receive ingestors',
      base: { ref: 'main', sha: baseSha, repo: { full_name: REPOSITORY } },
      head: { ref: 'feature', sha: headSha, repo: { full_name: REPOSITORY } },
    },
    repository: { full_name: REPOSITORY, name: 'observability', owner: { login: 'acme' } },
    sender: { login: 'dev', type: 'User' },
  };
  const env: Record<string, string> = {
    NO_PROXY: '127.0.0.1',
    GITHUB_EVENT_NAME: eventName,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_SHA: headSha,
    GITHUB_REF: eventName === 'push' ? 'refs/heads/feature' : `refs/pull/${PR}/merge`,
    GITHUB_WORKSPACE: repo,
    GITHUB_API_URL: apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    ...defaultInputs(TOKEN),
    ...inputs,
  };
  return runActionBundle({
    bundle: BUNDLE,
    cwd: repo,
    runDirPrefix: join(scratch, 'run-'),
    event: eventName === 'push' ? pushEvent : pullRequestEvent,
    env,
  });
}

beforeAll(() => {
  // `npm test` builds dist/ first, so this runs the current code exactly as the runner would.
  if (!existsSync(join(ROOT, 'dist/action/index.js')))
    throw new Error('dist/action/index.js is missing: run `npm run build` (npm test does)');
});

describe('the bundled Action on a pull_request event', () => {
  let github: FakeGitHub;
  let scratch: string;
  let repo: string;
  let baseSha: string;

  beforeAll(() => {
    ({ scratch, repo, baseSha } = createCheckout((root) => {
      mkdirSync(join(root, 'deploy'));
      for (const file of readdirSync(GOLDEN)) copyFileSync(join(GOLDEN, file), join(root, 'deploy', file));
      writeFileSync(
        join(root, 'deploy/thanos-objectstorage-secret.yaml'),
        objstoreSecret(`type: S3\nconfig:\n  secret_key: old-${PLANTED}\n`),
      );
    }));
  });

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  afterEach(async () => {
    await github?.close();
  });

  const runAction = (inputs: Record<string, string> = {}, eventName: 'pull_request' | 'push' = 'pull_request') =>
    runBundledAction(
      { scratch, repo, baseSha },
      github.url,
      { INPUT_SOURCE: 'manifests', 'INPUT_MANIFESTS-DIR': 'deploy', INPUT_ENVIRONMENT: 'production', ...inputs },
      eventName,
    );

  function expectNoSecret(run: ActionRun, extra: string[] = []): void {
    const texts = [
      run.stdout,
      run.stderr,
      run.summary,
      JSON.stringify(run.outputs),
      JSON.stringify(github.calls),
      ...extra,
    ];
    if (run.outputs['report-path']) texts.push(readFileSync(run.outputs['report-path'], 'utf8'));
    if (run.outputs['json-report-path']) texts.push(readFileSync(run.outputs['json-report-path'], 'utf8'));
    for (const text of texts) {
      expect(text).not.toContain(PLANTED);
      expect(text).not.toContain(PLANTED_BASE64);
    }
  }

  async function start(user?: FakeUser): Promise<void> {
    github = await startFakeGitHub({ token: TOKEN, ...(user ? { user } : {}) });
    // Other people's comments fill more than one page, and one of them quotes the marker.
    for (let i = 0; i < 130; i++)
      github.seedComment(`${REPOSITORY}#${PR}`, `LGTM ${i}`, { login: `reviewer-${i % 3}`, id: 500 + i, type: 'User' });
    github.seedComment(`${REPOSITORY}#${PR}`, '> <!-- thanos-gitops:production -->\n> quoted by a human', {
      login: 'reviewer-0',
      id: 500,
      type: 'User',
    });
  }

  it('creates one sticky comment, then updates it, then says when the change is gone', async () => {
    await start();
    const issue = `${REPOSITORY}#${PR}`;
    editYaml(join(repo, 'deploy/thanos-receive-router-configmap.yaml'), (configMap) => {
      configMap.data['hashrings.json'] = JSON.stringify([
        {
          hashring: 'default',
          endpoints: [
            'thanos-receive-ingestor-default-0.thanos-receive-ingestor-default.thanos:10901',
            'thanos-receive-ingestor-default-1.thanos-receive-ingestor-default.thanos:10901',
          ],
          tenants: [],
        },
      ]);
    });
    editYaml(join(repo, 'deploy/thanos-receive-ingestor-default-statefulSet.yaml'), (sts) => {
      sts.spec.replicas = 2;
    });
    writeFileSync(
      join(repo, 'deploy/thanos-objectstorage-secret.yaml'),
      objstoreSecret(`type: S3\nconfig:\n  secret_key: ${PLANTED}\n`),
    );

    const first = await runAction();
    expect(first.stderr).toBe('');
    expect(first.code, first.stdout).toBe(0);
    expect(first.outputs).toMatchObject({ changed: 'true', added: '0', removed: '0', modified: '3', risks: '1' });
    const mine = () => (github.comments.get(issue) ?? []).filter((comment) => comment.user.login === ACTIONS_BOT.login);
    expect(mine()).toHaveLength(1);
    const body = mine()[0]!.body;
    expect(body.startsWith('<!-- thanos-gitops:production -->\n')).toBe(true);
    expect(body).toContain('**3 objects change**');
    expect(body).toContain('hashring-membership');
    expect(body).toContain('thanos-receive-ingestor-default-1.thanos-receive-ingestor-default.thanos:10901');
    expect(body).toMatch(/Secret thanos\/thanos-objectstorage/);
    expect(body).toMatch(/hmac-sha256:[0-9a-f]{10}/);
    expect(first.summary).toContain('**3 objects change**');
    expect(readFileSync(first.outputs['report-path']!, 'utf8')).toContain('hashring-membership');
    // The JSON report sits beside the Markdown one, for tools: objects, risks with their source, forecast, capacity.
    expect(first.outputs['json-report-path']).toBe(first.outputs['report-path']!.replace(/\.md$/, '.json'));
    const json = JSON.parse(readFileSync(first.outputs['json-report-path']!, 'utf8'));
    expect(json).toMatchObject({ schemaVersion: 1, environment: 'production', counts: { modified: 3 } });
    expect(json.objects.filter((object: { change: string }) => object.change === 'modified')).toHaveLength(3);
    expect(json.risks).toEqual([
      expect.objectContaining({
        id: 'hashring-membership',
        severity: expect.any(String),
        object: 'ConfigMap thanos/hashring-config',
        message: expect.any(String),
        source: expect.objectContaining({
          url: expect.stringMatching(/^https:\/\/github\.com\/thanos-io\/thanos\/blob\/v0\.42\.4\//),
        }),
      }),
    ]);
    expect(json.forecast.map((item: { object: string }) => item.object)).toContain(
      'StatefulSet thanos/thanos-receive-ingestor-default',
    );
    expect(json.capacity.find((item: { component: string }) => item.component === 'receive ingestor')).toMatchObject({
      base: { pods: 1 },
      head: { pods: 2 },
    });
    expect(first.stdout).toMatch(
      /::warning title=thanos-gitops hashring-membership::ConfigMap thanos\/hashring-config/,
    );
    const writes = () => github.calls.filter((call) => call.method !== 'GET');
    expect(writes().map((call) => `${call.method} ${call.path}`)).toEqual([
      `POST /repos/${REPOSITORY}/issues/${PR}/comments`,
    ]);
    // Both pages of comments were read before deciding to create.
    expect(
      github.calls
        .filter((call) => call.method === 'GET' && call.path.endsWith('/comments'))
        .map((call) => call.query['page'] ?? '1'),
    ).toEqual(['1', '2']);
    expect(github.calls.every((call) => call.authorization === `token ${TOKEN}`)).toBe(true);
    expectNoSecret(first);

    editYaml(join(repo, 'deploy/thanos-store-statefulSet.yaml'), (sts) => {
      sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '200Gi';
    });
    const second = await runAction();
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs).toMatchObject({ changed: 'true', modified: '4', risks: '2' });
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.body).toContain('immutable-field');
    expect(writes().map((call) => `${call.method} ${call.path}`)).toEqual([
      `POST /repos/${REPOSITORY}/issues/${PR}/comments`,
      `PATCH /repos/${REPOSITORY}/issues/comments/${mine()[0]!.id}`,
    ]);
    expectNoSecret(second);

    // Revert to the base content: the comment is kept but now says there is nothing to apply.
    git(repo, 'checkout', '-q', baseSha, '--', 'deploy');
    const third = await runAction();
    expect(third.code, third.stdout).toBe(0);
    expect(third.outputs).toMatchObject({ changed: 'false', added: '0', removed: '0', modified: '0', risks: '0' });
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.body).toContain('**No changes.**');
    expect(writes()).toHaveLength(3);
    // The human's comment quoting the marker was never touched.
    expect(
      (github.comments.get(issue) ?? []).find((comment) => comment.body.includes('quoted by a human'))!.updated_at,
    ).toBe(
      (github.comments.get(issue) ?? []).find((comment) => comment.body.includes('quoted by a human'))!.created_at,
    );
    expectNoSecret(third);
  });

  it('finds its comment by GET /user login when the token is a personal token, and keeps environments apart', async () => {
    const bot: FakeUser = { login: 'thanos-deployer', id: 7001, type: 'User' };
    await start(bot);
    editYaml(join(repo, 'deploy/thanos-query-deployment.yaml'), (deployment) => {
      deployment.spec.replicas = 3;
    });
    const staging = await runAction({ INPUT_ENVIRONMENT: 'staging' });
    const production = await runAction({ INPUT_ENVIRONMENT: 'production' });
    const again = await runAction({ INPUT_ENVIRONMENT: 'production' });
    for (const run of [staging, production, again]) expect(run.code, run.stdout).toBe(0);
    const mine = (github.comments.get(`${REPOSITORY}#${PR}`) ?? []).filter(
      (comment) => comment.user.login === bot.login,
    );
    expect(mine.map((comment) => comment.body.split('\n')[0])).toEqual([
      '<!-- thanos-gitops:staging -->',
      '<!-- thanos-gitops:production -->',
    ]);
    expect(github.calls.filter((call) => call.path === '/user').length).toBe(3);
    // The third run (a new head commit) updates the production comment in place.
    expect(github.calls.filter((call) => call.method === 'POST')).toHaveLength(2);
    expect(github.calls.filter((call) => call.method === 'PATCH').map((call) => call.path)).toEqual([
      `/repos/${REPOSITORY}/issues/comments/${mine[1]!.id}`,
    ]);
  });

  it('fails with a message naming the input when the source is wrong', async () => {
    await start();
    const run = await runAction({ INPUT_SOURCE: 'helm' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::error::.*unknown source 'helm'/);
    expect(github.calls).toHaveLength(0);
  });

  it('reports a push against the commit before it, without a comment', async () => {
    await start();
    editYaml(join(repo, 'deploy/thanos-store-statefulSet.yaml'), (sts) => {
      sts.spec.serviceName = 'thanos-store-v2';
    });
    const run = await runAction({}, 'push');
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'true', modified: '1', risks: '1' });
    expect(run.summary).toContain('immutable-field');
    expect(run.summary).toContain('(feature)');
    expect(github.calls).toHaveLength(0);
  });

  it('warns but succeeds when the token may not comment (a pull request from a fork)', async () => {
    github = await startFakeGitHub({ token: TOKEN, readOnly: true });
    editYaml(join(repo, 'deploy/thanos-query-deployment.yaml'), (deployment) => {
      deployment.spec.replicas = 4;
    });
    const run = await runAction();
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/::warning::could not write the pull request comment \(HTTP 403\)/);
    expect(run.outputs['changed']).toBe('true');
    expect(run.summary).toContain('| Deployment | thanos/thanos-query | modified |');
  });

  it('sets every output, report-path included, before posting the comment, so a failed comment still leaves them', async () => {
    await start();
    editYaml(join(repo, 'deploy/thanos-query-deployment.yaml'), (deployment) => {
      deployment.spec.replicas = 6;
    });
    // An expired token: GitHub answers 401 and the step fails, as it should.
    const run = await runAction({ 'INPUT_GITHUB-TOKEN': 'expired-token' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::error::.*Bad credentials/);
    expect(run.outputs).toMatchObject({ changed: 'true', added: '0', removed: '0' });
    expect(run.outputs['modified']).toMatch(/^[1-9]\d*$/);
    expect(run.outputs['risks']).toMatch(/^\d+$/);
    expect(readFileSync(run.outputs['report-path']!, 'utf8')).toContain('thanos/thanos-query');
    expect(run.summary).toContain('| Deployment | thanos/thanos-query | modified |');
  });

  it('names Action inputs, not CLI flags, in its errors', async () => {
    await start();
    const missingDir = await runAction({ 'INPUT_MANIFESTS-DIR': 'no-such-dir' });
    expect(missingDir.code).toBe(1);
    expect(missingDir.stdout).toContain(
      "::error::manifests directory no-such-dir does not exist; pass an existing directory with input 'manifests-dir'",
    );
    const noDir = await runAction({ 'INPUT_MANIFESTS-DIR': '' });
    expect(noDir.stdout).toContain(
      "::error::inputs source/config/entrypoint/jpath/manifests-dir: the manifests source needs a directory (e.g. 'manifests-dir: deploy/thanos')",
    );
    const stray = await runAction({ INPUT_SOURCE: 'config', INPUT_CONFIG: '' });
    expect(stray.stdout).toContain(
      "::error::inputs source/config/entrypoint/jpath/manifests-dir: 'manifests-dir' does not apply to the config source",
    );
    const missingConfig = await runAction({
      INPUT_SOURCE: 'config',
      'INPUT_MANIFESTS-DIR': '',
      INPUT_CONFIG: 'missing.yaml',
    });
    expect(missingConfig.stdout).toContain(
      "::error::stack config missing.yaml does not exist; pass one with input 'config'",
    );
    for (const run of [missingDir, noDir, stray, missingConfig])
      expect(run.stdout).not.toMatch(/--(dir|config|jpath|entrypoint)\b/);
    expect(github.calls).toHaveLength(0);
  });

  it('skips the comment when comment is false but still writes the summary and outputs', async () => {
    await start();
    editYaml(join(repo, 'deploy/thanos-query-deployment.yaml'), (deployment) => {
      deployment.spec.replicas = 5;
    });
    const run = await runAction({ INPUT_COMMENT: 'false' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['changed']).toBe('true');
    expect(run.summary).toContain('thanos-gitops diff for `production`');
    expect(github.calls).toHaveLength(0);
  });
});

describe('the bundled Action with its defaults (source: config, thanos-stack.yaml)', () => {
  let checkout: Checkout;
  let github: FakeGitHub;

  beforeAll(() => {
    checkout = createCheckout((root) =>
      copyFileSync(join(ROOT, '../shared/kube-thanos/example.yaml'), join(root, 'thanos-stack.yaml')),
    );
  });

  afterAll(() => {
    if (checkout) rmSync(checkout.scratch, { recursive: true, force: true });
  });

  afterEach(async () => {
    await github?.close();
  });

  it('renders base and head with the stack renderer and flags scaling the ingestors', async () => {
    github = await startFakeGitHub({ token: TOKEN });
    const stack = join(checkout.repo, 'thanos-stack.yaml');
    writeFileSync(
      stack,
      readFileSync(stack, 'utf8').replace(
        /receiveIngestor:\n {2}replicas: 1\n {2}replicaLabels: \[receive_replica\]\n {2}replicationFactor: 1/,
        'receiveIngestor:\n  replicas: 3\n  replicaLabels: [receive_replica]\n  replicationFactor: 3',
      ),
    );
    const run = await runBundledAction(checkout, github.url, {});
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('rendering stack config thanos-stack.yaml for environment default');
    expect(run.outputs['changed']).toBe('true');
    const comment = github.comments.get(`${REPOSITORY}#${PR}`)?.[0];
    expect(comment?.body.startsWith('<!-- thanos-gitops:default -->')).toBe(true);
    expect(comment?.body).toContain('replication-factor');
    expect(comment?.body).toContain('thanos/thanos-receive-ingestor-default');
    // RF 3 makes three copies of every series: the querier's replica labels must name `replica`.
    expect(run.stdout).toMatch(
      /::warning title=thanos-gitops query-replica-labels::Deployment thanos\/thanos-query \(query\.replicaLabels\): .*RF 3 stores every series 3 times/,
    );
    expect(comment?.body).toContain('#### Stack validation (head)');
    expect(comment?.body).toContain('#### Restart impact');
  });
});
