import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { flagValues, thanosComponent } from '../stack.js';

/** The query-frontend sends queries somewhere else. */
export const queryFrontendDownstream: RiskRule = {
  id: 'query-frontend-downstream',
  severity: 'medium',
  versions: { from: 'v0.30.0' },
  source: SOURCES.queryFrontendDocs,
  summary: "the query-frontend's --query-frontend.downstream-url changed",
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      if (thanosComponent(after) !== 'query-frontend') return [];
      const was = flagValues(before, '--query-frontend.downstream-url')[0] ?? '';
      const now = flagValues(after, '--query-frontend.downstream-url')[0] ?? '';
      if (was === now) return [];
      return [
        {
          object: name,
          message: `changes --query-frontend.downstream-url from \`${was}\` to \`${now}\`: every query through the frontend (dashboards, alerts that query it) goes to the new address, and a wrong one fails them all`,
          action:
            'check the new address answers on the querier HTTP port from inside the namespace before merging (queryFrontend.downstreamURL)',
        },
      ];
    });
  },
};
