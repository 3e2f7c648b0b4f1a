import { describe, expect, it } from 'vitest';
import { jsonLogger } from '../../src/reconciler/log.js';
import { driftMetricFields, driftMetricRecord } from '../../src/reconciler/metric.js';

describe('jsonLogger', () => {
  it('writes one JSON object per record, bound fields first, undefined fields left out', () => {
    const lines: string[] = [];
    const log = jsonLogger((line) => lines.push(line), { requestId: 'r-1', environment: undefined });
    log.write({ level: 'info', message: 'apply ok', current: undefined, applied: 2 });
    expect(lines).toEqual(['{"requestId":"r-1","level":"info","message":"apply ok","applied":2}']);
    expect(log.format({ message: 'a\nb' })).toBe('{"requestId":"r-1","message":"a\\nb"}');
  });

  it('a log line merged with the drift metric fields is the EMF record plus the log fields', () => {
    const line = JSON.parse(
      jsonLogger(() => undefined).format({
        ...driftMetricFields('prod', 2, 1_700_000_000_000),
        level: 'info',
        action: 'reconcile',
      }),
    ) as Record<string, unknown>;
    expect(line).toEqual({
      ...JSON.parse(driftMetricRecord('prod', 2, 1_700_000_000_000)),
      level: 'info',
      action: 'reconcile',
    });
  });
});
