import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import {
  endpointOrdinal,
  gracePeriodSeconds,
  replicas,
  replicationFactor,
  ringUses,
  StackView,
  thanosComponent,
  writeQuorum,
} from '../stack.js';

/**
 * Fewer ingestor pods. A departing pod does not lose its head: on SIGTERM receive flushes the head and uploads the
 * last block before it exits, and the StatefulSet keeps its PVC. What costs writes is a hashring that still lists
 * the departed pods, or one with fewer endpoints than the replication factor (hashring-too-small).
 */
export const ingestorScaleDown: RiskRule = {
  id: 'ingestor-scale-down',
  severity: 'medium',
  versions: { from: 'v0.30.0' },
  source: SOURCES.flushOnExit,
  summary: 'receive ingestor replicas lowered',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      if (after.kind !== 'StatefulSet' || thanosComponent(after) !== 'receive') return [];
      const was = replicas(before);
      const now = replicas(after);
      if (now >= was) return [];
      const rf = replicationFactor(after);
      const quorum = writeQuorum(rf, change.head.version());
      const grace = gracePeriodSeconds(after);
      const stsName = after.metadata.name;
      const stale: string[] = [];
      for (const use of ringUses(change.head)) {
        const listed = use.ring.endpoints.filter((endpoint) => (endpointOrdinal(endpoint, stsName) ?? -1) >= now);
        if (listed.length > 0) stale.push(`${listed.length} in \`${use.ring.name}\``);
      }
      const tolerated = rf - quorum;
      const ringText =
        stale.length > 0
          ? ` The head hashring still lists departed pods (${stale.join(', ')}): every series with a replica there needs ${quorum} of ${rf} copies, so ${tolerated === 0 ? 'at RF 1 their writes fail' : `writes fail once more than ${tolerated} of a series' ${rf} targets are gone`}.`
          : ' The hashring drops the departed endpoints in the same change.';
      const uploads = StackView.objstoreRef(after) !== undefined;
      const exitText = uploads
        ? `flush their head and upload the last block on SIGTERM within the ${grace} s grace period; the PVCs stay`
        : `flush their head to their PVCs on SIGTERM (no bucket configured, so nothing is uploaded); the PVCs stay`;
      const belowRf =
        now < rf ? ` ${now} ingestor${now === 1 ? '' : 's'} cannot hold RF ${rf}: see hashring-too-small.` : '';
      const departing = Array.from({ length: was - now }, (_, i) => `${stsName}-${was - 1 - i}`);
      return [
        {
          object: name,
          severity: now < rf || (stale.length > 0 && (tolerated === 0 || was - now > tolerated)) ? 'high' : 'medium',
          message: `scales receive ingestors from ${was} to ${now} (RF ${rf}, write quorum ${quorum}): ${departing.length === 1 ? 'pod' : 'pods'} ${departing.join(', ')} ${exitText}.${ringText}${belowRf}`,
          action:
            stale.length > 0
              ? 'remove the departing endpoints from the hashring first and let the routers pick it up, then lower replicas; keep replicas >= RF'
              : `keep terminationGracePeriodSeconds long enough for the upload (kube-thanos: 900 s) and keep at least ${rf} ingestors (RF); check \`thanos_shipper_uploads_total\` before deleting PVCs`,
          source: stale.length > 0 ? SOURCES.writeQuorum : SOURCES.flushOnExit,
        },
      ];
    });
  },
};
