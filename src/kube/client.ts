import https from 'node:https';
import http from 'node:http';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { KubeObject } from '../model/objects.js';
import { abortReason, interrupted, InterruptedError, sleepUnlessInterrupted } from './interrupt.js';
import { ThanosGitopsError } from '../model/errors.js';
import { TOOL_VERSION } from '../model/version.js';

export { abortReason, interrupted, InterruptedError, sleepUnlessInterrupted, uninterruptible } from './interrupt.js';

/** How an object is addressed on the API: the served version is part of the URL, so apiVersion is required. */
export interface ObjectKey {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** One field the server refused to hand over because another field manager owns it. */
export interface FieldConflict {
  field: string;
  manager: string;
  message: string;
}

/** metav1.StatusCause: the JSON key of the cause type is `reason`. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/**
 * An error status from the apiserver, named after the object it concerns. The message never carries request bodies:
 * only the apiserver's own status message, which for Secrets is scrubbed of echoed values.
 */
export class KubeApiError extends ThanosGitopsError {
  override name = 'KubeApiError';
  readonly status: number;
  readonly reason: string;
  readonly object: string;
  readonly causes: StatusCause[];
  constructor(status: number, reason: string, object: string, message: string, causes: StatusCause[] = []) {
    super(`${object}: ${message} (HTTP ${status}${reason ? ` ${reason}` : ''})`);
    this.status = status;
    this.reason = reason;
    this.object = object;
    this.causes = causes;
  }

  /** Server-side apply conflicts, parsed from the 409 Status causes (`conflict with "kubectl" using apps/v1`). */
  get conflicts(): FieldConflict[] {
    if (this.status !== 409) return [];
    return this.causes
      .filter((cause) => cause.reason === 'FieldManagerConflict')
      .map((cause) => ({
        field: cause.field ?? '',
        manager: /conflict with "([^"]*)"/.exec(cause.message ?? '')?.[1] ?? 'unknown',
        message: cause.message ?? '',
      }));
  }
}

/** The apiserver could not be reached (after retries): connection refused, reset, timed out. */
export class KubeConnectionError extends ThanosGitopsError {
  override name = 'KubeConnectionError';
  constructor(
    readonly object: string,
    readonly code: string,
    message: string,
  ) {
    super(`${object}: cannot reach the Kubernetes API (${code}): ${message}`);
  }
}

export interface RetryOptions {
  /** Attempts after the first one. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface KubeClientOptions {
  /** Bearer token source called before every request; it caches and refreshes tokens itself (EKS tokens live 15 min). */
  tokenProvider?: () => Promise<string>;
  retry?: Partial<RetryOptions>;
  /** Concurrent connections to the apiserver. */
  maxSockets?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  userAgent?: string;
  /** Stops the run at the next request boundary when it fires (see InterruptedError); clean-up runs uninterruptible(). */
  signal?: AbortSignal;
}

/** True when the request URL asks the server for a dry-run (`dryRun=All`), whatever the body says. */
export function isDryRunPath(path: string): boolean {
  const query = path.indexOf('?');
  return query >= 0 && new URLSearchParams(path.slice(query + 1)).getAll('dryRun').includes('All');
}

/** What the client sent, for tests and reports (zero-write re-applies are proven by counting these). */
export interface RequestRecord {
  method: string;
  path: string;
  dryRun: boolean;
  status: number;
}

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  dryRun?: boolean;
}

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  dryRun?: boolean;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
}

export interface ResourceInfo {
  plural: string;
  namespaced: boolean;
  verbs: string[];
  subresources: string[];
}

interface ApiResourceList {
  resources: Array<{ name: string; kind: string; namespaced: boolean; verbs?: string[] }>;
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  details?: { causes?: StatusCause[] };
}

const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'ERR_SOCKET_CLOSED',
  'ECONNABORTED',
  'EHOSTUNREACH',
]);

function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export function describeKey(key: ObjectKey): string {
  return `${key.kind} ${key.namespace ? `${key.namespace}/` : ''}${key.name}`;
}

export function keyOf(object: KubeObject): ObjectKey {
  const key: ObjectKey = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name };
  if (object.metadata.namespace) key.namespace = object.metadata.namespace;
  return key;
}

/** Secret validation errors may echo the offending value; keep the field path, drop the value. */
function scrubMessage(kind: string, message: string): string {
  if (kind !== 'Secret') return message;
  return message.replace(/Invalid value: ("(?:[^"\\]|\\.)*"|\S+)/g, 'Invalid value: <redacted>');
}

