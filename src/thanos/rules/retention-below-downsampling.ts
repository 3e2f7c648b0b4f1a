import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { compactorRetentionProblems } from '../checks.js';
import { thanosComponent } from '../stack.js';

/** Retention shorter than the age a resolution must reach before the next downsampling pass. */
export const retentionBelowDownsampling: RiskRule = {
  id: 'retention-below-downsampling',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.compactDownsampling,
  summary: 'retention shorter than the downsampling windows (40h raw, 10d at 5m)',
  check(change) {
    return change.changes.flatMap(({ change: kind, before, after, name }) => {
      if (!after || (kind !== 'added' && kind !== 'modified') || thanosComponent(after) !== 'compact') return [];
      const known = new Set(compactorRetentionProblems(before).map((problem) => problem.message));
      return compactorRetentionProblems(after)
        .filter((problem) => !known.has(problem.message))
        .map((problem) => ({ object: name, ...problem }));
    });
  },
};
