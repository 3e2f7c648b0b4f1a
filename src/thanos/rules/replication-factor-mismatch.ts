import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { replicationFactor } from '../stack.js';

/**
 * Routers replicate with their own RF; ingestors that read the hashrings file use theirs for quorum when they forward.
 * When the two differ, the stack keeps fewer (or more) copies than one side assumes. Ingestors without the file run
 * IngestorOnly and write every forwarded series locally, never checking its replica number (Thanos v0.42.4
 * pkg/receive/handler.go, Handler.RemoteWrite), so their RF does not matter.
 */
export const replicationFactorMismatch: RiskRule = {
  id: 'replication-factor-mismatch',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.writeQuorum,
  summary: 'routers and ingestors with different replication factors',
  check(change) {
    const routers = change.head.routers();
    const ingestors = change.head.routingIngestors();
    if (routers.length === 0 || ingestors.length === 0) return [];
    const relevant = [...routers, ...ingestors].some((workload) => change.changeOf(workload.object) !== 'unchanged');
    if (!relevant) return [];
    const findings = [];
    for (const router of routers) {
      const rf = replicationFactor(router.object);
      const other = ingestors.filter((ingestor) => replicationFactor(ingestor.object) !== rf);
      if (other.length === 0) continue;
      const highest = Math.max(...other.map((item) => replicationFactor(item.object)));
      const lowest = Math.min(...other.map((item) => replicationFactor(item.object)));
      const routerHigher = rf > lowest;
      findings.push({
        object: router.name,
        severity: 'high' as const,
        message: `routes with --receive.replication-factor=${rf} while ${other.map((item) => `${item.name} uses ${replicationFactor(item.object)}`).join(', ')}: ${
          routerHigher
            ? `an ingestor rejects a forwarded copy whose replica number is above its own RF ("bad replica"), so copies ${lowest + 1}..${rf} fail and writes miss their quorum of ${rf}`
            : `the router decides how many copies a write gets, so the stack keeps ${rf} cop${rf === 1 ? 'y' : 'ies'} of each series, not the ${highest} the ingestors are configured for`
        }`,
        source: routerHigher ? SOURCES.badReplica : SOURCES.writeQuorum,
        action: 'give receiveRouter.replicationFactor and receiveIngestor.replicationFactor the same value',
      });
    }
    return findings;
  },
};
