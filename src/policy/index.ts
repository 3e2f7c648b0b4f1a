// The policy file's schema and reader (policy-file.ts) are not exported here: they load zod, which a run without a
// policy file never needs. Import them from './policy-file.js' where a file is read.
export { qualifiedKind, formatKind, DEFAULT_APPLY_POLICY } from './policy.js';
export type { ApplyPolicy } from './policy-file.js';
export {
  checkApplyPolicy,
  formatViolations,
  podSpecOf,
  PolicyViolationError,
  type PolicyViolation,
  type PolicyCheckOptions,
} from './check.js';
export {
  podSecurityFindings,
  BASELINE_CHECKS,
  RESTRICTED_CHECKS,
  type BaselineCheck,
  type PodFinding,
  type RestrictedCheck,
} from './pod-security.js';
