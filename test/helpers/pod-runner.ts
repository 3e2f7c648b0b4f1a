/**
 * A kubelet and workload controller for tests: runs the Thanos containers of the Deployments and StatefulSets in
 * one namespace of the (real) test kube-apiserver as local processes of a real Thanos binary, so that whatever
 * writes to the control plane (the apply engine, the Lambda, `thanos-gitops rotate`) drives real Thanos.
 *
 * What it does, every `pollMs`:
 * - Reads Deployments, StatefulSets, Services, ServiceAccounts, ConfigMaps and Secrets of the namespace.
 * - One "pod" per replica (`<workload>-<ordinal>`), each with its own loopback address 127.a.b.c, so every pod keeps
 *   its rendered ports. Only the container whose first arg is a Thanos subcommand runs (sidecars such as the
 *   configmap-reloader do not).
 * - ConfigMap and Secret volumes are written as kubelet does: files in a timestamped directory, a `..data` symlink
 *   to it, and one symlink per key through `..data`; an update writes a new directory and renames a new `..data`
 *   over the old one (one atomic swap). Secret volumes are re-synced while the pod runs. A volume whose object does
 *   not exist keeps the pod pending, as on a node. emptyDir and volumeClaimTemplates are directories that survive
 *   restarts of the pod (a PVC stays bound to its ordinal).
 * - Env: value, fieldRef (metadata.name/namespace, status.podIP/hostIP, spec.serviceAccountName), secretKeyRef and
 *   configMapKeyRef; `$(VAR)` in args is expanded from it as kubelet does. A ServiceAccount annotated with
 *   eks.amazonaws.com/role-arn gets what EKS's pod identity webhook injects: AWS_ROLE_ARN, AWS_REGION,
 *   AWS_WEB_IDENTITY_TOKEN_FILE (a token file) and AWS_STS_REGIONAL_ENDPOINTS=regional.
 * - Mount paths in args and env are replaced by the pod's local folders; listen addresses are pinned to the pod's
 *   address (receive's --receive.capnproto-address and compact's --http-address default to 0.0.0.0 and would clash);
 *   query's `dnssrv+_<port>._tcp.<service>` endpoints become `dns+<service>:<port>` with
 *   `--store.sd-dns-resolver=golang` (there are no SRV records here, and only Go's resolver reads /etc/hosts).
 * - Names resolve through a private /etc/hosts: every process runs in its own mount namespace (`unshare -m`, needs
 *   root) with the runner's hosts file bind-mounted over /etc/hosts. It holds `<pod>`, `<pod>.<service>.<ns>[.svc
 *   [.cluster.local]]` for StatefulSet pods and `<service>[.<ns>[.svc[.cluster.local]]]` -> every selected pod, plus
 *   `extraHosts`. It is rewritten in place (same inode), so running pods see new pods.
 * - A pod whose template changed (e.g. rotate's checksum annotation) is replaced one at a time, highest ordinal
 *   first, each new pod ready before the next goes, and the workload's status is written through the status
 *   subresource as the Deployment/StatefulSet controllers would, so rollout waits see the rollout finish.
 * - Readiness is the container's readinessProbe (httpGet), polled.
 *
 * Processes die with the test process (PR_SET_PDEATHSIG through setpriv), and stop() sends SIGTERM and waits up to
 * the pod's terminationGracePeriodSeconds (ingestors upload their head block on SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/model/objects.js';

const THANOS_SUBCOMMANDS = new Set([
  'receive',
  'query',
  'store',
  'rule',
  'compact',
  'tools',
  'query-frontend',
  'sidecar',
]);
const GRPC_SERVERS = new Set(['receive', 'query', 'store', 'rule', 'sidecar']);
const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';
const IRSA_TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

interface Container {
  name: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
  readinessProbe?: { httpGet?: { path?: string; port: number | string; scheme?: string } };
  ports?: { name?: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
}

interface Volume {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[]; defaultMode?: number; optional?: boolean };
  secret?: { secretName: string; items?: { key: string; path: string }[]; defaultMode?: number; optional?: boolean };
  emptyDir?: unknown;
  persistentVolumeClaim?: { claimName: string };
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    volumes?: Volume[];
    serviceAccountName?: string;
    terminationGracePeriodSeconds?: number;
    securityContext?: Record<string, unknown>;
  };
}

interface Workload extends KubeObject {
  spec: {
    replicas?: number;
    serviceName?: string;
    template: PodTemplate;
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}

/** What a test sees of one pod. */
export interface PodInfo {
  name: string;
  /** `StatefulSet/thanos-receive-ingestor-default`. */
  workload: string;
  ip: string;
  /** host:port of the Thanos HTTP server (readiness, /metrics, the query API). */
  httpAddress: string;
  /** host:port of the gRPC server, when the component has one. */
  grpcAddress?: string;
  /** host:port of receive's remote-write server. */
  remoteWriteAddress?: string;
  ready: boolean;
  /** How many times a process was started for this pod (1 after the first start). */
  starts: number;
  /** The hash of the pod template the running process was started from. */
  templateHash: string;
  /** Why it is not running, e.g. `Secret thanos-objectstorage not found`. */
  pending?: string;
  logFile: string;
  /** The args it was started with, after the runner's rewrites. */
  args: string[];
  /** The environment it was started with (from the container's env and the IRSA webhook's additions). */
  env: Record<string, string>;
}

