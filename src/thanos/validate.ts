import type { SourceLink } from '../diff/types.js';
import type { ManifestSet } from '../model/objects.js';
import { compactorRetentionProblems, compactorsPerBucket, queryDedupProblems } from './checks.js';
import { smallRingConsequence, smallRings } from './rules/hashring-too-small.js';
import { SOURCES } from './source.js';
import { algorithmFlag, flagValues, listed, perPodLabels, replicationFactor, ringUses, StackView } from './stack.js';

export type ValidationSeverity = 'error' | 'warning';

/** Something real Thanos would refuse, or run wrongly, in a rendered stack. */
export interface ValidationIssue {
  id: string;
  severity: ValidationSeverity;
  /** The object, as `describeObject` names it. */
  object: string;
  /** The manifest file the object is rendered to. */
  file: string | undefined;
  /** The stack config option that controls it (for config sources), e.g. `query.replicaLabels`. */
  option: string;
  message: string;
  fix: string;
  source: SourceLink;
}

/**
 * Checks a rendered stack against what Thanos does with it: hashrings smaller than the replication factor, routers
 * and ingestors disagreeing on it, queriers that do not deduplicate replicated data, compactor deduplication on
 * labels that are not replicas, two compactors on one bucket, retention shorter than downsampling needs, and a
 * ketama hashring whose ingestors still flush on every ring change.
 */
