// Certificate rotation on real Thanos: two tenants write every 50 ms through the router over mTLS (gRPC mTLS
// inside the stack too) while `thanos-gitops rotate` (the shipped CLI) renews every leaf, rotates the CA, and
// rotates it again with a crash (SIGKILL) after every step it takes. The pod runner is the kubelet (Secret volumes
// synced with the atomic ..data swap) and the workload controllers (checksum annotation -> rolling restart). The
// clients retry as Prometheus does; a write counts as lost when the client gave up on it, or when the querier does
// not return its sample at the end.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  eventually,
  exampleConfig,
  query,
  RemoteWriter,
  ROOT,
  startStack,
  tally,
  type ThanosStack,
} from './thanos-fixture.js';
import { STATE_ANNOTATION } from '../../src/rotation/pki/index.js';

let stack: ThanosStack;
const writers: RemoteWriter[] = [];
const rows: { step: string; sent: number; accepted: number; failed: number; retried: number; ms: number }[] = [];
const rotateLogs: string[] = [];
const dedupGaps: string[] = [];

function config(namespace: string): Record<string, unknown> {
  return {
    ...exampleConfig(namespace),
    tls: {
      remoteWrite: { tenantCertificateField: 'organization' },
      grpc: { enabled: true },
      certificates: { tenants: [{ id: 'team-a' }, { id: 'team-b' }] },
    },
  };
}

/** Runs `rotate` as a process; `killWhen` SIGKILLs it at the first stderr line it accepts (a crash). */
function rotate(
  args: string[],
  killWhen?: (line: string) => boolean,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'rotate',
        '--config',
        stack.configFile,
        '--kubeconfig',
        stack.kubeconfig,
        '--rollout-timeout',
        '4m',
        '--propagation-delay',
        '3s',
        ...args,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, KUBECONFIG: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let buffered = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (killWhen?.(line)) child.kill('SIGKILL');
    });
    child.stdout.resume();
    child.once('error', reject);
    child.once('close', (code, signal) => {
      rotateLogs.push(stderr);
      resolve({ code, signal, stderr });
    });
  });
}

async function measured<T>(step: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await run();
  // Writes sent while the step ran, decided by the clients (retries included) before the next step starts.
  await Promise.all(writers.map((w) => w.awaitAccepted(2, 90_000)));
  const counts = writers
    .map((w) => tally(w.results, started, Date.now()))
    .reduce((a, b) => ({
      sent: a.sent + b.sent,
      accepted: a.accepted + b.accepted,
      failed: a.failed + b.failed,
      retried: a.retried + b.retried,
    }));
  rows.push({ step, ...counts, ms: Date.now() - started });
  return result;
}

async function caState(): Promise<string> {
  const secret = await stack.client.get({
    apiVersion: 'v1',
    kind: 'Secret',
    namespace: stack.namespace,
    name: 'thanos-gitops-ca',
  });
  return secret?.metadata.annotations?.[STATE_ANNOTATION] ?? 'missing';
}

/** A SIGKILLed run leaves its Lease behind for 30 s; the operator who saw it die removes it. */
async function breakLease(): Promise<void> {
  await stack.client.delete({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    namespace: stack.namespace,
    name: 'thanos-gitops-lock',
  });
}

beforeAll(async () => {
  stack = await startStack('thanos-rotation', config);
  for (const tenant of ['team-a', 'team-b']) {
    const writer = await RemoteWriter.forTenant(stack, tenant);
    writers.push(writer);
    await writer.start(stack, '50ms');
  }
  for (const writer of writers) await writer.awaitAccepted(10, 60_000);
}, 1_800_000);

afterAll(async () => {
  for (const writer of writers) await writer.stop();
  process.stdout.write(
    `\nrotation on real Thanos (two tenants, one write every 50 ms each):\n` +
      rows
        .map(
          (r) =>
            `  ${r.step.padEnd(34)} sent ${String(r.sent).padStart(5)}  accepted ${String(r.accepted).padStart(5)}  failed ${r.failed}  retried ${r.retried}  (${(r.ms / 1000).toFixed(1)} s)`,
        )
        .join('\n') +
      '\n' +
      dedupGaps.map((line) => `  ${line}\n`).join(''),
  );
  await stack?.stop();
});

