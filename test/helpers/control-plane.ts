/**
 * A real kube-apiserver (k8s.io/kubernetes, with an embedded etcd) for the end-to-end tests, run from the Go
 * program in test/apiserver. Nothing here is faked: requests go over HTTPS to the real API server code, with
 * RBAC, token authentication, server-side apply and CRDs as on a cluster. There is no controller-manager,
 * scheduler or kubelet, so Deployments never get pods and namespaces never finish terminating.
 *
 * This module is imported by vitest's globalSetup (main process) as well as by test files, so it must not
 * import anything from 'vitest' at runtime.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants, createWriteStream, type WriteStream } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type {} from 'vitest';

/** The repository's test/apiserver directory (Go module, build script, CRDs). */
export const apiserverDir = fileURLToPath(new URL('../apiserver/', import.meta.url));
export const buildScript = path.join(apiserverDir, 'build.sh');
export const serviceMonitorCrdFile = path.join(apiserverDir, 'crds', 'servicemonitor.yaml');
const buildHint =
  'Build it with `bash test/apiserver/build.sh` (needs the Go toolchain and the Go module proxy; prints the binary path), ' +
  'or point KUBE_APISERVER_BIN at an existing binary.';

/** How the deployer identity appears to RBAC; tests bind Roles to this subject. */
export interface DeployerSubject {
  kind: 'User' | 'ServiceAccount';
  name: string;
  namespace?: string;
  /** The authenticated user name, as SubjectAccessReview and audit see it. */
  username: string;
}

/** What every e2e test gets from the global setup (serializable: it crosses into the test workers). */
export interface ClusterDetails {
  /** 'test-apiserver' for the control plane started here, 'external' for TEST_KUBECONFIG. */
  kind: 'test-apiserver' | 'external';
  server: string;
  /** PEM bundle that verifies the server; empty when the server uses a publicly trusted certificate. */
  caFile: string;
  /** The server's gitVersion, e.g. v1.34.4. */
  version: string;
  adminKubeconfig: string;
  deployerKubeconfig: string;
  adminToken: string;
  deployerToken: string;
  deployer: DeployerSubject;
}

declare module 'vitest' {
  export interface ProvidedContext {
    kubeCluster: ClusterDetails;
  }
}

export interface ControlPlane {
  server: string;
  caFile: string;
  adminKubeconfig: string;
  deployerKubeconfig: string;
  adminToken: string;
  deployerToken: string;
  dataDir: string;
  version: string;
  /** SIGKILL, as in a crash: no graceful shutdown, etcd not closed. */
  kill(): Promise<void>;
  /** Stops the server if it runs, starts it again on the same data dir and port, and waits until ready. */
  restart(): Promise<void>;
  /** Graceful shutdown; removes the data dir if startControlPlane created it. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Run this binary instead of KUBE_APISERVER_BIN or the one build.sh builds. */
  binary?: string;
  /** Reuse this directory (state survives across starts); default: a new temp dir removed by stop(). */
  dataDir?: string;
  /**
   * More kube-apiserver flags, e.g. `--authentication-token-webhook-config-file=...` to authenticate tokens
   * through a webhook as EKS does with aws-iam-authenticator. Kept across restart().
   */
  extraArgs?: string[];
  /** How long to wait for /readyz; default 180 s (a cold start on a busy 2-core machine takes a few seconds). */
  readyTimeoutMs?: number;
}

/** The single JSON line test/apiserver prints on stdout once /readyz is ok. */
interface ReadyLine {
  ready: true;
  server: string;
  version: string;
  caFile: string;
  adminKubeconfig: string;
  deployerKubeconfig: string;
  dataDir: string;
  pid: number;
}

export class ControlPlaneError extends Error {
  override name = 'ControlPlaneError';
}

let binaryPromise: Promise<string> | undefined;

/**
 * The kube-apiserver binary: KUBE_APISERVER_BIN if set, otherwise whatever build.sh prints (it builds once and
 * caches the result, so this is instant after the first build). Never returns a missing binary.
 */
