// Whole-process time of `thanos-gitops render` (the bundled CLI, as `npx thanos-gitops` runs it) for the
// kube-thanos example and all stacks, next to node's own start-up and the in-process share (load + render +
// write, measured in this process). Run after `npm run build`:
//   node --import tsx bench/render-cli.ts [--runs 15] [--cli dist/cli/index.js]
// kube-thanos itself (jsonnet + gojsontoyaml) cannot be timed side by side without vendoring it, so the table
// gives absolute milliseconds.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadManifestSet, writeManifestSet } from '../src/sources/index.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, cli: { type: 'string' } } });
const runs = Number(values.runs);
const cli = resolve(values.cli ?? process.env.THANOS_GITOPS_CLI ?? join(repoRoot, 'dist', 'cli', 'index.js'));

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function timeProcess(args: string[]): number {
  const samples: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const elapsed = performance.now() - start;
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
    if (i > 0) samples.push(elapsed); // the first run warms the file cache
  }
  return median(samples);
}

async function timeInProcess(config: string, out: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const start = performance.now();
    await writeManifestSet(await loadManifestSet({ type: 'config', config }), out);
    const elapsed = performance.now() - start;
    if (i >= 3) samples.push(elapsed); // JIT warm-up
  }
  return median(samples);
}

if (!existsSync(cli)) {
  console.error(`${cli} does not exist: run \`npm run build\` first (or pass --cli <bundle>)`);
  process.exit(1);
}
const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
if (!help.stdout.includes('render')) {
  console.error(`${cli} has no render command: it is stale, run \`npm run build\` first`);
  process.exit(1);
}

const scratch = await mkdtemp(join(tmpdir(), 'tg-bench-cli-'));
try {
  const nodeStart = timeProcess(['-e', '']);
  const cliHelp = timeProcess([cli, '--help']);
  const rows: string[][] = [];
  for (const name of ['example', 'all']) {
    const config = join(repoRoot, '..', 'shared', 'kube-thanos', `${name}.yaml`);
    const processMs = timeProcess([cli, 'render', '--config', config, '--out', join(scratch, `${name}-process`)]);
    const inProcessMs = await timeInProcess(config, join(scratch, `${name}-in-process`));
    const objects = (await loadManifestSet({ type: 'config', config })).length;
    rows.push([
      name,
      String(objects),
      processMs.toFixed(1),
      inProcessMs.toFixed(2),
      `${((inProcessMs / processMs) * 100).toFixed(1)}%`,
      (processMs - nodeStart).toFixed(1),
    ]);
  }
  const header = ['stack', 'objects', 'process ms', 'in-process ms', 'in-process share', 'over bare node ms'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padStart(widths[i]!)).join(' | ')} |`;
  console.log(
    `thanos-gitops render, median of ${runs} runs, node ${process.version}, ${cli.replace(`${repoRoot}/`, '')}`,
  );
  console.log(
    `bare node start-up: ${nodeStart.toFixed(1)} ms; CLI --help (start-up + bundle load): ${cliHelp.toFixed(1)} ms`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
} finally {
  await rm(scratch, { recursive: true, force: true });
}
