/** esbuild options specific to the Lambda bundle (see esbuild.mjs). */
export declare const lambdaBuildOptions: { alias: Record<string, string> };
