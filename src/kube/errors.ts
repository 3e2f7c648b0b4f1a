import { ThanosGitopsError } from '../model/errors.js';
import type { ChangeSetEntry } from './change-set.js';
import type { RolloutState } from './rollout.js';

export interface Conflict {
  object: string;
  field: string;
  manager: string;
}

/** What an apply did (or, attached to an ApplyError, had done when it stopped). */
export interface ApplyResult {
  environment: string;
  /** The release revision recorded, if anything changed and history is on. */
  revision?: number;
  objects: ChangeSetEntry[];
  pruned: string[];
  warnings: string[];
  /** Requests that wrote to the apiserver during this apply. */
  writes: number;
  rollout?: RolloutState[];
}

/** Fields owned by other managers; nothing was written. */
export class ApplyConflictError extends ThanosGitopsError {
  override name = 'ApplyConflictError';
  constructor(readonly conflicts: Conflict[]) {
    super(
      `server-side apply conflicts, nothing was written:\n${conflicts.map((c) => `  ${c.object}: ${c.field || '(field)'} is owned by field manager "${c.manager}"`).join('\n')}\n` +
        `Fix: remove the field from the manifest, ask the other manager to release it, or re-run with --force-conflicts to take it over.`,
    );
  }
}

/** Immutable fields would change; nothing was written. */
export class ImmutableFieldError extends ThanosGitopsError {
  override name = 'ImmutableFieldError';
  constructor(readonly objects: Array<{ object: string; message: string }>) {
    super(
      `immutable fields would change, nothing was written:\n${objects.map((o) => `  ${o.object}: ${o.message}`).join('\n')}\n` +
        `Fix: revert the change, or re-run with --recreate to delete these objects (StatefulSets and Deployments with propagationPolicy Orphan: pods and volumes stay) and create them again.`,
    );
  }
}

/** Kinds the apiserver does not serve; nothing was written. */
export class MissingKindsError extends ThanosGitopsError {
  override name = 'MissingKindsError';
  constructor(readonly missing: Array<{ kind: string; objects: string[] }>) {
    super(
      `the API server does not serve these kinds, nothing was written:\n${missing.map((m) => `  ${m.kind}: ${m.objects.slice(0, 5).join(', ')}${m.objects.length > 5 ? `, and ${m.objects.length - 5} more` : ''}`).join('\n')}\n` +
        `Fix: install the CustomResourceDefinition (e.g. the prometheus-operator CRDs for ServiceMonitor), disable the component, or re-run with missing kinds skipped.`,
    );
  }
}

/** Objects failed while writing; the set's other objects and the history are left consistent and re-runnable. */
export class ApplyError extends ThanosGitopsError {
  override name = 'ApplyError';
  constructor(
    readonly failures: Array<{ object: string; error: Error }>,
    readonly stage: string,
    readonly partial: Partial<ApplyResult> = {},
  ) {
    super(
      `${stage} failed for ${failures.length} object(s):\n${failures.map((f) => `  ${f.error.message.startsWith(f.object) ? f.error.message : `${f.object}: ${f.error.message}`}`).join('\n')}\nRe-running the apply is safe: it converges from wherever this one stopped.`,
    );
  }
}