describe('rotation on real Thanos under continuous remote-write', () => {
  it('renews every leaf without restarting a pod and without losing a write', { timeout: 300_000 }, async () => {
    const startsBefore = new Map(stack.runner.list().map((p) => [p.name, p.starts]));
    const result = await measured('leaf renewal (--renew-leaves)', () => rotate(['--renew-leaves']));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/issued remote-write/);
    expect(result.stderr).toMatch(/issued grpc/);
    // Thanos reloads server certificate files on the next handshake (pkg/tls/options.go): no pod restarted.
    for (const pod of stack.runner.list()) expect(pod.starts, pod.name).toBe(startsBefore.get(pod.name));
    expect(rows.at(-1)!.failed).toBe(0);
  });

  it('rotates the CA (two rolling restarts of every bundle reader) without losing a write', {
    timeout: 600_000,
  }, async () => {
    const result = await measured('CA rotation (--force-ca-rotation)', () => rotate(['--force-ca-rotation']));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/CA rotation complete/);
    expect(await caState()).toBe('idle');
    expect(stack.runner.podsOf('thanos-receive-router').every((p) => p.starts >= 3)).toBe(true);
    expect(rows.at(-1)!.failed).toBe(0);
  });

  it('rotates the CA again with a crash after every step; each run resumes and no write is lost', {
    timeout: 900_000,
  }, async () => {
    let first = true;
    for (let run = 1; run <= 30; run++) {
      const before = await caState();
      // Every run is killed at its first line reporting work done (after "generated new CA" for the first), so
      // each step of the state machine is interrupted once.
      const result = await measured(`crash run ${run} (state ${before})`, () =>
        rotate(first ? ['--force-ca-rotation'] : [], (line) =>
          first ? /^generated new CA/.test(line) : !/^CA rotation:/.test(line),
        ),
      );
      first = false;
      if (result.code === 0) break;
      expect(result.signal, result.stderr).toBe('SIGKILL');
      await breakLease();
      if ((await caState()) === 'idle') break;
    }
    const final = await rotate([]);
    expect(final.code, final.stderr).toBe(0);
    expect(await caState()).toBe('idle');
    expect(rows.filter((r) => r.step.startsWith('crash run')).length).toBeGreaterThanOrEqual(5);
    for (const row of rows) expect(row.failed, row.step).toBe(0);
  });

  it('stores every accepted sample of both tenants on an ingestor (0 lost writes), deduplicated to one series per tenant', {
    timeout: 180_000,
  }, async () => {
    for (const writer of writers) await writer.stop();
    const querier = stack.runner.podsOf('thanos-query')[0]!.httpAddress;
    for (const writer of writers) {
      const accepted = writer.results.filter((r) => r.accepted);
      const failed = writer.results.filter((r) => !r.accepted);
      expect(failed, `${writer.tenant}: ${JSON.stringify(failed.slice(0, 3))}`).toEqual([]);
      const minutes = Math.ceil((Date.now() - accepted[0]!.ts) / 60_000) + 1;
      const selector = `thanos_gitops_e2e_write{tenant_id="${writer.tenant}"}[${minutes}m]`;
      const want = accepted.map((r) => r.seq);
      // Every accepted sample is stored on at least one ingestor (with replication factor 2 Thanos v0.42.4 acks a
      // write once one replica has it: writeQuorum in pkg/receive/handler.go).
      await eventually(`every accepted sample of ${writer.tenant} on an ingestor`, async () => {
        const raw = await query(querier, selector, { dedup: 'false' });
        const stored = new Set(raw.flatMap((series) => (series.values ?? []).map((v) => Number(v[1]))));
        expect(want.filter((seq) => !stored.has(seq))).toEqual([]);
      });
      // The querier's default deduplication (penalty, pkg/dedup/iter.go) skips samples right after it switches
      // replicas, so samples held by one replica only (written while the other restarted) can be hidden. Reported,
      // not asserted: it is a property of the query path, not a lost write.
      const deduplicated = await query(querier, selector, { dedup: 'true' });
      expect(deduplicated).toHaveLength(1);
      const shown = new Set((deduplicated[0]!.values ?? []).map((v) => Number(v[1])));
      dedupGaps.push(
        `${writer.tenant}: ${want.length} accepted, all stored; the penalty-deduplicated query shows ${want.filter((seq) => shown.has(seq)).length}`,
      );
    }
  });
});
