import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertWritableSet, conflictingDuplicates, duplicateWarnings } from '../../src/sources/check.js';
import { RENDER_RECORD, WriteAbortedError, formatManifestStream, writeManifestSet } from '../../src/sources/writer.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';
import { toKubeYaml } from '../../src/render/index.js';
import { failure } from '../helpers/failure.js';

let work: string;

const object = (kind: string, name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, namespace: 'thanos' },
  ...extra,
});

const set: ManifestSet = [
  {
    file: 'thanos-query-service.yaml',
    object: object('Service', 'thanos-query', { spec: { ports: [{ name: 'http', port: 9090 }] } }),
  },
  {
    file: 'nested/hashrings-configmap.yaml',
    object: object('ConfigMap', 'hashring-config', { data: { 'hashrings.json': '[\n  {"hashring": "default"}\n]' } }),
  },
];

/** Every file under dir as relative path -> content; the render record only when asked for. */
async function snapshot(dir: string, withRecord = false): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || (!withRecord && entry.name === RENDER_RECORD)) continue;
    const full = join(entry.parentPath, entry.name);
    out[full.slice(dir.length + 1)] = await readFile(full, 'utf8');
  }
  return out;
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'tg-writer-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('writeManifestSet', () => {
  it('writes each object as kube YAML under its file name, creating the directory, and records the files it wrote', async () => {
    const out = join(work, 'deep', 'out');
    await writeManifestSet(set, out);
    const written = await snapshot(out, true);
    expect(written).toEqual({
      'thanos-query-service.yaml': toKubeYaml(set[0]!.object),
      'nested/hashrings-configmap.yaml': toKubeYaml(set[1]!.object),
      [RENDER_RECORD]: expect.stringMatching(/^# Written by thanos-gitops render\./),
    });
    expect(written[RENDER_RECORD]!.split('\n').filter((line) => line && !line.startsWith('#'))).toEqual([
      'thanos-query-service.yaml',
      'nested/hashrings-configmap.yaml',
    ]);
    // Nothing but the output directory is left beside it.
    expect(await readdir(join(work, 'deep'))).toEqual(['out']);
  });

  it('makes the directory equal the set: stale files from an earlier render are removed', async () => {
    const out = join(work, 'out');
    await writeManifestSet(
      [...set, { file: 'thanos-store-service.yaml', object: object('Service', 'thanos-store') }],
      out,
    );
    await writeManifestSet(set, out);
    expect(Object.keys(await snapshot(out)).sort()).toEqual([
      'nested/hashrings-configmap.yaml',
      'thanos-query-service.yaml',
    ]);
  });

  it('leaves the output untouched when writing fails half way', async () => {
    const out = join(work, 'out');
    await writeManifestSet(set, out);
    const before = await snapshot(out);
    // 'a.yaml' is written as a file first, so creating the directory 'a.yaml/' for the next one fails mid-write.
    const clash: ManifestSet = [
      { file: 'a.yaml', object: object('ConfigMap', 'a') },
      { file: 'a.yaml/b.yaml', object: object('ConfigMap', 'b') },
    ];
    const error = await failure(writeManifestSet(clash, out));
    expect((error as NodeJS.ErrnoException).code).toMatch(/ENOTDIR|EEXIST/);
    expect(await snapshot(out)).toEqual(before);
    expect(await readdir(work)).toEqual(['out']);
  });

  it('refuses a non-empty directory without a render record (manifests included), and a path that is a file', async () => {
    const repoLike = join(work, 'repo');
    await mkdir(join(repoLike, 'src'), { recursive: true });
    await writeFile(join(repoLike, 'README.md'), '# keep me');
    await writeFile(join(repoLike, 'src', 'main.ts'), 'export {};');
    await writeFile(
      join(repoLike, 'hand-written.yaml'),
      '# mine\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n',
    );
    const error = await failure(writeManifestSet(set, repoLike));
    expect(error.message).toBe(
      `refusing to write into ${repoLike}: it holds files that thanos-gitops render did not write (README.md, hand-written.yaml, src/main.ts) and no ${RENDER_RECORD} record; choose an empty or new directory, or move those files away (if they are an earlier render's output, delete them and render again)`,
    );
    expect(await snapshot(repoLike)).toEqual({
      'README.md': '# keep me',
      'src/main.ts': 'export {};',
      'hand-written.yaml': '# mine\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n',
    });
    // An empty directory is fine.
    await mkdir(join(work, 'empty'));
    await writeManifestSet(set, join(work, 'empty'));

    const file = join(work, 'file.yaml');
    await writeFile(file, 'x: 1\n');
    expect((await failure(writeManifestSet(set, file))).message).toBe(
      `output path ${file} exists and is not a directory; choose a directory for --out`,
    );
  });

  it('keeps files a render did not write, removes the ones it wrote and no longer renders, and never overwrites a kept one', async () => {
    const out = join(work, 'out');
    const store: ManifestSet = [{ file: 'thanos-store-service.yaml', object: object('Service', 'thanos-store') }];
    await writeManifestSet([...set, ...store], out);
    await writeFile(join(out, 'README.md'), '# notes\n');
    await writeFile(join(out, 'kustomization.yaml'), 'resources: []\n');
    await mkdir(join(out, 'nested', 'extra'), { recursive: true });
    await writeFile(join(out, 'nested', 'mine.yaml'), 'kind: Mine\n');
    await writeManifestSet(set, out);
    expect(await snapshot(out)).toEqual({
      'thanos-query-service.yaml': toKubeYaml(set[0]!.object),
      'nested/hashrings-configmap.yaml': toKubeYaml(set[1]!.object),
      'README.md': '# notes\n',
      'kustomization.yaml': 'resources: []\n',
      'nested/mine.yaml': 'kind: Mine\n',
    });
    expect((await readdir(join(out, 'nested'))).sort()).toEqual(['extra', 'hashrings-configmap.yaml', 'mine.yaml']);

    const before = await snapshot(out, true);
    const clash: ManifestSet = [...set, { file: 'kustomization.yaml', object: object('ConfigMap', 'k') }];
    expect((await failure(writeManifestSet(clash, out))).message).toBe(
      `refusing to write into ${out}: kustomization.yaml would overwrite file(s) that thanos-gitops render did not write; move them away or choose another --out`,
    );
    expect(
      (await failure(writeManifestSet([{ file: 'README.md/x.yaml', object: object('ConfigMap', 'x') }], out))).message,
    ).toContain('README.md/x.yaml would overwrite');
    expect(await snapshot(out, true)).toEqual(before);
    expect(await readdir(work)).toEqual(['out']);
  });

  it('refuses an output directory that is, contains or lies inside a source directory', async () => {
    const source = join(work, 'manifests');
    await mkdir(join(source, 'sub'), { recursive: true });
    await writeFile(join(source, 'a.yaml'), '# comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
    for (const [out, relation] of [
      [source, 'is'],
      [join(source, 'sub'), 'is inside'],
      [work, 'contains'],
    ] as const) {
      expect((await failure(writeManifestSet(set, out, { sourceDirs: [source] }))).message).toBe(
        `refusing to write ${out}: it ${relation} the source directory ${source}, whose files it would rewrite; choose an --out outside it`,
      );
    }
    expect(await snapshot(source)).toEqual({
      'a.yaml': '# comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
    });
  });

  it('stops on abort: no staging directory is left and the output is as it was', async () => {
    const out = join(work, 'out');
    await writeManifestSet(set, out);
    const before = await snapshot(out, true);
    const many: ManifestSet = Array.from({ length: 400 }, (_, i) => ({
      file: `cm-${i}.yaml`,
      object: object('ConfigMap', `cm-${i}`),
    }));
    const stop = new AbortController();
    const writing = writeManifestSet(many, out, { signal: stop.signal });
    // Abort once the staging directory has files in it.
    for (;;) {
      const staging = (await readdir(work)).find((name) => name.startsWith('.out.tmp-'));
      if (staging && (await readdir(join(work, staging)).catch(() => [])).length > 5) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    stop.abort();
    expect(await failure(writing)).toBeInstanceOf(WriteAbortedError);
    expect(await readdir(work)).toEqual(['out']);
    expect(await snapshot(out, true)).toEqual(before);
  });

  it('refuses to replace the current directory or a parent of it', async () => {
    for (const dir of [process.cwd(), dirname(process.cwd())]) {
      expect((await failure(writeManifestSet(set, dir))).message).toBe(
        `refusing to replace ${dir}: it is the current directory or one of its parents; choose a subdirectory for --out`,
      );
    }
  });

  it('rejects clashing and unsafe file names before writing anything', async () => {
    const out = join(work, 'out');
    expect(
      (
        await failure(
          writeManifestSet([set[0]!, { file: 'thanos-query-service.yaml', object: object('Service', 'other') }], out),
        )
      ).message,
    ).toBe(
      'two objects map to the same file thanos-query-service.yaml: Service thanos/thanos-query and Service thanos/other; rename one of them',
    );
    expect(
      (await failure(writeManifestSet([{ file: '../escape.yaml', object: object('Service', 'x') }], out))).message,
    ).toContain("manifest file name '../escape.yaml' (Service thanos/x) is not a plain relative path");
    expect(
      (await failure(writeManifestSet([{ file: '/etc/x.yaml', object: object('Service', 'x') }], out))).message,
    ).toContain('is absolute');
    expect(await readdir(work)).toEqual([]);
  });
});

describe('conflictingDuplicates', () => {
  it('reports objects defined twice with different content, not identical repeats', () => {
    const monitor = (extra: Record<string, unknown>) => ({
      ...object('ServiceMonitor', 'thanos-store'),
      apiVersion: 'monitoring.coreos.com/v1',
      spec: extra,
    });
    const duplicated: ManifestSet = [
      { file: 'sa.yaml', object: object('ServiceAccount', 'thanos-store') },
      { file: 'shards-sa.yaml', object: object('ServiceAccount', 'thanos-store') },
      { file: 'sm.yaml', object: monitor({ a: 1 }) },
      { file: 'shards-sm.yaml', object: monitor({ a: 2 }) },
    ];
    expect(() => assertWritableSet(duplicated)).not.toThrow();
    expect(conflictingDuplicates(duplicated)).toEqual([
      { object: 'ServiceMonitor thanos/thanos-store', files: ['sm.yaml', 'shards-sm.yaml'] },
    ]);
    expect(duplicateWarnings(duplicated)).toEqual([
      'ServiceMonitor thanos/thanos-store is defined 2 times with different content (sm.yaml, shards-sm.yaml); the last one wins when applied',
    ]);
  });
});

describe('formatManifestStream', () => {
  it('prints ---separated documents headed by their file, which parse back to the objects', () => {
    const stream = formatManifestStream(set);
    expect(stream.startsWith('---\n# Source: thanos-query-service.yaml\napiVersion: v1\n')).toBe(true);
    expect(stream).toContain('---\n# Source: nested/hashrings-configmap.yaml\n');
    expect(parseAllDocuments(stream).map((doc) => doc.toJS() as unknown)).toEqual(set.map((m) => m.object));
  });
  it('without source comments is the same stream minus the comment lines (what `thanos-gitops rbac` and infra print)', () => {
    const stream = formatManifestStream(set, { sourceComments: false });
    expect(stream.startsWith('---\napiVersion: v1\n')).toBe(true);
    expect(stream).toBe(formatManifestStream(set).replace(/^# Source: .*\n/gm, ''));
  });
});
