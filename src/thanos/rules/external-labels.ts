import { isDeepStrictEqual } from 'node:util';
import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { externalLabels, flagValues, listed, perPodLabels, thanosComponent } from '../stack.js';

/**
 * External labels of block producers (receive, rule) changed. Blocks are grouped into streams by their external
 * labels: a change starts a new stream; dropping the per-pod replica label makes the pods' streams identical,
 * so their blocks overlap and the compactor halts.
 */
export const externalLabelsChange: RiskRule = {
  id: 'external-labels',
  severity: 'medium',
  versions: { from: 'v0.30.0' },
  source: SOURCES.compactStreams,
  summary: 'receiver or ruler external labels (--label) changed',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      const component = thanosComponent(after);
      if (component !== 'receive' && component !== 'rule') return [];
      const was = flagValues(before, '--label');
      const now = flagValues(after, '--label');
      if (isDeepStrictEqual([...was].sort(), [...now].sort())) return [];
      const diff = [
        ...now.filter((label) => !was.includes(label)).map((label) => `+${label}`),
        ...was.filter((label) => !now.includes(label)).map((label) => `-${label}`),
      ];
      const nowLabels = externalLabels(after);
      const lostPerPod = perPodLabels(before).filter(
        (label) => !nowLabels.has(label) || !perPodLabels(after).includes(label),
      );
      if (lostPerPod.length > 0) {
        return [
          {
            object: name,
            severity: 'high' as const,
            message: `changes ${component}'s external labels (${listed(diff)}) and drops the per-pod label ${listed(lostPerPod)}: every pod now uploads blocks with identical external labels, the same stream, overlapping in time, and the compactor halts on the overlap`,
            action:
              'keep a label whose value is the pod name (kube-thanos: replica="$(NAME)"), or turn on vertical compaction knowingly (compact deduplicationReplicaLabels) before dropping it',
            source: SOURCES.compactStreams,
          },
        ];
      }
      return [
        {
          object: name,
          message: `changes ${component}'s external labels (${listed(diff)}): blocks from now on form a new stream beside the old one; queries and the compactor treat them as different sources, and alerts or dashboards that select on the old labels stop matching`,
          action:
            "change external labels together with the querier's replica labels and any compactor sharding on them; expect two streams until the old one ages out",
          source: SOURCES.storageExternalLabels,
        },
      ];
    });
  },
};
