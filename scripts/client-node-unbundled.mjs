// Stands in, in the CLI bundle only, for the two parts of @kubernetes/client-node that its KubeConfig imports but the
// CLI never runs: the generated API client (KubeConfig.makeApiClient) and the undici transport
// (KubeConfig.applyToFetchOptions). src/kube/client.ts speaks HTTPS itself through KubeConfig.applyToHTTPSOptions,
// which keeps every kubeconfig feature (exec plugins, auth providers, client certificates, token files, in-cluster,
// proxies through https/socks agents). Without them a command that talks to a cluster loads 0.6 MB less code.
const UNBUNDLED = 'is not bundled in the thanos-gitops CLI (it connects through KubeConfig.applyToHTTPSOptions)';

function unbundled(name) {
  return class {
    constructor() {
      throw new Error(`@kubernetes/client-node ${name} ${UNBUNDLED}`);
    }
  };
}

export const Agent = unbundled('undici Agent');
export const ProxyAgent = unbundled('undici ProxyAgent');
export const ServerConfiguration = unbundled('ServerConfiguration');
export function createConfiguration() {
  throw new Error(`@kubernetes/client-node createConfiguration ${UNBUNDLED}`);
}
