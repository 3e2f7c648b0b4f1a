// Prints (or with --write, puts into README.md between the options-table markers) the component/options table:
// per component, the options kube-thanos has at ../shared/kube-thanos/src (measured from the libsonnet), the ones
// the stack config accepts, and the ones kube-thanos declares but ignores, which the config refuses with a reason.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENT_KEYS, componentOptions, IGNORED_OPTIONS } from '../src/config/schema.js';
import { kubeThanosOptions } from '../test/helpers/kube-thanos-options.js';

const START = '<!-- options-table:start (npx tsx scripts/options-table.ts --write) -->';
const END = '<!-- options-table:end -->';

export function optionsTable(): string {
  const rows = COMPONENT_KEYS.map((key) => {
    const measured = kubeThanosOptions(key);
    const accepted = [...componentOptions[key]].sort();
    const refused = Object.keys(IGNORED_OPTIONS[key] ?? {}).sort();
    const code = (names: string[]) => (names.length > 0 ? names.map((name) => `\`${name}\``).join(' ') : '-');
    return `| \`${key}\` | ${measured.options.length} | ${measured.used.length} | ${accepted.length} | ${code(refused)} | ${code(accepted)} |`;
  });
  return [
    START,
    '| Component | kube-thanos options | read by kube-thanos | accepted here | refused (kube-thanos ignores them) | accepted options |',
    '|---|---|---|---|---|---|',
    ...rows,
    END,
  ].join('\n');
}

if (process.argv[1]?.endsWith('options-table.ts')) {
  const table = optionsTable();
  if (process.argv.includes('--write')) {
    const path = join(process.cwd(), 'README.md');
    const readme = readFileSync(path, 'utf8');
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    if (start < 0 || end < 0) throw new Error(`README.md has no ${START} ... ${END} block`);
    writeFileSync(path, readme.slice(0, start) + table + readme.slice(end + END.length));
  } else {
    process.stdout.write(`${table}\n`);
  }
}
