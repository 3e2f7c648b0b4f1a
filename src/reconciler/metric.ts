/**
 * The contract between the reconciler Lambda and the drift alarm: the Lambda writes one CloudWatch embedded metric
 * format (EMF) record per reconcile, the stack alarms on the metric. EMF costs no IAM permission (it is a log line;
 * `cloudwatch:PutMetricData` would need a `*` resource) and needs no extra request from the function.
 *
 * With the JSON log format the Node.js runtime wraps console.* output in its own JSON object, which hides EMF from
 * CloudWatch; the record must be written as a raw line with `process.stdout.write(line + '\n')` (src/reconciler/log.ts).
 */
export const DRIFT_METRIC_NAMESPACE = 'ThanosGitops';
export const DRIFT_METRIC_NAME = 'DriftedObjects';
/** One stack per environment can share an account, so the metric is per environment. */
export const DRIFT_METRIC_DIMENSION = 'Environment';

/**
 * The fields of the EMF record for one reconcile that found `driftedObjects` drifted objects (0 is a value, not a
 * gap): merged into a JSON log line, they make that line the metric.
 */
export function driftMetricFields(
  environment: string,
  driftedObjects: number,
  timestamp = Date.now(),
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: DRIFT_METRIC_NAMESPACE,
          Dimensions: [[DRIFT_METRIC_DIMENSION]],
          Metrics: [{ Name: DRIFT_METRIC_NAME, Unit: 'Count' }],
        },
      ],
    },
    [DRIFT_METRIC_DIMENSION]: environment,
    [DRIFT_METRIC_NAME]: driftedObjects,
  };
}

/** The EMF record on its own, as one JSON line. */
export function driftMetricRecord(environment: string, driftedObjects: number, timestamp = Date.now()): string {
  return JSON.stringify(driftMetricFields(environment, driftedObjects, timestamp));
}
