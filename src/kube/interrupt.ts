// Stopping a run cleanly: an AbortSignal (SIGINT/SIGTERM of the CLI, the Lambda's deadline) is checked at every
// request boundary, and the clean-up that must finish anyway runs shielded from it. Kept free of heavy imports: the
// CLI's entry point loads it for every command.
import { AsyncLocalStorage } from 'node:async_hooks';
import { ThanosGitopsError } from '../model/errors.js';

/**
 * The run was asked to stop (SIGINT/SIGTERM of the CLI, the Lambda's deadline): raised at the next request boundary,
 * so nothing is cut off half-way through a request. `reason` is what the abort said, e.g. `SIGTERM`.
 */
export class InterruptedError extends ThanosGitopsError {
  override name = 'InterruptedError';
  constructor(
    readonly reason: string,
    readonly object: string,
  ) {
    super(`interrupted (${reason}) before ${object}; re-running converges from where this run stopped`);
  }
}

/** What an abort reason says, for messages and exit codes. */
export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return reason.message;
  return 'aborted';
}

const shield = new AsyncLocalStorage<boolean>();

/**
 * Runs fn to the end even when the run has been interrupted: the clean-up that keeps the cluster consistent (recording
 * a release, releasing the Lease) must not itself be cut short by the abort it reacts to.
 */
export function uninterruptible<T>(fn: () => Promise<T>): Promise<T> {
  return shield.run(true, fn);
}

/** Whether work in this async context should stop now; false inside uninterruptible(). */
export function interrupted(signal: AbortSignal | undefined): boolean {
  return !!signal?.aborted && shield.getStore() !== true;
}

/** A sleep that ends early (with InterruptedError) when the signal fires, unless shielded. */
export function sleepUnlessInterrupted(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  if (interrupted(signal)) return Promise.reject(new InterruptedError(abortReason(signal as AbortSignal), what));
  if (!signal || shield.getStore() === true) return new Promise((resolve) => setTimeout(resolve, ms));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError(abortReason(signal), what));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
