import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { compareVersions, containers, formatVersion, imageVersion } from '../stack.js';

/** A Thanos image goes back to an older release. */
export const imageDowngrade: RiskRule = {
  id: 'image-downgrade',
  severity: 'medium',
  versions: { from: 'v0.0.0' },
  source: SOURCES.changelog,
  summary: 'a Thanos image downgraded to an older release',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      const afterImages = new Map(containers(after).map((container) => [container.name, container.image]));
      return containers(before).flatMap((container) => {
        const was = imageVersion(container.image);
        const next = imageVersion(afterImages.get(container.name));
        if (!was || !next || compareVersions(next, was) >= 0) return [];
        return [
          {
            object: name,
            message: `container ${container.name} goes back from ${formatVersion(was)} to ${formatVersion(next)}: if its args use a flag added after ${formatVersion(next)} the old binary refuses to start (unknown flag), and Thanos does not promise that an older release reads what a newer one wrote`,
            action: `read CHANGELOG.md between ${formatVersion(next)} and ${formatVersion(was)} for flags and formats; roll one receiver or store at a time and watch it become ready`,
          },
        ];
      });
    });
  },
};
