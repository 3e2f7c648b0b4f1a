export { diffManifestSets, type DiffOptions } from './diff.js';
export { codeText, escapeMarkdown } from './markdown.js';
export {
  normalizeObject,
  redactSecret,
  fingerprint,
  toDiffYaml,
  withFingerprintKey,
  LAST_APPLIED_ANNOTATION,
} from './normalize.js';
export { renderJsonReport, renderUnifiedReport, type JsonReport } from './formats.js';
export { renderReport, renderFullReport, commentMarker, COMMENT_LIMIT, DEFAULT_REPORT_BUDGET } from './report.js';
export type {
  ApplyOrder,
  CapacityItem,
  ChangeType,
  DiffEntry,
  ForecastItem,
  ManifestDiff,
  ReportContext,
  ReportOptions,
  ResourceTotals,
  RestartEffect,
  Risk,
  RiskSeverity,
  SourceLink,
  StackIssue,
} from './types.js';
