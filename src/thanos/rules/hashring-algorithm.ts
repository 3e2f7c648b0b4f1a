import type { RiskFinding, RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { algorithmFlag } from '../stack.js';
import { hashringChanges, hashringsOf } from './hashring-common.js';

/** A ring's distribution algorithm switched in place: every series moves. */
export const hashringAlgorithm: RiskRule = {
  id: 'hashring-algorithm',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.receiveAlgorithms,
  summary: 'a hashring switches between hashmod and ketama',
  check(change) {
    const findings: RiskFinding[] = hashringChanges(change.changes).flatMap(({ before, after, name }) => {
      const headFiles = hashringsOf(after);
      const flagBefore = algorithmFlag(change.base.routers()[0]?.object ?? change.base.routingIngestors()[0]?.object);
      const flagAfter = algorithmFlag(change.head.routers()[0]?.object ?? change.head.routingIngestors()[0]?.object);
      return [...hashringsOf(before)].flatMap(([key, rings]) =>
        rings.flatMap((ring) => {
          const next = headFiles.get(key)?.find((item) => item.name === ring.name);
          if (!next) return [];
          const was = ring.algorithm ?? flagBefore;
          const now = next.algorithm ?? flagAfter;
          if (was === now) return [];
          return [
            {
              object: name,
              message: `${key}: hashring \`${ring.name}\` switches ${was} -> ${now}: every series is reshuffled across ingestors`,
              action:
                'introduce the new algorithm as a new hashring (new ingestor pool) and move tenants over instead of switching in place',
            },
          ];
        }),
      );
    });
    // The flag decides for rings whose file names no algorithm; the routers' flag places series.
    for (const { before, after, name } of change.modified()) {
      if (!change.head.routers().some((router) => router.object === after)) continue;
      const was = algorithmFlag(before);
      const now = algorithmFlag(after);
      if (was === now) continue;
      const rings = change.head.hashringFileOf(after)?.rings.filter((ring) => ring.algorithm === undefined) ?? [];
      if (rings.length === 0) continue;
      findings.push({
        object: name,
        message: `changes --receive.hashrings-algorithm from ${was} to ${now} while hashring ${rings.map((ring) => `\`${ring.name}\``).join(', ')} names no algorithm: every series is reshuffled across ingestors`,
        action:
          'set the algorithm on a new hashring (new ingestor pool) and move tenants over, or write the current algorithm into the hashring file first',
        source: SOURCES.algorithmFlag,
      });
    }
    return findings;
  },
};
