// Shared pieces of the real-Thanos e2e files (not a test file itself): a stack config derived from the bundled
// example, rendered and applied to the real kube-apiserver, run by the pod runner with moto as S3 + STS, and a
// remote-write client built from prompb that is fed `thanos-gitops tenant-config` output unchanged.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parse, stringify } from 'yaml';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { PodRunner } from '../helpers/pod-runner.js';
import { buildTool, startS3StandIn, type S3StandIn } from '../helpers/thanos-tools.js';
import { KubeClient } from '../../src/kube/client.js';
import { parseStackConfig } from '../../src/config/index.js';
import { renderStack } from '../../src/render/index.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';

export const ROOT = join(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/cli/index.js');
// The bundled example's production profile renders kinds beyond the built-in default apply policy; its own policy allows them.
export const EXAMPLE_POLICY = fileURLToPath(new URL('../../examples/stack/apply-policy.yaml', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The bundled example (examples/stack/thanos-stack.yaml) as a plain object, moved into `namespace`. */
export function exampleConfig(namespace: string): Record<string, unknown> & { common: Record<string, unknown> } {
  const config = parse(readFileSync(join(ROOT, 'examples/stack/thanos-stack.yaml'), 'utf8')) as Record<
    string,
    unknown
  > & { common: Record<string, unknown> };
  const from = config.common.namespace as string;
  config.common.namespace = namespace;
  // The query frontend's downstream URL names the namespace too (kube-thanos requires it spelled out).
  const frontend = config['queryFrontend'] as { downstreamURL?: string } | undefined;
  if (frontend?.downstreamURL)
    frontend.downstreamURL = frontend.downstreamURL.replace(`.${from}.svc`, `.${namespace}.svc`);
  // One ingestor StatefulSet per zone needs a multiple of 3 ingestors; these suites resize the ring one pod at a time
  // and count kube-thanos's five workloads, so they run the example's profile without the zone split.
  delete (config['production'] as Record<string, unknown> | undefined)?.['ingestorZones'];
  // Apply orders ingestor ring resizes and waits until every receiver reports the published ring; after the first
  // ConfigMap update Thanos v0.42.4 sees the file only at --receive.hashrings-file-refresh-interval (5m by default,
  // cmd/thanos/receive.go; pkg/receive/config.go loses its fsnotify watch when kubelet swaps the file): 5s keeps
  // ring changes in these suites short.
  for (const section of ['receiveIngestor', 'receiveRouter']) {
    const component = config[section] as Record<string, unknown> | undefined;
    // Ingestors without the hashrings file (the example's) read no ring to refresh.
    if (component && component['hashringConfigMapName'] !== '') component['hashringsFileRefreshInterval'] = '5s';
  }
  return config;
}

/** Runs the shipped CLI (dist/cli) as a process. */
export function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, KUBECONFIG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface ThanosStack {
  client: KubeClient;
  namespace: string;
  dir: string;
  configFile: string;
  kubeconfig: string;
  set: ManifestSet;
  runner: PodRunner;
  s3: S3StandIn;
  /** Applies a (changed) config: render, server-side apply of every object, as the apply engine's writes would. */
  applyConfig(config: Record<string, unknown>): Promise<ManifestSet>;
  stop(): Promise<void>;
}

/**
 * Starts a stack from `config` (with its namespace): applies the rendered set, bootstraps certificates with
 * `thanos-gitops rotate` when the config has tls:, starts moto and the pod runner, and waits until every pod is ready.
 */
export async function startStack(
  prefix: string,
  makeConfig: (namespace: string) => Record<string, unknown>,
  options: {
    log?: (line: string) => void;
    /** Apply these objects instead of the rendered config (a kube-thanos set); the config still names the bucket. */
    objects?: (namespace: string) => KubeObject[];
    /** Which workloads (`Kind/name`) must be ready before the stack is returned; default: all. */
    waitFor?: (workload: string) => boolean;
  } = {},
): Promise<ThanosStack> {
  const cluster = testCluster();
  const client = KubeClient.fromFile(cluster.adminKubeconfig);
  const namespace = await createNamespace(uniqueNamespace(prefix));
  const dir = await mkdtemp(join(tmpdir(), `thanos-e2e-${prefix}-`));
  const configFile = join(dir, 'thanos-stack.yaml');
  const thanos = await buildTool('thanos');

  let set: ManifestSet = [];
  // Through the shipped CLI's apply engine (server-side apply, ApplySet, release record), as a deploy would.
  const applyConfig = async (config: Record<string, unknown>) => {
    writeFileSync(configFile, stringify(config));
    set = renderStack(parseStackConfig(readFileSync(configFile, 'utf8'), configFile));
    // Ordered ring steps read the pods' /metrics at their (loopback) IPs: the apiserver refuses to proxy to those.
    const applied = await cli([
      'apply',
      '--config',
      configFile,
      '--kubeconfig',
      cluster.adminKubeconfig,
      '--policy',
      EXAMPLE_POLICY,
      '--observe',
      'direct',
    ]);
    if (applied.code !== 0) throw new Error(`thanos-gitops apply exited ${applied.code}:\n${applied.stderr}`);
    return set;
  };
  const config = makeConfig(namespace);
  if (options.objects) {
    for (const object of options.objects(namespace))
      await client.apply(object, { fieldManager: 'thanos-gitops', force: true });
  } else {
    await applyConfig(config);
  }
  if (config.tls) {
    const bootstrap = await cli([
      'rotate',
      '--config',
      configFile,
      '--kubeconfig',
      cluster.adminKubeconfig,
      '--rollout-timeout',
      '3m',
    ]);
    if (bootstrap.code !== 0) throw new Error(`rotate (bootstrap) exited ${bootstrap.code}:\n${bootstrap.stderr}`);
  }

  const storage = (config.objectStorage ?? {}) as { bucket?: string; region?: string };
  let s3: S3StandIn | undefined;
  const runner = await PodRunner.start(
    { client, namespace, thanosBinary: thanos, ...(options.log ? { log: options.log } : {}) },
    async (pods) => {
      s3 = await startS3StandIn({
        ip: pods.allocateAddress('s3-stand-in'),
        dir: join(dir, 's3'),
        bucket: storage.bucket ?? 'example-thanos-metrics',
        region: storage.region ?? 'eu-west-1',
        spawnInCluster: (command, args) => pods.spawnInCluster(command, args),
        addHosts: (hosts) => pods.addHosts(hosts),
      });
      pods.setEnv({ SSL_CERT_FILE: s3.caFile });
    },
  );
  const waitFor = options.waitFor;
  try {
    if (waitFor) {
      const workloads = [
        ...(await client.list('apps/v1', 'Deployment', namespace)),
        ...(await client.list('apps/v1', 'StatefulSet', namespace)),
      ]
        .map((w) => `${w.kind}/${w.metadata.name}`)
        .filter(waitFor);
      await runner.waitReady(workloads, 180_000);
    } else {
      await runner.waitReady(undefined, 180_000);
    }
  } catch (error) {
    await runner.stop();
    await s3?.stop();
    client.close();
    throw error;
  }
  return {
    client,
    namespace,
    dir,
    configFile,
    kubeconfig: cluster.adminKubeconfig,
    get set() {
      return set;
    },
    runner,
    s3: s3!,
    applyConfig,
    async stop() {
      await runner.stop();
      await s3!.stop();
      client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface WriteResult {
  seq: number;
  ts: number;
  accepted: boolean;
  attempts: number;
  status: number;
  error?: string;
  /** The first attempt's HTTP status (0: no response) and reason, when it failed. */
  firstStatus?: number;
  firstError?: string;
  doneAt: number;
}

/** One remote-write client process for one tenant, configured with `tenant-config` output verbatim. */
export class RemoteWriter {
  readonly results: WriteResult[] = [];
  stderr = '';
  private child?: ChildProcess;
  private closed?: Promise<void>;

  constructor(
    readonly tenant: string,
    private readonly configFile: string,
  ) {}

  /** Writes the tenant's `tenant-config` block and mounts its Secret where the block says, as a Prometheus pod would. */
  static async forTenant(stack: ThanosStack, tenant: string): Promise<RemoteWriter> {
    const certDir = join(stack.dir, 'prometheus', tenant);
    mkdirSync(certDir, { recursive: true });
    const block = await cli(['tenant-config', tenant, '--config', stack.configFile, '--cert-dir', certDir]);
    if (block.code !== 0) throw new Error(`tenant-config ${tenant} exited ${block.code}: ${block.stderr}`);
    const secretName = /Mount Secret [^/]+\/(\S+) /.exec(block.stdout)?.[1];
    if (!secretName) throw new Error(`tenant-config printed no Secret to mount:\n${block.stdout}`);
    await stack.runner.mountSecret(secretName, certDir);
    const file = join(stack.dir, `remote-write-${tenant}.yaml`);
    writeFileSync(file, block.stdout);
    return new RemoteWriter(tenant, file);
  }

  /** `series`: series per write (one request each interval, as a Prometheus shard batches them). */
  async start(stack: ThanosStack, interval = '50ms', series = 1): Promise<void> {
    const binary = await buildTool('remote-write');
    const child = stack.runner.spawnInCluster(binary, [
      '--config',
      this.configFile,
      '--writer',
      this.tenant,
      '--interval',
      interval,
      '--series',
      String(series),
    ]);
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.results.push(JSON.parse(line) as WriteResult);
      } catch {
        this.stderr += `${line}\n`;
      }
    });
    child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.closed = new Promise((resolve) => child.once('close', () => resolve()));
  }

  /** Resolves once `n` more writes were accepted. */
  async awaitAccepted(n: number, timeoutMs = 60_000): Promise<void> {
    const target = this.results.filter((r) => r.accepted).length + n;
    const deadline = Date.now() + timeoutMs;
    while (this.results.filter((r) => r.accepted).length < target) {
      if (Date.now() > deadline)
        throw new Error(
          `remote-write ${this.tenant}: fewer than ${n} writes accepted in ${timeoutMs / 1000}s; last: ${JSON.stringify(this.results.at(-1))}; stderr: ${this.stderr.slice(-2000)}`,
        );
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined)
        throw new Error(`remote-write ${this.tenant} exited ${this.child.exitCode}: ${this.stderr}`);
      await sleep(50);
    }
  }

  /** Closes stdin: the client finishes the write in flight (with its retries) and exits. */
  async stop(): Promise<void> {
    this.child?.stdin?.end();
    await this.closed;
  }
}

/** Counts of writes whose outcome was decided in [from, to). */
export function tally(
  results: WriteResult[],
  from: number,
  to: number,
): { sent: number; accepted: number; failed: number; retried: number } {
  const window = results.filter((r) => r.ts >= from && r.ts < to);
  return {
    sent: window.length,
    accepted: window.filter((r) => r.accepted).length,
    failed: window.filter((r) => !r.accepted).length,
    retried: window.filter((r) => r.attempts > 1).length,
  };
}

/** What the writes sent in [from, to) went through, over several writers. */
export interface WriteFigures {
  sent: number;
  accepted: number;
  /** Not accepted even after the client's retries: samples lost. */
  failed: number;
  /** First attempt failed (what a client without retries loses), by the first attempt's status. */
  firstAttemptFailed: number;
  firstStatuses: Record<string, number>;
  /** Accepted only after retrying. */
  acceptedOnRetry: number;
  /** The longest a write took from its first attempt to its outcome (retries included), in ms. */
  maxLatencyMs: number;
}

export function writeFigures(writers: readonly { results: WriteResult[] }[], from: number, to: number): WriteFigures {
  const window = writers.flatMap((w) => w.results.filter((r) => r.ts >= from && r.ts < to));
  const firstFailed = window.filter((r) => r.attempts > 1 || !r.accepted);
  const firstStatuses: Record<string, number> = {};
  for (const r of firstFailed) {
    const status = r.firstStatus ? `HTTP ${r.firstStatus}` : 'no response';
    firstStatuses[status] = (firstStatuses[status] ?? 0) + 1;
  }
  return {
    sent: window.length,
    accepted: window.filter((r) => r.accepted).length,
    failed: window.filter((r) => !r.accepted).length,
    firstAttemptFailed: firstFailed.length,
    firstStatuses,
    acceptedOnRetry: window.filter((r) => r.accepted && r.attempts > 1).length,
    maxLatencyMs: Math.max(0, ...window.map((r) => r.doneAt - r.ts)),
  };
}

/** GET on the query API of a querier pod; returns `data.result`. */
export async function query(
  address: string,
  promql: string,
  params: Record<string, string> = {},
): Promise<{ metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[]> {
  const url = `http://${address}/api/v1/query?${new URLSearchParams({ query: promql, ...params })}`;
  const response = await fetch(url);
  const body = (await response.json()) as { status: string; data?: { result: never[] }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error ?? response.status}`);
  return body.data!.result;
}

/** Polls until `check` returns without throwing (a write is not instantly queryable). */
export async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      last = error;
    }
    await sleep(500);
  }
  throw new Error(
    `${what} did not happen within ${timeoutMs / 1000}s: ${last instanceof Error ? last.message : String(last)}`,
  );
}
