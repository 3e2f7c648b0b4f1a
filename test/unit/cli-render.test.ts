import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { DIFF_CHANGES_EXIT_CODE } from '../../src/cli/commands/diff.js';
import { RENDER_RECORD } from '../../src/sources/index.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const goldens = join(repoRoot, '..', 'shared', 'kube-thanos');

let work: string;

const cli = runCli;

/** Every file under dir as relative path -> content, except the render record (asserted on its own). */
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

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'tg-cli-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('thanos-gitops render', () => {
  for (const name of ['example', 'all']) {
    it(`renders ${name}.yaml byte-identical to kube-thanos's ${name}/ (file names included)`, async () => {
      const out = join(work, 'out');
      const result = await cli('render', '--config', join(goldens, `${name}.yaml`), '--out', out);
      expect(result.stderr).toMatch(/^(warning: .*\n)*Rendered \d+ objects from stack config .* into .*\n$/);
      expect(result.code).toBe(0);
      expect(await snapshot(out)).toEqual(await snapshot(join(goldens, name)));
      const recorded = (await readFile(join(out, RENDER_RECORD), 'utf8'))
        .split('\n')
        .filter((line) => line && !line.startsWith('#'));
      expect(recorded.sort()).toEqual(Object.keys(await snapshot(join(goldens, name))).sort());
    });
  }

  it('prints a ---separated stream with file comments to stdout without --out', async () => {
    const result = await cli('render', '-c', join(goldens, 'example.yaml'));
    expect(result.code).toBe(0);
    const golden = await snapshot(join(goldens, 'example'));
    const sources = [...result.stdout.matchAll(/^# Source: (.+)$/gm)].map((match) => match[1]);
    expect([...sources].sort()).toEqual(Object.keys(golden).sort());
    const documents = parseAllDocuments(result.stdout).map((doc) => doc.toJS() as unknown);
    expect(documents).toEqual(sources.map((file) => parseAllDocuments(golden[file!]!)[0]!.toJS() as unknown));
  });

  it('leaves --out untouched when the config is invalid, with one clear error naming file and line', async () => {
    const out = join(work, 'out');
    expect((await cli('render', '--config', join(goldens, 'example.yaml'), '--out', out)).code).toBe(0);
    const before = await snapshot(out);
    const broken = join(work, 'broken.yaml');
    const text = (await readFile(join(goldens, 'example.yaml'), 'utf8')).replace(
      'store:\n  replicas: 1',
      'store:\n  replicas: "one"',
    );
    await writeFile(broken, text);
    const result = await cli('render', '--config', broken, '--out', out);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*broken\.yaml:\d+:\d+/);
    expect(result.stderr).toContain('store.replicas');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(await snapshot(out)).toEqual(before);
    expect(await readdir(work)).toEqual(['broken.yaml', 'out'].sort());
  });

  it('prints the stack trace only with THANOS_GITOPS_DEBUG=1', async () => {
    const missing = join(work, 'missing.yaml');
    const plain = await cli('render', '--config', missing);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe(
      `error: stack config ${missing} does not exist; pass one with --config (examples/stack/thanos-stack.yaml is a starting point)\n`,
    );
    process.env.THANOS_GITOPS_DEBUG = '1';
    try {
      const debug = await cli('render', '--config', missing);
      expect(debug.code).toBe(1);
      expect(debug.stderr).toMatch(/^\s+at /m);
    } finally {
      delete process.env.THANOS_GITOPS_DEBUG;
    }
  });

  it('renders the manifests and jsonnet sources', async () => {
    await mkdir(join(work, 'deploy'));
    await writeFile(
      join(work, 'deploy', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {on: "yes"}\n',
    );
    await writeFile(
      join(work, 'main.jsonnet'),
      "{ 'a-configmap': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { on: 'yes' } } }",
    );
    expect((await cli('render', '--dir', join(work, 'deploy'), '--out', join(work, 'out1'))).code).toBe(0);
    expect(
      (
        await cli(
          'render',
          '--source',
          'jsonnet',
          '--entrypoint',
          join(work, 'main.jsonnet'),
          '--out',
          join(work, 'out2'),
        )
      ).code,
    ).toBe(0);
    const expected = 'apiVersion: v1\ndata:\n  "on": "yes"\nkind: ConfigMap\nmetadata:\n  name: a\n';
    expect(await snapshot(join(work, 'out1'))).toEqual({ 'cm.yaml': expected });
    expect(await snapshot(join(work, 'out2'))).toEqual({ 'a-configmap.yaml': expected });
  });

  it('exits 2 with a usage hint for bad arguments', async () => {
    for (const argv of [
      ['render', '--bogus'],
      ['render', 'stray-positional'],
      ['render', '--config', 'a.yaml', '--dir', 'deploy'],
      ['render', '--source', 'helm'],
      ['diff', '--config', 'a.yaml'],
      ['diff', '--base', 'HEAD', '--base-config', 'a.yaml'],
      ['diff', '--base', 'HEAD', '--max-length', 'ten'],
      ['diff', '--base-config', 'a.yaml', '--dir', 'deploy'],
    ]) {
      const result = await cli(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^error: .+\\nRun 'thanos-gitops ${argv[0]} --help' for usage\\.\\n$`));
    }
    expect((await cli('render', '--config', 'a.yaml', '--dir', 'deploy')).stderr).toContain(
      '--config does not apply to the manifests source',
    );
  });
});

describe('thanos-gitops validate', () => {
  it('prints one OK line with the object count', async () => {
    const config = join(goldens, 'example.yaml');
    const result = await cli('validate', '--config', config);
    expect(result).toEqual({
      code: 0,
      stdout: `OK: stack config ${config} renders 16 objects of 6 kinds\n`,
      stderr: '',
    });
  });

  it('fails with the first problem and its location', async () => {
    await mkdir(join(work, 'deploy'));
    await writeFile(
      join(work, 'deploy', 'x.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {}}\n',
    );
    const result = await cli('validate', '--dir', join(work, 'deploy'));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: ${join(work, 'deploy', 'x.yaml')}:5:1: document 2: missing metadata.name: every object needs apiVersion, kind and metadata.name\n`,
    );
  });

  it('warns about objects defined twice with different content (kube-thanos all.jsonnet does this)', async () => {
    const result = await cli('validate', '--config', join(goldens, 'all.yaml'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^OK: .* renders 56 objects/);
    const lines = result.stderr.trimEnd().split('\n');
    expect(`${lines.slice(0, 3).join('\n')}\n`).toBe(
      'warning: ServiceMonitor thanos/thanos-compact is defined 2 times with different content (thanos-compact-serviceMonitor.yaml, thanos-compact-shards-serviceMonitor.yaml); the last one wins when applied\n' +
        'warning: ServiceMonitor thanos/thanos-receive is defined 2 times with different content (thanos-receive-hashrings-serviceMonitor.yaml, thanos-receive-serviceMonitor.yaml); the last one wins when applied\n' +
        'warning: ServiceMonitor thanos/thanos-store is defined 2 times with different content (thanos-store-serviceMonitor.yaml, thanos-store-shards-serviceMonitor.yaml); the last one wins when applied\n',
    );
    // Stack validation then warns about what kube-thanos's kitchen-sink stack would do on real Thanos: its querier
    // does not deduplicate the RF 2 receivers' `replica` label, and compact and compactShards share one bucket.
    expect(lines.slice(3)).toEqual([
      expect.stringMatching(
        /^warning: .*all\.yaml -> thanos-query-deployment\.yaml: query\.replicaLabels: Deployment thanos\/thanos-query: .*thanos-receive-default marks each pod with `replica`/,
      ),
      expect.stringMatching(
        /^warning: .*query\.replicaLabels: .*thanos-receive-region-1 marks each pod with `replica`/,
      ),
      expect.stringMatching(
        /^warning: .*thanos-compact-statefulSet\.yaml: compact \/ compactShards: .*compact the same bucket/,
      ),
    ]);
    for (const line of lines.slice(3))
      expect(line).toMatch(
        /Fix: .*\(Thanos v0\.42\.4, docs\/components\/(query|compact)\.md, https:\/\/github\.com\/thanos-io\/thanos\/blob\/v0\.42\.4\//,
      );
  });
});

describe('thanos-gitops diff --base-config', () => {
  it('reports changes, exits 3 with --exit-code, and writes --output', async () => {
    const base = join(goldens, 'example.yaml');
    const head = join(work, 'next.yaml');
    await writeFile(
      head,
      (await readFile(base, 'utf8'))
        .replace('query:                        # stores', 'query:\n  replicas: 3 # was')
        .replace(
          '\n  replicas: 1\n  replicaLabels: [prometheus_replica, rule_replica]',
          '\n  replicaLabels: [prometheus_replica, rule_replica]',
        ),
    );
    const result = await cli('diff', '--base-config', base, '--config', head, '--environment', 'staging');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('<!-- thanos-gitops:staging -->');
    expect(result.stdout).toContain('Deployment thanos/thanos-query');
    expect(result.stdout).toMatch(/-\s+replicas: 1\n\+\s+replicas: 3/);

    expect((await cli('diff', '--base-config', base, '--config', head, '--exit-code')).code).toBe(
      DIFF_CHANGES_EXIT_CODE,
    );
    expect((await cli('diff', '--base-config', base, '--config', base, '--exit-code')).code).toBe(0);

    const report = join(work, 'report.md');
    const written = await cli(
      'diff',
      '--base-config',
      base,
      '--config',
      head,
      '--output',
      report,
      '--max-length',
      '2000',
    );
    expect(written.code).toBe(0);
    expect(written.stdout).toBe(`Changes: 0 added, 0 removed, 1 modified, 15 unchanged; report written to ${report}\n`);
    const text = await readFile(report, 'utf8');
    expect(text.length).toBeLessThanOrEqual(2001);
    expect(text).toContain('Deployment thanos/thanos-query');
  });
});
