// Attacks a pull request author can make on the shipped artefacts (dist/action run as the runner runs it, dist/cli run
// as a user runs it), each with a planted value that must appear nowhere: not in the comment, the job summary, the
// outputs, the log, the error, nor any file the run writes. Each attack is refused or neutralised with a clear message.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS_BOT, startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { git } from '../helpers/git.js';
import { runActionBundle, type ActionRun } from '../helpers/run-action.js';

const ROOT = join(import.meta.dirname, '../..');
const ACTION = join(ROOT, 'dist/action/index.js');
const CLI = join(ROOT, 'dist/cli/index.js');
const TOKEN = 'ghs_hostileTestToken0000000000000000000000';
const REPOSITORY = 'acme/observability';
const PR = 7;

// Planted values: each must never leave the file it was planted in.
const PLANTED_BASIC = Buffer.from('x-access-token:ghs_PLANTEDcheckoutTOKEN9q2').toString('base64');
const PLANTED_PASSWD = 'planted-passwd-entry-7Hq2';
const PLANTED_NOTES = 'planted-repo-notes-K3v9';
const PLANTED_ENV = 'planted-runner-env-Z8m1';
const PLANTED_S3 = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTED01';
const PLANTED_BEARER = 'plantedBearerToken.Qw8e7r6t5y';
const PLANTED_SECRET = 'planted-secret-value-M4n5';

const baseEntrypoint =
  "{ 'thanos-config': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'thanos-config', namespace: 'thanos' }, data: { v: 'base' } } }\n";
const configMapField = (value: string) =>
  `{ 'thanos-config': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'thanos-config', namespace: 'thanos' }, data: { v: ${value} } } }\n`;

interface Checkout {
  scratch: string;
  repo: string;
  baseSha: string;
  /** A file outside the repository shaped like /etc/passwd. */
  passwd: string;
}

/**
 * A checkout as actions/checkout leaves it: the token in .git/config as an AUTHORIZATION extraheader, `main` holding
 * what `populate` writes, a `feature` branch for the pull request, and a passwd-like file next to the repository.
 */
function createCheckout(populate: (repo: string) => void): Checkout {
  const scratch = mkdtempSync(join(tmpdir(), 'tg-hostile-'));
  const repo = join(scratch, 'repo');
  mkdirSync(repo);
  const passwd = join(scratch, 'passwd');
  writeFileSync(passwd, `root:x:0:0:${PLANTED_PASSWD}:/root:/bin/bash\n`);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'http.https://github.com/.extraheader', `AUTHORIZATION: basic ${PLANTED_BASIC}`);
  populate(repo);
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'base');
  const baseSha = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '-q', '-b', 'feature');
  return { scratch, repo, baseSha, passwd };
}

function defaultInputs(): Record<string, string> {
  const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  const env: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs)) {
    env[`INPUT_${name.toUpperCase()}`] = input.default === '${{ github.token }}' ? TOKEN : (input.default ?? '');
  }
  return env;
}

interface EventOptions {
  eventName?: 'pull_request' | 'pull_request_target' | 'workflow_run';
  /** The repository the pull request's head (or the workflow_run's head) comes from. */
  headRepository?: string;
}