export async function locateBinary(explicit?: string): Promise<string> {
  const [override, source] = explicit
    ? [explicit, 'The kube-apiserver binary ']
    : [process.env.KUBE_APISERVER_BIN, 'KUBE_APISERVER_BIN='];
  if (override) {
    try {
      await access(override, constants.X_OK);
    } catch {
      throw new ControlPlaneError(`${source}${override} is not an executable file. ${buildHint}`);
    }
    return override;
  }
  // A failed build is not remembered: the next caller tries again.
  binaryPromise ??= buildBinary().catch((error: unknown) => {
    binaryPromise = undefined;
    throw error;
  });
  return await binaryPromise;
}

async function buildBinary(): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const child = execFile('bash', [buildScript], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const binary = stdout.trim().split('\n').pop() ?? '';
      if (error || !binary) {
        reject(
          new ControlPlaneError(
            `Building the test kube-apiserver with ${buildScript} failed (${error?.message ?? 'no path printed'}).\n` +
              `Last lines of its output:\n${lastLines(stderr, 30)}\n${buildHint}`,
          ),
        );
        return;
      }
      resolve(binary);
    });
    // A cold build takes minutes; show its progress lines rather than hang silently.
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  });
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** A bounded tail of a stream's lines, for error messages. */
class LineTail {
  private readonly lines: string[] = [];
  constructor(private readonly max: number) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

interface RunningServer {
  child: ChildProcess;
  exited: Promise<void>;
  ready: ReadyLine;
}

async function launch(
  binary: string,
  dataDir: string,
  port: number,
  readyTimeoutMs: number,
  extraArgs: string[],
): Promise<RunningServer> {
  const log: WriteStream = createWriteStream(path.join(dataDir, 'apiserver.log'), { flags: 'a' });
  // The log is for people debugging a failure; losing it must not crash the test run.
  log.on('error', () => {});
  const args = [
    '--data-dir',
    dataDir,
    '--port',
    String(port),
    '--exit-on-stdin-eof',
    ...(extraArgs.length > 0 ? ['--', ...extraArgs] : []),
  ];
  const child = spawn(binary, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderrTail = new LineTail(40);
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    log.write(`${line}\n`);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      log.end();
      resolve();
    });
  });
  // Never outlive the test process, even if it exits without calling stop() (stdin EOF covers crashes).
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  void exited.then(() => process.removeListener('exit', onExit));

  const failure = (why: string) =>
    new ControlPlaneError(
      `The test kube-apiserver (${binary}, data dir ${dataDir}) did not become ready: ${why}.\n` +
        `Last lines of its stderr (full log: ${path.join(dataDir, 'apiserver.log')}):\n${stderrTail.toString()}\n${buildHint}`,
    );

  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(failure(`/readyz was not ok within ${readyTimeoutMs / 1000}s`));
    }, readyTimeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(failure(`cannot run it: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Give the stderr reader a moment to take the last lines before they go into the message.
      setTimeout(() => reject(failure(`it exited with ${signal ?? `code ${code}`}`)), 50);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      if (isReadyLine(parsed)) {
        clearTimeout(timer);
        resolve(parsed);
      }
    });
  });
  return { child, exited, ready };
}

function isReadyLine(value: unknown): value is ReadyLine {
  return typeof value === 'object' && value !== null && (value as { ready?: unknown }).ready === true;
}

async function tokenOf(kubeconfigFile: string): Promise<string> {
  const config = parseYaml(await readFile(kubeconfigFile, 'utf8')) as { users?: { user?: { token?: string } }[] };
  const token = config.users?.[0]?.user?.token;
  if (!token) throw new ControlPlaneError(`${kubeconfigFile} has no users[0].user.token`);
  return token;
}

async function stopProcess(server: RunningServer, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill(signal);
  const timedOut = await Promise.race([
    server.exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref()),
  ]);
  if (timedOut) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

/**
 * Starts a kube-apiserver on 127.0.0.1, waits until /readyz is ok, and installs the ServiceMonitor CRD
 * (monitoring.coreos.com/v1) until it is Established and served. Throws, naming the cause and how to fix it,
 * when the binary is missing or the server does not come up; it never skips.
 */
export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const binary = await locateBinary(opts.binary);
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = path.resolve(opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'thanos-gitops-apiserver-'))));
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const readyTimeoutMs = opts.readyTimeoutMs ?? 180_000;
  const extraArgs = opts.extraArgs ?? [];

  let current: RunningServer | undefined;
  try {
    current = await launch(binary, dataDir, 0, readyTimeoutMs, extraArgs);
  } catch (error) {
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const ready = current.ready;
  const port = Number(new URL(ready.server).port);
  const adminToken = await tokenOf(ready.adminKubeconfig);
  const deployerToken = await tokenOf(ready.deployerKubeconfig);

  const controlPlane: ControlPlane = {
    server: ready.server,
    caFile: ready.caFile,
    adminKubeconfig: ready.adminKubeconfig,
    deployerKubeconfig: ready.deployerKubeconfig,
    adminToken,
    deployerToken,
    dataDir,
    version: ready.version,
    async kill() {
      if (current) await stopProcess(current, 'SIGKILL', 10_000);
    },
    async restart() {
      if (current) await stopProcess(current, 'SIGTERM', 30_000);
      current = await launch(binary, dataDir, port, readyTimeoutMs, extraArgs);
    },
    async stop() {
      if (current) await stopProcess(current, 'SIGTERM', 30_000);
      current = undefined;
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await installServiceMonitorCrd({ server: ready.server, caFile: ready.caFile, token: adminToken });
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
  return controlPlane;
}

// ---------------------------------------------------------------------------------------------------------
// A minimal HTTPS client for test setup. Tests exercise the project's own client; setup deliberately does not
// depend on the code under test.

export interface ClusterAccess {
  server: string;
  /** Empty: trust the system CAs. */
  caFile: string;
  token: string;
}

export class KubeRequestError extends Error {
  override name = 'KubeRequestError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const caCache = new Map<string, Promise<string>>();
function readCa(caFile: string): Promise<string> {
  let ca = caCache.get(caFile);
  if (!ca) {
    ca = readFile(caFile, 'utf8');
    caCache.set(caFile, ca);
  }
  return ca;
}

/**
 * One API request. Resolves with the parsed JSON body on 2xx; rejects with KubeRequestError carrying the
 * apiserver's Status reason and message otherwise. The token never appears in errors.
 */
export async function kubeRequest(
  access: ClusterAccess,
  method: string,
  apiPath: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<unknown> {
  const ca = access.caFile ? await readCa(access.caFile) : undefined;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return await new Promise<unknown>((resolve, reject) => {
    const request = https.request(
      new URL(apiPath, access.server),
      {
        method,
        ...(ca ? { ca } : {}),
        headers: {
          authorization: `Bearer ${access.token}`,
          accept: 'application/json',
          ...(payload === undefined
            ? {}
            : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
        },
        timeout: 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // Not JSON (e.g. a proxy error page): keep the text for the error message.
          }
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(parsed);
            return;
          }
          const kubeStatus = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
            reason?: string;
            message?: string;
          };
          reject(
            new KubeRequestError(
              status,
              kubeStatus.reason ?? '',
              `${method} ${apiPath}: HTTP ${status} ${kubeStatus.reason ?? ''}: ${kubeStatus.message ?? String(text).slice(0, 500)}`,
            ),
          );
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${apiPath}: no answer within 30s`)));
    request.on('error', reject);
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}