/**
 * A small Kubernetes REST client over node:https with the kubeconfig's own TLS and auth. Bodies go out as the exact JSON
 * we hand it: @kubernetes/client-node 2.x re-serializes built-in kinds through its models and drops fields they do not
 * know (fact sheet section 3), which would silently lose manifest fields on server-side apply.
 */
const OBJECT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/**
 * What this tool's own bookkeeping reads and writes: the Lease lock, and the Secrets that hold release records and
 * ApplySet parents. Every conformant API server serves them at these paths, so taking the Lease does not wait for
 * discovery of the set's kinds.
 */
const BUILT_IN_RESOURCES: Readonly<Record<string, ResourceInfo>> = {
  'coordination.k8s.io/v1 Lease': { plural: 'leases', namespaced: true, verbs: OBJECT_VERBS, subresources: [] },
  'v1 Secret': { plural: 'secrets', namespaced: true, verbs: OBJECT_VERBS, subresources: [] },
};

export class KubeClient {
  readonly server: string;
  /** Requests of this client (or of this view: see forRun), so a long-lived process does not accumulate them. */
  readonly requests: RequestRecord[] = [];
  /** When it fires, the next request throws InterruptedError instead of being sent. */
  readonly signal: AbortSignal | undefined;
  private readonly agent: https.Agent | http.Agent;
  private readonly isHttps: boolean;
  private readonly retry: RetryOptions;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private staticHeaders: Record<string, string> | undefined;
  private readonly discovery = new Map<string, Promise<ApiResourceList | undefined>>();