export interface PodRunnerOptions {
  client: KubeClient;
  namespace: string;
  thanosBinary: string;
  /** Default: a new temp directory, removed by stop(). */
  workDir?: string;
  pollMs?: number;
  /** More /etc/hosts entries, e.g. the S3 stand-in: `{ 'bucket.s3.dualstack.eu-west-1.amazonaws.com': '127.x.y.z' }`. */
  extraHosts?: Record<string, string>;
  /** Added to every pod's environment (e.g. SSL_CERT_FILE with the stand-in's CA). */
  env?: Record<string, string>;
  /** Only run these workloads (`Kind/name`); default: every Thanos workload of the namespace. */
  only?: (workload: string) => boolean;
  /** Called with notable events (starts, stops, rollouts), for test logs. */
  log?: (line: string) => void;
}

interface RunningProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  log: WriteStream;
}

interface Pod {
  info: PodInfo;
  ordinal: number;
  workloadKey: string;
  process?: RunningProcess;
  /** The template hash the pod should run (set by the workload controller). */
  wantedHash: string;
  readinessUrl?: string;
  stopping?: Promise<void>;
  dir: string;
  graceMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 10);
}

function decoded(object: KubeObject | undefined, kind: 'Secret' | 'ConfigMap'): Record<string, Buffer> | undefined {
  if (!object) return undefined;
  const out: Record<string, Buffer> = {};
  if (kind === 'Secret') {
    for (const [k, v] of Object.entries((object.data as Record<string, string> | undefined) ?? {}))
      out[k] = Buffer.from(v, 'base64');
    for (const [k, v] of Object.entries((object.stringData as Record<string, string> | undefined) ?? {}))
      out[k] = Buffer.from(v);
  } else {
    for (const [k, v] of Object.entries((object.data as Record<string, string> | undefined) ?? {}))
      out[k] = Buffer.from(v);
    for (const [k, v] of Object.entries((object.binaryData as Record<string, string> | undefined) ?? {}))
      out[k] = Buffer.from(v, 'base64');
  }
  return out;
}

/**
 * Writes `files` into `dir` the way kubelet's AtomicWriter does: `..<timestamp>/` holds the files, `..data` points to
 * it, each key is a symlink `<key> -> ..data/<key>`. Returns false when the content was already there.
 */
export function writeAtomicDir(dir: string, files: Record<string, Buffer>, mode = 0o644): boolean {
  mkdirSync(dir, { recursive: true });
  const dataLink = path.join(dir, '..data');
  const fingerprint = hashOf(Object.entries(files).map(([k, v]) => [k, v.toString('base64'), mode]));
  const marker = path.join(dir, '..fingerprint');
  if (existsSync(dataLink) && existsSync(marker) && readFileSync(marker, 'utf8') === fingerprint) return false;
  const stamp = `..${new Date().toISOString().replace(/[-:.TZ]/g, '_')}${randomInt(1e6)}`;
  const target = path.join(dir, stamp);
  mkdirSync(target);
  for (const [key, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(target, key)), { recursive: true });
    writeFileSync(path.join(target, key), content, { mode });
  }
  let previous: string | undefined;
  try {
    previous = path.join(dir, readlinkSync(dataLink));
  } catch {
    previous = undefined;
  }
  const tmpLink = path.join(dir, '..data_tmp');
  rmSync(tmpLink, { force: true });
  symlinkSync(stamp, tmpLink);
  renameSync(tmpLink, dataLink);
  for (const key of Object.keys(files)) {
    const top = key.split('/')[0]!;
    const link = path.join(dir, top);
    if (!existsSync(link)) symlinkSync(path.join('..data', top), link);
  }
  writeFileSync(marker, fingerprint);
  if (previous && previous !== target) rmSync(previous, { recursive: true, force: true });
  return true;
}

