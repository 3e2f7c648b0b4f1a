export { diffManifestSets } from './diff.js';
export { normalizeObject, redactSecret, fingerprint, toDiffYaml, LAST_APPLIED_ANNOTATION } from './normalize.js';
export { renderJsonReport, renderUnifiedReport, type JsonReport } from './formats.js';
export { renderReport, renderFullReport, commentMarker, COMMENT_LIMIT, DEFAULT_REPORT_BUDGET } from './report.js';
export type {
  ApplyOrder, CapacityItem, ChangeType, DiffEntry, ForecastItem, ManifestDiff, ReportContext, ReportOptions, ResourceTotals, RestartEffect, Risk, RiskSeverity, SourceLink, StackIssue,
} from './types.js';
