// The esbuild options of every shipped bundle: scripts/build.mjs writes them to dist/, and the benchmarks build the
// same bundles elsewhere, so what they measure is what ships.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lambdaBuildOptions } from '../lambda/esbuild.mjs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const banner = {
  // Some CommonJS dependencies call require(); give ESM bundles one.
  js: "import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);",
};

export const commonOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  banner,
  logLevel: 'warning',
  // src/model/version.ts: --version, the ApplySet tooling annotation and the User-Agent say what was built.
  define: { __THANOS_GITOPS_VERSION__: JSON.stringify(version) },
  // The AWS SDK's browser user-agent provider loads bowser with a dynamic import(); on Node the SDK uses its Node
  // provider and never runs that import, so no bundle carries bowser's 35 KB.
  external: ['bowser'],
};

// The CLI imports KubeConfig from client-node's config module, never its index; that module still imports the generated
// API client and undici, which only makeApiClient and applyToFetchOptions use: see client-node-unbundled.mjs.
const clientNodeUnbundled = {
  name: 'client-node-unbundled',
  setup(build) {
    const stub = fileURLToPath(new URL('./client-node-unbundled.mjs', import.meta.url));
    build.onResolve({ filter: /^(undici|\.\/gen\/index\.js)$/ }, (args) =>
      /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/.test(args.importer) ? { path: stub } : undefined,
    );
  },
};

// The CLI's node:http without Node's ESM facade: see node-http.mjs.
const nodeHttpWithoutFacade = {
  name: 'node-http-without-facade',
  setup(build) {
    const shim = fileURLToPath(new URL('./node-http.mjs', import.meta.url));
    build.onResolve({ filter: /^(node:)?http$/ }, () => ({ path: shim }));
  },
};

/** The GitHub Action (the runner loads dist/action/index.js), the Lambda handler (dist/lambda/index.mjs), the CLI. */
export const bundles = {
  action: { ...commonOptions, entryPoints: ['src/action/main.ts'], outfile: 'dist/action/index.js' },
  lambda: {
    ...commonOptions,
    entryPoints: ['lambda/handler.ts'],
    outfile: 'dist/lambda/index.mjs',
    ...lambdaBuildOptions,
  },
  cli: {
    ...commonOptions,
    // Split so each command's dependencies load only when it runs (see src/cli/commands/index.ts). index.js is the
    // Node version check (src/cli/entry.ts), which loads main.js only on a Node that can run it.
    entryPoints: { index: 'src/cli/entry.ts', main: 'src/cli/main.ts' },
    outdir: 'dist/cli',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: `#!/usr/bin/env node\n${banner.js}` },
    plugins: [clientNodeUnbundled, nodeHttpWithoutFacade],
  },
};
