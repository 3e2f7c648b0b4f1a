import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { queryDedupProblems } from '../checks.js';
import { listed } from '../stack.js';

/** The querier does not deduplicate on the per-pod label of replicated producers: every sum() counts each copy. */
export const queryDedupLabels: RiskRule = {
  id: 'query-replica-labels',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.queryDedup,
  summary: "the querier's --query.replica-label misses a receiver or ruler per-pod label",
  check(change) {
    const known = new Set(
      queryDedupProblems(change.base).map(
        (problem) => `${problem.query.name}|${problem.producer.name}|${problem.missing.join(',')}`,
      ),
    );
    return queryDedupProblems(change.head)
      .filter((problem) => !known.has(`${problem.query.name}|${problem.producer.name}|${problem.missing.join(',')}`))
      .map((problem) => ({
        object: problem.query.name,
        message: `deduplicates on ${problem.replicaLabels.length ? listed(problem.replicaLabels) : 'no replica label'}, but ${problem.producer.name} marks each pod with ${listed(problem.missing)} and ${problem.copies}: queries return every copy, so sum() and count() are multiplied`,
        action: `add ${listed(problem.missing)} to query.replicaLabels (--query.replica-label)`,
      }));
  },
};
