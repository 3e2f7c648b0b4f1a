// The bundled example with mTLS, run on real Thanos (the version the example pins) by the pod runner, with moto
// as S3 and STS: every workload becomes ready; tenants write through the router with `tenant-config` output used
// verbatim by a prompb remote-write client; the querier returns each series once per tenant; a hashring change
// reaches the router without a restart; ingestors upload blocks on shutdown with IRSA credentials and the store
// gateway serves them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { buildTool } from '../helpers/thanos-tools.js';
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
  stack = await startStack('thanos-stack', withTls, {
    log: (line) => events.push(`${new Date().toISOString()} ${line}`),
  });
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
      'Deployment/thanos-query-frontend',
      'Deployment/thanos-receive-router',
      'StatefulSet/thanos-compact',
      'StatefulSet/thanos-receive-ingestor-default',
      'StatefulSet/thanos-store',
    ]);
    expect(stack.runner.list().every((p) => p.ready)).toBe(true);
    // query 2, router 2, compact 1, ingestors 3, store 2, query frontend 1 (its HorizontalPodAutoscaler owns the count)
    expect(stack.runner.list()).toHaveLength(2 + 2 + 1 + 3 + 2 + 1);
  });

  it('takes remote-write over mTLS from tenant-config output and answers once per tenant, deduplicated', {
    timeout: 180_000,
  }, async () => {
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
    // (Thanos v0.42.4 acks an RF-2 write once one replica has it, so the second copy may trail briefly.)
    const raw = await eventually('both copies of both series', async () => {
      const result = await query(querier, 'thanos_gitops_e2e_write', { dedup: 'false' });
      expect(result).toHaveLength(4);
      return result;
    });
    expect(new Set(raw.map((s) => s.metric.replica)).size).toBeGreaterThanOrEqual(2);
  });

  it('takes the tenant from the client certificate, not from a THANOS-TENANT header naming another tenant', {
    timeout: 120_000,
  }, async () => {
    // team-a's tenant-config block, plus the header an attacker holding team-a's certificate would add.
    const block = parse(readFileSync(join(stack.dir, 'remote-write-team-a.yaml'), 'utf8')) as {
      remote_write: Record<string, unknown>[];
    };
    block.remote_write[0]!.headers = { 'THANOS-TENANT': 'team-b' };
    const file = join(stack.dir, 'remote-write-spoof.yaml');
    writeFileSync(file, stringify(block));
    const spoof = stack.runner.spawnInCluster(await buildTool('remote-write'), [
      '--config',
      file,
      '--writer',
      'spoof',
      '--interval',
      '50ms',
      '--count',
      '5',
    ]);
    // stdin stays open: EOF would stop the client before its five writes.
    let output = '';
    spoof.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    await new Promise((resolve) => spoof.once('close', resolve));
    spoof.stdin?.destroy();
    expect(
      output
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { accepted: boolean }).accepted),
    ).toEqual([true, true, true, true, true]);
    const querier = stack.runner.podsOf('thanos-query')[0]!.httpAddress;
    const series = await eventually('the spoofing writer queryable', async () => {
      const result = await query(querier, 'thanos_gitops_e2e_write{writer="spoof"}', { dedup: 'true' });
      expect(result).toHaveLength(1);
      return result;
    });
    expect(series[0]!.metric.tenant_id).toBe('team-a');
  });

  it('refuses a remote-write client without a certificate (the router really requires mTLS)', async () => {
    const router = stack.runner.podsOf('thanos-receive-router')[0]!;
    const [host, port] = router.remoteWriteAddress!.split(':');
    const ca = readFileSync(join(stack.dir, 'prometheus', 'team-a', 'ca.crt'), 'utf8');
    const answer = await new Promise<string>((resolve) => {
      const socket = tls.connect(
        { host, port: Number(port), ca, servername: `thanos-receive-router.${stack.namespace}.svc` },
        () => {
          socket.write('POST /api/v1/receive HTTP/1.1\r\nHost: router\r\nContent-Length: 0\r\n\r\n');
        },
      );
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('error', (error) => resolve(`error: ${error.message}`));
      socket.on('close', () => resolve(text));
      setTimeout(() => socket.destroy(), 5000);
    });
    expect(answer).toMatch(/^error: .*certificate required/);
  });

  it('takes a hashring ConfigMap change (a fourth ingestor) without restarting the router', {
    timeout: 240_000,
  }, async () => {
    const routers = stack.runner.podsOf('thanos-receive-router');
    const changesBefore = await Promise.all(
      routers.map(async (r) =>
        metric(await stack.runner.metrics(r.name), 'thanos_receive_hashrings_file_changes_total'),
      ),
    );
    const config = withTls(stack.namespace) as { receiveIngestor: { replicas: number } };
    config.receiveIngestor.replicas = 4;
    const set = await stack.applyConfig(config);
    const hashring = set.find(
      (m) => m.object.kind === 'ConfigMap' && JSON.stringify(m.object).includes('hashrings.json'),
    )!.object;
    expect(JSON.stringify(hashring)).toContain('thanos-receive-ingestor-default-3');
    await stack.runner.waitReady(undefined, 180_000);
    for (const [index, router] of routers.entries()) {
      await eventually(`${router.name} to load the 4-endpoint hashring`, async () => {
        const text = await stack.runner.metrics(router.name);
        expect(metric(text, 'thanos_receive_hashring_nodes{name="default"}')).toBe(4);
        expect(metric(text, 'thanos_receive_hashrings_file_changes_total')).toBeGreaterThan(changesBefore[index]!);
      });
      // Same process: Thanos watched the mounted file (fsnotify on the ..data swap) and reloaded it.
      expect(stack.runner.pod(router.name).starts).toBe(router.starts);
    }
    for (const writer of writers) await writer.awaitAccepted(20, 60_000);
  });

  it('uploads blocks on ingestor shutdown with IRSA credentials from STS, and the store gateway serves them', {
    timeout: 300_000,
  }, async () => {
    const objstore = stack.set.find(
      (m) => m.object.kind === 'Secret' && m.object.metadata.name === 'thanos-objectstorage',
    )!.object;
    const objstoreYaml = Buffer.from((objstore.data as Record<string, string>)['thanos.yaml']!, 'base64').toString(
      'utf8',
    );
    expect(objstoreYaml).not.toMatch(/access_key|secret_key/);
    const ingestor = stack.runner.podsOf('thanos-receive-ingestor-default')[0]!;
    // What the EKS pod identity webhook injects; no static key anywhere.
    expect(ingestor.env.AWS_ROLE_ARN).toBe('arn:aws:iam::111122223333:role/thanos-objectstore');
    expect(ingestor.env.AWS_WEB_IDENTITY_TOKEN_FILE).toBeTruthy();
    expect(Object.keys(ingestor.env).filter((k) => /AWS_(ACCESS_KEY|SECRET)/.test(k))).toEqual([]);

    // SIGTERM: the ingestor cuts its head into a block and uploads it before exiting; the runner then restarts it.
    await stack.runner.deletePod(ingestor.name);
    const keys = await eventually(
      'a block in the bucket',
      async () => {
        const listed = await stack.s3.listKeys('example-thanos-metrics');
        expect(listed.some((k) => k.endsWith('/meta.json'))).toBe(true);
        return listed;
      },
      60_000,
    );
    const blocks = new Set(keys.filter((k) => k.endsWith('/meta.json')).map((k) => k.split('/')[0]));
    expect(blocks.size).toBeGreaterThanOrEqual(1);
    expect(stack.runner.logTail(ingestor.name, 400)).toMatch(/upload/i);
    // STS's query API is the only POST to / here (S3 uploads are PUT/POST to object keys): AssumeRoleWithWebIdentity.
    expect(readFileSync(stack.s3.logFile, 'utf8')).toMatch(/"POST \/ HTTP\/1\.1" 200/);

    // The store gateway syncs every 15 minutes (--sync-block-duration); a restart syncs at once.
    for (const store of stack.runner.podsOf('thanos-store')) await stack.runner.deletePod(store.name);
    await stack.runner.waitReady(undefined, 180_000);
    const querier = stack.runner.podsOf('thanos-query')[0]!.httpAddress;
    await eventually(
      'the store gateway to load the uploaded block and answer from it',
      async () => {
        const loaded = await Promise.all(
          stack.runner
            .podsOf('thanos-store')
            .map(async (s) => metric(await stack.runner.metrics(s.name), 'thanos_bucket_store_blocks_loaded')),
        );
        expect(loaded.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
        const result = await query(querier, 'count_over_time(thanos_gitops_e2e_write{writer=~"team-.*"}[30m])', {
          dedup: 'true',
        });
        expect(result.length).toBe(2);
        const queried = await Promise.all(
          stack.runner
            .podsOf('thanos-store')
            .map(async (s) =>
              metric(await stack.runner.metrics(s.name), 'thanos_bucket_store_series_blocks_queried_count'),
            ),
        );
        expect(queried.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      },
      120_000,
    );
  });
});

/**
 * The value of a metric: `name{labels}` exactly as exposed, or for a bare name the sum over all its label sets;
 * 0 when absent.
 */
function metric(text: string, series: string): number {
  const lines = text.split('\n').filter((l) => !l.startsWith('#'));
  if (series.includes('{')) {
    const line = lines.find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  }
  return lines
    .filter((l) => l.startsWith(`${series} `) || l.startsWith(`${series}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}
