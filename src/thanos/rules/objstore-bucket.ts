import type { RiskFinding, RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { bucketOf } from '../checks.js';
import { secretValue, StackView } from '../stack.js';

/**
 * The bucket, prefix or endpoint inside the objstore Secret changed. Every component reads the config once at
 * start, so they switch buckets pod by pod as they restart; the history in the old location vanishes from
 * queries, and a prefix shared with another stack mixes the two (its compactor applies its retention to ours).
 */
export const objstoreBucket: RiskRule = {
  id: 'objstore-bucket',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.objstoreAtStart,
  summary: 'bucket, prefix or endpoint of the objstore config changed',
  check(change) {
    const findings: RiskFinding[] = [];
    for (const { before, after, name } of change.modified()) {
      if (after.kind !== 'Secret') continue;
      const keys = new Set([
        ...Object.keys((before['data'] as object | undefined) ?? {}),
        ...Object.keys((before['stringData'] as object | undefined) ?? {}),
      ]);
      for (const key of keys) {
        const was = bucketOf(secretValue(before, key));
        const now = bucketOf(secretValue(after, key));
        if (!was || !now || !was.bucket) continue;
        const changed = (['type', 'bucket', 'endpoint', 'prefix'] as const).filter(
          (field) => was[field] !== now[field],
        );
        if (changed.length === 0) continue;
        const readers = change.head.workloads.filter(
          (workload) =>
            workload.object.metadata.namespace === after.metadata.namespace &&
            StackView.objstoreRef(workload.object) === `${after.metadata.name}/${key}`,
        );
        const fields = changed
          .map((field) => `${field} \`${was[field] || '(none)'}\` -> \`${now[field] || '(none)'}\``)
          .join(', ');
        findings.push({
          object: name,
          message: `${key}: changes the object storage location (${fields}): ${readers.length > 0 ? `${readers.length} component${readers.length === 1 ? '' : 's'} (${readers.map((reader) => reader.name).join(', ')}) read it only at start, so they move pod by pod as they restart; ` : ''}blocks in the old location vanish from queries and are no longer compacted or deleted by retention, and if the new location holds another stack's blocks, this stack's compactor compacts and applies its retention to them`,
          action:
            'copy the history first (`thanos tools bucket replicate`) or keep a store gateway on the old location; never point two stacks at the same bucket and prefix; restart every reader together',
        });
      }
    }
    return findings;
  },
};
