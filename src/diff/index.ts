export { diffManifestSets } from './diff.js';
export { codeText, escapeMarkdown } from './markdown.js';
export { normalizeObject, redactSecret, fingerprint, toDiffYaml, withFingerprintKey, LAST_APPLIED_ANNOTATION } from './normalize.js';
export { detectRisks, parseHashrings } from './risks.js';
export { renderReport, renderFullReport, commentMarker, COMMENT_LIMIT, DEFAULT_REPORT_BUDGET } from './report.js';
export type { ChangeType, DiffEntry, ManifestDiff, ReportContext, ReportOptions, Risk, RiskSeverity } from './types.js';
