import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { flagValues, listed, thanosComponent } from '../stack.js';

const ENDPOINT_FLAGS = [
  '--endpoint',
  '--store',
  '--endpoint-strict',
  '--store.strict',
  '--endpoint-group',
  '--endpoint-group-strict',
];

/** StoreAPI endpoints removed from a querier: their data disappears from queries. */
export const storeEndpointRemoved: RiskRule = {
  id: 'store-endpoint-removed',
  severity: 'medium',
  versions: { from: 'v0.30.0' },
  source: SOURCES.queryDocs,
  summary: 'StoreAPI endpoints removed from a querier',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      if (thanosComponent(after) !== 'query') return [];
      const endpoints = (object: typeof before) => new Set(ENDPOINT_FLAGS.flatMap((flag) => flagValues(object, flag)));
      const now = endpoints(after);
      const removed = [...endpoints(before)].filter((endpoint) => !now.has(endpoint));
      if (removed.length === 0) return [];
      return [
        {
          object: name,
          message: `removes StoreAPI endpoint${removed.length > 1 ? 's' : ''} ${listed(removed)} from the querier: the data they serve disappears from queries`,
          action:
            'make sure another endpoint serves the same data (e.g. the store gateway for uploaded blocks) before removing it',
        },
      ];
    });
  },
};
