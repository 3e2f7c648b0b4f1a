// The Action's run(deps) in-process: the inputs, outputs, annotations and job summary go through an in-memory
// @actions/core, GitHub's REST API and AWS (STS, Lambda Invoke) are the HTTP-level fakes, and the checkout is a real
// git repository holding the kube-thanos example manifests.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getOctokit } from '@actions/github';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext, ActionCore, ActionDeps } from '../../src/action/deps.js';
import { run } from '../../src/action/run.js';
import type { ReconcilerEvent } from '../../src/reconciler/event.js';
import type { ReconcilerResult } from '../../src/reconciler/result.js';
import { startFakeAws, type FakeAws, type FakeFunction } from '../helpers/fake-aws.js';
import { ACTIONS_BOT, startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { git } from '../helpers/git.js';

const ROOT = join(import.meta.dirname, '../..');
const GOLDEN = join(ROOT, '../shared/kube-thanos/example');
const TOKEN = 'ghs_unitTestToken0000000000000000000000000';
const REPOSITORY = 'acme/observability';
const PR = 7;
const ACCOUNT = '111122223333';
const APPLY_ROLE = `arn:aws:iam::${ACCOUNT}:role/thanos-gitops-gha-apply`;
const ID_TOKEN = 'github-oidc-token-for-unit-tests';

/** What the in-memory @actions/core recorded during one run. */
interface Recorded {
  outputs: Record<string, string>;
  summary: string;
  failed: string[];
  info: string[];
  warnings: string[];
  errors: string[];
  secrets: string[];
  idTokenAudiences: string[];
}

/** An in-memory @actions/core: inputs from a map (the action.yml defaults below, as the runner passes them). */
function memoryCore(inputs: Record<string, string>): { core: ActionCore; recorded: Recorded } {
  const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  const values: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs))
    values[name] = input.default === '${{ github.token }}' ? TOKEN : (input.default ?? '');
  Object.assign(values, inputs);
  const recorded: Recorded = {
    outputs: {},
    summary: '',
    failed: [],
    info: [],
    warnings: [],
    errors: [],
    secrets: [],
    idTokenAudiences: [],
  };
  const text = (message: string | Error) => (message instanceof Error ? message.message : message);
  const core: ActionCore = {
    getInput: (name) => values[name] ?? '',
    info: (message) => void recorded.info.push(message),
    warning: (message) => void recorded.warnings.push(text(message)),
    error: (message) => void recorded.errors.push(text(message)),
    debug: () => undefined,
    setOutput: (name, value) => void (recorded.outputs[name] = String(value)),
    setFailed: (message) => void recorded.failed.push(text(message)),
    setSecret: (secret) => void recorded.secrets.push(secret),
    getIDToken: async (audience) => {
      recorded.idTokenAudiences.push(audience ?? '');
      return ID_TOKEN;
    },
    summary: {
      addRaw: (raw) => ({
        write: async () => {
          recorded.summary += raw;
        },
      }),
    },
  };
  return { core, recorded };
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

let scratch: string;
let repo: string;
let baseSha: string;
let headSha: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'thanos-gitops-action-run-'));
  repo = join(scratch, 'repo');
  mkdirSync(join(repo, 'deploy'), { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  for (const file of readdirSync(GOLDEN)) copyFileSync(join(GOLDEN, file), join(repo, 'deploy', file));
  writeFileSync(
    join(repo, 'deploy/thanos-objectstorage-secret.yaml'),
    objstoreSecret('type: S3\nconfig:\n  bucket: old\n'),
  );
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'base');
  baseSha = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '-q', '-b', 'feature');
  const path = join(repo, 'deploy/thanos-receive-ingestor-default-statefulSet.yaml');
  const sts = parse(readFileSync(path, 'utf8')) as { spec: { replicas: number } };
  sts.spec.replicas += 1;
  writeFileSync(path, stringify(sts));
  git(repo, 'commit', '-q', '-am', 'head');
  headSha = git(repo, 'rev-parse', 'HEAD');
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function context(eventName: string, payload: Record<string, unknown>, ref: string, sha: string): ActionContext {
  const [owner, name] = REPOSITORY.split('/') as [string, string];
  return { eventName, payload, ref, sha, actor: 'octocat', repo: { owner, repo: name } };
}

const repository = { full_name: REPOSITORY, name: 'observability', owner: { login: 'acme' }, default_branch: 'main' };

