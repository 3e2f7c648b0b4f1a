import type { RiskFinding, RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { ringUses, type RingUse, type StackView } from '../stack.js';

/** Hashrings with fewer endpoints than the replication factor of the receivers reading them. */
export function smallRings(view: StackView): RingUse[] {
  return ringUses(view).filter((use) => use.ring.endpoints.length < use.replicationFactor);
}

export function smallRingConsequence(use: RingUse): string {
  const have = use.ring.endpoints.length;
  return use.algorithm === 'ketama'
    ? `ketama refuses to build a ring with ${have} endpoint${have === 1 ? '' : 's'} for RF ${use.replicationFactor} ("amount of endpoints needs to be larger than replication factor"), so every receiver reading it exits: a total write outage`
    : `hashmod builds the ring but every write fails with "insufficient nodes; have ${have}, want ${use.replicationFactor}": a total write outage for its tenants`;
}

/** Ring endpoints below RF: ketama receivers exit, hashmod receivers reject every write. */
export const hashringTooSmall: RiskRule = {
  id: 'hashring-too-small',
  severity: 'high',
  versions: { from: 'v0.32.0' },
  source: SOURCES.ketamaMinEndpoints,
  summary: 'a hashring with fewer endpoints than the replication factor',
  check(change) {
    const before = new Set(
      smallRings(change.base).map(
        (use) =>
          `${use.file.configMap.metadata.name}/${use.ring.name}/${use.ring.endpoints.length}/${use.replicationFactor}`,
      ),
    );
    return smallRings(change.head)
      .filter(
        (use) =>
          !before.has(
            `${use.file.configMap.metadata.name}/${use.ring.name}/${use.ring.endpoints.length}/${use.replicationFactor}`,
          ),
      )
      .map(
        (use): RiskFinding => ({
          object: `ConfigMap ${use.file.configMap.metadata.namespace ? `${use.file.configMap.metadata.namespace}/` : ''}${use.file.configMap.metadata.name}`,
          message: `${use.file.key}: hashring \`${use.ring.name}\` has ${use.ring.endpoints.length} endpoint${use.ring.endpoints.length === 1 ? '' : 's'}, fewer than the replication factor ${use.replicationFactor} of ${use.readers.map((reader) => reader.name).join(', ')}: ${smallRingConsequence(use)}`,
          action: `keep at least ${use.replicationFactor} endpoints in every hashring (more ingestor replicas), or lower the replication factor on routers and ingestors together`,
          source: use.algorithm === 'ketama' ? SOURCES.ketamaMinEndpoints : SOURCES.hashmodGetN,
        }),
      );
  },
};
