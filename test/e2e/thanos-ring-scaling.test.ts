// Resizing the ingestor ring on real Thanos (the example: ketama router, ingestors without the hashrings file, RF 2,
// mTLS remote-write) while two tenants write every 50 ms through the router, SERIES series per write: 3 -> 4 -> 2 -> 3 ingestors through `dist/cli apply` of
// changed stack configs, in the ordered steps (0 failed writes asserted, every accepted sample queried back), then
// the same with --no-order (its figures reported, not asserted). At RF 2 Thanos v0.42.4 acknowledges a write once one
// replica took it (writeQuorum, pkg/receive/handler.go), so a one-shot resize fails a series only when both of its
// replicas are unreachable; with several series per request some series land there. The writer retries 5xx like
// Prometheus does, so the figures separate first attempts that failed from writes lost after retrying, and the
// copies stored per sample (replication kept, or not) are counted from the querier. Both runs are printed side by side.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTool } from '../helpers/thanos-tools.js';
import {
  CLI,
  eventually,
  EXAMPLE_POLICY,
  exampleConfig,
  query,
  RemoteWriter,
  ROOT,
  startStack,
  writeFigures,
  type ThanosStack,
  type WriteFigures,
} from './thanos-fixture.js';

let stack: ThanosStack;
const writers: RemoteWriter[] = [];
const rows: string[] = [];
/** Series per write request, per tenant. */
const SERIES = 10;
const RF = 2;

interface Resize {
  mode: 'ordered' | '--no-order';
  transition: string;
  from: number;
  to: number;
  ms: number;
  figures: WriteFigures;
  steps: Array<{ kind: string; ms: number }>;
  firstErrors: string[];
  /** Sample copies the querier finds for the samples accepted in the window, and how many RF copies would be. */
  copies?: { stored: number; expected: number };
}
const resizes: Resize[] = [];

/**
 * Set by the last test: ingestors read the hashrings file (kube-thanos's default) and run
 * --receive.hashrings-algorithm hashmod (the flag unset), so they flush on a ring change.
 */
let ingestorFlag: 'ketama' | 'hashmod' = 'ketama';

/**
 * Ingestors without the hashrings file (`hashringConfigMapName: ''`, as kube-thanos renders it): Thanos v0.42.4 runs
 * them IngestorOnly (determineMode, cmd/thanos/receive.go) and writes whatever the router forwards locally
 * (Handler.RemoteWrite, pkg/receive/handler.go), so only the router places series and a ring change reaches no
 * ingestor. Without a ring they build none, so --receive.hashrings-algorithm and the refresh interval are left unset.
 */
const INGESTOR_ONLY = { hashringConfigMapName: '', hashringsAlgorithm: null, hashringsFileRefreshInterval: null };
/** Router-ingestors (kube-thanos's default): the ingestors read the ring too, and flush on its changes under hashmod. */
const ROUTER_INGESTOR_HASHMOD = {
  hashringConfigMapName: 'hashring-config',
  hashringsAlgorithm: null,
  hashringsFileRefreshInterval: '5s',
};

function config(namespace: string, ingestors = 3): Record<string, unknown> {
  const base = exampleConfig(namespace) as unknown as Record<string, unknown> & {
    receiveIngestor: Record<string, unknown>;
    receiveRouter: Record<string, unknown>;
  };
  // exampleConfig sets hashringsFileRefreshInterval 5s; the ordered steps wait for the load whatever the interval.
  return {
    ...base,
    receiveIngestor: {
      ...base.receiveIngestor,
      replicas: ingestors,
      ...(ingestorFlag === 'hashmod' ? ROUTER_INGESTOR_HASHMOD : INGESTOR_ONLY),
    },
    tls: {
      remoteWrite: { tenantCertificateField: 'organization' },
      certificates: { tenants: [{ id: 'team-a' }, { id: 'team-b' }] },
    },
  };
}