function pullRequest(): ActionContext {
  const payload = {
    action: 'synchronize',
    number: PR,
    pull_request: {
      number: PR,
      base: { ref: 'main', sha: baseSha, repo: { full_name: REPOSITORY } },
      head: { ref: 'feature', sha: headSha, repo: { full_name: REPOSITORY } },
    },
    repository,
  };
  return context('pull_request', payload, `refs/pull/${PR}/merge`, headSha);
}

function pushTo(branch: string): ActionContext {
  return context(
    'push',
    { ref: `refs/heads/${branch}`, before: baseSha, after: headSha, repository },
    `refs/heads/${branch}`,
    headSha,
  );
}

interface Fakes {
  github?: FakeGitHub;
  aws?: FakeAws;
}

function deps(core: ActionCore, actionContext: ActionContext, fakes: Fakes): ActionDeps {
  return {
    core,
    context: actionContext,
    env: { GITHUB_WORKSPACE: repo, RUNNER_TEMP: join(scratch, 'runner-temp'), GITHUB_RUN_ID: '99' },
    github: (token) => getOctokit(token, { baseUrl: fakes.github?.url ?? 'http://127.0.0.1:9' }),
    sts: (config) => new STSClient({ ...config, endpoint: fakes.aws?.url }),
    lambda: (config) => new LambdaClient({ ...config, endpoint: fakes.aws?.url }),
  };
}

describe('run(deps), mode diff', () => {
  let github: FakeGitHub | undefined;
  afterEach(async () => {
    await github?.close();
    github = undefined;
  });

  it('diffs base against head, sets the outputs, writes the reports and one sticky comment', async () => {
    const fake = await startFakeGitHub({ token: TOKEN });
    github = fake;
    const { core, recorded } = memoryCore({
      source: 'manifests',
      'manifests-dir': 'deploy',
      environment: 'production',
    });
    await run(deps(core, pullRequest(), { github: fake }));
    expect(recorded.failed).toEqual([]);
    expect(recorded.outputs).toMatchObject({ changed: 'true', added: '0', removed: '0', modified: '1' });
    expect(recorded.outputs['report-path']).toBe(join(scratch, 'runner-temp/thanos-gitops/production-report.md'));
    expect(readFileSync(recorded.outputs['report-path']!, 'utf8')).toContain(
      'StatefulSet thanos/thanos-receive-ingestor-default',
    );
    expect(JSON.parse(readFileSync(recorded.outputs['json-report-path']!, 'utf8'))).toMatchObject({
      environment: 'production',
      counts: { modified: 1 },
    });
    expect(recorded.summary).toContain('**1 object changes**');
    const comments = fake.comments.get(`${REPOSITORY}#${PR}`) ?? [];
    expect(comments).toHaveLength(1);
    expect(comments[0]!.user.login).toBe(ACTIONS_BOT.login);
    expect(comments[0]!.body.startsWith('<!-- thanos-gitops:production -->\n')).toBe(true);
    expect(recorded.info).toContain(`thanos-gitops: comment created (${comments[0]!.html_url})`);

    // A second run with the same change leaves the comment as it is.
    const again = memoryCore({ source: 'manifests', 'manifests-dir': 'deploy', environment: 'production' });
    await run(deps(again.core, pullRequest(), { github: fake }));
    expect(again.recorded.failed).toEqual([]);
    expect(fake.calls.filter((call) => call.method !== 'GET')).toHaveLength(1);
    expect(again.recorded.info).toContain(`thanos-gitops: comment unchanged (${comments[0]!.html_url})`);
  });

  it('fails the step with the reason on an event it does not run on, before reading the checkout', async () => {
    const { core, recorded } = memoryCore({ source: 'manifests', 'manifests-dir': 'missing-dir' });
    await run(deps(core, context('issues', { repository }, 'refs/heads/main', headSha), {}));
    expect(recorded.failed).toEqual([
      expect.stringContaining("mode 'diff' runs on pull_request and push events, not 'issues'"),
    ]);
    expect(recorded.outputs).toEqual({});
  });

  it('refuses a pull_request_target whose code comes from a fork, naming the input that allows it', async () => {
    const { core, recorded } = memoryCore({ source: 'manifests', 'manifests-dir': 'deploy' });
    const event = pullRequest();
    const payload = {
      ...event.payload,
      pull_request: {
        number: PR,
        base: { sha: baseSha },
        head: { sha: headSha, repo: { full_name: 'mallory/observability' } },
      },
    };
    await run(deps(core, { ...event, eventName: 'pull_request_target', payload }, {}));
    expect(recorded.failed).toEqual([
      expect.stringContaining(
        'refusing to run on a pull_request_target event whose code comes from the fork mallory/observability',
      ),
    ]);
    expect(recorded.failed[0]).toContain('allow-untrusted-checkout: true');
  });

  it('words a source error for Action users: inputs, not CLI flags', async () => {
    const { core, recorded } = memoryCore({ source: 'manifests', 'manifests-dir': '' });
    await run(deps(core, pullRequest(), {}));
    expect(recorded.failed).toHaveLength(1);
    expect(recorded.failed[0]).toMatch(/^inputs source\/config\/entrypoint\/jpath\/manifests-dir: /);
    expect(recorded.failed[0]).not.toMatch(/--dir\b/);
  });
});

