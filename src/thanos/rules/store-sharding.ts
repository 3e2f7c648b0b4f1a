import { isDeepStrictEqual } from 'node:util';
import type { RiskRule } from '../rule.js';
import { thanosSource } from '../source.js';
import { flagValues, thanosComponent } from '../stack.js';

const STORE_SHARD_FLAGS = ['--selector.relabel-config', '--selector.relabel-config-file', '--min-time', '--max-time'];

/** Store gateway sharding or time partitioning changed: blocks move between shards. */
export const storeSharding: RiskRule = {
  id: 'store-sharding',
  severity: 'medium',
  versions: { from: 'v0.30.0' },
  source: thanosSource('docs/sharding.md'),
  summary: 'store gateway shard selector or time range changed',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      if (thanosComponent(after) !== 'store') return [];
      const changed = STORE_SHARD_FLAGS.filter(
        (flag) => !isDeepStrictEqual(flagValues(before, flag), flagValues(after, flag)),
      );
      if (changed.length === 0) return [];
      return [
        {
          object: name,
          message: `changes ${changed.join(', ')}: blocks move between store shards, which must download their index headers before serving them, and shards whose selectors or ranges no longer cover every block leave gaps`,
          action: 'roll one shard at a time and check that the shards together still cover every block and time range',
        },
      ];
    });
  },
};