function probe(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 1000 }, (response) => {
      response.resume();
      resolve((response.statusCode ?? 500) >= 200 && (response.statusCode ?? 500) < 400);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

function flagValue(args: string[], flag: string): string | undefined {
  const prefix = `${flag}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** Replaces the host of a listen address with the pod's own address. */
function pinHost(address: string, ip: string): string {
  const port = address.slice(address.lastIndexOf(':') + 1);
  return `${ip}:${port}`;
}

export class PodRunner {
  readonly hostsFile: string;
  private readonly pods = new Map<string, Pod>();
  private readonly ips = new Map<string, string>();
  private readonly base: [number, number];
  private nextHost = 2;
  private loop?: Promise<void>;
  private stopped = false;
  private ownsWorkDir: boolean;
  private lastHosts = '';
  private workloads: Workload[] = [];
  private readonly lastStatus = new Map<string, string>();
  private readonly errors: string[] = [];

  private constructor(
    private readonly options: PodRunnerOptions,
    readonly workDir: string,
    ownsWorkDir: boolean,
  ) {
    this.ownsWorkDir = ownsWorkDir;
    this.hostsFile = path.join(workDir, 'hosts');
    // A random /16 inside 127/8 per runner: test files run in parallel and every pod keeps its rendered ports.
    this.base = [randomInt(16, 250), randomInt(0, 250)];
    writeFileSync(this.hostsFile, '127.0.0.1 localhost\n');
  }

  /**
   * Creates the runner, lets `prepare` use it before any pod starts (allocate an address for a stand-in, add hosts
   * and env), then starts the control loop.
   */
  static async start(options: PodRunnerOptions, prepare?: (runner: PodRunner) => Promise<void>): Promise<PodRunner> {
    const owns = options.workDir === undefined;
    const workDir = options.workDir ?? (await mkdtemp(path.join(os.tmpdir(), 'thanos-pods-')));
    const runner = new PodRunner(options, workDir, owns);
    await prepare?.(runner);
    await runner.reconcile();
    runner.loop = runner.run();
    return runner;
  }

  /** A fresh address in this runner's range, e.g. for a stand-in server the pods must reach by name. */
  allocateAddress(name: string): string {
    let ip = this.ips.get(name);
    if (!ip) {
      const n = this.nextHost++;
      ip = `127.${this.base[0]}.${this.base[1] + Math.floor(n / 250)}.${(n % 250) + 1}`;
      this.ips.set(name, ip);
    }
    return ip;
  }

  /** Adds to the environment of pods started from now on (e.g. SSL_CERT_FILE of a stand-in started after the runner). */
  setEnv(env: Record<string, string>): void {
    this.options.env = { ...this.options.env, ...env };
  }

  /** Adds /etc/hosts entries for every pod (e.g. a stand-in started after the runner). */
  addHosts(entries: Record<string, string>): void {
    this.options.extraHosts = { ...this.options.extraHosts, ...entries };
    this.writeHosts();
  }

  list(): PodInfo[] {
    return [...this.pods.values()].map((p) => ({ ...p.info }));
  }

  /** Text of the Prometheus metrics a pod exposes on its HTTP address. */
  async metrics(name: string): Promise<string> {
    const response = await fetch(`http://${this.pod(name).httpAddress}/metrics`);
    return await response.text();
  }

  pod(name: string): PodInfo {
    const pod = this.pods.get(name);
    if (!pod) throw new Error(`pod runner: no pod ${name} (pods: ${[...this.pods.keys()].join(', ') || 'none'})`);
    return { ...pod.info };
  }

  /** Pods of one workload (`Kind/name` or just the name), by ordinal. */
  podsOf(workload: string): PodInfo[] {
    return [...this.pods.values()]
      .filter((p) => p.workloadKey === workload || p.workloadKey.endsWith(`/${workload}`))
      .sort((a, b) => a.ordinal - b.ordinal)
      .map((p) => ({ ...p.info }));
  }

  /**
   * Keeps `dir` equal to Secret `name` of the namespace, as kubelet keeps a Secret volume of a pod that is not a
   * Thanos pod (a Prometheus using a tenant certificate, for example). Resolves after the first sync.
   */
  async mountSecret(name: string, dir: string): Promise<void> {
    this.secretMounts.push({ name, dir });
    // A pass already under way may have listed before the push: wait for it, then for one that sees the mount.
    await this.reconcile();
    await this.reconcile();
    if (!existsSync(path.join(dir, '..data')))
      throw new Error(`pod runner: Secret ${this.options.namespace}/${name} does not exist, cannot mount it at ${dir}`);
  }

  private readonly secretMounts: { name: string; dir: string }[] = [];

  /** Problems the control loop hit (apiserver errors, failed status writes), for assertions and failure messages. */
  get loopErrors(): string[] {
    return [...this.errors];
  }

  /** The last lines of a pod's log, for failure messages. */
  logTail(name: string, lines = 30): string {
    const pod = this.pods.get(name);
    if (!pod) return '';
    try {
      return readFileSync(pod.info.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /**
   * Resolves when every pod of the namespace's Thanos workloads (or of `workloads`) runs the current template and
   * is ready; rejects after `timeoutMs` naming the pods that are not, with their last log lines.
   */
  async waitReady(workloads?: string[], timeoutMs = 120_000): Promise<PodInfo[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.reconcile();
      const pods = [...this.pods.values()].filter(
        (p) => !workloads || workloads.some((w) => p.workloadKey === w || p.workloadKey.endsWith(`/${w}`)),
      );
      const expected = this.expectedPodCount(workloads);
      const notReady = pods.filter((p) => !p.info.ready || p.info.templateHash !== p.wantedHash || !p.process);
      if (pods.length >= expected && expected > 0 && notReady.length === 0) return pods.map((p) => ({ ...p.info }));
      if (Date.now() > deadline) {
        const detail = (notReady.length > 0 ? notReady : pods)
          .map(
            (p) =>
              `${p.info.name} (${p.info.pending ?? (p.info.ready ? 'old template' : 'not ready')}):\n${this.logTail(p.info.name, 15)}`,
          )
          .join('\n\n');
        throw new Error(
          `pod runner: ${notReady.length} of ${expected} pods not ready after ${timeoutMs / 1000}s; loop errors: ${this.errors.slice(-3).join('; ') || 'none'}\n${detail}`,
        );
      }
      await sleep(200);
    }
  }

  private expectedPodCount(workloads?: string[]): number {
    return this.thanosWorkloads()
      .filter(
        (w) =>
          !workloads || workloads.some((name) => `${w.kind}/${w.metadata.name}` === name || w.metadata.name === name),
      )
      .reduce((sum, w) => sum + (w.spec.replicas ?? 1), 0);
  }

  /**
   * Starts `command` inside a mount namespace that sees this runner's hosts file as /etc/hosts, so it resolves the
   * rendered names (a remote-write client dialling the router's Service name, for example).
   */
  spawnInCluster(
    command: string,
    args: string[],
    options: { env?: Record<string, string>; cwd?: string } = {},
  ): ChildProcess {
    return spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        'mount --bind "$0" /etc/hosts && exec setpriv --pdeathsig KILL -- "$@"',
        this.hostsFile,
        command,
        ...args,
      ],
      {
        env: { ...process.env, ...options.env },
        cwd: options.cwd ?? this.workDir,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await Promise.all([...this.pods.values()].map((p) => this.stopPod(p, 'runner stopped')));
    if (this.ownsWorkDir) await rm(this.workDir, { recursive: true, force: true });
  }

  /** Stops one pod's process as kubelet does on deletion (SIGTERM, grace period, SIGKILL); the loop restarts it. */
  async deletePod(name: string): Promise<void> {
    const pod = this.pods.get(name);
    if (pod) await this.stopPod(pod, 'deleted by test');
  }

  // ------------------------------------------------------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.reconcile().catch((error: unknown) => {
        this.errors.push(error instanceof Error ? error.message : String(error));
        if (this.errors.length > 50) this.errors.shift();
      });
      await sleep(this.options.pollMs ?? 250);
    }
  }

  private thanosWorkloads(): Workload[] {
    return this.workloads.filter((w) => {
      const container = w.spec.template.spec.containers.find((c) => THANOS_SUBCOMMANDS.has(c.args?.[0] ?? ''));
      return container !== undefined && (this.options.only?.(`${w.kind}/${w.metadata.name}`) ?? true);
    });
  }

  private reconciling?: Promise<void>;

  private reconcile(): Promise<void> {
    // One pass at a time: waitReady also drives a pass, and two would start the same pod twice.
    this.reconciling ??= this.reconcileOnce().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    const { client, namespace } = this.options;
    const [deployments, statefulSets, services, accounts, configMaps, secrets] = await Promise.all([
      client.list('apps/v1', 'Deployment', namespace),
      client.list('apps/v1', 'StatefulSet', namespace),
      client.list('v1', 'Service', namespace),
      client.list('v1', 'ServiceAccount', namespace),
      client.list('v1', 'ConfigMap', namespace),
      client.list('v1', 'Secret', namespace),
    ]);
    this.workloads = [...deployments, ...statefulSets] as Workload[];
    const byName = (items: KubeObject[]) => new Map(items.map((i) => [i.metadata.name, i]));
    const world = { accounts: byName(accounts), configMaps: byName(configMaps), secrets: byName(secrets) };
    this.servicesCache = services;
    for (const mount of this.secretMounts) {
      const data = decoded(world.secrets.get(mount.name), 'Secret');
      if (data) writeAtomicDir(mount.dir, data, 0o600);
    }

    // Desired pods.
    const desired = new Set<string>();
    for (const workload of this.thanosWorkloads()) {
      const key = `${workload.kind}/${workload.metadata.name}`;
      const hash = hashOf(workload.spec.template);
      for (let ordinal = 0; ordinal < (workload.spec.replicas ?? 1); ordinal++) {
        const name = `${workload.metadata.name}-${ordinal}`;
        desired.add(name);
        let pod = this.pods.get(name);
        if (!pod) {
          const ip = this.allocateAddress(name);
          const dir = path.join(this.workDir, 'pods', name);
          mkdirSync(dir, { recursive: true });
          pod = {
            ordinal,
            workloadKey: key,
            wantedHash: hash,
            dir,
            graceMs: (workload.spec.template.spec.terminationGracePeriodSeconds ?? 30) * 1000,
            info: {
              name,
              workload: key,
              ip,
              httpAddress: '',
              ready: false,
              starts: 0,
              templateHash: '',
              logFile: path.join(dir, 'log'),
              args: [],
              env: {},
            },
          };
          this.pods.set(name, pod);
        }
        pod.wantedHash = hash;
        pod.graceMs = (workload.spec.template.spec.terminationGracePeriodSeconds ?? 30) * 1000;
      }
    }
    this.writeHosts();

    // Scaled down or deleted workloads.
    for (const pod of this.pods.values()) {
      if (!desired.has(pod.info.name) && pod.process) await this.stopPod(pod, 'no longer desired');
    }
    for (const [name, pod] of this.pods) if (!desired.has(name) && !pod.process) this.pods.delete(name);

    for (const workload of this.thanosWorkloads()) {
      const key = `${workload.kind}/${workload.metadata.name}`;
      const pods = [...this.pods.values()].filter((p) => p.workloadKey === key).sort((a, b) => b.ordinal - a.ordinal);
      // Volumes of running pods stay in sync (kubelet's periodic sync); a missing object leaves the old files.
      for (const pod of pods)
        if (pod.process && pod.info.templateHash === pod.wantedHash) this.syncVolumes(pod, workload, world, false);
      // Never-started pods start at once (pods of a new StatefulSet/Deployment come up together here).
      for (const pod of pods) if (!pod.process && !pod.stopping) await this.startPod(pod, workload, world);
      // Rolling replacement: one outdated pod at a time, only when every pod is ready.
      if (pods.every((p) => p.info.ready && p.process)) {
        const outdated = pods.find((p) => p.info.templateHash !== p.wantedHash);
        if (outdated) {
          this.options.log?.(
            `rolling ${outdated.info.name}: template ${outdated.info.templateHash} -> ${outdated.wantedHash}`,
          );
          await this.stopPod(outdated, 'template changed');
          await this.startPod(outdated, workload, world);
        }
      }
    }
    await this.probeAll();
    await this.writeStatuses();
    await this.writePods();
  }

  private readonly mirrored = new Map<string, string>();

  /**
   * kubelet's part: a Pod object per running process (the workload's template labels, status.podIP, the Ready
   * condition), deleted once the process has exited, so whatever lists pods through the apiserver sees them come
   * and go when they really do. The spec keeps only the container names and images (volumes are local folders here).
   */
  private async writePods(): Promise<void> {
    const { client, namespace } = this.options;
    const live = new Set<string>();
    for (const pod of this.pods.values()) {
      if (!pod.process) continue;
      live.add(pod.info.name);
      const workload = this.workloads.find((w) => `${w.kind}/${w.metadata.name}` === pod.workloadKey);
      if (!workload) continue;
      const fingerprint = `${pod.info.ip}/${pod.info.ready}/${pod.info.starts}`;
      if (this.mirrored.get(pod.info.name) === fingerprint) continue;
      try {
        let object = await client.get({ apiVersion: 'v1', kind: 'Pod', namespace, name: pod.info.name });
        if (!object) {
          object = await client.create({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: pod.info.name,
              namespace,
              labels: { ...(workload.spec.template.metadata?.labels ?? {}) },
            },
            // The template's security contexts, so that a namespace enforcing the restricted Pod Security level
            // admits the Pod as it admits the workload's; its ports, so that observers find the named http port.
            spec: {
              ...(workload.spec.template.spec.securityContext
                ? { securityContext: workload.spec.template.spec.securityContext }
                : {}),
              containers: workload.spec.template.spec.containers.map((c) => ({
                name: c.name,
                image: (c as { image?: string }).image ?? 'thanos',
                ...(c.ports ? { ports: c.ports } : {}),
                ...(c.securityContext ? { securityContext: c.securityContext } : {}),
              })),
            },
          });
        }
        const now = new Date().toISOString();
        await client.replaceStatus({
          ...object,
          status: {
            phase: 'Running',
            podIP: pod.info.ip,
            podIPs: [{ ip: pod.info.ip }],
            conditions: [{ type: 'Ready', status: pod.info.ready ? 'True' : 'False', lastTransitionTime: now }],
          },
        });
        this.mirrored.set(pod.info.name, fingerprint);
      } catch (error) {
        this.errors.push(`Pod ${pod.info.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    for (const name of [...this.mirrored.keys()]) {
      if (live.has(name)) continue;
      await client.delete({ apiVersion: 'v1', kind: 'Pod', namespace, name }).catch(() => undefined);
      this.mirrored.delete(name);
    }
  }

  private writeHosts(): void {
    const lines = ['127.0.0.1 localhost'];
    const { namespace } = this.options;
    const serviceNames = (svc: string) => [
      svc,
      `${svc}.${namespace}`,
      `${svc}.${namespace}.svc`,
      `${svc}.${namespace}.svc.cluster.local`,
    ];
    for (const workload of this.thanosWorkloads()) {
      const labels = workload.spec.template.metadata?.labels ?? {};
      const pods = [...this.pods.values()].filter(
        (p) => p.workloadKey === `${workload.kind}/${workload.metadata.name}`,
      );
      for (const pod of pods) {
        const names = [pod.info.name];
        if (workload.kind === 'StatefulSet' && workload.spec.serviceName)
          names.push(...serviceNames(`${pod.info.name}.${workload.spec.serviceName}`));
        lines.push(`${pod.info.ip} ${names.join(' ')}`);
      }
      for (const service of this.servicesCache) {
        const selector = (service.spec as { selector?: Record<string, string> } | undefined)?.selector;
        if (
          !selector ||
          Object.keys(selector).length === 0 ||
          !Object.entries(selector).every(([k, v]) => labels[k] === v)
        )
          continue;
        for (const pod of pods) lines.push(`${pod.info.ip} ${serviceNames(service.metadata.name).join(' ')}`);
      }
    }
    for (const [name, ip] of Object.entries(this.options.extraHosts ?? {})) lines.push(`${ip} ${name}`);
    const content = `${lines.join('\n')}\n`;
    if (content === this.lastHosts) return;
    // In place (same inode): the file is bind-mounted into every running pod's mount namespace.
    writeFileSync(this.hostsFile, content);
    this.lastHosts = content;
  }

  private servicesCache: KubeObject[] = [];

  /** Materialises the pod's Secret/ConfigMap volumes; returns why it cannot run, or undefined. */
  private syncVolumes(
    pod: Pod,
    workload: Workload,
    world: { configMaps: Map<string, KubeObject>; secrets: Map<string, KubeObject> },
    creating: boolean,
  ): string | undefined {
    for (const volume of workload.spec.template.spec.volumes ?? []) {
      const source = volume.secret
        ? { kind: 'Secret' as const, name: volume.secret.secretName, spec: volume.secret }
        : volume.configMap
          ? { kind: 'ConfigMap' as const, name: volume.configMap.name, spec: volume.configMap }
          : undefined;
      if (!source) continue;
      const object = source.kind === 'Secret' ? world.secrets.get(source.name) : world.configMaps.get(source.name);
      const data = decoded(object, source.kind);
      if (!data) {
        if (source.spec.optional) continue;
        if (creating) return `${source.kind} ${source.name} not found (volume ${volume.name})`;
        continue;
      }
      let files = data;
      if (source.spec.items) {
        files = {};
        for (const item of source.spec.items) if (data[item.key]) files[item.path] = data[item.key]!;
      }
      const dir = path.join(pod.dir, 'volumes', volume.name);
      if (writeAtomicDir(dir, files, source.spec.defaultMode ?? 0o644) && !creating) {
        this.options.log?.(`${pod.info.name}: updated ${source.kind} volume ${volume.name} (${source.name})`);
      }
    }
    return undefined;
  }

  private buildProcess(
    pod: Pod,
    workload: Workload,
    world: { accounts: Map<string, KubeObject>; configMaps: Map<string, KubeObject>; secrets: Map<string, KubeObject> },
  ): { args: string[]; env: Record<string, string> } | string {
    const template = workload.spec.template;
    const container = template.spec.containers.find((c) => THANOS_SUBCOMMANDS.has(c.args?.[0] ?? ''))!;
    const { namespace } = this.options;
    const ip = pod.info.ip;
    const serviceAccount = template.spec.serviceAccountName ?? 'default';

    // Mounts: volume name -> local folder.
    const mounts: { mountPath: string; local: string }[] = [];
    const claimNames = new Set((workload.spec.volumeClaimTemplates ?? []).map((c) => c.metadata.name));
    for (const mount of container.volumeMounts ?? []) {
      const volume = template.spec.volumes?.find((v) => v.name === mount.name);
      if (!volume && !claimNames.has(mount.name)) return `volumeMount ${mount.name} has no volume`;
      const local = path.join(pod.dir, 'volumes', mount.name, mount.subPath ?? '');
      mkdirSync(path.join(pod.dir, 'volumes', mount.name), { recursive: true });
      mounts.push({ mountPath: mount.mountPath.replace(/\/+$/, ''), local });
    }

    const env: Record<string, string> = { ...this.options.env };
    const account = world.accounts.get(serviceAccount);
    const roleArn = account?.metadata.annotations?.[IRSA_ANNOTATION];
    if (roleArn) {
      // What EKS's pod identity webhook adds to a pod whose ServiceAccount carries the role annotation.
      const tokenDir = path.join(pod.dir, 'irsa');
      writeAtomicDir(tokenDir, { token: Buffer.from(fakeServiceAccountToken(namespace, serviceAccount)) });
      mounts.push({ mountPath: IRSA_TOKEN_DIR, local: tokenDir });
      env.AWS_ROLE_ARN = roleArn;
      env.AWS_WEB_IDENTITY_TOKEN_FILE = `${IRSA_TOKEN_DIR}/token`;
      env.AWS_STS_REGIONAL_ENDPOINTS = 'regional';
      env.AWS_REGION ??= 'eu-west-1';
      env.AWS_DEFAULT_REGION ??= env.AWS_REGION;
    }
    mounts.sort((a, b) => b.mountPath.length - a.mountPath.length);
    const localPath = (text: string) => {
      let out = text;
      for (const m of mounts)
        out = out.replace(
          new RegExp(`${m.mountPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=/|$|[^\\w.-])`, 'g'),
          m.local,
        );
      return out;
    };

    for (const variable of container.env ?? []) {
      let value: string | undefined = variable.value;
      const from = variable.valueFrom;
      if (from?.fieldRef) {
        value = {
          'metadata.name': pod.info.name,
          'metadata.namespace': namespace,
          'status.podIP': ip,
          'status.hostIP': ip,
          'spec.nodeName': 'pod-runner',
          'spec.serviceAccountName': serviceAccount,
        }[from.fieldRef.fieldPath];
      } else if (from?.secretKeyRef || from?.configMapKeyRef) {
        const ref = (from.secretKeyRef ?? from.configMapKeyRef)!;
        const kind = from.secretKeyRef ? 'Secret' : 'ConfigMap';
        const data = decoded((kind === 'Secret' ? world.secrets : world.configMaps).get(ref.name), kind);
        const found = data?.[ref.key];
        if (found === undefined) {
          if (ref.optional) continue;
          return `${kind} ${ref.name} key ${ref.key} not found (env ${variable.name})`;
        }
        value = found.toString('utf8');
      }
      if (value === undefined) continue;
      env[variable.name] = localPath(expand(value, env));
    }
    for (const name of Object.keys(env)) if (name.startsWith('AWS_WEB_IDENTITY')) env[name] = localPath(env[name]!);

    const services = this.servicesCache;
    let args = (container.args ?? []).map((arg) => localPath(expand(arg, env)));
    const subcommand = args[0]!;

    // Listen addresses on the pod's own address; defaults that would bind 0.0.0.0 are pinned too.
    const pin = (flag: string, defaultPort: number) => {
      const current = flagValue(args, flag);
      if (current !== undefined)
        args = args.map((a) => (a === `${flag}=${current}` ? `${flag}=${pinHost(current, ip)}` : a));
      else args.push(`${flag}=${ip}:${defaultPort}`);
    };
    pin('--http-address', 10902);
    if (GRPC_SERVERS.has(subcommand)) pin('--grpc-address', 10901);
    if (subcommand === 'receive') {
      pin('--remote-write.address', 19291);
      pin('--receive.capnproto-address', 19391);
    }

    // dnssrv+ needs SRV records; resolve the Service name and its named port instead.
    let switched = false;
    args = args.map((arg) => {
      // The rendered form is dnssrv+_<port name>._tcp.<service>[.<domain>][:<port>]; SRV would give the port.
      const match =
        /^(--(?:endpoint|store|endpoint-strict|endpoint-group|query))=dnssrv\+_([a-z0-9-]+)\._tcp\.([^.:]+)((?:\.[^:]+)?)(?::\d+)?$/.exec(
          arg,
        );
      if (!match) return arg;
      const [, flag, portName, service, domain] = match;
      const svc = services.find((s) => s.metadata.name === service);
      const port = ((svc?.spec as { ports?: { name?: string; port: number }[] } | undefined)?.ports ?? []).find(
        (p) => p.name === portName,
      )?.port;
      if (port === undefined) return arg;
      switched = true;
      return `${flag}=dns+${service}${domain}:${port}`;
    });
    if (switched && subcommand === 'query' && !args.some((a) => a.startsWith('--store.sd-dns-resolver')))
      args.push('--store.sd-dns-resolver=golang');

    const http = flagValue(args, '--http-address')!;
    pod.info.httpAddress = http;
    pod.info.grpcAddress = GRPC_SERVERS.has(subcommand) ? flagValue(args, '--grpc-address') : undefined;
    pod.info.remoteWriteAddress = subcommand === 'receive' ? flagValue(args, '--remote-write.address') : undefined;
    const readiness = container.readinessProbe?.httpGet;
    pod.readinessUrl = readiness ? `http://${http}${readiness.path ?? '/-/ready'}` : `http://${http}/-/ready`;
    return { args, env };
  }

  private async startPod(pod: Pod, workload: Workload, world: Parameters<PodRunner['buildProcess']>[2]): Promise<void> {
    if (this.stopped) return;
    const volumeProblem = this.syncVolumes(pod, workload, world, true);
    const built = volumeProblem ?? this.buildProcess(pod, workload, world);
    if (typeof built === 'string') {
      if (pod.info.pending !== built) this.options.log?.(`${pod.info.name}: pending: ${built}`);
      pod.info.pending = built;
      return;
    }
    delete pod.info.pending;
    const log = createWriteStream(pod.info.logFile, { flags: 'a' });
    log.on('error', () => undefined);
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        'mount --bind "$0" /etc/hosts && exec setpriv --pdeathsig KILL -- "$@"',
        this.hostsFile,
        this.options.thanosBinary,
        ...built.args,
      ],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: pod.dir, ...built.env },
        cwd: pod.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code, signal) => {
        log.write(`--- pod runner: process exited with ${signal ?? `code ${code}`}\n`);
        resolve(code);
      });
      child.once('error', (error) => {
        log.write(`--- pod runner: cannot start: ${error.message}\n`);
        resolve(-1);
      });
    });
    const running: RunningProcess = { child, exited, log };
    pod.process = running;
    pod.info.starts++;
    pod.info.ready = false;
    pod.info.templateHash = pod.wantedHash;
    pod.info.args = built.args;
    pod.info.env = built.env;
    this.options.log?.(`${pod.info.name}: started (${pod.info.ip}, start ${pod.info.starts})`);
    void exited.then(() => {
      if (pod.process === running) {
        // A crash: kubelet restarts the container (here on the next pass).
        pod.process = undefined;
        pod.info.ready = false;
        log.end();
        if (!this.stopped) this.options.log?.(`${pod.info.name}: exited unexpectedly; see ${pod.info.logFile}`);
      }
    });
  }

  private async stopPod(pod: Pod, why: string): Promise<void> {
    if (pod.stopping) return pod.stopping;
    const running = pod.process;
    if (!running) return;
    pod.stopping = (async () => {
      pod.info.ready = false;
      pod.process = undefined;
      running.child.kill('SIGTERM');
      const timedOut = await Promise.race([running.exited.then(() => false), sleep(pod.graceMs).then(() => true)]);
      if (timedOut) {
        running.child.kill('SIGKILL');
        await running.exited;
      }
      running.log.end();
      this.options.log?.(`${pod.info.name}: stopped (${why})`);
    })();
    try {
      await pod.stopping;
    } finally {
      pod.stopping = undefined;
    }
  }

  private async probeAll(): Promise<void> {
    await Promise.all(
      [...this.pods.values()].map(async (pod) => {
        if (!pod.process || !pod.readinessUrl) return;
        const ready = await probe(pod.readinessUrl);
        if (pod.process) pod.info.ready = ready;
      }),
    );
  }

  /** The Deployment/StatefulSet controllers' part: status that rollout waits (and `kubectl rollout status`) read. */
  private async writeStatuses(): Promise<void> {
    for (const workload of this.thanosWorkloads()) {
      const key = `${workload.kind}/${workload.metadata.name}`;
      const pods = [...this.pods.values()].filter((p) => p.workloadKey === key);
      const hash = hashOf(workload.spec.template);
      const running = pods.filter((p) => p.process);
      const updated = running.filter((p) => p.info.templateHash === hash);
      const ready = running.filter((p) => p.info.ready);
      const replicas = workload.spec.replicas ?? 1;
      const status: Record<string, unknown> = {
        observedGeneration: workload.metadata.generation,
        replicas: running.length,
        updatedReplicas: updated.length,
        readyReplicas: ready.length,
        availableReplicas: updated.filter((p) => p.info.ready).length,
      };
      if (workload.kind === 'StatefulSet') {
        status.currentReplicas = updated.length;
        status.updateRevision = `${workload.metadata.name}-${hash}`;
        status.currentRevision =
          updated.length === replicas ? status.updateRevision : `${workload.metadata.name}-previous`;
      }
      const fingerprint = JSON.stringify(status);
      if (
        this.lastStatus.get(key) === fingerprint &&
        (workload.status as { observedGeneration?: number } | undefined)?.observedGeneration ===
          workload.metadata.generation
      )
        continue;
      try {
        await this.options.client.replaceStatus({ ...workload, status });
        this.lastStatus.set(key, fingerprint);
      } catch (error) {
        // A conflict (the object changed since the list) is retried on the next pass.
        this.errors.push(`status of ${key}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

/** `$(VAR)` expansion as kubelet does it: defined variables are replaced, `$$(VAR)` escapes, unknown ones stay. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && env[name] !== undefined ? env[name] : whole;
  });
}

/** An unsigned JWT with the claims EKS puts into a projected ServiceAccount token (the STS stand-in does not verify it). */
function fakeServiceAccountToken(namespace: string, serviceAccount: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'RS256', kid: 'pod-runner' })}.${part({
    aud: ['sts.amazonaws.com'],
    iss: 'https://oidc.eks.eu-west-1.amazonaws.com/id/POD-RUNNER',
    sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
    iat: now,
    exp: now + 86_400,
  })}.c2lnbmF0dXJl`;
}