async function runAction(
  checkout: Checkout,
  github: FakeGitHub,
  inputs: Record<string, string>,
  options: EventOptions = {},
  extraEnv: Record<string, string> = {},
): Promise<ActionRun & { runnerTemp: string }> {
  const { scratch, repo, baseSha } = checkout;
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'head');
  const headSha = git(repo, 'rev-parse', 'HEAD');
  const eventName = options.eventName ?? 'pull_request';
  const headRepository = options.headRepository ?? REPOSITORY;
  const repository = { full_name: REPOSITORY, name: 'observability', owner: { login: 'acme' } };
  const pullRequest = {
    number: PR,
    base: { ref: 'main', sha: baseSha, repo: { full_name: REPOSITORY } },
    head: { ref: 'feature', sha: headSha, repo: { full_name: headRepository } },
  };
  const event =
    eventName === 'workflow_run'
      ? {
          action: 'completed',
          workflow_run: {
            head_sha: headSha,
            head_branch: 'feature',
            head_repository: { full_name: headRepository },
            pull_requests: [],
          },
          repository,
        }
      : {
          action: 'synchronize',
          number: PR,
          pull_request: pullRequest,
          repository,
          sender: { login: 'mallory', type: 'User' },
        };
  const runDirPrefix = join(scratch, 'run-');
  const result = await runActionBundle({
    bundle: ACTION,
    cwd: repo,
    runDirPrefix,
    event,
    env: {
      NO_PROXY: '127.0.0.1',
      GITHUB_EVENT_NAME: eventName,
      GITHUB_REPOSITORY: REPOSITORY,
      GITHUB_REPOSITORY_OWNER: 'acme',
      GITHUB_SHA: headSha,
      GITHUB_REF: `refs/pull/${PR}/merge`,
      GITHUB_WORKSPACE: repo,
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: 'https://github.com',
      PLANTED_RUNNER_SECRET: PLANTED_ENV,
      ...defaultInputs(),
      ...inputs,
      ...extraEnv,
    },
  });
  const runDir = readdirSync(scratch)
    .filter((name) => name.startsWith('run-'))
    .map((name) => join(scratch, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
  return { ...result, runnerTemp: join(runDir, 'tmp') };
}

/** Every file under `dir`, recursively (the files a run wrote). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function everything(run: ActionRun & { runnerTemp: string }, github: FakeGitHub): string[] {
  return [
    run.stdout,
    run.stderr,
    run.summary,
    JSON.stringify(run.outputs),
    JSON.stringify(github.calls),
    JSON.stringify([...github.comments.values()]),
    ...filesUnder(run.runnerTemp).map((file) => readFileSync(file, 'utf8')),
  ];
}

function expectNowhere(texts: string[], planted: string[]): void {
  for (const value of planted) {
    for (const text of texts) expect(text, `planted ${value}`).not.toContain(value);
  }
}

const JSONNET_INPUTS = { INPUT_SOURCE: 'jsonnet', INPUT_ENTRYPOINT: 'main.jsonnet', INPUT_ENVIRONMENT: 'production' };
const EVERY_PLANTED = [PLANTED_BASIC, PLANTED_PASSWD, 'root:x:0:0:', PLANTED_ENV, TOKEN];

beforeAll(() => {
  for (const bundle of [ACTION, CLI]) {
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` (npm test does)`);
  }
});

describe('a pull request cannot make jsonnet read the runner (dist/action)', () => {
  let checkout: Checkout;
  let github: FakeGitHub | undefined;

  beforeAll(() => {
    checkout = createCheckout((repo) => {
      writeFileSync(join(repo, 'main.jsonnet'), baseEntrypoint);
      writeFileSync(join(repo, 'notes.txt'), `${PLANTED_NOTES}\n`);
      mkdirSync(join(repo, 'vendor'));
      writeFileSync(join(repo, 'vendor/lib.libsonnet'), "{ value: 'from-vendor' }\n");
    });
  });
  afterAll(() => rmSync(checkout.scratch, { recursive: true, force: true }));
  afterEach(async () => {
    await github?.close();
    git(checkout.repo, 'reset', '-q', '--hard', checkout.baseSha);
    git(checkout.repo, 'clean', '-qfdx');
  });

  async function attack(
    entrypoint: string,
    expected: RegExp,
    files: Record<string, string> = {},
    extraEnv: Record<string, string> = {},
  ): Promise<ActionRun & { runnerTemp: string }> {
    github = await startFakeGitHub({ token: TOKEN });
    writeFileSync(join(checkout.repo, 'main.jsonnet'), entrypoint);
    for (const [path, text] of Object.entries(files)) writeFileSync(join(checkout.repo, path), text);
    const run = await runAction(checkout, github, { ...JSONNET_INPUTS, INPUT_JPATH: 'vendor' }, {}, extraEnv);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(expected);
    // Refused before the comment: nothing was posted.
    expect(github.calls.filter((call) => call.method !== 'GET')).toEqual([]);
    expectNowhere(everything(run, github), EVERY_PLANTED);
    return run;
  }

  it('refuses importstr of an absolute path (a planted passwd file and the real /etc/passwd) before evaluating', async () => {
    const run = await attack(
      configMapField(`importstr '${checkout.passwd}'`),
      /::error::jsonnet import refused before evaluation: main\.jsonnet:1: importstr .*is an absolute path; imports must stay inside the repository or a library directory \(input 'jpath'\)/,
    );
    expect(run.stdout).toContain("pass its directory with input 'jpath'");
    await attack(configMapField("importstr '/etc/passwd'"), /is an absolute path/);
  });

  it('refuses importstr with .. out of the repository, also through the --jpath directory', async () => {
    await attack(
      configMapField("importstr '../passwd'"),
      /importstr "\.\.\/passwd" reads a file outside the repository and the library directories \(input 'jpath'\)/,
    );
    await attack(configMapField("importstr 'vendor/../../passwd'"), /reads a file outside the repository/);
  });

  it('refuses reading .git/config, where actions/checkout keeps the AUTHORIZATION header', async () => {
    await attack(configMapField("importstr '.git/config'"), /importstr "\.git\/config" reads inside a \.git directory/);
    // Spelled with a string escape and as a text block, as jsonnet's lexer reads them.
    await attack(configMapField(String.raw`importstr '\u002egit/config'`), /reads inside a \.git directory/);
    await attack(
      `{ 'thanos-config': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { v: importstr |||\n  .git/config\n||| } } }\n`,
      /importstr|refused/,
    );
  });

  it('refuses a symlink committed in the pull request that points out of the repository', async () => {
    symlinkSync(checkout.passwd, join(checkout.repo, 'innocent.txt'));
    await attack(
      configMapField("importstr 'innocent.txt'"),
      /importstr "innocent\.txt" reads a file outside the repository/,
    );
  });

  it('refuses an importstr hidden in an imported library, and an import that jsonnet would look up outside (JSONNET_PATH)', async () => {
    await attack(
      `local lib = import 'lib.libsonnet'; ${configMapField('lib.v')}`,
      /lib\.libsonnet:1: importstr "\/etc\/passwd" is an absolute path/,
      { 'lib.libsonnet': "{ v: importstr '/etc/passwd' }\n" },
    );
    mkdirSync(join(checkout.scratch, 'outside-lib'), { recursive: true });
    writeFileSync(join(checkout.scratch, 'outside-lib/planted.libsonnet'), `{ v: '${PLANTED_PASSWD}' }\n`);
    await attack(
      `local lib = import 'planted.libsonnet'; ${configMapField('lib.v')}`,
      /import "planted\.libsonnet" was not found next to the importing file nor in a library directory \(input 'jpath'\)/,
      {},
      { JSONNET_PATH: join(checkout.scratch, 'outside-lib') },
    );
  });

  it('never prints an imported file in an error (error importstr ...)', async () => {
    const run = await attack(
      configMapField("error importstr 'notes.txt'"),
      /::error::jsonnet failed to evaluate main\.jsonnet:.*RUNTIME ERROR: \(message not shown: it quotes a file read with importstr\/importbin\)/,
    );
    expect(run.stdout).toMatch(/main\.jsonnet:1:\d+/);
    expectNowhere(everything(run, github!), [PLANTED_NOTES]);
  });

  it('refuses an output field named ../../x before anything is written', async () => {
    const tmp = join(checkout.scratch, 'a/b/tmp');
    mkdirSync(tmp, { recursive: true });
    const run = await attack(
      "{ '../../escaped': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } }\n",
      /top-level field "\.\.\/\.\.\/escaped" contains a path separator; each field names an output file <field>\.yaml/,
      {},
      { TMPDIR: tmp },
    );
    expect(run.code).toBe(1);
    const written = [...filesUnder(join(checkout.scratch, 'a')), ...filesUnder(tmp)];
    expect(written).toEqual([]);
  });

  it('runs jsonnet with an empty environment (no token, no runner variables)', async () => {
    const dump = join(checkout.scratch, 'jsonnet-env.txt');
    const wrapper = join(checkout.scratch, 'jsonnet-wrapper.sh');
    const jsonnet = spawnSync('sh', ['-c', 'command -v jsonnet'], { encoding: 'utf8' }).stdout.trim();
    expect(jsonnet, 'jsonnet on PATH').not.toBe('');
    writeFileSync(wrapper, `#!/bin/sh\n/usr/bin/env > '${dump}'\nexec '${jsonnet}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    github = await startFakeGitHub({ token: TOKEN });
    writeFileSync(join(checkout.repo, 'main.jsonnet'), configMapField("(import 'lib.libsonnet').value"));
    const run = await runAction(
      checkout,
      github,
      { ...JSONNET_INPUTS, INPUT_JPATH: 'vendor' },
      {},
      { THANOS_GITOPS_JSONNET: wrapper },
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['changed']).toBe('true');
    expect(github.comments.get(`${REPOSITORY}#${PR}`)?.[0]?.body).toContain('from-vendor');
    const environment = readFileSync(dump, 'utf8');
    for (const value of [TOKEN, PLANTED_ENV, 'GITHUB_', 'INPUT_', 'RUNNER_TEMP'])
      expect(environment).not.toContain(value);
  });
});

describe('the CLI refuses the same jsonnet attacks (dist/cli)', () => {
  it('refuses importstr of /etc/passwd and of .git/config and prints neither', () => {
    const checkout = createCheckout((repo) => writeFileSync(join(repo, 'main.jsonnet'), baseEntrypoint));
    try {
      for (const [target, why] of [
        ['/etc/passwd', /is an absolute path/],
        [checkout.passwd, /is an absolute path/],
        ['.git/config', /reads inside a \.git directory/],
      ] as const) {
        writeFileSync(join(checkout.repo, 'main.jsonnet'), configMapField(`importstr '${target}'`));
        const out = join(checkout.scratch, 'out');
        const run = spawnSync(
          process.execPath,
          [CLI, 'render', '--source', 'jsonnet', '--entrypoint', 'main.jsonnet', '--out', out],
          { cwd: checkout.repo, encoding: 'utf8' },
        );
        expect(run.status, run.stderr).toBe(1);
        expect(run.stderr).toMatch(why);
        expect(existsSync(out)).toBe(false);
        expectNowhere([run.stdout, run.stderr], EVERY_PLANTED);
      }
    } finally {
      rmSync(checkout.scratch, { recursive: true, force: true });
    }
  });
});

describe('untrusted events (dist/action)', () => {
  let checkout: Checkout;
  let github: FakeGitHub | undefined;

  beforeAll(() => {
    checkout = createCheckout((repo) => writeFileSync(join(repo, 'main.jsonnet'), baseEntrypoint));
  });
  afterAll(() => rmSync(checkout.scratch, { recursive: true, force: true }));
  afterEach(async () => {
    await github?.close();
    github = undefined;
  });

  it.each([
    ['pull_request_target', 'mallory/observability'],
    ['workflow_run', 'mallory/observability'],
  ] as const)('refuses %s with a fork head (%s) before reading the checkout, and says why', async (eventName, fork) => {
    github = await startFakeGitHub({ token: TOKEN });
    // The fork's jsonnet would read the runner: it must not even be evaluated.
    writeFileSync(join(checkout.repo, 'main.jsonnet'), configMapField(`importstr '${checkout.passwd}'`));
    const run = await runAction(checkout, github, JSONNET_INPUTS, { eventName, headRepository: fork });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `::error::refusing to run on a ${eventName} event whose code comes from the fork ${fork}`,
    );
    expect(run.stdout).toContain('allow-untrusted-checkout: true');
    expect(run.stdout).not.toContain('rendering');
    expect(github.calls).toEqual([]);
    expectNowhere(everything(run, github), EVERY_PLANTED);
  });

  it('runs pull_request_target for a fork only when allow-untrusted-checkout is true, and for a branch of the same repository', async () => {
    github = await startFakeGitHub({ token: TOKEN });
    writeFileSync(join(checkout.repo, 'main.jsonnet'), configMapField("'head'"));
    const allowed = await runAction(
      checkout,
      github,
      { ...JSONNET_INPUTS, 'INPUT_ALLOW-UNTRUSTED-CHECKOUT': 'true' },
      { eventName: 'pull_request_target', headRepository: 'mallory/observability' },
    );
    expect(allowed.code, allowed.stdout).toBe(0);
    expect(allowed.outputs['changed']).toBe('true');
    const sameRepository = await runAction(checkout, github, JSONNET_INPUTS, {
      eventName: 'pull_request_target',
      headRepository: REPOSITORY,
    });
    expect(sameRepository.code, sameRepository.stdout).toBe(0);
  });
});

describe('the comment cannot be forged (dist/action)', () => {
  const FORGED_LINK = '<a href="https://evil.example/approve">All risks reviewed - safe to merge</a>';
  const FORGED_MARKDOWN = '[Approve here](https://evil.example/x)';
  const BACKTICKS = 'x` <b>bold</b> ``` `` [y](https://evil.example/y) `';
  let checkout: Checkout;
  let github: FakeGitHub | undefined;

  const hashrings = (rings: unknown[]) =>
    stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'hashring-config', namespace: 'thanos' },
      data: { 'hashrings.json': JSON.stringify(rings) },
    });

  beforeAll(() => {
    checkout = createCheckout((repo) => {
      mkdirSync(join(repo, 'deploy'));
      writeFileSync(
        join(repo, 'deploy/hashrings.yaml'),
        hashrings([{ hashring: 'default', endpoints: ['ingestor-0:10901'], tenants: [] }]),
      );
    });
  });
  afterAll(() => rmSync(checkout.scratch, { recursive: true, force: true }));
  afterEach(async () => {
    await github?.close();
    github = undefined;
  });

  /** The body with our own markup removed: what is left must hold no HTML tag, link, or code span an author opened. */
  function authorText(body: string): string {
    return (
      body
        .replace(/^(`{3,})diff\n[\s\S]*?\n\1$/gm, '') // the fenced diffs, where text is shown as code
        .replace(/<!-- thanos-gitops:[^>]*-->/, '')
        .replace(/<\/?(details|summary|code|sub)>/g, '')
        .replace(/\[!(CAUTION|WARNING|NOTE)\]/g, '')
        // Each risk's source link: the rule's fixed label and a URL into the Thanos repository, no author text.
        .replace(
          /\[Thanos v[0-9.]+, [^\]\n]*\]\(https:\/\/github\.com\/thanos-io\/thanos\/blob\/v[0-9.]+\/[^)\s]+\)/g,
          '',
        )
    );
  }

  it('escapes hashring and tenant names, object names and backtick runs in every position', async () => {
    github = await startFakeGitHub({ token: TOKEN });
    writeFileSync(
      join(checkout.repo, 'deploy/hashrings.yaml'),
      hashrings([
        { hashring: 'default', endpoints: ['ingestor-0:10901'], tenants: [] },
        { hashring: FORGED_LINK, endpoints: [`${BACKTICKS}:10901`], tenants: [BACKTICKS, FORGED_MARKDOWN] },
      ]),
    );
    // Names and namespaces are refused before any report (the API server's name rules); a kind of a custom group is
    // free text the report still shows.
    writeFileSync(
      join(checkout.repo, 'deploy/forged.yaml'),
      stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: FORGED_MARKDOWN, namespace: `${BACKTICKS}` },
        data: { a: 'b' },
      }),
    );
    const refused = await runAction(checkout, github, {
      INPUT_SOURCE: 'manifests',
      'INPUT_MANIFESTS-DIR': 'deploy',
      INPUT_ENVIRONMENT: 'production',
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/::error::deploy\/forged\.yaml:1:1: document 1: metadata\.name ".*" may not be/);
    expect(github.comments.get(`${REPOSITORY}#${PR}`) ?? []).toEqual([]);
    writeFileSync(
      join(checkout.repo, 'deploy/forged.yaml'),
      stringify({
        apiVersion: 'evil.example.com/v1',
        kind: `${BACKTICKS}/${FORGED_MARKDOWN}`,
        metadata: { name: 'forged', namespace: 'thanos' },
        spec: { a: 'b' },
      }),
    );
    const run = await runAction(checkout, github, {
      INPUT_SOURCE: 'manifests',
      'INPUT_MANIFESTS-DIR': 'deploy',
      INPUT_ENVIRONMENT: 'production',
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['risks']).not.toBe('0');
    const body = github.comments
      .get(`${REPOSITORY}#${PR}`)!
      .find((comment) => comment.user.login === ACTIONS_BOT.login)!.body;
    const report = readFileSync(run.outputs['report-path']!, 'utf8');
    for (const text of [body, run.summary, report]) {
      const outside = authorText(text);
      expect(outside).not.toMatch(/<a\b|<b>/i);
      expect(outside).not.toMatch(/\]\(/);
      expect(outside).not.toContain('`` ');
      expect(outside).not.toContain('<');
      // Every backtick left is one of ours: a code span of plain text.
      expect(outside.match(/`[^`\n]*`/g)?.every((span) => /^`[A-Za-z0-9._:/ -]*`$/.test(span))).toBe(true);
      // The forged names are still there to read, escaped: in the table, the risk callout and the <summary>.
      expect(text).toContain('&#91;Approve here&#93;(https://evil.example/x)');
      expect(text).toContain(
        '&#60;a href=&#34;https://evil.example/approve&#34;&#62;All risks reviewed - safe to merge&#60;/a&#62;',
      );
      expect(text).toMatch(
        /^\| x&#96; &#60;b&#62;bold&#60;\/b&#62; &#96;&#96;&#96; .*&#91;Approve here&#93;\(https:\/\/evil\.example\/x\) \| thanos\/forged \| added \|/m,
      );
    }
  });
});

describe('Secrets and secret-shaped values (dist/action, dist/cli)', () => {
  let checkout: Checkout;
  let github: FakeGitHub | undefined;
  const objstore = (secretKey: string) =>
    stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'objstore', namespace: 'thanos' },
      data: {
        'objstore.yaml': `type: S3\nconfig:\n  bucket: thanos\n  endpoint: s3.amazonaws.com\n  access_key: AKIAPLANTED000000001\n  secret_key: ${secretKey}\n`,
        'auth.txt': `Authorization: Bearer ${PLANTED_BEARER}`,
      },
    });

  beforeAll(() => {
    checkout = createCheckout((repo) => {
      mkdirSync(join(repo, 'deploy'));
      writeFileSync(join(repo, 'deploy/objstore.yaml'), objstore('wJalrXUtnFEMI/K7MDENG/bPxRfiCYOLDOLD0001'));
    });
  });
  afterAll(() => rmSync(checkout.scratch, { recursive: true, force: true }));
  afterEach(async () => {
    await github?.close();
    github = undefined;
  });

  it('masks credential-shaped ConfigMap values like Secret data and still shows that they changed', async () => {
    github = await startFakeGitHub({ token: TOKEN });
    writeFileSync(join(checkout.repo, 'deploy/objstore.yaml'), objstore(PLANTED_S3));
    const run = await runAction(checkout, github, {
      INPUT_SOURCE: 'manifests',
      'INPUT_MANIFESTS-DIR': 'deploy',
      INPUT_ENVIRONMENT: 'production',
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['modified']).toBe('1');
    const body = github.comments.get(`${REPOSITORY}#${PR}`)![0]!.body;
    expect(body).toMatch(/^-\s+secret_key: hmac-sha256:[0-9a-f]{10}$/m);
    expect(body).toMatch(/^\+\s+secret_key: hmac-sha256:[0-9a-f]{10}$/m);
    expect(body).toContain('bucket: thanos');
    expectNowhere(everything(run, github), [
      PLANTED_S3,
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYOLDOLD0001',
      'AKIAPLANTED000000001',
      PLANTED_BEARER,
    ]);
  });

  it.each([
    [
      'kind: secret',
      { apiVersion: 'v1', kind: 'secret' },
      /kind 'secret' is not a Kubernetes kind \(kinds are case-sensitive\): write `kind: Secret`/,
    ],
    [
      'apiVersion: core/v1',
      { apiVersion: 'core/v1', kind: 'Secret' },
      /apiVersion 'core\/v1' is not valid: the core group has no name, write `apiVersion: v1`/,
    ],
  ])('validate refuses %s with the fix and without showing its values', (_name, head, expected) => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-hostile-validate-'));
    try {
      writeFileSync(
        join(dir, 'secret.yaml'),
        stringify({
          ...head,
          metadata: { name: 'objstore', namespace: 'thanos' },
          stringData: { 'thanos.yaml': PLANTED_SECRET },
        }),
      );
      for (const command of ['validate', 'render']) {
        const run = spawnSync(process.execPath, [CLI, command, '--dir', dir], { encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(1);
        expect(run.stderr).toMatch(expected);
        expect(run.stderr).toContain('secret.yaml');
        expectNowhere([run.stdout, run.stderr], [PLANTED_SECRET]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a pull request cannot make the manifests source read the runner (dist/action)', () => {
  it('refuses a symlinked manifest that points out of the repository', async () => {
    const checkout = createCheckout((repo) => {
      mkdirSync(join(repo, 'deploy'));
      writeFileSync(
        join(repo, 'deploy/cm.yaml'),
        stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'a', namespace: 'thanos' },
          data: { a: 'b' },
        }),
      );
    });
    const github = await startFakeGitHub({ token: TOKEN });
    try {
      // A YAML file elsewhere on the runner that parses as an object: without the check it would be diffed and posted.
      const outside = join(checkout.scratch, 'runner-file.yaml');
      writeFileSync(
        outside,
        stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'leak', namespace: 'thanos' },
          data: { passwd: PLANTED_PASSWD },
        }),
      );
      symlinkSync(outside, join(checkout.repo, 'deploy/leak.yaml'));
      symlinkSync('../.git/config', join(checkout.repo, 'deploy/config.yaml'));
      const run = await runAction(checkout, github, {
        INPUT_SOURCE: 'manifests',
        'INPUT_MANIFESTS-DIR': 'deploy',
        INPUT_ENVIRONMENT: 'production',
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /::error::deploy\/(config|leak)\.yaml is a symlink to a file outside the repository \(or inside \.git\); .*replace the link with the file/,
      );
      expect(github.calls.filter((call) => call.method !== 'GET')).toEqual([]);
      expectNowhere(everything(run, github), EVERY_PLANTED);
    } finally {
      await github.close();
      rmSync(checkout.scratch, { recursive: true, force: true });
    }
  });

  it('refuses a manifests directory, stack config or jsonnet entrypoint replaced by a symlink out of the repository', async () => {
    const checkout = createCheckout((repo) => {
      mkdirSync(join(repo, 'deploy'));
      writeFileSync(
        join(repo, 'deploy/cm.yaml'),
        stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'a', namespace: 'thanos' },
          data: { a: 'b' },
        }),
      );
      writeFileSync(join(repo, 'main.jsonnet'), baseEntrypoint);
      writeFileSync(
        join(repo, 'thanos-stack.yaml'),
        readFileSync(join(ROOT, '../shared/kube-thanos/example.yaml'), 'utf8'),
      );
    });
    const github = await startFakeGitHub({ token: TOKEN });
    try {
      const outside = join(checkout.scratch, 'runner-dir');
      mkdirSync(outside);
      writeFileSync(
        join(outside, 'leak.yaml'),
        stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'leak', namespace: 'thanos' },
          data: { passwd: PLANTED_PASSWD },
        }),
      );
      writeFileSync(join(outside, 'leak.jsonnet'), configMapField(`'${PLANTED_PASSWD}'`));
      writeFileSync(
        join(outside, 'stack.yaml'),
        `apiVersion: thanos-gitops/v1alpha1\nkind: ThanosStack\ncommon: {namespace: ${PLANTED_PASSWD}}\n`,
      );
      rmSync(join(checkout.repo, 'deploy'), { recursive: true });
      symlinkSync(outside, join(checkout.repo, 'deploy'));
      rmSync(join(checkout.repo, 'main.jsonnet'));
      symlinkSync(join(outside, 'leak.jsonnet'), join(checkout.repo, 'main.jsonnet'));
      rmSync(join(checkout.repo, 'thanos-stack.yaml'));
      symlinkSync(join(outside, 'stack.yaml'), join(checkout.repo, 'thanos-stack.yaml'));
      for (const [inputs, expected] of [
        [
          { INPUT_SOURCE: 'manifests', 'INPUT_MANIFESTS-DIR': 'deploy' },
          /::error::manifests directory deploy resolves to a path outside the repository/,
        ],
        [
          { INPUT_SOURCE: 'jsonnet', INPUT_ENTRYPOINT: 'main.jsonnet' },
          /::error::jsonnet import refused before evaluation: .*main\.jsonnet lies outside the repository/,
        ],
        [
          { INPUT_SOURCE: 'config' },
          /::error::stack config thanos-stack\.yaml resolves to a path outside the repository/,
        ],
      ] as const) {
        const run = await runAction(checkout, github, { ...inputs, INPUT_ENVIRONMENT: 'production' });
        expect(run.code, run.stdout).toBe(1);
        expect(run.stdout).toMatch(expected);
        expectNowhere(everything(run, github), EVERY_PLANTED);
      }
      expect(github.calls.filter((call) => call.method !== 'GET')).toEqual([]);
    } finally {
      await github.close();
      rmSync(checkout.scratch, { recursive: true, force: true });
    }
  });
});
