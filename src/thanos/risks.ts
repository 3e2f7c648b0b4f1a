import type { Risk, RiskSeverity } from '../diff/types.js';
import { holdsFor, StackChange, type RiskRule } from './rule.js';
import { RISK_RULES } from './rules/index.js';
import { formatVersion, type StackView } from './stack.js';

const SEVERITY_ORDER: Record<RiskSeverity, number> = { high: 0, medium: 1, low: 2 };

/**
 * Runs every rule over the change, most severe first, stable within a severity. A rule whose versions do not cover
 * the Thanos release the head runs (the base's when the head has none) still runs, but its messages say which
 * releases the statement was checked for: an unverified warning is still better than silence on an old stack.
 */
export function detectRisks(base: StackView, head: StackView, rules: readonly RiskRule[] = RISK_RULES): Risk[] {
  const change = new StackChange(base, head);
  const version = head.version() ?? base.version();
  const risks: Risk[] = [];
  for (const rule of rules) {
    const note = holdsFor(rule.versions, version)
      ? ''
      : ` (checked for Thanos ${rule.versions.from}${rule.versions.until ? ` to ${rule.versions.until}` : ' and later'}; this stack runs ${formatVersion(version!)})`;
    for (const finding of rule.check(change)) {
      risks.push({
        id: rule.id,
        severity: finding.severity ?? rule.severity,
        object: finding.object,
        message: `${finding.message}${note}`,
        action: finding.action,
        source: finding.source ?? rule.source,
      });
    }
  }
  return risks.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
