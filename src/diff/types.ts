import type { KubeObject } from '../model/objects.js';

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
  /** Where the behaviour the message describes is documented (a versioned doc or source file). */
  source?: SourceLink;
}

/** A link to the documentation or source a statement rests on. */
export interface SourceLink {
  /** e.g. "Thanos v0.42.4, pkg/receive/hashring.go (lines 149-154)". */
  label: string;
  url: string;
}

/** What applying a change does to one workload's running pods. */
export type RestartEffect = 'rolls' | 'reloads' | 'flushes' | 'restart-needed' | 'created' | 'deleted' | 'scaled';

export interface ForecastItem {
  /** The workload as `describeObject` names it. */
  object: string;
  /** Pods before and after the change. */
  pods: { base: number; head: number };
  effect: RestartEffect;
  /** The order pods are replaced or told, e.g. "ordinal 2, 1, 0, one at a time". */
  order: string;
  /** Why, in one line. */
  reason: string;
  source?: SourceLink;
}

/** Requested resources of one component, base and head. CPU in millicores, memory and storage in bytes. */
export interface CapacityItem {
  component: string;
  base: ResourceTotals;
  head: ResourceTotals;
}

export interface ResourceTotals {
  cpuMillis: number;
  memoryBytes: number;
  storageBytes: number;
  pods: number;
}

export interface ManifestDiff {
  entries: DiffEntry[];
  /** Filled by an analysis layer above the generic diff (src/thanos); the diff itself flags nothing. */
  risks: Risk[];
  counts: { added: number; removed: number; modified: number; unchanged: number };
  /** Restart impact per workload, when an analysis layer computed it. */
  forecast?: ForecastItem[];
  /** Requested resources per component, when an analysis layer computed them. */
  capacity?: CapacityItem[];
  /** Problems of the head stack as a whole (validation), when an analysis layer checked it. */
  issues?: StackIssue[];
  /** The order apply carries the change out in, when it takes more than one step (ingestor ring resizes). */
  order?: ApplyOrder;
}

/** Ordered apply steps: one line per step, or why the ordered change is refused. */
export interface ApplyOrder {
  steps: string[];
  refused?: string;
  warnings: string[];
}

/** A problem of the head stack itself, not of the change: something the software it runs would refuse or do wrong. */
export interface StackIssue {
  id: string;
  severity: 'error' | 'warning';
  object: string;
  /** The manifest file and, for config sources, the config option that controls it. */
  file?: string | undefined;
  option?: string;
  message: string;
  fix: string;
  source?: SourceLink;
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
