// Bundles the three entry points that run without node_modules: the GitHub Action (the runner loads
// dist/action/index.js), the Lambda handler (the Node.js runtime loads dist/lambda/index.mjs) and the CLI.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { lambdaBuildOptions } from '../lambda/esbuild.mjs';

const banner = {
  // Some CommonJS dependencies call require(); give ESM bundles one.
  js: "import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);",
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  banner,
  logLevel: 'warning',
  // Deterministic output so CI can fail on a stale dist/.
  metafile: false,
};

const entries = [
  { entryPoints: ['src/action/main.ts'], outfile: 'dist/action/index.js' },
  { entryPoints: ['lambda/handler.ts'], outfile: 'dist/lambda/index.mjs', ...lambdaBuildOptions },
  {
    // Split so each command's dependencies load only when it runs (see src/cli/commands/index.ts).
    entryPoints: { index: 'src/cli/main.ts' }, outdir: 'dist/cli', splitting: true, chunkNames: 'chunks/[name]-[hash]',
    banner: { js: '#!/usr/bin/env node\n' + banner.js } },
];

rmSync('dist', { recursive: true, force: true });
for (const entry of entries) {
  await build({ ...common, ...entry });
}
// The CLI is the package's bin: npm links it, and a checkout runs it, directly.
chmodSync('dist/cli/index.js', 0o755);
