import { ThanosGitopsError } from '../model/errors.js';

/** One problem in a stack config file, located precisely enough to fix it without searching. */
export interface ConfigIssue {
  file: string;
  /** 1-based; 0 when the problem has no location in the file (e.g. a config built in code). */
  line: number;
  column: number;
  /** Dotted config path such as `store.replicas` (empty for the whole document). */
  path: string;
  message: string;
  fix?: string;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  const path = issue.path === '' ? '' : ` ${issue.path}:`;
  return `${where}:${path} ${issue.message}${issue.fix ? `; ${issue.fix}` : ''}`;
}

/**
 * Bad stack config: every message names the file, line and column, the config path, what is wrong and the fix.
 * Values from the file are never echoed (a misplaced secret must not end up in a CI log).
 */
export class ConfigError extends ThanosGitopsError {
  override name = 'ConfigError';
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], options?: ErrorOptions) {
    super(issues.map(formatIssue).join('\n'), options);
    this.issues = issues;
  }
}
