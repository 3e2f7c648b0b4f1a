import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { flagSet, thanosComponent } from '../stack.js';

/** --downsampling.disable turned on: no new 5m/1h blocks, long-range queries read raw data. */
export const downsamplingDisabled: RiskRule = {
  id: 'downsampling-disabled',
  severity: 'medium',
  versions: { from: 'v0.30.0' },
  source: SOURCES.compactDownsampling,
  summary: 'compactor downsampling switched off',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      if (
        thanosComponent(after) !== 'compact' ||
        flagSet(before, '--downsampling.disable') ||
        !flagSet(after, '--downsampling.disable')
      )
        return [];
      return [
        {
          object: name,
          message:
            'adds --downsampling.disable: the compactor stops creating 5m and 1h blocks for new data, so queries over long ranges read raw samples (slower, more store memory); raw-only retention then decides how far back you can query at all',
          action:
            'keep downsampling on unless you only query short ranges; with it off, set --retention.resolution-raw to the full history you need',
        },
      ];
    });
  },
};
