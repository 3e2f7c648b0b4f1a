// Writes schema/thanos-stack.schema.json from the zod stack schema; `--check` fails when the checked-in file is
// stale (CI runs it), so editors validating against the JSON Schema always see what the parser accepts.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackSchemaJson } from '../src/config/json-schema.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema', 'thanos-stack.schema.json');
const text = stackSchemaJson();

if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== text) {
    process.stderr.write(`${target} is stale: run 'npm run schema' and commit it.\n`);
    process.exit(1);
  }
  process.stdout.write('schema/thanos-stack.schema.json is up to date\n');
} else {
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
