import { createHash } from 'node:crypto';
import { thanosSource } from './source.js';

// What a receiver exposes about the hashring it loaded and the head it flushed, as Thanos v0.42.4 names it. The
// ordered ring steps observe these on the pods' own /metrics (through the apiserver's pod proxy on EKS).

/** Gauge: hash of the hashring file the receiver loaded last (pkg/receive/config.go, ConfigWatcher). */
export const CONFIG_HASH_METRIC = 'thanos_receive_config_hash';
/** Gauge: 1 when the last hashring file reload succeeded (pkg/receive/config.go). */
export const CONFIG_RELOAD_OK_METRIC = 'thanos_receive_config_last_reload_successful';
/** Counter: flushes started because the hashring changed (cmd/thanos/receive.go, startTSDBAndUpload). */
export const FLUSH_STARTED_METRIC = 'thanos_receive_multi_db_updates_attempted_total';
/** Counter: flushes finished, after the upload they trigger is done (cmd/thanos/receive.go, startTSDBAndUpload). */
export const FLUSH_COMPLETED_METRIC = 'thanos_receive_multi_db_updates_completed_total';

export const RING_OBSERVATION_SOURCES = {
  configHash: thanosSource('pkg/receive/config.go', { lines: [202, 211] }),
  flushCounters: thanosSource('cmd/thanos/receive.go', { lines: [707, 715] }),
} as const;

/**
 * The value `thanos_receive_config_hash` takes once a receiver has loaded `content`: the first 6 bytes of its
 * SHA-256 read as a little-endian integer (hashAsMetricValue, Thanos v0.42.4 pkg/receive/config.go). Comparing it
 * with the pods' gauge tells that they run the published ring, not merely that a file changed.
 */
export function ringConfigHash(content: string): number {
  const sum = createHash('sha256').update(content, 'utf8').digest();
  return sum.readUIntLE(0, 6);
}

/** Sample values of one metric in a Prometheus text exposition (labels ignored, summed over series). */
export function metricValue(exposition: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const valueText = rest.startsWith('{')
      ? rest
          .slice(rest.indexOf('}') + 1)
          .trim()
          .split(/\s+/)[0]
      : rest.trim().split(/\s+/)[0];
    const value = Number(valueText);
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}
