// The reconciler bundle's size and cold import time: what a Lambda cold start pays before the handler runs.
// Bundles lambda/handler.ts with the shipped options (scripts/bundles.mjs) (into a temp dir, so dist/ is left to the build),
// prints the biggest contributors from esbuild's metafile, then imports the bundle in 10 fresh Node processes.
//   node --import tsx bench/lambda.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundles } from '../scripts/bundles.mjs';

const SIZE_TARGET = 1.5 * 1024 * 1024;
const IMPORT_TARGET_MS = 250;
const RUNS = 10;

const dir = mkdtempSync(join(tmpdir(), 'thanos-gitops-lambda-bench-'));
const outfile = join(dir, 'index.mjs');
const result = await build({ ...bundles.lambda, outfile, metafile: true });

const bytes = readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
const output = Object.values(result.metafile?.outputs ?? {})[0];
const byPackage = new Map<string, number>();
for (const [path, info] of Object.entries(output?.inputs ?? {})) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  const key = match?.[1] ?? path.split('/').slice(0, 2).join('/');
  byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

// Each run: a fresh process that times only the dynamic import() of the bundle, as the runtime loads it.
const probe = `const t=performance.now();const m=await import(${JSON.stringify(pathToFileURL(outfile).href)});if(typeof m.handler!=='function')process.exit(3);process.stdout.write(String(performance.now()-t));`;
const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`import failed: ${run.stderr}`);
  times.push(Number(run.stdout));
}
const distBytes = (() => {
  try {
    return readdirSync('dist/lambda').reduce((sum, file) => sum + statSync(join('dist/lambda', file)).size, 0);
  } catch {
    return undefined;
  }
})();
rmSync(dir, { recursive: true, force: true });

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
console.log('Biggest contributors to the Lambda bundle (bytes in output):');
for (const [name, size] of [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12))
  console.log(`  ${kb(size).padStart(9)}  ${name}`);
console.log('');
console.log('| measure | value | target | ok |');
console.log('|---|---|---|---|');
console.log(
  `| bundle size (fresh build) | ${kb(bytes)} | <= ${kb(SIZE_TARGET)} | ${bytes <= SIZE_TARGET ? 'yes' : 'NO'} |`,
);
if (distBytes !== undefined)
  console.log(
    `| dist/lambda/ size | ${kb(distBytes)} | <= ${kb(SIZE_TARGET)} | ${distBytes <= SIZE_TARGET ? 'yes' : 'NO'} |`,
  );
console.log(
  `| import time, median of ${RUNS} fresh processes | ${median(times).toFixed(1)} ms | <= ${IMPORT_TARGET_MS} ms | ${median(times) <= IMPORT_TARGET_MS ? 'yes' : 'NO'} |`,
);
console.log(`| import time, min / max | ${Math.min(...times).toFixed(1)} / ${Math.max(...times).toFixed(1)} ms | | |`);