/** `thanos-gitops apply` of the config with `ingestors` replicas, as a process; `killWhen` SIGKILLs it on a stderr line. */
function apply(
  ingestors: number,
  extra: string[],
  killWhen?: (line: string) => boolean,
): Promise<{
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stepStarts: Array<{ at: number; step: string }>;
}> {
  const stepStarts: Array<{ at: number; step: string }> = [];
  writeFileSync(stack.configFile, JSON.stringify(config(stack.namespace, ingestors)));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'apply',
        '--config',
        stack.configFile,
        '--kubeconfig',
        stack.kubeconfig,
        '--policy',
        EXAMPLE_POLICY,
        '--observe',
        'direct',
        '--step-timeout',
        '3m',
        '--json',
        ...extra,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, KUBECONFIG: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    let buffered = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      buffered += c.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const started = /^step (\d+\/\d+ \S+):/.exec(line);
        if (started) stepStarts.push({ at: Date.now(), step: started[1]! });
        if (killWhen?.(line)) child.kill('SIGKILL');
      }
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, stepStarts }));
  });
}

async function measured(mode: Resize['mode'], transition: string, ingestors: number): Promise<Resize> {
  const from = Date.now();
  const result = await apply(ingestors, mode === 'ordered' ? [] : ['--no-order']);
  expect(result.code, result.stderr).toBe(0);
  // Every pod of the new size ready and every router on the new ring (a one-shot apply returns before they load
  // it), and a few writes after that, before the window closes.
  await stack.runner.waitReady(undefined, 180_000);
  for (const router of stack.runner.podsOf('thanos-receive-router')) {
    await eventually(
      `${router.name} on the ${ingestors}-endpoint ring`,
      async () => {
        expect(await stack.runner.metrics(router.name)).toMatch(
          new RegExp(`^thanos_receive_hashring_nodes\\{name="default"\\} ${ingestors}$`, 'm'),
        );
      },
      120_000,
    );
  }
  await Promise.all(writers.map((w) => w.awaitAccepted(4, 90_000)));
  const to = Date.now();
  // Which step each failed first attempt fell in (the CLI prints "step N/M kind: ..." as a step starts).
  const stepAt = (ts: number) =>
    result.stepStarts.filter((s) => s.at <= ts).at(-1)?.step ??
    (mode === 'ordered' ? 'before the first step' : 'the one-shot apply');
  const firstErrors = [
    ...new Set(
      writers.flatMap((w) =>
        w.results
          .filter((r) => r.ts >= from && r.ts < to && (r.attempts > 1 || !r.accepted))
          .map(
            (r) =>
              `${w.tenant} (during ${stepAt(r.ts)}, ${r.attempts} attempts): ${(r.firstError ?? '?').slice(0, 1500)}`,
          ),
      ),
    ),
  ];
  const resize: Resize = {
    mode,
    transition,
    from,
    to,
    ms: to - from,
    figures: writeFigures(writers, from, to),
    steps: (JSON.parse(result.stdout) as { steps?: Array<{ kind: string; ms: number }> }).steps ?? [],
    firstErrors,
  };
  resizes.push(resize);
  return resize;
}

/** The store gateway lists new blocks only every --sync-block-duration (15m, Thanos v0.42.4 cmd/thanos/store.go): a restart syncs now. */
async function syncStoreGateway(): Promise<void> {
  for (const store of stack.runner.podsOf('thanos-store')) await stack.runner.deletePod(store.name);
  await stack.runner.waitReady(undefined, 180_000);
}

/**
 * Copies of the samples accepted in each resize's window, summed over every series and replica (dedup off): the
 * querier's count_over_time over the window ending at its last accepted sample. RF copies each when replication held.
 */
async function countCopies(windows: Resize[]): Promise<void> {
  const querier = stack.runner.podsOf('thanos-query')[0]!.httpAddress;
  for (const resize of windows) {
    let stored = 0;
    let expected = 0;
    for (const writer of writers) {
      const accepted = writer.results.filter((r) => r.accepted && r.ts >= resize.from && r.ts < resize.to);
      if (!accepted.length) continue;
      const first = accepted[0]!.ts;
      const last = accepted.at(-1)!.ts;
      // (last - range, last] in whole milliseconds covers exactly the window's accepted samples.
      const rangeMs = last - first + 1;
      const result = await query(
        querier,
        `sum(count_over_time(thanos_gitops_e2e_write{tenant_id="${writer.tenant}"}[${rangeMs}ms]))`,
        { dedup: 'false', time: (last / 1000).toFixed(3) },
      );
      stored += Number(result[0]?.value?.[1] ?? 0);
      expected += accepted.length * SERIES * RF;
    }
    resize.copies = { stored, expected };
  }
}

