import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { compareVersions, containers, formatVersion, imageVersion } from '../stack.js';

/** A container image changes: every pod of the workload restarts on it. Downgrades are image-downgrade. */
export const imageChange: RiskRule = {
  id: 'image-change',
  severity: 'low',
  versions: { from: 'v0.0.0' },
  source: SOURCES.changelog,
  summary: 'a container image changed (not a Thanos downgrade)',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      const afterImages = new Map(containers(after).map((container) => [container.name, container.image]));
      return containers(before).flatMap((container) => {
        const now = afterImages.get(container.name);
        if (container.image === undefined || now === undefined || now === container.image) return [];
        const was = imageVersion(container.image);
        const next = imageVersion(now);
        if (was && next && compareVersions(next, was) < 0) return [];
        return [
          {
            object: name,
            message: `container ${container.name} image \`${container.image}\` -> \`${now}\`: every pod restarts on the new version`,
            action: `read CHANGELOG.md${was && next ? ` from ${formatVersion(was)} to ${formatVersion(next)}` : ''} for flag and storage-format changes; roll receivers and stores one at a time`,
          },
        ];
      });
    });
  },
};