  private constructor(
    private readonly kc: KubeConfig,
    tls: https.AgentOptions,
    private readonly dynamicAuth: boolean,
    private readonly tokenProvider: (() => Promise<string>) | undefined,
    options: KubeClientOptions,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig has no cluster for context '${kc.getCurrentContext()}'`);
    this.server = cluster.server.replace(/\/+$/, '');
    this.isHttps = this.server.startsWith('https:');
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 16 };
    this.agent = this.isHttps ? new https.Agent({ ...tls, ...agentOptions }) : new http.Agent(agentOptions);
    this.retry = { retries: 5, baseDelayMs: 200, maxDelayMs: 5_000, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.userAgent = options.userAgent ?? `thanos-gitops/${TOOL_VERSION}`;
    this.signal = options.signal;
  }

  /**
   * A view of this client for one run: the same connections, credentials and discovery cache, but its own request
   * records and abort signal. A warm Lambda container keeps one client and takes a view per invocation, so counts
   * (`writes`) are per invocation and records do not pile up across invocations.
   */
  forRun(signal?: AbortSignal): KubeClient {
    const view = Object.create(this) as KubeClient;
    Object.defineProperty(view, 'requests', { value: [], enumerable: true });
    Object.defineProperty(view, 'signal', { value: signal, enumerable: true });
    return view;
  }

  /**
   * A view of this client that also stops when `signal` fires: the same connections, discovery cache and request
   * records (so writes counted on this client include the view's), with both signals checked at every request.
   */
  withSignal(signal: AbortSignal): KubeClient {
    const view = Object.create(this) as KubeClient;
    Object.defineProperty(view, 'signal', {
      value: this.signal ? AbortSignal.any([this.signal, signal]) : signal,
      enumerable: true,
    });
    return view;
  }

  /** Sleeps between polls; ends early with InterruptedError when this client's signal fires. */
  pause(ms: number, what: string): Promise<void> {
    return sleepUnlessInterrupted(ms, this.signal, what);
  }

  static fromKubeConfig(kc: KubeConfig, options: KubeClientOptions = {}): KubeClient {
    const user = kc.getCurrentUser();
    // Exec plugins, auth providers and authenticators added with kc.addAuthenticator mint tokens that expire: ask the
    // kubeconfig for headers on every request (they cache internally). A static token or client cert is read once.
    const dynamicAuth =
      !options.tokenProvider &&
      !!user &&
      (!!user.exec || !!user.authProvider || (!user.token && !user.certData && !user.certFile));
    const tls: https.AgentOptions = {};
    const optsForTls: https.RequestOptions = {};
    // applyHTTPSOptions is synchronous inside applyToHTTPSOptions; we read only TLS material here.
    (kc as unknown as { applyHTTPSOptions(o: https.RequestOptions): void }).applyHTTPSOptions(optsForTls);
    for (const key of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const) {
      if (optsForTls[key] !== undefined) (tls as Record<string, unknown>)[key] = optsForTls[key];
    }
    const cluster = kc.getCurrentCluster();
    if (cluster?.tlsServerName) tls.servername = cluster.tlsServerName;
    return new KubeClient(kc, tls, dynamicAuth, options.tokenProvider, options);
  }

  static fromFile(path?: string, context?: string, options: KubeClientOptions = {}): KubeClient {
    const kc = new KubeConfig();
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
    if (context) {
      if (!kc.getContextObject(context)) {
        throw new Error(
          `kubeconfig ${path ?? '(default)'} has no context '${context}'; available: ${
            kc
              .getContexts()
              .map((c) => c.name)
              .join(', ') || 'none'
          }`,
        );
      }
      kc.setCurrentContext(context);
    }
    return KubeClient.fromKubeConfig(kc, options);
  }

  /** Releases pooled connections so a CLI or test process can exit. */
  close(): void {
    this.agent.destroy();
  }

  /** Requests that changed (or could have changed) state: every non-GET that was not a dry-run. */
  get writeCount(): number {
    return this.requests.filter((r) => r.method !== 'GET' && !r.dryRun).length;
  }

  private async authHeaders(): Promise<Record<string, string>> {
    if (this.tokenProvider) return { Authorization: `Bearer ${await this.tokenProvider()}` };
    if (!this.dynamicAuth && this.staticHeaders) return this.staticHeaders;
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      if (value !== undefined) headers[name] = String(value);
    }
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    if (!this.dynamicAuth) this.staticHeaders = headers;
    return headers;
  }

  /** Issues one request with retries on 429, 5xx and connection errors; returns parsed JSON or undefined for 404 when allowed. */
  async request<T>(
    method: string,
    path: string,
    options: {
      body?: unknown;
      contentType?: string;
      object: string;
      kind?: string;
      allow404?: boolean;
      dryRun?: boolean;
      retryConflict?: boolean;
    } = { object: path },
  ): Promise<T | undefined> {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    // What the server will do is decided by the URL, so that is what the record says (a `dryRun` option alone is not).
    const dryRun = isDryRunPath(path);
    let attempt = 0;
    for (;;) {
      if (interrupted(this.signal)) throw new InterruptedError(abortReason(this.signal as AbortSignal), options.object);
      let outcome: { status: number; text: string; retryAfter?: string };
      const auth = await this.authHeaders();
      try {
        outcome = await this.send(method, path, payload, options.contentType ?? 'application/json', auth);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'ERROR';
        this.requests.push({ method, path, dryRun, status: 0 });
        // A request the server sat on for the whole timeout is retried once, not `retries` times: a stuck server
        // would otherwise hold a run for many minutes.
        const allowed = code === 'ETIMEDOUT' ? Math.min(1, this.retry.retries) : this.retry.retries;
        if (attempt < allowed && RETRYABLE_CODES.has(code)) {
          await this.pause(this.backoff(attempt++), options.object);
          continue;
        }
        throw new KubeConnectionError(options.object, code, (error as Error).message);
      }
      this.requests.push({ method, path, dryRun, status: outcome.status });
      if (outcome.status >= 200 && outcome.status < 300) {
        return outcome.text ? (JSON.parse(outcome.text) as T) : undefined;
      }
      if (outcome.status === 404 && options.allow404) return undefined;
      const retryable =
        outcome.status === 429 || outcome.status >= 500 || (outcome.status === 409 && options.retryConflict === true);
      if (retryable && attempt < this.retry.retries) {
        const hinted = Number(outcome.retryAfter);
        await this.pause(
          Number.isFinite(hinted) && hinted > 0
            ? Math.min(hinted * 1000, this.retry.maxDelayMs)
            : this.backoff(attempt),
          options.object,
        );
        attempt++;
        continue;
      }
      throw this.toError(outcome.status, outcome.text, options.object, options.kind ?? '');
    }
  }

  private backoff(attempt: number): number {
    const exp = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
    return exp / 2 + Math.random() * (exp / 2);
  }

  private toError(status: number, text: string, object: string, kind: string): KubeApiError {
    let body: StatusBody = {};
    try {
      body = JSON.parse(text) as StatusBody;
    } catch {
      body = { message: text.slice(0, 300) || http.STATUS_CODES[status] || 'error' };
    }
    const causes = (body.details?.causes ?? []).map((cause) => ({
      ...cause,
      message: cause.message === undefined ? undefined : scrubMessage(kind, cause.message),
    }));
    return new KubeApiError(
      status,
      body.reason ?? '',
      object,
      scrubMessage(kind, body.message ?? http.STATUS_CODES[status] ?? 'error'),
      causes,
    );
  }

  private async send(
    method: string,
    path: string,
    payload: Buffer | undefined,
    contentType: string,
    auth: Record<string, string>,
  ): Promise<{ status: number; text: string; retryAfter?: string }> {
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.userAgent, ...auth };
    if (payload) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(payload.length);
    }
    const url = new URL(this.server + path);
    const transport = this.isHttps ? https : http;
    return await new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent: this.agent, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const result: { status: number; text: string; retryAfter?: string } = {
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          };
          const retryAfter = res.headers['retry-after'];
          if (typeof retryAfter === 'string') result.retryAfter = retryAfter;
          resolve(result);
        });
      });
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error(`no response within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  // ---- discovery ----

  private resourceList(apiVersion: string, refresh: boolean): Promise<ApiResourceList | undefined> {
    let cached = this.discovery.get(apiVersion);
    if (!cached || refresh) {
      cached = this.request<ApiResourceList>('GET', groupVersionPath(apiVersion), {
        object: `API group ${apiVersion}`,
        allow404: true,
      });
      this.discovery.set(apiVersion, cached);
      cached.catch(() => this.discovery.delete(apiVersion));
    }
    return cached;
  }

  private async findResource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const builtIn = BUILT_IN_RESOURCES[`${apiVersion} ${kind}`];
    if (builtIn) return builtIn;
    const pick = (list: ApiResourceList | undefined) => {
      const entry = list?.resources?.find((r) => r.kind === kind && !r.name.includes('/'));
      if (!entry || !list) return undefined;
      const subresources = list.resources
        .filter((r) => r.name.startsWith(`${entry.name}/`))
        .map((r) => r.name.slice(entry.name.length + 1));
      return { plural: entry.name, namespaced: entry.namespaced, verbs: entry.verbs ?? [], subresources };
    };
    // A CRD may have been installed since the list was cached: look again once before saying "not served".
    return pick(await this.resourceList(apiVersion, false)) ?? pick(await this.resourceList(apiVersion, true));
  }