describe('run(deps) with the reconciler functions', () => {
  let aws: FakeAws;
  const events: Array<{ name: string; event: ReconcilerEvent; caller: string }> = [];
  const answer =
    (name: string, reply: (event: ReconcilerEvent) => ReconcilerResult): FakeFunction =>
    async (payload, invoke) => {
      events.push({ name, event: payload as ReconcilerEvent, caller: invoke.caller });
      return reply(payload as ReconcilerEvent);
    };
  const result = (event: ReconcilerEvent, extra: Partial<ReconcilerResult>): ReconcilerResult => ({
    action: event.action,
    mode: 'apply',
    environment: 'production',
    namespace: 'thanos',
    applied: 0,
    pruned: 0,
    unchanged: 0,
    drifted: 0,
    objects: { applied: [], pruned: [], drifted: [] },
    warnings: [],
    writes: 0,
    ...extra,
  });

  beforeAll(async () => {
    aws = await startFakeAws({
      accountId: ACCOUNT,
      verifyWebIdentity: async (token) => {
        if (token !== ID_TOKEN) throw new Error('not the GitHub OIDC token');
        return { aud: 'sts.amazonaws.com', sub: `repo:${REPOSITORY}:ref:refs/heads/main` };
      },
      functions: {
        'thanos-gitops-apply': {
          invokers: [`arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-gha-apply/`],
          handler: answer('thanos-gitops-apply', (event) => {
            if (event.action !== 'apply') throw new Error('apply only');
            if (event.release.environment === 'refused') {
              const refusal = new Error("release is for environment 'refused' but this function serves 'production'");
              refusal.name = 'RefusedError';
              throw refusal;
            }
            return result(event, {
              revision: 4,
              commit: event.release.commit,
              applied: 2,
              unchanged: 30,
              writes: 3,
              objects: {
                applied: ['StatefulSet thanos/thanos-receive-ingestor-default', 'Secret thanos/thanos-objectstorage'],
                pruned: [],
                drifted: [],
              },
              warnings: ['rollout of StatefulSet thanos/thanos-receive-ingestor-default took 2 attempts'],
            });
          }),
        },
        'thanos-gitops-plan': {
          invokers: [`arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-gha-apply/`],
          handler: answer('thanos-gitops-plan', (event) =>
            result(event, {
              mode: 'plan',
              diff: {
                entries: [],
                counts: { added: 0, removed: 0, modified: 0, unchanged: 31 },
                risks: [],
                issues: [],
              } as never,
              warnings: ['StatefulSet thanos/x: field .spec.replicas is owned by field manager "hpa"'],
            }),
          ),
        },
      },
    });
  });

  afterAll(async () => {
    await aws?.close();
  });

  const deployInputs = {
    mode: 'deploy',
    source: 'manifests',
    'manifests-dir': 'deploy',
    environment: 'production',
    'aws-region': 'eu-west-1',
    'role-to-assume': APPLY_ROLE,
    'apply-function': 'thanos-gitops-apply',
    'plan-function': 'thanos-gitops-plan',
  };

  it('deploy: assumes the role with the OIDC token, invokes the apply function with the release, reports what it did', async () => {
    events.length = 0;
    const { core, recorded } = memoryCore(deployInputs);
    await run(deps(core, pushTo('main'), { aws }));
    expect(recorded.failed).toEqual([]);
    expect(recorded.idTokenAudiences).toEqual(['sts.amazonaws.com']);
    const assume = aws.calls.find((call) => call.operation === 'AssumeRoleWithWebIdentity');
    expect(assume?.params).toMatchObject({
      RoleArn: APPLY_ROLE,
      RoleSessionName: 'thanos-gitops-99',
      WebIdentityToken: ID_TOKEN,
    });
    // The session's secret and token are masked in the job log.
    const issued = [...aws.issued.values()].at(-1)!;
    expect(recorded.secrets).toEqual([issued.secretAccessKey, issued.sessionToken]);
    expect(events).toHaveLength(1);
    const { event, caller } = events[0]!;
    expect(caller).toBe(issued.arn);
    expect(event.action).toBe('apply');
    if (event.action !== 'apply') return;
    expect(event.release).toMatchObject({
      repository: REPOSITORY,
      commit: headSha,
      actor: 'octocat',
      environment: 'production',
    });
    expect(event.release.manifests).toHaveLength(readdirSync(join(repo, 'deploy')).length);
    expect(event.release.settings).toBeUndefined();
    expect(recorded.outputs).toEqual({ revision: '4', applied: '2', pruned: '0' });
    expect(recorded.warnings).toEqual([
      'rollout of StatefulSet thanos/thanos-receive-ingestor-default took 2 attempts',
    ]);
    expect(recorded.summary).toContain('## thanos-gitops deploy to `production`');
    expect(recorded.summary).toContain(`Release **revision 4** from \`${REPOSITORY}@${headSha.slice(0, 12)}\`.`);
    expect(recorded.summary).toContain('| 2 | 0 | 30 | 3 |');
  });

  it("deploy: a function error fails the step with the function's reason", async () => {
    const { core, recorded } = memoryCore({ ...deployInputs, environment: 'refused' });
    await run(deps(core, pushTo('main'), { aws }));
    expect(recorded.failed).toEqual([
      "function thanos-gitops-apply failed (Unhandled): RefusedError: release is for environment 'refused' but this function serves 'production'",
    ]);
    expect(recorded.outputs).toEqual({});
  });

  it('deploy: refuses a push to another branch before rendering or calling AWS', async () => {
    const calls = aws.calls.length;
    const { core, recorded } = memoryCore(deployInputs);
    await run(deps(core, pushTo('feature'), { aws }));
    expect(recorded.failed).toEqual([
      expect.stringContaining(
        "mode 'deploy' applies pushes to the default branch (main); this push is to refs/heads/feature",
      ),
    ]);
    expect(aws.calls.length).toBe(calls);
  });

  it('deploy: a missing apply-function names the input', async () => {
    const { core, recorded } = memoryCore({ ...deployInputs, 'apply-function': '' });
    await run(deps(core, pushTo('main'), { aws }));
    expect(recorded.failed).toEqual([
      "input 'apply-function' is empty; set the name or ARN of the apply function (an output of the infra stack)",
    ]);
  });

  it('live-diff: a missing plan-function or region names the input', async () => {
    const noFunction = memoryCore({ ...deployInputs, mode: 'diff', 'live-diff': 'true', 'plan-function': ' ' });
    await run(deps(noFunction.core, pullRequest(), { aws }));
    expect(noFunction.recorded.failed).toEqual([
      "input 'plan-function' is empty; live-diff needs the name or ARN of the plan function (an output of the infra stack)",
    ]);
    const noRegion = memoryCore({ ...deployInputs, mode: 'diff', 'live-diff': 'true', 'aws-region': '' });
    await run(deps(noRegion.core, pullRequest(), { aws }));
    expect(noRegion.recorded.failed).toEqual([
      "input 'aws-region' is empty; live-diff needs the region of the plan function",
    ]);
  });

  it('live-diff: plans the head through the plan function and reports its diff', async () => {
    events.length = 0;
    const { core, recorded } = memoryCore({ ...deployInputs, mode: 'diff', 'live-diff': 'true', comment: 'false' });
    await run(deps(core, pullRequest(), { aws }));
    expect(recorded.failed).toEqual([]);
    expect(events.map((e) => [e.name, e.event.action])).toEqual([['thanos-gitops-plan', 'plan']]);
    expect(recorded.outputs).toMatchObject({ changed: 'false', modified: '0', risks: '0' });
    expect(recorded.warnings).toContain('StatefulSet thanos/x: field .spec.replicas is owned by field manager "hpa"');
    expect(recorded.summary).toContain('live cluster');
  });
});
