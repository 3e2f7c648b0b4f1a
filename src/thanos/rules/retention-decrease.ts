import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { flagValues, flagDuration, thanosComponent } from '../stack.js';

/** Lower bucket retention: the compactor deletes older blocks for good. */
export const retentionDecrease: RiskRule = {
  id: 'retention-decrease',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.compactRetention,
  summary: 'a compactor retention lowered',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      if (thanosComponent(after) !== 'compact') return [];
      return ['raw', '5m', '1h'].flatMap((resolution) => {
        const flag = `--retention.resolution-${resolution}`;
        const wasText = flagValues(before, flag)[0] ?? '0d';
        const nowText = flagValues(after, flag)[0] ?? '0d';
        const was = flagDuration(wasText);
        const now = flagDuration(nowText);
        if (was === undefined || now === undefined || now === 0 || (was !== 0 && now >= was)) return [];
        return [
          {
            object: name,
            message: `lowers ${flag} from ${was === 0 ? 'unlimited' : wasText} to ${nowText}: after its next compaction pass the compactor deletes ${resolution} blocks whose newest sample is older than ${nowText}, for good`,
            action:
              'confirm nobody needs the older data (or copy it to another bucket first with `thanos tools bucket replicate`); keep raw retention >= the downsampled ones you zoom into',
          },
        ];
      });
    });
  },
};
