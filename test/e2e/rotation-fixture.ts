// Shared pieces of the rotation e2e tests (not a test file itself): a remote-write server configured like the
// Thanos receive router, a "kubelet" that materialises Secrets as files, and a client that handshakes continuously.
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { X509Certificate } from 'node:crypto';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';
import { CA_CHECKSUM_ANNOTATION } from '../../src/render/tls-objstore-overlay.js';
import { isIssuedBy } from '../../src/rotation/pki/x509.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The golden kube-thanos example/all set with every object moved into `namespace`. */
export function goldenIn(name: 'example' | 'all', namespace: string): ManifestSet {
  const dir = join(import.meta.dirname, '../../../shared/kube-thanos', name);
  return readdirSync(dir)
    .sort()
    .map((file) => {
      const object = parse(readFileSync(join(dir, file), 'utf8')) as KubeObject;
      if (object.metadata.namespace) object.metadata.namespace = namespace;
      const walk = (value: unknown): void => {
        if (Array.isArray(value)) return value.forEach(walk);
        if (typeof value !== 'object' || value === null) return;
        for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
          if (key === 'namespaces' && Array.isArray(child))
            (value as Record<string, unknown>)[key] = child.map((n) => (n === 'thanos' ? namespace : n));
          else walk(child);
        }
      };
      walk(object.spec);
      return { file, object };
    });
}

async function secretData(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const secret = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace, name });
  if (!secret) return undefined;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret.data as Record<string, string>) ?? {}))
    data[k] = Buffer.from(v, 'base64').toString('utf8');
  return data;
}

/**
 * A remote-write server set up exactly like the router: cert and key from files re-read when their mtime changes
 * (Thanos pkg/tls does this at every handshake), the client CA read once at "pod start" and again only when the
 * checksum annotation on the router's pod template changes (that is a restart: there is no kubelet here).
 * A poller plays kubelet, writing the Secret's tls.crt/tls.key to files with an atomic rename.
 */
export class RouterFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'router-fixture-'));
  private server?: tls.Server;
  private context?: tls.SecureContext;
  private loadedMtime = '';
  private caBundle = '';
  /** The checksum annotation value the running "pod" started with. */
  loadedChecksum: string | undefined = '__never__';
  serverCertificate = '';
  restarts = 0;
  readonly tenants: string[] = [];
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly secretName: string,
    private readonly bundleSecretName: string,
    private readonly deployment: string,
  ) {}

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  private file(name: string): string {
    return join(this.dir, name);
  }

  private async syncFiles(): Promise<void> {
    const data = await secretData(this.client, this.namespace, this.secretName);
    if (!data?.['tls.crt'] || !data['tls.key']) return;
    for (const key of ['tls.crt', 'tls.key']) {
      const path = this.file(key);
      let current = '';
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        // not written yet
      }
      if (current !== data[key]) {
        writeFileSync(`${path}.tmp`, data[key]!);
        renameSync(`${path}.tmp`, path);
      }
    }
  }

  private async restartIfRolled(): Promise<void> {
    const deployment = await this.client.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: this.namespace,
      name: this.deployment,
    });
    const annotations = (
      deployment?.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined
    )?.template?.metadata?.annotations;
    const checksum = annotations?.[CA_CHECKSUM_ANNOTATION];
    if (checksum === this.loadedChecksum) return;
    // A new pod mounts the bundle Secret as it is now.
    const bundle = (await secretData(this.client, this.namespace, this.bundleSecretName))?.['ca.crt'];
    if (!bundle) return;
    this.caBundle = bundle;
    this.loadedChecksum = checksum;
    this.loadedMtime = '';
    this.restarts++;
  }

  /** Thanos stats cert and key at every handshake and reloads when either mtime changed. */
  private currentContext(): tls.SecureContext {
    const mtime = `${statSync(this.file('tls.crt')).mtimeMs}/${statSync(this.file('tls.key')).mtimeMs}`;
    if (!this.context || mtime !== this.loadedMtime) {
      this.serverCertificate = readFileSync(this.file('tls.crt'), 'utf8');
      this.context = tls.createSecureContext({
        cert: this.serverCertificate,
        key: readFileSync(this.file('tls.key'), 'utf8'),
        ca: this.caBundle,
        minVersion: 'TLSv1.3',
      });
      this.loadedMtime = mtime;
    }
    return this.context;
  }

  async start(): Promise<void> {
    await this.syncFiles();
    await this.restartIfRolled();
    this.server = tls.createServer(
      {
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.3',
        SNICallback: (_name, callback) => {
          try {
            callback(null, this.currentContext());
          } catch (error) {
            callback(error as Error);
          }
        },
      },
      (socket) => {
        // --receive.tenant-certificate-field=organization: the tenant comes from the verified client certificate.
        const tenant = socket.getPeerCertificate().subject?.O;
        this.tenants.push(String(tenant));
        socket.end(`ok ${String(tenant)}\n`);
      },
    );
    this.server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const loop = async (fn: () => Promise<void>) => {
      while (!this.stopped) {
        await fn().catch(() => undefined);
        await sleep(25);
      }
    };
    this.loops.push(
      loop(() => this.syncFiles()),
      loop(() => this.restartIfRolled()),
    );
  }

  /** Resolves once the "pod" runs with the checksum currently on the Deployment (what a finished rollout means). */
  async awaitRestarted(): Promise<void> {
    for (let i = 0; i < 400; i++) {
      const deployment = await this.client.get({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: this.namespace,
        name: this.deployment,
      });
      const want = (deployment?.spec as { template?: { metadata?: { annotations?: Record<string, string> } } }).template
        ?.metadata?.annotations?.[CA_CHECKSUM_ANNOTATION];
      if (want === this.loadedChecksum) return;
      await sleep(25);
    }
    throw new Error('router fixture did not restart');
  }

  /** Resolves once the server presents a certificate issued by `caPem`. */
  async awaitServerCertificateFrom(caPem: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (this.serverCertificate && isIssuedBy(this.serverCertificate, caPem)) return;
      await sleep(25);
    }
    throw new Error('router fixture never loaded a certificate from the new CA');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface HandshakeResult {
  ok: boolean;
  error?: string;
  certificateFingerprint: string;
  /** The tenant the server took from this connection's client certificate. */
  tenant?: string;
}

