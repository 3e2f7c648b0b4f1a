import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { WORKLOAD_KINDS } from '../../model/workloads.js';
import { replicas, thanosComponent } from '../stack.js';

/** More than one compactor pod on one block stream. */
export const compactorReplicas: RiskRule = {
  id: 'compactor-replicas',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.compactSingleton,
  summary: 'a compactor workload with more than one replica',
  check(change) {
    return change.changes.flatMap(({ change: kind, before, after, name }) => {
      if (!after || thanosComponent(after) !== 'compact' || !WORKLOAD_KINDS.has(after.kind) || after.kind === 'Job')
        return [];
      if (kind !== 'added' && kind !== 'modified') return [];
      const now = replicas(after);
      if (now <= 1 || (before !== undefined && replicas(before) === now)) return [];
      return [
        {
          object: name,
          message: `runs ${now} compactor replicas: compactors on one block stream race, write overlapping blocks and halt (thanos_compact_halted 1) until the overlap is fixed by hand`,
          action:
            'keep replicas at 1; to scale, shard the compactor by external labels (compactShards) so each stream has exactly one compactor',
        },
      ];
    });
  },
};
