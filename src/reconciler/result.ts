// What a reconciler function answers: the Action reads it back from Lambda Invoke, so both sides share this type.
import type { ManifestDiff } from '../diff/index.js';
import type { ReconcilerAction } from './event.js';

/** plan: may only dry-run; apply: may write. Infra deploys one function of each. */
export type FunctionMode = 'plan' | 'apply';

export interface ReconcilerResult {
  action: ReconcilerAction;
  mode: FunctionMode;
  environment: string;
  namespace: string;
  /** The release revision recorded on the cluster (apply, rollback) or the one checked (reconcile). */
  revision?: number | undefined;
  commit?: string | undefined;
  applied: number;
  pruned: number;
  unchanged: number;
  drifted: number;
  /** Object names per outcome, for the job summary. */
  objects: { applied: string[]; pruned: string[]; drifted: string[] };
  warnings: string[];
  writes: number;
  /** plan: the diff (entries without object bodies: the patches are already masked) and its markdown report. */
  diff?: ManifestDiff | undefined;
  report?: string | undefined;
  /** rotate: what rotation did, one line per action (names and fingerprints only). */
  rotation?: string[] | undefined;
}