/** Server-side apply of one object as the given field manager (force: setup owns what it writes). */
export async function serverSideApply(
  access: ClusterAccess,
  objectPath: string,
  object: unknown,
  fieldManager = 'thanos-gitops-test-setup',
): Promise<unknown> {
  return await kubeRequest(
    access,
    'PATCH',
    `${objectPath}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`,
    object,
    'application/apply-patch+yaml',
  );
}

/**
 * A separate identity with its own bearer token: a ServiceAccount (created if missing) and a token from the API
 * server's TokenRequest API, as `kubectl create token` issues. Works on the local control plane (its
 * --service-account-signing-key-file) and on external clusters alike. The user name RBAC sees is returned.
 */
export async function issueIdentity(
  admin: ClusterAccess,
  namespace: string,
  name: string,
  expirationSeconds = 3600,
): Promise<{ username: string; token: string }> {
  await serverSideApply(admin, `/api/v1/namespaces/${namespace}/serviceaccounts/${name}`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace },
  });
  const review = (await kubeRequest(admin, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds },
  })) as { status?: { token?: string } };
  const token = review.status?.token;
  if (!token) throw new ControlPlaneError(`TokenRequest for ${namespace}/${name} returned no token`);
  return { username: `system:serviceaccount:${namespace}:${name}`, token };
}

