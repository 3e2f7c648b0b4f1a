export {
  applyPolicySchema,
  parseApplyPolicy,
  qualifiedKind,
  formatKind,
  DEFAULT_APPLY_POLICY,
  BASELINE_CHECKS,
  RESTRICTED_CHECKS,
  type ApplyPolicy,
  type BaselineCheck,
  type RestrictedCheck,
} from './policy.js';
export {
  checkApplyPolicy,
  formatViolations,
  podSpecOf,
  PolicyViolationError,
  type PolicyViolation,
  type PolicyCheckOptions,
} from './check.js';
export { podSecurityFindings, type PodFinding } from './pod-security.js';
