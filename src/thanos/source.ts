import type { SourceLink } from '../diff/types.js';

/**
 * The Thanos release every statement of this module was checked against. Rules name the file they rely on
 * at this tag, so a reviewer can follow a risk message to the code or doc that describes the behaviour.
 */
export const THANOS_REFERENCE_VERSION = 'v0.42.4';

/** A file of the Thanos repository at the reference release, optionally at a line range or doc anchor. */
export function thanosSource(path: string, where?: { lines?: [number, number]; anchor?: string }): SourceLink {
  const fragment = where?.lines ? `#L${where.lines[0]}-L${where.lines[1]}` : where?.anchor ? `#${where.anchor}` : '';
  const at = where?.lines ? ` (lines ${where.lines[0]}-${where.lines[1]})` : '';
  return {
    label: `Thanos ${THANOS_REFERENCE_VERSION}, ${path}${at}`,
    url: `https://github.com/thanos-io/thanos/blob/${THANOS_REFERENCE_VERSION}/${path}${fragment}`,
  };
}

/** A page of the Kubernetes documentation, for rules about Kubernetes behaviour rather than Thanos. */
export function kubernetesSource(title: string, url: string): SourceLink {
  return { label: `Kubernetes docs, ${title}`, url };
}

/** The places in the reference release that rules cite more than once. */
export const SOURCES = {
  ketamaMinEndpoints: thanosSource('pkg/receive/hashring.go', { lines: [149, 154] }),
  hashmodGetN: thanosSource('pkg/receive/hashring.go', { lines: [117, 124] }),
  fileAlgorithmWins: thanosSource('pkg/receive/hashring.go', { lines: [696, 711] }),
  flushOnRingChange: thanosSource('cmd/thanos/receive.go', { lines: [752, 783] }),
  algorithmFlag: thanosSource('cmd/thanos/receive.go', { lines: [1024, 1027] }),
  flushOnExit: thanosSource('cmd/thanos/receive.go', { lines: [722, 737] }),
  writeQuorum: thanosSource('pkg/receive/handler.go', { lines: [1077, 1087] }),
  badReplica: thanosSource('pkg/receive/handler.go', { lines: [676, 686] }),
  keepLastGoodFile: thanosSource('pkg/receive/config.go', { lines: [331, 341] }),
  receiveDocs: thanosSource('docs/components/receive.md'),
  receiveAlgorithms: thanosSource('docs/components/receive.md', { anchor: 'series-distribution-algorithms' }),
  compactSingleton: thanosSource('docs/components/compact.md', {
    anchor:
      'warning-only-one-instance-of-compactor-may-run-against-a-single-stream-of-blocks-in-a-single-object-storage',
  }),
  compactStreams: thanosSource('docs/components/compact.md', { anchor: 'compaction-groups--block-streams' }),
  compactRetention: thanosSource('docs/components/compact.md', { anchor: 'enforcing-retention-of-data' }),
  compactDownsampling: thanosSource('docs/components/compact.md', { anchor: 'downsampling' }),
  compactDedupVertical: thanosSource('cmd/thanos/compact.go', { lines: [253, 260] }),
  compactVerticalRisks: thanosSource('docs/components/compact.md', { anchor: 'vertical-compaction-risks' }),
  queryDedup: thanosSource('docs/components/query.md', { anchor: 'deduplication' }),
  queryDocs: thanosSource('docs/components/query.md'),
  storeDeletionDelay: thanosSource('docs/components/store.md'),
  ruleDocs: thanosSource('docs/components/rule.md'),
  queryFrontendDocs: thanosSource('docs/components/query-frontend.md'),
  changelog: thanosSource('CHANGELOG.md'),
  storageExternalLabels: thanosSource('docs/storage.md', { anchor: 'external-labels' }),
  tenantLabelFlag: thanosSource('cmd/thanos/receive.go', { lines: [1044, 1044] }),
  ruleReload: thanosSource('cmd/thanos/rule.go', { lines: [155, 156] }),
  tlsLeafReload: thanosSource('pkg/tls/options.go', { lines: [106, 131] }),
  tlsCaAtStart: thanosSource('pkg/tls/options.go', { lines: [77, 91] }),
  objstoreAtStart: thanosSource('cmd/thanos/receive.go', { lines: [185, 200] }),
} as const;