/** Polls until check() resolves true; rethrows check's last error (or a timeout error) after timeoutMs. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new ControlPlaneError(
        `Timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

/** Applies test/apiserver/crds/servicemonitor.yaml and waits until it is Established and its resource is served. */
export async function installServiceMonitorCrd(access: ClusterAccess): Promise<void> {
  const crd = parseYaml(await readFile(serviceMonitorCrdFile, 'utf8')) as { metadata: { name: string } };
  const crdPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
  await serverSideApply(access, crdPath, crd);
  await waitFor(`CRD ${crd.metadata.name} to be Established`, async () => {
    const current = (await kubeRequest(access, 'GET', crdPath)) as CrdStatus;
    return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
  });
  // Established means the handler is installed; discovery (what kubectl and clients map kinds with) follows shortly.
  await waitFor('monitoring.coreos.com/v1 to be served', async () => {
    const resources = (await kubeRequest(access, 'GET', '/apis/monitoring.coreos.com/v1')) as {
      resources?: { name: string }[];
    };
    return resources.resources?.some((r) => r.name === 'servicemonitors') ?? false;
  });
}

// ---------------------------------------------------------------------------------------------------------
// TEST_KUBECONFIG: an existing cluster (kind, k3d, EKS) instead of the local control plane.

export const kubectlBinary = process.env.KUBECTL ?? 'kubectl';

/** Runs kubectl; rejects with its stderr (kubectl does not print credentials there) when it fails. */
export async function runKubectl(args: string[], input?: string): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const child = spawn(kubectlBinary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (error) =>
      reject(new ControlPlaneError(`cannot run ${kubectlBinary}: ${error.message} (set KUBECTL to its path)`)),
    );
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(stdout).toString('utf8'));
      else
        reject(
          new ControlPlaneError(
            `${kubectlBinary} ${args.filter((a, i) => a !== '--kubeconfig' && args[i - 1] !== '--kubeconfig').join(' ')} failed (exit ${code}): ${Buffer.concat(stderr).toString('utf8').trim()}`,
          ),
        );
    });
    child.stdin.end(input ?? '');
  });
}

/** Namespaces every e2e test creates carry this label, so an external cluster can be cleaned up afterwards. */
export const e2eNamespaceLabel = 'thanos-gitops.test/e2e';
const identityNamespace = 'thanos-gitops-e2e-identities';

export interface ExternalCluster {
  details: ClusterDetails;
  /** Deletes the identities and every namespace the tests created, then the local temp files. */
  disconnect(): Promise<void>;
}

interface MinifiedKubeconfig {
  clusters?: {
    cluster?: { server?: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string };
  }[];
}

