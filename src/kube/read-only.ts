import { isDryRunPath, type KubeClient } from './client.js';
import { ThanosGitopsError } from '../model/errors.js';

/** A request a read-only client refused; nothing was sent. */
export class ReadOnlyRefusedError extends ThanosGitopsError {
  override name = 'RefusedError';
}

/** Methods that never change state on a Kubernetes API server. */
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * A client that refuses every request that could write, whatever calls it: a GET, or a request whose URL carries
 * `dryRun=All`. It decides by the request actually sent (method and URL), never by an option the caller passes, so a
 * DELETE with a `dryRun: true` option but no `dryRun=All` in its URL is refused.
 */
export function readOnlyClient(client: KubeClient, who = 'plan function'): KubeClient {
  const proxy: KubeClient = new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property === 'request') {
        return async (method: string, path: string, ...rest: unknown[]) => {
          if (!READ_METHODS.has(method.toUpperCase()) && !isDryRunPath(path)) {
            throw new ReadOnlyRefusedError(
              `${who} refused a ${method} of ${path.split('?')[0]}: it only reads and dry-runs (the request has no dryRun=All)`,
            );
          }
          return await (value as (...args: unknown[]) => Promise<unknown>).call(proxy, method, path, ...rest);
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(proxy) : value;
    },
  });
  return proxy;
}
