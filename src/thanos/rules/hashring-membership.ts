import type { RiskFinding, RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { algorithmFlag, listed } from '../stack.js';
import { hashringChanges, hashringsOf, ingestorsReading } from './hashring-common.js';

/**
 * Endpoints or hashrings added or removed. Where series land depends on the ring's algorithm (the file's field,
 * else the flag); whether an ingestor flushes its head on a ring change depends only on its own
 * --receive.hashrings-algorithm flag: anything but ketama flushes, uploads and is not ready meanwhile.
 */
export const hashringMembership: RiskRule = {
  id: 'hashring-membership',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.flushOnRingChange,
  summary: 'hashring endpoints or hashrings added or removed',
  check(change) {
    return hashringChanges(change.changes).flatMap(({ before, after, name }): RiskFinding[] => {
      if (!after) return [];
      const ingestors = ingestorsReading(change.head, after);
      const flushing = ingestors.filter((ingestor) => ingestor.algorithm !== 'ketama');
      const flushPods = flushing.reduce((sum, ingestor) => sum + ingestor.pods, 0);
      const routerFlag = algorithmFlag(change.head.routers()[0]?.object ?? change.head.routingIngestors()[0]?.object);
      const flushText =
        flushing.length > 0
          ? `${flushPods} ingestor pod${flushPods === 1 ? '' : 's'} (${flushing.map((item) => `${item.name} with --receive.hashrings-algorithm=${item.algorithm}`).join(', ')}) flush their head, upload it and are not ready until done`
          : ingestors.length > 0
            ? `the ingestors run --receive.hashrings-algorithm=ketama, so they keep their heads`
            : 'no ingestor of this stack reads the file, so none flushes';
      // Ingestors without the file run IngestorOnly and never see a ring change (determineMode, cmd/thanos/receive.go).
      const flushAction =
        flushing.length > 0
          ? "; set `hashringConfigMapName: ''` on receiveIngestor (ingestors without the file only write what the router forwards) or `hashringsAlgorithm: ketama` (--receive.hashrings-algorithm=ketama) so ring changes stop flushing heads"
          : '';
      const baseFiles = hashringsOf(before);
      const findings: RiskFinding[] = [];
      for (const [key, headRings] of hashringsOf(after)) {
        const baseRings = baseFiles.get(key);
        if (!baseRings) continue;
        const headByName = new Map(headRings.map((ring) => [ring.name, ring]));
        const baseByName = new Map(baseRings.map((ring) => [ring.name, ring]));
        for (const ring of baseRings) {
          const next = headByName.get(ring.name);
          if (!next) {
            findings.push({
              object: name,
              message: `${key}: removes hashring \`${ring.name}\` (endpoints ${listed(ring.endpoints)}): its tenants are routed to ${headRings.some((item) => item.tenants.length === 0) ? 'the catch-all hashring' : 'no hashring (their writes fail)'}; ${flushText}`,
              action: `move its tenants first and keep its ingestors until their data is uploaded${flushAction}`,
            });
            continue;
          }
          const added = next.endpoints.filter((endpoint) => !ring.endpoints.includes(endpoint));
          const removed = ring.endpoints.filter((endpoint) => !next.endpoints.includes(endpoint));
          if (added.length === 0 && removed.length === 0) continue;
          const moves = [
            added.length ? `adds ${listed(added)}` : '',
            removed.length ? `removes ${listed(removed)}` : '',
          ]
            .filter(Boolean)
            .join('; ');
          const placement = next.algorithm ?? routerFlag;
          const placementText =
            placement === 'ketama'
              ? `ketama moves only the series of the ${added.length + removed.length} changed endpoint${added.length + removed.length === 1 ? '' : 's'} (ring of ${ring.endpoints.length} -> ${next.endpoints.length})`
              : `hashmod moves almost every series to another ingestor (ring of ${ring.endpoints.length} -> ${next.endpoints.length})`;
          findings.push({
            object: name,
            severity: flushing.length > 0 || placement !== 'ketama' ? 'high' : 'medium',
            message: `${key}: hashring \`${ring.name}\` ${moves}: ${placementText}; ${flushText}`,
            action:
              (removed.length > 0
                ? 'remove departing endpoints from the ring before scaling their pods down, and let them flush and upload'
                : 'add endpoints only once their pods are ready') + flushAction,
            source: flushing.length > 0 ? SOURCES.flushOnRingChange : SOURCES.fileAlgorithmWins,
          });
        }
        for (const ring of headRings) {
          if (baseByName.has(ring.name)) continue;
          findings.push({
            object: name,
            severity: flushing.length > 0 ? 'high' : 'medium',
            message: `${key}: adds hashring \`${ring.name}\` (${ring.tenants.length ? `tenants ${listed(ring.tenants)}` : 'catch-all'}): matching tenants' writes move to it; ${flushText}`,
            action: `make sure its endpoints are ready before merging${flushAction}`,
          });
        }
      }
      return findings;
    });
  },
};
