import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { endpointOrdinal, gracePeriodSeconds, replicas, ringUses, StackView, thanosComponent } from '../stack.js';

/** A receive ingestor StatefulSet deleted: its pods flush and upload on the way out; writes fail if a ring still lists them. */
export const ingestorRemoved: RiskRule = {
  id: 'ingestor-removed',
  severity: 'medium',
  versions: { from: 'v0.30.0' },
  source: SOURCES.flushOnExit,
  summary: 'receive ingestor StatefulSet deleted',
  check(change) {
    return change.changes.flatMap(({ change: kind, before, name }) => {
      if (kind !== 'removed' || before?.kind !== 'StatefulSet' || thanosComponent(before) !== 'receive') return [];
      const stsName = before.metadata.name;
      const stillListed = ringUses(change.head).filter((use) =>
        use.ring.endpoints.some((endpoint) => endpointOrdinal(endpoint, stsName) !== undefined),
      );
      const pods = replicas(before);
      const exit =
        StackView.objstoreRef(before) !== undefined
          ? `each flushes its head and uploads the last block on SIGTERM within the ${gracePeriodSeconds(before)} s grace period`
          : 'each flushes its head to its PVC on SIGTERM (no bucket configured, so nothing is uploaded and the data stays only on the PVCs)';
      const base = `deletes receive ingestor StatefulSet with ${pods} pod${pods === 1 ? '' : 's'}: ${exit}; the PVCs stay (StatefulSet deletion keeps them)`;
      if (stillListed.length > 0) {
        return [
          {
            object: name,
            severity: 'high',
            message: `${base}, but hashring ${stillListed.map((use) => `\`${use.ring.name}\``).join(', ')} still lists its pods, so writes routed to them fail`,
            action:
              'take its endpoints out of every hashring in an earlier change, let the routers pick that up, then remove the StatefulSet',
            source: SOURCES.writeQuorum,
          },
        ];
      }
      return [
        {
          object: name,
          message: `${base}; blocks not uploaded within the grace period stay on the PVCs and are not queryable until uploaded`,
          action: 'check `thanos_shipper_uploads_total` / the bucket for its last blocks before deleting the PVCs',
        },
      ];
    });
  },
};