export function validateStack(set: ManifestSet): ValidationIssue[] {
  const view = new StackView(set);
  const issues: ValidationIssue[] = [];
  const fileOf = (object: Parameters<StackView['fileOf']>[0]) => view.fileOf(object);

  for (const use of smallRings(view)) {
    issues.push({
      id: 'hashring-too-small',
      severity: 'error',
      object: `ConfigMap ${use.file.configMap.metadata.namespace ?? ''}/${use.file.configMap.metadata.name}`,
      file: fileOf(use.file.configMap),
      option: 'receiveIngestor.replicas (or receiveRouter.endpoints) and receiveRouter.replicationFactor',
      message: `hashring \`${use.ring.name}\` has ${use.ring.endpoints.length} endpoint${use.ring.endpoints.length === 1 ? '' : 's'} but the replication factor is ${use.replicationFactor}: ${smallRingConsequence(use)}`,
      fix: `give the hashring at least ${use.replicationFactor} endpoints (receiveIngestor.replicas >= ${use.replicationFactor}) or lower replicationFactor on routers and ingestors together`,
      source: use.algorithm === 'ketama' ? SOURCES.ketamaMinEndpoints : SOURCES.hashmodGetN,
    });
  }

  for (const router of view.routers()) {
    const rf = replicationFactor(router.object);
    // Ingestors without a hashrings file write forwarded series locally, never checking their replica number
    // (IngestorOnly, Thanos v0.42.4 pkg/receive/handler.go, Handler.RemoteWrite): their RF plays no part.
    for (const ingestor of view.routingIngestors()) {
      const other = replicationFactor(ingestor.object);
      if (other === rf) continue;
      issues.push({
        id: 'replication-factor-mismatch',
        severity: rf > other ? 'error' : 'warning',
        object: router.name,
        file: router.file,
        option: 'receiveRouter.replicationFactor / receiveIngestor.replicationFactor',
        message:
          rf > other
            ? `the router replicates every write ${rf} times but ${ingestor.name} runs RF ${other}: ingestors reject copies numbered above their RF, so writes miss their quorum`
            : `the router replicates every write ${rf} time${rf === 1 ? '' : 's'} but ${ingestor.name} runs RF ${other}: the stack keeps ${rf} cop${rf === 1 ? 'y' : 'ies'} of each series, not ${other}`,
        fix: 'set the same replicationFactor on receiveRouter and receiveIngestor',
        source: rf > other ? SOURCES.badReplica : SOURCES.writeQuorum,
      });
    }
  }

  for (const problem of queryDedupProblems(view)) {
    issues.push({
      id: 'query-replica-labels',
      severity: 'warning',
      object: problem.query.name,
      file: problem.query.file,
      option: 'query.replicaLabels',
      message: `the querier deduplicates on ${problem.replicaLabels.length ? listed(problem.replicaLabels) : 'no replica label'}, but ${problem.producer.name} marks each pod with ${listed(problem.missing)} and ${problem.copies}: queries return every copy, so sum() and count() are multiplied`,
      fix: `add ${listed(problem.missing)} to query.replicaLabels`,
      source: SOURCES.queryDedup,
    });
  }

  const replicaLabelsOfProducers = new Set(
    [...view.ingestors(), ...view.byComponent('rule')].flatMap((producer) => perPodLabels(producer.object)),
  );
  const hasSidecar = [...view.objects.values()].some(
    (object) => object.metadata.labels?.['app.kubernetes.io/name'] === 'thanos-sidecar',
  );
  const queryLabels = new Set(
    view.byComponent('query').flatMap((query) => flagValues(query.object, '--query.replica-label')),
  );
  for (const compactor of view.byComponent('compact')) {
    const labels = flagValues(compactor.object, '--deduplication.replica-label');
    // Prometheus behind a sidecar sets its own external labels, which the rendered objects do not show.
    const notReplicas = hasSidecar ? [] : labels.filter((label) => !replicaLabelsOfProducers.has(label));
    const notQueried = labels.filter((label) => queryLabels.size > 0 && !queryLabels.has(label));
    if (notReplicas.length > 0) {
      issues.push({
        id: 'compactor-dedup-labels',
        severity: 'warning',
        object: compactor.name,
        file: compactor.file,
        option: 'compact.deduplicationReplicaLabels',
        message: `deduplicates on ${listed(notReplicas)}, which no receiver or ruler of this stack sets per pod: vertical compaction merges every stream that differs only in ${notReplicas.length === 1 ? 'that label' : 'those labels'}, irreversibly, even when they are not replicas of each other`,
        fix: `list only per-pod replica labels (${replicaLabelsOfProducers.size ? listed([...replicaLabelsOfProducers]) : 'none in this stack'}) in compact.deduplicationReplicaLabels`,
        source: SOURCES.compactVerticalRisks,
      });
    }
    if (notQueried.length > 0) {
      issues.push({
        id: 'compactor-dedup-labels',
        severity: 'warning',
        object: compactor.name,
        file: compactor.file,
        option: 'compact.deduplicationReplicaLabels / query.replicaLabels',
        message: `the compactor deduplicates on ${listed(notQueried)} but the querier does not: raw recent data shows the copies that compacted data no longer has`,
        fix: `add ${listed(notQueried)} to query.replicaLabels as well`,
        source: SOURCES.compactDedupVertical,
      });
    }
    for (const problem of compactorRetentionProblems(compactor.object)) {
      issues.push({
        id: 'retention-below-downsampling',
        severity: 'warning',
        object: compactor.name,
        file: compactor.file,
        option: problem.message.startsWith('--retention.resolution-raw')
          ? 'compact.retentionResolutionRaw'
          : 'compact.retentionResolution5m',
        message: problem.message,
        fix: problem.action,
        source: problem.source,
      });
    }
  }

  for (const group of compactorsPerBucket(view)) {
    if (group.compactors.length < 2 || group.sharded) continue;
    const pods = group.compactors.map((item) => item.name);
    issues.push({
      id: 'second-compactor',
      severity: 'warning',
      object: pods[pods.length - 1]!,
      file: group.compactors[group.compactors.length - 1]!.file,
      option: 'compact / compactShards',
      message: `${pods.join(' and ')} compact the same bucket (${group.bucket}) without disjoint shards: compactors on one block stream write overlapping blocks and halt`,
      fix: 'keep one compactor per bucket: either compact or compactShards, not both',
      source: SOURCES.compactSingleton,
    });
  }

  const reported = new Set<string>();
  for (const use of ringUses(view)) {
    if (use.ring.algorithm !== 'ketama') continue;
    for (const ingestor of use.readers.filter((reader) => view.ingestors().includes(reader))) {
      if (algorithmFlag(ingestor.object) === 'ketama' || reported.has(ingestor.name)) continue;
      reported.add(ingestor.name);
      issues.push({
        id: 'ketama-without-flag',
        severity: 'warning',
        object: ingestor.name,
        file: ingestor.file,
        option: 'receiveIngestor.hashringsAlgorithm',
        message: `hashring \`${use.ring.name}\` says algorithm ketama, but ${ingestor.name} runs --receive.hashrings-algorithm=${algorithmFlag(ingestor.object)}: series are placed by ketama, yet every ring change still makes each ingestor flush its head and go not-ready, because that decision reads only the flag`,
        fix: 'set hashringsAlgorithm: ketama on receiveIngestor (and receiveRouter) so the flag matches the file',
        source: SOURCES.flushOnRingChange,
      });
    }
  }
  return issues;
}

/** `file: option: message. Fix: ... (source)` lines, errors first. */
export function formatValidationIssue(issue: ValidationIssue, origin?: string): string {
  const where = [origin, issue.file && origin !== issue.file ? issue.file : undefined].filter(Boolean).join(' -> ');
  return `${issue.severity}: ${where ? `${where}: ` : ''}${issue.option}: ${issue.object}: ${issue.message}. Fix: ${issue.fix} (${issue.source.label}, ${issue.source.url})`;
}
