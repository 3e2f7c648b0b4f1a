// The shipped CLI bundle (dist/cli/index.js, built by `npm run -s build`, which `npm test` runs first) as a user
// runs it: a separate node process, real files, real signals.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bundle = join(repoRoot, 'dist', 'cli', 'index.js');

let work: string;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], options: { cwd?: string; node?: string; env?: Record<string, string> } = {}) {
  const child = spawn(options.node ?? process.execPath, [bundle, ...args], { cwd: options.cwd ?? work, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

const runBundle = (args: string[], options: { cwd?: string; node?: string; env?: Record<string, string> } = {}) => start(args, options).done;

/** Every file under dir as relative path -> content. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[join(entry.parentPath, entry.name).slice(dir.length + 1)] = await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

beforeAll(() => {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run -s build\` first (npm test does)`);
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'tg-shipped-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A manifests directory with `count` ConfigMaps in one multi-document file (hand-written: comments, flow style). */
async function manyConfigMaps(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const docs = Array.from({ length: count }, (_, i) => `# hand-written ${i}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}, namespace: thanos}\ndata: {index: "${i}"}\n`);
  await writeFile(join(dir, 'configmaps.yaml'), docs.join('---\n'));
}

describe('render --out keeps what it did not write', () => {
  it('refuses --out equal to, inside or around the --dir source, leaving the sources as they were', async () => {
    const source = join(work, 'm');
    await manyConfigMaps(source, 3);
    const before = await snapshot(source);
    for (const out of ['m', 'm/rendered', '.']) {
      const result = await runBundle(['render', '--dir', 'm', '--out', out]);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(out === '.' ? /refusing to replace \.: it is the current directory/ : /^error: refusing to write m.*: it (is|is inside) the source directory m, whose files it would rewrite; choose an --out outside it\n$/);
    }
    expect(await snapshot(source)).toEqual(before);
  });

  it('keeps hand-written files in a rendered directory and refuses to write into an unrecorded one', async () => {
    await manyConfigMaps(join(work, 'm'), 3);
    expect((await runBundle(['render', '--dir', 'm', '--out', 'out'])).code).toBe(0);
    await writeFile(join(work, 'out', 'NOTES.md'), 'keep\n');
    await manyConfigMaps(join(work, 'm'), 2);
    expect((await runBundle(['render', '--dir', 'm', '--out', 'out'])).code).toBe(0);
    expect(Object.keys(await snapshot(join(work, 'out'))).sort()).toEqual(['.thanos-gitops-render', 'NOTES.md', 'configmaps-1.yaml', 'configmaps-2.yaml'].sort());

    await mkdir(join(work, 'hand'));
    await writeFile(join(work, 'hand', 'mine.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n');
    const refused = await runBundle(['render', '--dir', 'm', '--out', 'hand']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to write into hand: it holds files that thanos-gitops render did not write (mine.yaml)');
    expect(await snapshot(join(work, 'hand'))).toEqual({ 'mine.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n' });
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} while writing removes the staging directory and leaves --out as it was`, async () => {
      await manyConfigMaps(join(work, 'm'), 3);
      expect((await runBundle(['render', '--dir', 'm', '--out', 'out'])).code).toBe(0);
      const before = await snapshot(join(work, 'out'));
      await manyConfigMaps(join(work, 'm'), 4000);
      const { child, done } = start(['render', '--dir', 'm', '--out', 'out']);
      // Signal once the staging directory exists and is filling up.
      let staged = 0;
      for (let tries = 0; tries < 6000 && staged < 20; tries++) {
        const staging = (await readdir(work)).find((name) => name.startsWith('.out.tmp-'));
        staged = staging ? (await readdir(join(work, staging)).catch(() => [])).length : 0;
        if (staged < 20) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(staged, 'the render reached its write phase').toBeGreaterThanOrEqual(20);
      child.kill(signal);
      const result = await done;
      expect(result.stderr).toBe(`${signal}: stopped; out was left as it was and the staging directory removed\n`);
      expect(result.code).toBe(signal === 'SIGINT' ? 130 : 143);
      expect((await readdir(work)).sort()).toEqual(['m', 'out']);
      expect(await snapshot(join(work, 'out'))).toEqual(before);
    });
  }
});
