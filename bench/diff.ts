// Times the pull-request diff on a 500-object change: matching and diffing two manifest sets, building the
// comment (60,000-character budget) and the full report. For scale, the same two sets written as YAML files
// are compared with `diff -ru` (GNU diffutils), what a reviewer would otherwise run on rendered directories.
// Run: node --import tsx bench/diff.ts
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse, stringify } from 'yaml';
import { diffManifestSets, renderFullReport, renderReport } from '../src/diff/index.js';
import { analyzeManifestSets } from '../src/thanos/index.js';
import type { KubeObject, ManifestSet } from '../src/model/objects.js';

const GOLDEN = join(import.meta.dirname, '../../shared/kube-thanos/all');
const RUNS = 10;

type Mutable = Record<string, any>;

function sets(): { base: ManifestSet; head: ManifestSet } {
  const seen = new Set<string>();
  const golden = readdirSync(GOLDEN)
    .sort()
    .map((file) => ({ file, object: parse(readFileSync(join(GOLDEN, file), 'utf8')) as KubeObject }))
    .filter(
      ({ object }) =>
        !seen.has(`${object.kind}/${object.metadata.name}`) &&
        Boolean(seen.add(`${object.kind}/${object.metadata.name}`)),
    );
  const base: ManifestSet = [];
  for (let copy = 0; base.length < 500; copy++) {
    for (const manifest of golden) {
      if (base.length === 500) break;
      const object = structuredClone(manifest.object);
      object.metadata.namespace = `tenant-${copy}`;
      base.push({ file: `tenant-${copy}/${manifest.file}`, object });
    }
  }
  // A realistic large PR: a version bump everywhere, a label on every object, a few immutable-field edits.
  const head = structuredClone(base);
  head.forEach(({ object }, position) => {
    const mutable = object as Mutable;
    mutable.metadata.labels = { ...mutable.metadata.labels, 'example.com/owner': 'observability' };
    for (const container of mutable.spec?.template?.spec?.containers ?? [])
      container.image = String(container.image).replace(/v0\.30\.2$/, 'v0.32.0');
    if (object.kind === 'StatefulSet' && position % 5 === 0)
      mutable.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '50Gi';
  });
  return { base, head };
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(run: () => void): number {
  run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const { base, head } = sets();
const diff = analyzeManifestSets(base, head);
const context = { environment: 'bench', baseSha: '0'.repeat(40), headSha: 'f'.repeat(40) };
const comment = renderReport(diff, context);
const full = renderFullReport(diff, context);

const rows: Array<[string, number, string]> = [
  [
    'diffManifestSets (500 vs 500 objects)',
    time(() => diffManifestSets(base, head)),
    `${diff.counts.modified} modified`,
  ],
  [
    'analyzeManifestSets (diff + Thanos rules, forecast, capacity, validation)',
    time(() => analyzeManifestSets(base, head)),
    `${diff.risks.length} risks, ${diff.forecast?.length ?? 0} forecast rows`,
  ],
  [
    'renderReport (PR comment, 60k budget)',
    time(() => renderReport(diff, context)),
    `${comment.length.toLocaleString('en')} chars`,
  ],
  [
    'renderFullReport (summary/file)',
    time(() => renderFullReport(diff, context)),
    `${full.length.toLocaleString('en')} chars`,
  ],
];
const total = rows.reduce((sum, [, ms]) => sum + ms, 0);

let gnuDiff: number | undefined;
const scratch = mkdtempSync(join(tmpdir(), 'thanos-gitops-bench-'));
try {
  for (const [side, set] of [
    ['base', base],
    ['head', head],
  ] as const) {
    for (const { file, object } of set) {
      mkdirSync(join(scratch, side, file, '..'), { recursive: true });
      writeFileSync(join(scratch, side, file), stringify(object));
    }
  }
  gnuDiff = time(() => {
    try {
      execFileSync('diff', ['-ru', 'base', 'head'], { cwd: scratch, maxBuffer: 256 * 1024 * 1024 });
    } catch (error) {
      if ((error as { status?: number }).status !== 1) throw error;
    }
  });
} catch (error) {
  console.error(`diff -ru skipped: ${(error as Error).message}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const pad = (text: string, width: number) => text.padEnd(width);
console.log(`thanos-gitops diff benchmark (median of ${RUNS} runs, Node ${process.version})\n`);
console.log(`${pad('step', 42)} ${pad('ms', 9)} note`);
console.log(`${'-'.repeat(42)} ${'-'.repeat(9)} ${'-'.repeat(30)}`);
for (const [name, ms, note] of rows) console.log(`${pad(name, 42)} ${pad(ms.toFixed(1), 9)} ${note}`);
console.log(`${pad('total (diff + comment + full report)', 42)} ${pad(total.toFixed(1), 9)}`);
if (gnuDiff !== undefined) {
  console.log(
    `${pad('diff -ru base/ head/ (GNU diffutils)', 42)} ${pad(gnuDiff.toFixed(1), 9)} no matching, masking or risk flags`,
  );
  console.log(`\nratio total / diff -ru: ${(total / gnuDiff).toFixed(1)}x`);
}
