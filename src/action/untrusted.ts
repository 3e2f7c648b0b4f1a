import { InputError } from './inputs.js';

/** Events whose run gets the base repository's secrets and a write token while the code may come from a fork. */
const PRIVILEGED_EVENTS = new Set(['pull_request_target', 'workflow_run']);

interface RepositoryRef {
  full_name?: string;
}

function fullName(repository: unknown): string | undefined {
  const name = (repository as RepositoryRef | null | undefined)?.full_name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * The repository the run's code comes from when it is not the repository the run belongs to: the fork of a
 * pull_request_target's pull request, or the head repository of the run a workflow_run follows. A head repository
 * that is gone (a deleted fork: GitHub sends null) counts as a fork.
 */
export function untrustedHead(eventName: string, payload: Record<string, unknown>): string | undefined {
  if (!PRIVILEGED_EVENTS.has(eventName)) return undefined;
  const base = fullName(payload['repository']);
  let head: unknown;
  if (eventName === 'pull_request_target') {
    head = (payload['pull_request'] as { head?: { repo?: unknown } } | undefined)?.head?.repo;
  } else {
    head = (payload['workflow_run'] as { head_repository?: unknown } | undefined)?.head_repository;
  }
  const headName = fullName(head);
  if (headName !== undefined && base !== undefined && headName.toLowerCase() === base.toLowerCase()) return undefined;
  return headName ?? '(a deleted fork)';
}

/**
 * Refuses a privileged event whose code comes from a fork unless the workflow says `allow-untrusted-checkout: true`.
 * On those events the job has the base repository's secrets and a token that can write, while the jsonnet, stack
 * config and manifests the Action evaluates belong to the fork's author.
 */
export function assertTrustedEvent(eventName: string, payload: Record<string, unknown>, allowUntrusted: boolean): void {
  const head = untrustedHead(eventName, payload);
  if (head === undefined || allowUntrusted) return;
  throw new InputError(
    `refusing to run on a ${eventName} event whose code comes from the fork ${head}: ${eventName} runs with this ` +
      "repository's secrets and a token that can write, and the Action evaluates the fork's jsonnet, config and " +
      'manifests, which a fork author controls. Run the diff on the pull_request event instead (examples/workflows/thanos-diff.yml: ' +
      'a fork gets a read-only token and no secrets there), or set the input allow-untrusted-checkout: true if this ' +
      'workflow checks out only trusted code or you accept the risk',
  );
}
