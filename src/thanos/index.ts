export { analyzeDiff, analyzeManifestSets } from './analyze.js';
export { capacityDelta, parseQuantity } from './capacity.js';
export { forecastRestarts } from './forecast.js';
export { detectRisks } from './risks.js';
export { holdsFor, StackChange, type RiskFinding, type RiskRule, type VersionRange } from './rule.js';
export { RISK_RULES } from './rules/index.js';
export { SOURCES, THANOS_REFERENCE_VERSION, thanosSource } from './source.js';
export { parseHashrings, StackView, writeQuorum } from './stack.js';
export { formatValidationIssue, validateStack, type ValidationIssue, type ValidationSeverity } from './validate.js';