function table(): string {
  const cell = (r: Resize | undefined) => {
    if (!r) return '-';
    const f = r.figures;
    const statuses = Object.entries(f.firstStatuses)
      .map(([s, n]) => `${n}x ${s}`)
      .join(', ');
    return (
      `${(r.ms / 1000).toFixed(1)}s; sent ${f.sent}, first attempt failed ${f.firstAttemptFailed}${statuses ? ` (${statuses})` : ''}, accepted on retry ${f.acceptedOnRetry}, lost ${f.failed}, slowest write ${(f.maxLatencyMs / 1000).toFixed(2)}s` +
      (r.copies ? `, copies ${r.copies.stored}/${r.copies.expected}` : '')
    );
  };
  const lines: string[] = [];
  for (const transition of [...new Set(resizes.map((r) => r.transition))]) {
    const ordered = resizes.find((r) => r.transition === transition && r.mode === 'ordered');
    const oneShot = resizes.find((r) => r.transition === transition && r.mode === '--no-order');
    lines.push(`${transition}\n  ordered     ${cell(ordered)}\n  --no-order  ${cell(oneShot)}`);
    if (ordered?.steps.length)
      lines.push(`  ordered steps: ${ordered.steps.map((s) => `${s.kind} ${(s.ms / 1000).toFixed(1)}s`).join(', ')}`);
    for (const r of [ordered, oneShot])
      for (const e of r?.firstErrors.slice(0, 4) ?? []) lines.push(`  ${r!.mode} first attempt failed: ${e}`);
  }
  return lines.join('\n');
}

beforeAll(async () => {
  stack = await startStack('ring-scaling', (namespace) => config(namespace));
  for (const tenant of ['team-a', 'team-b']) {
    const writer = await RemoteWriter.forTenant(stack, tenant);
    writers.push(writer);
    await writer.start(stack, '50ms', SERIES);
  }
  for (const writer of writers) await writer.awaitAccepted(20, 60_000);
}, 600_000);

afterAll(async () => {
  for (const writer of writers) await writer.stop();
  if (resizes.length || rows.length)
    console.log(
      `\nring resize on real Thanos (two tenants, one write of ${SERIES} series every 50 ms each, RF ${RF}, ketama router, ingestors without the hashrings file):\n${table()}\n${rows.join('\n')}\n`,
    );
  await stack?.stop();
});

/** The writer's samples from its first write up to now: a range selector evaluated at a fixed time, and the seqs accepted in it. */
function window(writer: RemoteWriter): { selector: string; time: string; want: number[] } {
  const end = Date.now();
  const accepted = writer.results.filter((r) => r.accepted && r.ts <= end);
  return {
    selector: `thanos_gitops_e2e_write{tenant_id="${writer.tenant}"}[${end - accepted[0]!.ts + 1000}ms]`,
    time: (end / 1000).toFixed(3),
    want: accepted.map((r) => r.seq),
  };
}

/** Values of each series (by its `series` label) in a query result. */
function valuesBySeries(result: Awaited<ReturnType<typeof query>>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const series of result)
    out.set(series.metric.series ?? '', [
      ...(out.get(series.metric.series ?? '') ?? []),
      ...(series.values ?? []).map((v) => Number(v[1])),
    ]);
  return out;
}