export async function connectExternalCluster(kubeconfig: string): Promise<ExternalCluster> {
  const kc = ['--kubeconfig', kubeconfig];
  let view: MinifiedKubeconfig;
  try {
    view = JSON.parse(
      await runKubectl([...kc, 'config', 'view', '--minify', '--raw', '-o', 'json']),
    ) as MinifiedKubeconfig;
  } catch (error) {
    throw new ControlPlaneError(
      `TEST_KUBECONFIG=${kubeconfig}: cannot read its current context (${(error as Error).message}). Point it at a kubeconfig whose current context is the test cluster, or unset it to use the local test kube-apiserver.`,
    );
  }
  const cluster = view.clusters?.[0]?.cluster;
  if (!cluster?.server)
    throw new ControlPlaneError(`TEST_KUBECONFIG=${kubeconfig}: the current context's cluster has no server.`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'thanos-gitops-external-'));
  let caFile = cluster['certificate-authority'] ?? '';
  if (cluster['certificate-authority-data']) {
    caFile = path.join(dir, 'ca.crt');
    await writeFile(caFile, Buffer.from(cluster['certificate-authority-data'], 'base64'), { mode: 0o600 });
  }

  const identities = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: identityNamespace } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'admin', namespace: identityNamespace } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer', namespace: identityNamespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${identityNamespace}-admin` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'admin', namespace: identityNamespace }],
    },
  ];
  await runKubectl(
    [...kc, 'apply', '--server-side', '--field-manager=thanos-gitops-test-setup', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: identities }),
  );
  const token = async (serviceAccount: string) =>
    (await runKubectl([...kc, 'create', 'token', serviceAccount, '-n', identityNamespace, '--duration=6h'])).trim();
  const adminToken = await token('admin');
  const deployerToken = await token('deployer');
  const adminKubeconfig = path.join(dir, 'admin.kubeconfig');
  const deployerKubeconfig = path.join(dir, 'deployer.kubeconfig');
  const caData = caFile ? (await readFile(caFile)).toString('base64') : '';
  await writeFile(adminKubeconfig, tokenKubeconfig(cluster.server, caData, 'admin', adminToken), { mode: 0o600 });
  await writeFile(deployerKubeconfig, tokenKubeconfig(cluster.server, caData, 'deployer', deployerToken), {
    mode: 0o600,
  });

  const access: ClusterAccess = { server: cluster.server, caFile, token: adminToken };
  const version = ((await kubeRequest(access, 'GET', '/version')) as { gitVersion?: string }).gitVersion ?? 'unknown';
  const crdExists = await kubeRequest(
    access,
    'GET',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/servicemonitors.monitoring.coreos.com',
  ).then(
    () => true,
    (error: unknown) => {
      if (error instanceof KubeRequestError && error.status === 404) return false;
      throw error;
    },
  );
  // A cluster running prometheus-operator already has the real CRD; never overwrite it with ours.
  if (!crdExists) await installServiceMonitorCrd(access);

  return {
    details: {
      kind: 'external',
      server: cluster.server,
      caFile,
      version,
      adminKubeconfig,
      deployerKubeconfig,
      adminToken,
      deployerToken,
      deployer: {
        kind: 'ServiceAccount',
        name: 'deployer',
        namespace: identityNamespace,
        username: `system:serviceaccount:${identityNamespace}:deployer`,
      },
    },
    async disconnect() {
      await runKubectl([
        ...kc,
        'delete',
        'namespace',
        '-l',
        `${e2eNamespaceLabel}=true`,
        '--wait=false',
        '--ignore-not-found',
      ]);
      await runKubectl([...kc, 'delete', 'clusterrolebinding', `${identityNamespace}-admin`, '--ignore-not-found']);
      await runKubectl([...kc, 'delete', 'namespace', identityNamespace, '--wait=false', '--ignore-not-found']);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A kubeconfig for one bearer token; the same shape test/apiserver writes. */
export function tokenKubeconfig(server: string, caData: string, user: string, token: string): string {
  const cluster = caData ? { server, 'certificate-authority-data': caData } : { server };
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'test', user } }],
    'current-context': user,
  });
}
