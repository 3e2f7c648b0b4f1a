import { readFileSync } from 'node:fs';

// Replaced by the package.json version when scripts/bundles.mjs builds dist/ (esbuild `define`).
declare const __THANOS_GITOPS_VERSION__: string | undefined;

/** package.json's version, as the bundles were built with; read from package.json when running from source. */
export const TOOL_VERSION: string =
  typeof __THANOS_GITOPS_VERSION__ === 'string' ? __THANOS_GITOPS_VERSION__ : versionFromPackageJson();

function versionFromPackageJson(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    // A bundle built without the define (a test's scratch build) has no package.json beside it.
    return 'unknown';
  }
}
