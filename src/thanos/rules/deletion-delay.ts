import { isDeepStrictEqual } from 'node:util';
import type { RiskFinding, RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { flagValues, flagDuration } from '../stack.js';

/**
 * Stores must stop reading a block well before the compactor deletes it, so --ignore-deletion-marks-delay has to
 * stay below --delete-delay (docs/components/store.md suggests about half).
 */
export const deletionDelay: RiskRule = {
  id: 'deletion-delay',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.storeDeletionDelay,
  summary: "a store's --ignore-deletion-marks-delay not below the compactor's --delete-delay",
  check(change) {
    const relevant = change.changes.filter(
      (item) =>
        item.after &&
        change.head.workloads.some(
          (workload) =>
            workload.object === item.after && (workload.component === 'compact' || workload.component === 'store'),
        ),
    );
    const touched = relevant.some(
      (item) =>
        item.change === 'added' ||
        (item.change === 'modified' &&
          (!isDeepStrictEqual(flagValues(item.before, '--delete-delay'), flagValues(item.after, '--delete-delay')) ||
            !isDeepStrictEqual(
              flagValues(item.before, '--ignore-deletion-marks-delay'),
              flagValues(item.after, '--ignore-deletion-marks-delay'),
            ))),
    );
    if (!touched) return [];
    const findings: RiskFinding[] = [];
    for (const compactor of change.head.byComponent('compact')) {
      const deleteText = flagValues(compactor.object, '--delete-delay')[0] ?? '48h';
      const deleteDelay = flagDuration(deleteText);
      if (deleteDelay === undefined) continue;
      for (const store of change.head.byComponent('store')) {
        const ignoreText = flagValues(store.object, '--ignore-deletion-marks-delay')[0] ?? '24h';
        const ignoreDelay = flagDuration(ignoreText);
        if (ignoreDelay === undefined || ignoreDelay < deleteDelay) continue;
        findings.push({
          object: store.name,
          message: `--ignore-deletion-marks-delay=${ignoreText} is not below the compactor's --delete-delay=${deleteText} (${compactor.name}): queries fail on blocks deleted under the store`,
          action: 'keep the store delay at about half the compactor delete delay (kube-thanos: 24h and 48h)',
        });
      }
    }
    return findings;
  },
};
