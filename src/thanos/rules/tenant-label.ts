import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { flagValues, thanosComponent } from '../stack.js';

/** --receive.tenant-label-name changed: the tenant label on every new block (and every series) changes name. */
export const tenantLabel: RiskRule = {
  id: 'tenant-label',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.tenantLabelFlag,
  summary: '--receive.tenant-label-name changed',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      if (thanosComponent(after) !== 'receive') return [];
      const was = flagValues(before, '--receive.tenant-label-name')[0] ?? 'tenant_id';
      const now = flagValues(after, '--receive.tenant-label-name')[0] ?? 'tenant_id';
      if (was === now) return [];
      return [
        {
          object: name,
          message: `changes --receive.tenant-label-name from ${was} to ${now}: new blocks carry the tenant as external label \`${now}\`, so they form new streams, and queries, tenancy enforcement and compactor sharding that select \`${was}\` stop matching new data`,
          action:
            'change it on every receiver at once and update queries, query-frontend/proxy tenancy settings and compactor selectors that name the tenant label',
        },
      ];
    });
  },
};
