import { isDeepStrictEqual } from 'node:util';
import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { flagValues, listed, thanosComponent } from '../stack.js';

/** --deduplication.replica-label on the compactor: turning it on enables vertical compaction, which merges blocks for good. */
export const compactorDedupLabels: RiskRule = {
  id: 'replica-labels',
  severity: 'medium',
  versions: { from: 'v0.30.0' },
  source: SOURCES.compactDedupVertical,
  summary: "the compactor's --deduplication.replica-label changed",
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      if (thanosComponent(after) !== 'compact') return [];
      const was = flagValues(before, '--deduplication.replica-label');
      const now = flagValues(after, '--deduplication.replica-label');
      if (isDeepStrictEqual([...was].sort(), [...now].sort())) return [];
      const added = now.filter((label) => !was.includes(label));
      const removed = was.filter((label) => !now.includes(label));
      const diff = [...added.map((label) => `+${label}`), ...removed.map((label) => `-${label}`)];
      if (was.length === 0 && now.length > 0) {
        return [
          {
            object: name,
            severity: 'high' as const,
            message: `adds --deduplication.replica-label (${listed(diff)}): this turns on vertical compaction, and the compactor merges the streams that differ only in those labels into one, irreversibly`,
            action:
              'only list labels whose streams are true replicas of each other (same source, e.g. replica="$(NAME)" at RF >= 2); back up or test on a copy of the bucket first',
            source: SOURCES.compactVerticalRisks,
          },
        ];
      }
      return [
        {
          object: name,
          message:
            `changes the compactor's --deduplication.replica-label (${listed(diff)}): ${added.length > 0 ? 'streams differing only in the added labels are merged irreversibly; ' : ''}${removed.length > 0 ? 'streams differing in the removed labels are no longer merged and stay separate from now on' : ''}`.replace(
              /; $/,
              '',
            ),
          action: "keep the compactor's replica labels equal to the querier's, and change both together",
        },
      ];
    });
  },
};