/** One remote-write client connection with the given material; ok only when the server answered (TLS 1.3 safe). */
export function handshake(
  port: number,
  servername: string,
  material: { cert: string; key: string; ca: string },
): Promise<HandshakeResult> {
  const fingerprint = new X509Certificate(material.cert).fingerprint256;
  return new Promise((resolve) => {
    let answer = '';
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername,
      cert: material.cert,
      key: material.key,
      ca: material.ca,
      minVersion: 'TLSv1.3',
    });
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), 5000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, error: error.message, certificateFingerprint: fingerprint });
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(
        answer.startsWith('ok ')
          ? { ok: true, certificateFingerprint: fingerprint, tenant: answer.slice(3).trim() }
          : { ok: false, error: `closed without answer (${answer})`, certificateFingerprint: fingerprint },
      );
    });
  });
}

/**
 * A Prometheus-like client: before every handshake it reads its delivered Secret (the files kubelet would
 * sync), then connects; a new handshake every ~20 ms until stopped or the bounds are hit.
 */
export class ContinuousClient {
  readonly results: HandshakeResult[] = [];
  readonly failures: HandshakeResult[] = [];
  lastCertificate = '';
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly secretName: string,
    private readonly port: () => number,
    private readonly servername: string,
    private readonly bounds = { maxHandshakes: 20_000, maxMs: 240_000 },
  ) {}

  start(): void {
    const started = Date.now();
    this.running = (async () => {
      while (
        !this.stopped &&
        this.results.length < this.bounds.maxHandshakes &&
        Date.now() - started < this.bounds.maxMs
      ) {
        const data = await secretData(this.client, this.namespace, this.secretName);
        if (data?.['tls.crt'] && data['tls.key'] && data['ca.crt']) {
          const result = await handshake(this.port(), this.servername, {
            cert: data['tls.crt'],
            key: data['tls.key'],
            ca: data['ca.crt'],
          });
          this.results.push(result);
          if (!result.ok) this.failures.push(result);
          else this.lastCertificate = data['tls.crt'];
        }
        await sleep(20);
      }
    })();
  }

  /** Resolves after a successful handshake made with a certificate issued by `caPem`. */
  async awaitHandshakeFrom(caPem: string): Promise<void> {
    const before = this.results.length;
    for (let i = 0; i < 400; i++) {
      if (this.results.length > before && this.lastCertificate && isIssuedBy(this.lastCertificate, caPem)) return;
      await sleep(25);
    }
    throw new Error('client never completed a handshake with a certificate from the new CA');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
