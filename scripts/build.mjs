// Writes dist/: the bundles that run without node_modules (options in bundles.mjs). Output is deterministic, so CI
// fails when the committed dist/ is stale.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { bundles } from './bundles.mjs';

rmSync('dist', { recursive: true, force: true });
for (const options of Object.values(bundles)) await build(options);
// The CLI is the package's bin: npm links it, and a checkout runs it, directly.
chmodSync('dist/cli/index.js', 0o755);
