// The differential suite at any size (nightly): generated stack configs rendered by thanos-gitops and by kube-thanos
// (../shared/kube-thanos/src through /usr/bin/jsonnet) must match file for file, byte for byte.
//   npx tsx scripts/differential.ts --count 5000 [--seed 1] [--batch 50] [--parallel 2]
// Exits 1 on the first mismatching run, printing each failing seed with its shrunk config.
import { parseArgs } from 'node:util';
import { coverage, describeFailure, runDifferential } from '../test/helpers/differential.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    batch: { type: 'string', default: '50' },
    parallel: { type: 'string', default: '2' },
    coverage: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
const started = performance.now();
const result = await runDifferential(seed, count, Number(values.batch), Number(values.parallel));
const seconds = ((performance.now() - started) / 1000).toFixed(1);
process.stdout.write(
  `${count} stacks (seeds ${seed}..${seed + count - 1}), ${result.failures.length} failing; ${seconds} s total, ` +
    `jsonnet ${(result.jsonnetMs / 1000).toFixed(1)} s, thanos-gitops ${(result.oursMs / 1000).toFixed(1)} s\n`,
);
if (values.coverage) {
  const counts = coverage(result.stacks);
  for (const [option, n] of [...counts].sort((a, b) => a[1] - b[1]))
    process.stdout.write(`${String(n).padStart(6)}  ${option}\n`);
}
for (const failure of result.failures.slice(0, 5)) process.stdout.write(`\n${await describeFailure(failure)}\n`);
process.exitCode = result.failures.length > 0 ? 1 : 0;
