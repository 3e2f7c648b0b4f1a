import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifestSetAtRef, resolveRef } from '../../src/sources/git.js';
import type { SourceSpec } from '../../src/sources/spec.js';
import { failure } from '../helpers/failure.js';
import { git } from '../helpers/git.js';

let root: string;
let repo: string;
const shas: string[] = [];

async function put(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

async function commit(files: Record<string, string>, message: string): Promise<string> {
  await put(repo, files);
  git(repo, 'add', '--', ...Object.keys(files));
  git(repo, 'commit', '-q', '-m', message);
  const sha = git(repo, 'rev-parse', 'HEAD');
  shas.push(sha);
  return sha;
}

const cm = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: thanos\ndata:\n  value: "${value}"\n`;
const manifests: SourceSpec = { type: 'manifests', dir: 'deploy' };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tg-git-'));
  repo = join(root, 'repo');
  await mkdir(repo);
  git(repo, 'init', '-q', '-b', 'main');
  await commit({ 'README.md': '# before thanos-gitops\n' }, 'initial'); // shas[0]: no source yet
  await commit({ 'deploy/a.yaml': cm('a', '1'), 'deploy/b.yaml': cm('b', '1') }, 'add manifests'); // shas[1]
  await commit({ 'deploy/a.yaml': cm('a', '2'), 'deploy/c.yaml': cm('c', '1') }, 'change a, add c'); // shas[2]
  // The work tree moves on without committing: base loading must not see or disturb it.
  await put(repo, { 'deploy/a.yaml': cm('a', 'uncommitted') });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadManifestSetAtRef', () => {
  it('loads the source as it was at a ref, leaving the work tree and index alone', async () => {
    // A private TMPDIR (os.tmpdir() reads it on each call) shows the scratch checkouts are removed.
    const scratchRoot = join(root, 'tmp');
    await mkdir(scratchRoot);
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = scratchRoot;
    const before = git(repo, 'status', '--porcelain');
    try {
      const set = await loadManifestSetAtRef(manifests, 'HEAD~1', repo, { cwd: repo });
      expect(set.map((m) => `${m.file}=${String((m.object.data as { value: string }).value)}`)).toEqual([
        'a.yaml=1',
        'b.yaml=1',
      ]);
      const head = await loadManifestSetAtRef(manifests, 'main', repo, { cwd: repo });
      expect(head.map((m) => `${m.file}=${String((m.object.data as { value: string }).value)}`)).toEqual([
        'a.yaml=2',
        'b.yaml=1',
        'c.yaml=1',
      ]);
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
    expect(git(repo, 'status', '--porcelain')).toBe(before);
    expect(git(repo, 'worktree', 'list')).not.toContain('\n');
    expect(await readdir(scratchRoot)).toEqual([]);
  });

  it('yields an empty set at a commit that predates the source', async () => {
    expect(await loadManifestSetAtRef(manifests, shas[0]!, repo, { cwd: repo })).toEqual([]);
  });

  it('resolves paths relative to a working directory inside the repository', async () => {
    await mkdir(join(repo, 'deploy'), { recursive: true });
    const set = await loadManifestSetAtRef({ type: 'manifests', dir: '.' }, shas[1]!, repo, {
      cwd: join(repo, 'deploy'),
    });
    expect(set.map((m) => m.file)).toEqual(['a.yaml', 'b.yaml']);
  });

  it('names files as they are in the repository when the base fails to load', async () => {
    const broken = await commit({ 'deploy/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n' }, 'break b');
    const error = await failure(loadManifestSetAtRef(manifests, broken, repo, { cwd: repo }));
    expect(error.message).toBe(
      `at ${broken} (${broken.slice(0, 12)}): deploy/b.yaml:1:1: document 1: missing metadata.name: every object needs apiVersion, kind and metadata.name`,
    );
    expect(error.message).not.toContain(tmpdir());
    await commit({ 'deploy/b.yaml': cm('b', '1') }, 'fix b');
  });

  it('rejects an unknown ref and an option-looking ref clearly', async () => {
    expect((await failure(resolveRef('no-such-branch', repo))).message).toContain(
      "cannot resolve git ref 'no-such-branch'",
    );
    expect((await failure(resolveRef('--output=/tmp/x', repo))).message).toContain('is not a git ref');
  });

  it('fetches a missing base commit in a shallow clone (actions/checkout fetch-depth 1)', async () => {
    const clone = join(root, 'shallow');
    git(root, 'clone', '-q', '--depth=1', `file://${repo}`, clone);
    expect(git(clone, 'rev-parse', '--is-shallow-repository')).toBe('true');
    expect(() => git(clone, 'cat-file', '-e', `${shas[1]!}^{commit}`)).toThrow();
    const set = await loadManifestSetAtRef(manifests, shas[1]!, clone, { cwd: clone });
    expect(set.map((m) => m.file)).toEqual(['a.yaml', 'b.yaml']);
    // A relative expression cannot be fetched by name: the error says how to get more history.
    const error = await failure(resolveRef('HEAD~3', clone));
    expect(error.message).toContain('shallow clone');
    expect(error.message).toContain('fetch-depth: 0');
  });

  it('renders a jsonnet base whose git-ignored vendor/ exists only in the work tree', async () => {
    await commit(
      {
        '.gitignore': 'vendor/\n',
        'jsonnet/main.jsonnet': "(import 'lib.libsonnet') { cm+: { data: { v: 'base' } } }\n",
      },
      'jsonnet source',
    );
    await put(repo, {
      'vendor/lib.libsonnet': "{ cm: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' } } }\n",
    });
    const set = await loadManifestSetAtRef(
      { type: 'jsonnet', entrypoint: 'jsonnet/main.jsonnet', jpath: ['vendor'] },
      'HEAD',
      repo,
      { cwd: repo },
    );
    expect(set).toEqual([
      {
        file: 'cm.yaml',
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' }, data: { v: 'base' } },
      },
    ]);
  });
});

describe('resolveRef outside a repository', () => {
  it('says the directory is not a git repository', async () => {
    const plain = await mkdtemp(join(tmpdir(), 'tg-nogit-'));
    try {
      const error = await failure(resolveRef('HEAD', plain));
      expect(error.message).toBe(
        `${plain} is not inside a git repository, so the ref 'HEAD' cannot be rendered; run from the repository (or compare two configs with --base-config)`,
      );
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });
});