  /** Served versions of an API group, preferred first (empty when the group is not served). */
  async preferredVersions(group: string): Promise<string[]> {
    const found = await this.request<{ preferredVersion?: { version: string }; versions?: Array<{ version: string }> }>(
      'GET',
      `/apis/${group}`,
      {
        object: `API group ${group}`,
        allow404: true,
      },
    );
    if (!found) return [];
    const versions = (found.versions ?? []).map((v) => v.version);
    const preferred = found.preferredVersion?.version;
    return preferred ? [preferred, ...versions.filter((v) => v !== preferred)] : versions;
  }

  /** Whether the apiserver serves this kind at this version (CRD installed and established). */
  async isServed(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.findResource(apiVersion, kind)) !== undefined;
  }

  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const info = await this.findResource(apiVersion, kind);
    if (!info)
      throw new Error(
        `the API server does not serve ${kind} in ${apiVersion}: install its CustomResourceDefinition or remove the objects`,
      );
    return info;
  }

  /** The REST path of a collection or, with a name, of one object. */
  async path(
    key: { apiVersion: string; kind: string; namespace?: string; name?: string },
    subresource?: string,
  ): Promise<string> {
    const info = await this.resource(key.apiVersion, key.kind);
    let path = groupVersionPath(key.apiVersion);
    if (info.namespaced) {
      if (key.namespace) path += `/namespaces/${encodeURIComponent(key.namespace)}`;
      else if (key.name)
        throw new Error(`${describeKey({ ...key, name: key.name })}: namespaced kind without a namespace`);
    }
    path += `/${info.plural}`;
    if (key.name) path += `/${encodeURIComponent(key.name)}`;
    if (subresource) path += `/${subresource}`;
    return path;
  }

  // ---- objects ----

  /** GET of a non-JSON path (e.g. a pod's /metrics through the apiserver's pod proxy) as text. */
  async getText(path: string, object = path): Promise<string> {
    const auth = await this.authHeaders();
    const outcome = await this.send('GET', path, undefined, 'application/json', auth);
    this.requests.push({ method: 'GET', path, dryRun: false, status: outcome.status });
    if (outcome.status >= 300) throw this.toError(outcome.status, outcome.text, object, '');
    return outcome.text;
  }

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    return this.request<KubeObject>('GET', await this.path(key), {
      object: describeKey(key),
      kind: key.kind,
      allow404: true,
    });
  }

  async list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KubeObject[]> {
    const base = await this.path(namespace ? { apiVersion, kind, namespace } : { apiVersion, kind });
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '500' });
      if (labelSelector) query.set('labelSelector', labelSelector);
      if (continueToken) query.set('continue', continueToken);
      const page = await this.request<{ items: KubeObject[]; metadata?: { continue?: string } }>(
        'GET',
        `${base}?${query}`,
        {
          object: `${kind} list${namespace ? ` in ${namespace}` : ''}`,
          kind,
        },
      );
      // List items omit apiVersion/kind; put them back so objects are self-describing.
      for (const item of page?.items ?? []) items.push({ ...item, apiVersion, kind });
      continueToken = page?.metadata?.continue || undefined;
    } while (continueToken);
    return items;
  }

  /** Server-side apply (application/apply-patch+yaml with a JSON body, which YAML parses as-is). */
  async apply(object: KubeObject, options: ApplyOptions): Promise<KubeObject> {
    const query = new URLSearchParams({ fieldManager: options.fieldManager });
    if (options.force) query.set('force', 'true');
    if (options.dryRun) query.set('dryRun', 'All');
    const result = await this.request<KubeObject>('PATCH', `${await this.path(keyOf(object))}?${query}`, {
      body: object,
      contentType: 'application/apply-patch+yaml',
      object: describeKey(keyOf(object)),
      kind: object.kind,
      dryRun: !!options.dryRun,
    });
    if (!result) throw new Error(`${describeKey(keyOf(object))}: empty apply response`);
    return result;
  }

  async create(object: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const key = keyOf(object);
    const result = await this.request<KubeObject>(
      'POST',
      `${await this.path(key.namespace ? { apiVersion: key.apiVersion, kind: key.kind, namespace: key.namespace } : { apiVersion: key.apiVersion, kind: key.kind })}${this.writeQuery(options)}`,
      {
        body: object,
        object: describeKey(key),
        kind: object.kind,
        dryRun: !!options.dryRun,
      },
    );
    if (!result) throw new Error(`${describeKey(key)}: empty create response`);
    return result;
  }

  /** PUT; include metadata.resourceVersion for optimistic concurrency (a 409 means someone else wrote first). */
  async replace(object: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const key = keyOf(object);
    const result = await this.request<KubeObject>('PUT', `${await this.path(key)}${this.writeQuery(options)}`, {
      body: object,
      object: describeKey(key),
      kind: object.kind,
      dryRun: !!options.dryRun,
    });
    if (!result) throw new Error(`${describeKey(key)}: empty replace response`);
    return result;
  }

  /** PUT on the status subresource (tests drive rollout status this way: there is no kubelet). */
  async replaceStatus(object: KubeObject): Promise<KubeObject> {
    const key = keyOf(object);
    const result = await this.request<KubeObject>('PUT', await this.path(key, 'status'), {
      body: object,
      object: describeKey(key),
      kind: object.kind,
    });
    if (!result) throw new Error(`${describeKey(key)}: empty status response`);
    return result;
  }

  /** Returns false when the object was already gone. */
  async delete(key: ObjectKey, options: DeleteOptions = {}): Promise<boolean> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.dryRun) body.dryRun = ['All'];
    const result = await this.request<unknown>(
      'DELETE',
      `${await this.path(key)}${options.dryRun ? '?dryRun=All' : ''}`,
      { body, object: describeKey(key), kind: key.kind, allow404: true, dryRun: !!options.dryRun },
    );
    return result !== undefined;
  }

  async patchMerge(key: ObjectKey, patch: unknown, options: WriteOptions = {}): Promise<KubeObject> {
    const result = await this.request<KubeObject>('PATCH', `${await this.path(key)}${this.writeQuery(options)}`, {
      body: patch,
      contentType: 'application/merge-patch+json',
      object: describeKey(key),
      kind: key.kind,
      dryRun: !!options.dryRun,
    });
    if (!result) throw new Error(`${describeKey(key)}: empty patch response`);
    return result;
  }

  private writeQuery(options: WriteOptions): string {
    const query = new URLSearchParams();
    if (options.fieldManager) query.set('fieldManager', options.fieldManager);
    if (options.dryRun) query.set('dryRun', 'All');
    const text = query.toString();
    return text ? `?${text}` : '';
  }
}
