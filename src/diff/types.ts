import type { KubeObject } from '../manifests/types.js';

export type ChangeType = 'added' | 'removed' | 'modified' | 'unchanged';

/** One object matched across the base and head sets. `before`/`after` are normalized and Secret-redacted. */
export interface DiffEntry {
  id: string;
  kind: string;
  namespace: string;
  name: string;
  change: ChangeType;
  before?: KubeObject;
  after?: KubeObject;
  /** Unified diff of the normalized YAML; '' when unchanged. */
  patch: string;
  additions: number;
  deletions: number;
}

export type RiskSeverity = 'high' | 'medium' | 'low';

export interface Risk {
  /** Stable machine name, e.g. 'immutable-field'. */
  id: string;
  severity: RiskSeverity;
  /** The object the risk is about, as `describeObject` names it. */
  object: string;
  /** One line: what changes and why it hurts. */
  message: string;
  /** What to do about it. */
  action: string;
}

export interface ManifestDiff {
  entries: DiffEntry[];
  risks: Risk[];
  counts: { added: number; removed: number; modified: number; unchanged: number };
}

export interface ReportContext {
  environment: string;
  baseRef?: string;
  headRef?: string;
  baseSha?: string;
  headSha?: string;
  /** Where the unshortened report can be found, e.g. "the job summary of this run and the `report-path` file". */
  fullReportHint?: string;
  title?: string;
}

export interface ReportOptions {
  /** Hard upper bound for the returned text (default 60,000; GitHub rejects comments over 65,536). */
  maxLength?: number;
}
