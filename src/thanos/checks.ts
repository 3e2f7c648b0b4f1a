import { parse } from 'yaml';
import type { RiskSeverity, SourceLink } from '../diff/types.js';
import { isRecord, type KubeObject } from '../model/objects.js';
import { SOURCES } from './source.js';
import {
  flagSet,
  flagValues,
  formatDuration,
  flagDuration,
  perPodLabels,
  replicationFactor,
  StackView,
  type ThanosWorkload,
} from './stack.js';

// Checks shared by the risk rules (what a change introduces) and by stack validation (what a stack is).

export interface Problem {
  severity: RiskSeverity;
  message: string;
  action: string;
  source: SourceLink;
}

/** 5m blocks are made from raw blocks older than 40h, 1h blocks from 5m blocks older than 10d (docs/components/compact.md). */
export const DOWNSAMPLE_5M_AFTER = 40 * 3_600_000;
export const DOWNSAMPLE_1H_AFTER = 10 * 86_400_000;

export function compactorRetentionProblems(object: KubeObject | undefined): Problem[] {
  if (!object || flagSet(object, '--downsampling.disable')) return [];
  const retention = (resolution: string) => {
    const text = flagValues(object, `--retention.resolution-${resolution}`)[0] ?? '0d';
    return { text, ms: flagDuration(text) };
  };
  const problems: Problem[] = [];
  const raw = retention('raw');
  if (raw.ms !== undefined && raw.ms !== 0 && raw.ms < DOWNSAMPLE_5M_AFTER) {
    problems.push({
      severity: 'high',
      message: `--retention.resolution-raw=${raw.text} is shorter than the ${formatDuration(DOWNSAMPLE_5M_AFTER)} a raw block must reach before the compactor downsamples it to 5m: raw blocks are deleted before any 5m block is made from them, so nothing older than ${raw.text} survives at any resolution`,
      action: `set retentionResolutionRaw to at least ${formatDuration(DOWNSAMPLE_5M_AFTER)} (Thanos recommends the same retention for every resolution, above 10d)`,
      source: SOURCES.compactDownsampling,
    });
  }
  const fiveMinute = retention('5m');
  if (fiveMinute.ms !== undefined && fiveMinute.ms !== 0 && fiveMinute.ms < DOWNSAMPLE_1H_AFTER) {
    problems.push({
      severity: 'high',
      message: `--retention.resolution-5m=${fiveMinute.text} is shorter than the ${formatDuration(DOWNSAMPLE_1H_AFTER)} a 5m block must reach before the compactor downsamples it to 1h: 5m blocks are deleted before any 1h block is made from them`,
      action: `set retentionResolution5m to at least ${formatDuration(DOWNSAMPLE_1H_AFTER)}, or turn downsampling off (disableDownsampling) and keep raw data instead`,
      source: SOURCES.compactDownsampling,
    });
  }
  return problems;
}

/** Bucket, endpoint and prefix of an objstore config text; undefined when it cannot be read (masked or absent). */
export function bucketOf(
  configText: string | undefined,
): { bucket: string; endpoint: string; prefix: string; type: string } | undefined {
  if (configText === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = parse(configText);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const config = isRecord(parsed['config']) ? parsed['config'] : {};
  return {
    type: String(parsed['type'] ?? ''),
    bucket: String(config['bucket'] ?? config['container'] ?? config['directory'] ?? ''),
    endpoint: String(config['endpoint'] ?? ''),
    prefix: String(parsed['prefix'] ?? ''),
  };
}

export interface BucketGroup {
  /** How messages name the bucket: `s3://bucket/prefix` or the Secret it is read from. */
  bucket: string;
  compactors: ThanosWorkload[];
  /** True when every compactor selects its own shard of the streams (--selector.relabel-config differing). */
  sharded: boolean;
}

export function bucketName(view: StackView, workload: KubeObject): string | undefined {
  const parsed = bucketOf(view.objstoreConfig(workload));
  if (parsed)
    return `${parsed.type.toLowerCase() || 'bucket'}://${parsed.bucket}${parsed.prefix ? `/${parsed.prefix}` : ''}`;
  const ref = StackView.objstoreRef(workload);
  return ref ? `Secret ${workload.metadata.namespace ? `${workload.metadata.namespace}/` : ''}${ref}` : undefined;
}

export function compactorsPerBucket(view: StackView): BucketGroup[] {
  const groups = new Map<string, ThanosWorkload[]>();
  for (const compactor of view.byComponent('compact')) {
    if (compactor.object.kind === 'Job') continue;
    const bucket = bucketName(view, compactor.object);
    if (!bucket) continue;
    groups.set(bucket, [...(groups.get(bucket) ?? []), compactor]);
  }
  return [...groups].map(([bucket, compactors]) => {
    const selectors = compactors.map((item) => flagValues(item.object, '--selector.relabel-config').join('\n'));
    const sharded = selectors.every((selector) => selector !== '') && new Set(selectors).size === selectors.length;
    return { bucket, compactors, sharded };
  });
}

/** Per-pod external labels of receivers and rulers that the querier does not deduplicate on. */
export function queryDedupProblems(view: StackView): Array<{
  query: ThanosWorkload;
  producer: ThanosWorkload;
  missing: string[];
  replicaLabels: string[];
  copies: string;
}> {
  const problems = [];
  for (const query of view.byComponent('query')) {
    const replicaLabels = flagValues(query.object, '--query.replica-label');
    for (const producer of [...view.ingestors(), ...view.byComponent('rule')]) {
      const missing = perPodLabels(producer.object).filter((label) => !replicaLabels.includes(label));
      if (missing.length === 0) continue;
      const isReceive = producer.component === 'receive';
      const rf = isReceive ? replicationFactor(producer.object) : 0;
      const pods =
        typeof (producer.object['spec'] as { replicas?: unknown })?.replicas === 'number'
          ? (producer.object['spec'] as { replicas: number }).replicas
          : 1;
      // One ruler pod or RF 1 writes each series once: a per-pod label then only splits nothing.
      if (isReceive ? rf < 2 : pods < 2) continue;
      problems.push({
        query,
        producer,
        missing,
        replicaLabels,
        copies: isReceive
          ? `RF ${rf} stores every series ${rf} times`
          : `${pods} ruler replicas evaluate every rule ${pods} times`,
      });
    }
  }
  return problems;
}
