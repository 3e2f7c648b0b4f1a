// The CLI as users run it: a real node process (through tsx, and as an esbuild bundle like dist/cli/index.js),
// real git repositories (including a shallow clone) and the real jsonnet binary.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../helpers/git.js';
import { RENDER_RECORD } from '../../src/sources/index.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const goldens = join(repoRoot, '..', 'shared', 'kube-thanos');
const tsxLoader = import.meta.resolve('tsx');

let root: string;
let bundle: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** `node --import tsx src/cli/main.ts ...`, the source as a process. */
const viaTsx = (args: string[], cwd: string) =>
  run(['--import', tsxLoader, join(repoRoot, 'src', 'cli', 'main.ts'), ...args], cwd);
/** The bundled CLI run with plain node, as `npx thanos-gitops` runs dist/cli/index.js. */
const viaBundle = (args: string[], cwd: string) => run([bundle, ...args], cwd);

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name !== RENDER_RECORD)
      out[join(entry.parentPath, entry.name).slice(dir.length + 1)] = await readFile(
        join(entry.parentPath, entry.name),
        'utf8',
      );
  }
  return out;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tg-cli-e2e-'));
  bundle = join(root, 'bundle', 'index.js');
  // The same bundling scripts/build.mjs applies to dist/cli/index.js, into a scratch directory (dist/ is the lead's).
  await build({
    entryPoints: [join(repoRoot, 'src', 'cli', 'main.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    logLevel: 'warning',
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);",
    },
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('render as a process', () => {
  it('node --import tsx src/cli/main.ts render reproduces the kube-thanos example byte for byte', async () => {
    const out = join(root, 'tsx-out');
    const result = await viaTsx(['render', '--config', '../shared/kube-thanos/example.yaml', '--out', out], repoRoot);
    expect(result.stderr).toBe(
      `Rendered 16 objects from stack config ../shared/kube-thanos/example.yaml into ${out}\n`,
    );
    expect(result.code).toBe(0);
    expect(await snapshot(out)).toEqual(await snapshot(join(goldens, 'example')));
  });

  it('the bundled CLI renders all.yaml byte for byte and validates', async () => {
    const out = join(root, 'bundle-out');
    const result = await viaBundle(['render', '--config', join(goldens, 'all.yaml'), '--out', out], root);
    expect(result.code).toBe(0);
    expect(await snapshot(out)).toEqual(await snapshot(join(goldens, 'all')));
    const validate = await viaBundle(['validate', '--config', join(goldens, 'all.yaml')], root);
    expect(validate.stdout).toMatch(/^OK: stack config .*all\.yaml renders 56 objects of \d+ kinds\n$/);
  });

  it('the bundled CLI evaluates jsonnet with the real binary and reports its errors without a stack trace', async () => {
    const dir = join(root, 'jsonnet');
    await mkdir(join(dir, 'lib'), { recursive: true });
    await writeFile(
      join(dir, 'lib', 'sa.libsonnet'),
      "function(name) { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: name, namespace: 'thanos' } }\n",
    );
    await writeFile(
      join(dir, 'main.jsonnet'),
      "local sa = import 'sa.libsonnet';\n{ 'thanos-query-serviceAccount': sa('thanos-query') }\n",
    );
    await writeFile(join(dir, 'bad.jsonnet'), "local sa = import 'sa.libsonnet';\n{ x: sa('a') + 1 }\n");
    const ok = await viaBundle(['render', '--entrypoint', 'main.jsonnet', '-J', 'lib'], dir);
    expect(ok.stdout).toBe(
      '---\n# Source: thanos-query-serviceAccount.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: thanos-query\n  namespace: thanos\n',
    );
    const bad = await viaBundle(['render', '--entrypoint', 'bad.jsonnet', '-J', 'lib'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: jsonnet failed to evaluate bad\.jsonnet:\n/);
    expect(bad.stderr).toContain('bad.jsonnet:2:');
    expect(bad.stderr).not.toMatch(/^\s+at .*\.js:\d+/m);
  });
});

describe('diff --base across commits of a git repository', () => {
  let repo: string;
  const shas: Record<string, string> = {};

  beforeAll(async () => {
    repo = join(root, 'repo');
    await mkdir(repo);
    git(repo, 'init', '-q', '-b', 'main');
    await writeFile(join(repo, 'README.md'), '# infra\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'before thanos-gitops');
    shas.empty = git(repo, 'rev-parse', 'HEAD');

    await copyFile(join(goldens, 'example.yaml'), join(repo, 'thanos-stack.yaml'));
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'add the stack');
    shas.added = git(repo, 'rev-parse', 'HEAD');

    const text = await readFile(join(repo, 'thanos-stack.yaml'), 'utf8');
    await writeFile(join(repo, 'thanos-stack.yaml'), text.replace('store:\n  replicas: 1', 'store:\n  replicas: 2'));
    git(repo, 'commit', '-q', '-am', 'scale the store');
    shas.scaled = git(repo, 'rev-parse', 'HEAD');
  });

  it('diffs the working tree against HEAD~1 and exits 3 with --exit-code', async () => {
    const result = await viaTsx(['diff', '--base', 'HEAD~1', '--config', 'thanos-stack.yaml', '--exit-code'], repo);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('StatefulSet thanos/thanos-store');
    expect(result.stdout).toMatch(/-\s+replicas: 1\n\+\s+replicas: 2/);
    expect(result.stdout).toContain(shas.added!.slice(0, 12));
  });

  it('shows everything as added when the base predates the stack config', async () => {
    const result = await viaBundle(['diff', '--base', shas.empty!, '--output', 'report.md'], repo);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Changes: 16 added, 0 removed, 0 modified, 0 unchanged; report written to report.md\n');
    await rm(join(repo, 'report.md'));
  });

  it('reports no change between a ref and itself, and renders --head from git', async () => {
    const same = await viaBundle(['diff', '--base', 'HEAD', '--exit-code'], repo);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('**No changes.**');
    const refs = await viaBundle(['diff', '--base', shas.added!, '--head', shas.scaled!, '--exit-code'], repo);
    expect(refs.code).toBe(3);
    expect(refs.stdout).toContain(shas.scaled!.slice(0, 12));
  });

  it('fetches the base commit in a shallow clone (fetch-depth 1) and prints the same report', async () => {
    const clone = join(root, 'shallow');
    git(root, 'clone', '-q', '--depth=1', pathToFileURL(repo).href, clone);
    expect(git(clone, 'rev-parse', '--is-shallow-repository')).toBe('true');
    const inClone = await viaBundle(['diff', '--base', shas.added!, '--exit-code'], clone);
    expect(inClone.stderr).toBe('');
    expect(inClone.code).toBe(3);
    const inFull = await viaBundle(['diff', '--base', shas.added!, '--exit-code'], repo);
    expect(inClone.stdout).toBe(inFull.stdout);
  });

  it('never prints a Secret value from either side, plain or base64', async () => {
    const planted = ['planted-old-Pa55word', 'planted-new-Pa55word'];
    const secret = (value: string) =>
      `apiVersion: v1\nkind: Secret\nmetadata: {name: thanos-objectstorage, namespace: thanos}\nstringData:\n  thanos.yaml: "type: S3\\nconfig: {secret_key: ${value}}"\ndata:\n  token: ${Buffer.from(value).toString('base64')}\n`;
    await mkdir(join(repo, 'deploy'));
    await writeFile(join(repo, 'deploy', 'secret.yaml'), secret(planted[0]!));
    git(repo, 'add', 'deploy');
    git(repo, 'commit', '-q', '-m', 'objstore secret');
    await writeFile(join(repo, 'deploy', 'secret.yaml'), secret(planted[1]!));
    const result = await viaBundle(['diff', '--base', 'HEAD', '--dir', 'deploy', '--exit-code'], repo);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('Secret thanos/thanos-objectstorage');
    const output = result.stdout + result.stderr;
    for (const value of planted) {
      expect(output).not.toContain(value);
      expect(output).not.toContain(Buffer.from(value).toString('base64'));
    }
  });
});
