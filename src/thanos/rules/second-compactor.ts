import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { compactorsPerBucket } from '../checks.js';

/** Two compactor workloads on one bucket, e.g. a renamed compactor (created before the old one is pruned). */
export const secondCompactor: RiskRule = {
  id: 'second-compactor',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.compactSingleton,
  summary: 'two compactor workloads reading the same bucket',
  check(change) {
    const added = change.changes.filter((item) => item.change === 'added').map((item) => item.name);
    const removed = change.changes.filter((item) => item.change === 'removed').map((item) => item.name);
    const findings = [];
    // Only what this change introduces: a stack that already ran these compactors together is validation's business.
    const before = new Set(
      compactorsPerBucket(change.base)
        .filter((group) => group.compactors.length > 1 && !group.sharded)
        .map(
          (group) =>
            `${group.bucket}|${group.compactors
              .map((item) => item.name)
              .sort()
              .join(',')}`,
        ),
    );
    for (const group of compactorsPerBucket(change.head)) {
      if (group.compactors.length < 2 || group.sharded) continue;
      if (
        before.has(
          `${group.bucket}|${group.compactors
            .map((item) => item.name)
            .sort()
            .join(',')}`,
        )
      )
        continue;
      findings.push({
        object: group.compactors[group.compactors.length - 1]!.name,
        message: `${group.compactors.map((item) => item.name).join(' and ')} compact the same bucket (${group.bucket}) without disjoint shards: two compactors on one block stream write overlapping blocks and halt`,
        action:
          'run exactly one compactor per bucket and stream; use compactShards (each shard selects its own external labels) instead of a second compact section',
      });
    }
    // A rename: the new name is applied before the old one is pruned, so both run for a while.
    for (const group of compactorsPerBucket(change.base)) {
      for (const old of group.compactors) {
        if (!removed.includes(old.name)) continue;
        const successor = compactorsPerBucket(change.head)
          .find((item) => item.bucket === group.bucket)
          ?.compactors.find((item) => added.includes(item.name));
        if (!successor) continue;
        findings.push({
          object: successor.name,
          message: `replaces ${old.name} with ${successor.name} on the same bucket (${group.bucket}): apply creates the new compactor before it prunes the old one, so for a while two compactors run on one block stream`,
          action: 'scale the old compactor to 0 replicas in an earlier change, then rename; or keep the name',
        });
      }
    }
    return findings;
  },
};
