import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { listed, type Hashring } from '../stack.js';
import { hashringChanges, hashringsOf } from './hashring-common.js';

function tenantOwners(rings: Hashring[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const ring of rings) for (const tenant of ring.tenants) if (!owners.has(tenant)) owners.set(tenant, ring.name);
  // A ring without tenants takes every tenant not listed elsewhere.
  const catchAll = rings.find((ring) => ring.tenants.length === 0);
  if (catchAll) owners.set('*', catchAll.name);
  return owners;
}

/** Tenants routed to another hashring: their new samples land on other ingestors; the old heads stay where they were. */
export const hashringTenants: RiskRule = {
  id: 'hashring-tenants',
  severity: 'medium',
  versions: { from: 'v0.30.0' },
  source: SOURCES.receiveDocs,
  summary: 'tenants moved between hashrings',
  check(change) {
    return hashringChanges(change.changes).flatMap(({ before, after, name }) => {
      const headFiles = hashringsOf(after);
      return [...hashringsOf(before)].flatMap(([key, baseRings]) => {
        const headRings = headFiles.get(key);
        if (!headRings) return [];
        const wasOwners = tenantOwners(baseRings);
        const nowOwners = tenantOwners(headRings);
        const moved: string[] = [];
        for (const [tenant, owner] of nowOwners) {
          const previous = wasOwners.get(tenant) ?? wasOwners.get('*');
          if (tenant !== '*' && previous !== undefined && previous !== owner)
            moved.push(`${tenant} (${previous} -> ${owner})`);
        }
        for (const [tenant, owner] of wasOwners) {
          if (tenant === '*' || nowOwners.has(tenant)) continue;
          const next = nowOwners.get('*');
          if (next !== owner) moved.push(`${tenant} (${owner} -> ${next ?? 'no hashring'})`);
        }
        if (moved.length === 0) return [];
        return [
          {
            object: name,
            message: `${key}: tenants move between hashrings: ${listed(moved)}; new samples go to the other hashring's ingestors, the old ingestors keep serving what they already hold until they upload it; no sample is written twice`,
            action:
              'keep the old hashring\'s ingestors running until they have uploaded the moved tenants\' blocks; a tenant moved to "no hashring" has every write rejected ("no matching hashring to handle tenant")',
          },
        ];
      });
    });
  },
};