describe('ordered ring resize on real Thanos', () => {
  it('3 -> 4 -> 2 -> 3 ingestors through apply: 0 failed writes, every accepted sample stored and deduplicated once', {
    timeout: 1_200_000,
  }, async () => {
    for (const [transition, size] of [
      ['3 -> 4', 4],
      ['4 -> 2', 2],
      ['2 -> 3', 3],
    ] as const) {
      const resize = await measured('ordered', transition, size);
      expect(resize.figures.failed, transition).toBe(0);
    }
    // Samples whose copies were all on departed ingestors are in the bucket (uploaded on exit), but the store gateway
    // lists new blocks only every --sync-block-duration (15m, Thanos v0.42.4 cmd/thanos/store.go): restarting it
    // syncs at start, as waiting 15 minutes would.
    expect((await stack.s3.listKeys('example-thanos-metrics')).some((key) => key.endsWith('/meta.json'))).toBe(true);
    await syncStoreGateway();
    const querier = stack.runner.podsOf('thanos-query')[0]!.httpAddress;
    for (const writer of writers) {
      expect(writer.results.filter((r) => !r.accepted)).toEqual([]);
      // Evaluated at a fixed time over a range from the first write: a retried check sees the same window.
      const { selector, time, want } = window(writer);
      // Ingestors that left uploaded their heads on exit; the store gateway serves them once it synced the bucket.
      const shown = await eventually(
        `every accepted sample of ${writer.tenant}, once, after deduplication`,
        async () => {
          const deduplicated = valuesBySeries(await query(querier, selector, { dedup: 'true', time }));
          const raw = valuesBySeries(await query(querier, selector, { dedup: 'false', time }));
          expect(raw.size).toBe(SERIES);
          for (const values of raw.values()) {
            const stored = new Set(values);
            expect(want.filter((seq) => !stored.has(seq))).toEqual([]);
          }
          expect(deduplicated.size).toBe(SERIES);
          for (const values of deduplicated.values()) expect(values.length).toBe(new Set(values).size);
          return Math.min(
            ...[...deduplicated.values()].map((values) => want.filter((seq) => values.includes(seq)).length),
          );
        },
        300_000,
      );
      rows.push(
        `${writer.tenant}: ${want.length} accepted writes of ${SERIES} series, all stored; the penalty-deduplicated query (the querier's default) shows at least ${shown} of them once in every series`,
      );
    }
    await countCopies(resizes.filter((r) => r.mode === 'ordered'));

    // The querier's default penalty deduplication (pkg/dedup/iter.go) skips samples right after it switches replicas;
    // chain deduplication (--deduplication.func=chain, Thanos v0.42.4 cmd/thanos/query.go) merges sample by sample.
    // A second `thanos query` with the stack querier's own endpoints and replica labels, plus chain.
    const querierPod = stack.runner.podsOf('thanos-query')[0]!;
    const ip = stack.runner.allocateAddress('chain-query');
    const args = querierPod.args.filter((arg) => !/^--(http|grpc)-address=/.test(arg));
    const chain = stack.runner.spawnInCluster(await buildTool('thanos'), [
      ...args,
      `--http-address=${ip}:10902`,
      `--grpc-address=${ip}:10901`,
      '--deduplication.func=chain',
    ]);
    chain.stdout!.resume();
    chain.stderr!.resume();
    try {
      for (const writer of writers) {
        const { selector, time, want } = window(writer);
        await eventually(
          `chain-deduplicated query returns each accepted sample of ${writer.tenant} once`,
          async () => {
            const deduplicated = valuesBySeries(await query(`${ip}:10902`, selector, { dedup: 'true', time }));
            expect(deduplicated.size).toBe(SERIES);
            for (const values of deduplicated.values()) {
              expect(values.length).toBe(new Set(values).size);
              expect(want.filter((seq) => !values.includes(seq))).toEqual([]);
            }
          },
          120_000,
        );
        rows.push(
          `${writer.tenant}: chain-deduplicated query returns all ${want.length} accepted samples of each of the ${SERIES} series, each once`,
        );
      }
    } finally {
      chain.kill('SIGTERM');
    }
  });

  it('a SIGKILL of apply after each step resumes at the next step and converges (3 -> 4, then 4 -> 3)', {
    timeout: 1_200_000,
  }, async () => {
    for (const size of [4, 3]) {
      const started = Date.now();
      const killed: string[] = [];
      for (let run = 0; ; run++) {
        expect(run, `runs for ${size}`).toBeLessThan(12);
        // Kill at the first step that finishes in this run: the next run must start after it.
        const result = await apply(size, [], (line) => /^step \d+\/\d+ (?!apply-final)\S+ done in/.test(line));
        if (result.signal === 'SIGKILL') {
          killed.push(/step (\d+\/\d+ \S+) done in/.exec(result.stderr)?.[1] ?? '?');
          // A SIGKILLed run leaves its Lease behind for 30 s; the operator who saw it die removes it.
          await stack.client.delete({
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            namespace: stack.namespace,
            name: 'thanos-gitops-lock',
          });
          continue;
        }
        expect(result.code, result.stderr).toBe(0);
        if (run > 0) expect(result.stderr).toMatch(/resuming the ordered apply of release revision \d+ after step/);
        break;
      }
      const sts = await stack.client.get({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        namespace: stack.namespace,
        name: 'thanos-receive-ingestor-default',
      });
      expect((sts?.['spec'] as { replicas: number }).replicas).toBe(size);
      const ring = await stack.client.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: stack.namespace,
        name: 'hashring-config',
      });
      expect(
        (
          JSON.parse((ring?.['data'] as Record<string, string>)['hashrings.json']!) as Array<{ endpoints: string[] }>
        )[0]!.endpoints,
      ).toHaveLength(size);
      const releases = await stack.client.list('v1', 'Secret', stack.namespace, 'owner=thanos-gitops');
      expect(releases.filter((r) => r.metadata.labels?.status === 'pending')).toEqual([]);
      await stack.runner.waitReady(undefined, 180_000);
      await Promise.all(writers.map((w) => w.awaitAccepted(4, 90_000)));
      const figures = writeFigures(writers, started, Date.now());
      rows.push(
        `killed runs -> ${size}: killed after ${killed.join(', ')}; sent ${figures.sent}, first attempt failed ${figures.firstAttemptFailed}, accepted on retry ${figures.acceptedOnRetry}, lost ${figures.failed}`,
      );
      expect(killed.length).toBeGreaterThanOrEqual(4);
      expect(figures.failed).toBe(0);
    }
  });

  it('the same resize with --no-order (figures reported side by side with the ordered run, not asserted)', {
    timeout: 900_000,
  }, async () => {
    for (const [transition, size] of [
      ['3 -> 4', 4],
      ['4 -> 2', 2],
      ['2 -> 3', 3],
    ] as const)
      await measured('--no-order', transition, size);
    await syncStoreGateway();
    await countCopies(resizes.filter((r) => r.mode === '--no-order'));
  });

  it('hashmod ingestors: 3 -> 2 waits until the departing ingestor finished the flush and upload the ring change started, then shrinks', {
    timeout: 900_000,
  }, async () => {
    // The flag change alone first (a rolling restart of the ingestors, no ring change: one apply).
    ingestorFlag = 'hashmod';
    const restarted = await apply(3, []);
    expect(restarted.code, restarted.stderr).toBe(0);
    await stack.runner.waitReady(undefined, 180_000);
    await Promise.all(writers.map((w) => w.awaitAccepted(4, 90_000)));
    const departing = 'thanos-receive-ingestor-default-2';
    const before = await stack.runner.metrics(departing);
    expect(before).toMatch(/^thanos_receive_multi_db_updates_attempted_total 1$/m); // the flush of the first ring load
    const resize = await measured('ordered', '3 -> 2 (hashmod ingestors)', 2);
    expect(resize.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'publish-ring',
      'await-ring-loaded',
      'await-heads-uploaded',
      'scale-down',
      'await-scaled-down',
      'apply-final',
    ]);
    expect(resize.figures.failed).toBe(0);
    rows.push(
      `hashmod 3 -> 2: ${departing} flushed and uploaded on the ring change before the shrink (await-heads-uploaded ${((resize.steps.find((s) => s.kind === 'await-heads-uploaded')?.ms ?? 0) / 1000).toFixed(1)}s)`,
    );
  });
});
