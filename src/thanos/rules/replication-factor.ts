import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { replicationFactor, ringUses, thanosComponent, writeQuorum } from '../stack.js';

/** --receive.replication-factor changed on a receiver: quorum and placement change, and the ring must hold RF endpoints. */
export const replicationFactorChange: RiskRule = {
  id: 'replication-factor',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.writeQuorum,
  summary: '--receive.replication-factor changed',
  check(change) {
    const version = change.head.version();
    return change.modified().flatMap(({ before, after, name }) => {
      if (thanosComponent(after) !== 'receive') return [];
      const was = replicationFactor(before);
      const now = replicationFactor(after);
      if (was === now) return [];
      const smallest = Math.min(
        ...ringUses(change.head)
          .filter((use) => use.readers.some((reader) => reader.object === after))
          .map((use) => use.ring.endpoints.length),
      );
      const ringText = Number.isFinite(smallest)
        ? `; its smallest hashring has ${smallest} endpoint${smallest === 1 ? '' : 's'}${smallest < now ? `, fewer than RF ${now}: see hashring-too-small` : ''}`
        : '';
      return [
        {
          object: name,
          message: `changes --receive.replication-factor from ${was} to ${now}: each series is written to ${now} ingestor${now === 1 ? '' : 's'} and a write needs ${writeQuorum(now, version)} of them (was ${writeQuorum(was, version)} of ${was})${ringText}`,
          action: `set the same replication factor on routers and ingestors in one change (receiveRouter.replicationFactor and receiveIngestor.replicationFactor), keep every hashring at >= ${now} endpoints, and expect ingestor memory and disk to ${now > was ? 'grow' : 'shrink'} to about ${now}/${was} of today's`,
        },
      ];
    });
  },
};
