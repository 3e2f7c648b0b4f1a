// esbuild options specific to the Lambda bundle, shared by scripts/build.mjs, bench/lambda.ts and the e2e test.
// The reconciler builds its kubeconfig in memory from eks:DescribeCluster, so @kubernetes/client-node (whose index
// pulls in generated models, undici and proxy agents: over 1 MiB minified) is replaced by the in-memory subset of
// KubeConfig that src/kube/client.ts uses. Cold starts parse half the code.
import { fileURLToPath } from 'node:url';

export const lambdaBuildOptions = {
  alias: { '@kubernetes/client-node/dist/config.js': fileURLToPath(new URL('./kubeconfig-lite.ts', import.meta.url)) },
};
