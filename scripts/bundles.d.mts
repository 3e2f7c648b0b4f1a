import type { BuildOptions } from 'esbuild';

/** See bundles.mjs. */
export declare const commonOptions: BuildOptions;
export declare const bundles: { action: BuildOptions; lambda: BuildOptions; cli: BuildOptions };
