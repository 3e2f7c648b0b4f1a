// The EKS bearer token, made exactly as `aws eks get-token` (awscli customizations/eks/get_token.py) and
// aws-iam-authenticator make it: a presigned regional STS GetCallerIdentity URL whose signed headers include
// `x-k8s-aws-id: <cluster>`, prefixed `k8s-aws-v1.` and base64url-encoded without padding. EKS replays the URL
// against STS to learn the caller, so the URL must be byte-for-byte what STS expects.
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** Both reference tools presign for 60 s; STS then honours the URL for 15 min after X-Amz-Date. */
export const PRESIGN_EXPIRES_SECONDS = 60;
/** What aws-cli reports as expirationTimestamp: 14 min, one below the server's 15-min window. */
export const TOKEN_LIFETIME_MS = 14 * 60_000;
/** A long-running caller (a Lambda may run 15 min) mints a fresh token once the cached one is this old. */
export const TOKEN_REFRESH_AFTER_MS = 10 * 60_000;

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  expiration?: Date | undefined;
}

export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export interface EksToken {
  token: string;
  /** The instant the token was signed (X-Amz-Date). */
  issuedAt: Date;
  /** issuedAt + 14 min, as aws-cli reports it. */
  expiresAt: Date;
}

export function stsHostname(region: string): string {
  return `sts.${region}.amazonaws.com`;
}

// botocore percent-encodes query values with urllib's quote(safe='-_.~'), which is RFC 3986 unreserved only.
function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

// The order botocore writes the presigned query in; the signature covers the sorted form, but the token is the
// URL text, so matching aws-cli byte for byte needs the same order.
const QUERY_ORDER = [
  'Action',
  'Version',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Security-Token',
  'X-Amz-Signature',
];

/** The presigned `GET https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity&...` URL for one cluster. */
export async function presignGetCallerIdentity(options: {
  clusterName: string;
  region: string;
  credentials: AwsCredentials;
  now: Date;
}): Promise<string> {
  const hostname = stsHostname(options.region);
  const signer = new SignatureV4({
    service: 'sts',
    region: options.region,
    sha256: Hash.bind(null, 'sha256'),
    credentials: {
      accessKeyId: options.credentials.accessKeyId,
      secretAccessKey: options.credentials.secretAccessKey,
      ...(options.credentials.sessionToken ? { sessionToken: options.credentials.sessionToken } : {}),
    },
    uriEscapePath: true,
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    // `host` must be present to be signed; x-k8s-aws-id is not an x-amz- header, so it stays a signed header.
    headers: { host: hostname, [CLUSTER_ID_HEADER]: options.clusterName },
  });
  const signed = await signer.presign(request, { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: options.now });
  const query = signed.query as Record<string, string | string[] | null>;
  const unknown = Object.keys(query).filter((key) => !QUERY_ORDER.includes(key));
  if (unknown.length > 0) throw new Error(`EKS token: unexpected presigned query parameters ${unknown.join(', ')}`);
  const parts: string[] = [];
  for (const key of QUERY_ORDER) {
    const value = query[key];
    if (typeof value === 'string') parts.push(`${key}=${encodeRfc3986(value)}`);
  }
  return `https://${hostname}/?${parts.join('&')}`;
}

export function encodeEksToken(presignedUrl: string): string {
  return EKS_TOKEN_PREFIX + Buffer.from(presignedUrl, 'utf8').toString('base64url');
}

/** The presigned URL inside a token; throws when the text is not an EKS token. */
export function decodeEksToken(token: string): URL {
  if (!token.startsWith(EKS_TOKEN_PREFIX)) throw new Error(`not an EKS token: it must start with ${EKS_TOKEN_PREFIX}`);
  const url = new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  if (url.protocol !== 'https:' || !/^sts\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(url.hostname)) {
    throw new Error('not an EKS token: the URL inside is not a regional STS endpoint');
  }
  return url;
}

export async function createEksToken(options: {
  clusterName: string;
  region: string;
  credentials: AwsCredentials;
  now?: Date;
}): Promise<EksToken> {
  const issuedAt = options.now ?? new Date();
  const url = await presignGetCallerIdentity({ ...options, now: issuedAt });
  return { token: encodeEksToken(url), issuedAt, expiresAt: new Date(issuedAt.getTime() + TOKEN_LIFETIME_MS) };
}

export type ExecCredentialApiVersion = 'client.authentication.k8s.io/v1beta1' | 'client.authentication.k8s.io/v1';

/**
 * The ExecCredential `aws eks get-token` prints: Python's json.dumps with its default separators, keys in
 * aws-cli's order, and expirationTimestamp as RFC 3339 with whole seconds (`%Y-%m-%dT%H:%M:%SZ`).
 */
export function formatExecCredential(token: EksToken, apiVersion: ExecCredentialApiVersion): string {
  const expiration = token.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const object = {
    kind: 'ExecCredential',
    apiVersion,
    spec: {},
    status: { expirationTimestamp: expiration, token: token.token },
  };
  return `${pythonJson(object)}\n`;
}

// json.dumps(obj) with default separators (', ', ': ') and ensure_ascii: enough for the strings above.
function pythonJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`,
  );
  return `{${entries.join(', ')}}`;
}

/** aws-cli's apiVersion choice: KUBERNETES_EXEC_INFO's apiVersion when it is a supported one, else v1beta1. */
export function execCredentialApiVersion(execInfo: string | undefined): ExecCredentialApiVersion {
  if (!execInfo) return 'client.authentication.k8s.io/v1beta1';
  try {
    const parsed = JSON.parse(execInfo) as { apiVersion?: unknown };
    if (parsed.apiVersion === 'client.authentication.k8s.io/v1') return parsed.apiVersion;
  } catch {
    // Malformed: aws-cli falls back to v1beta1 too.
  }
  return 'client.authentication.k8s.io/v1beta1';
}

export interface AssumeRoleOptions {
  roleArn: string;
  /** Default `thanos-gitops` (aws-cli's get-token uses `EKSGetTokenAuth`). */
  sessionName?: string | undefined;
  /** For cross-account roles whose trust policy requires sts:ExternalId. */
  externalId?: string | undefined;
  region: string;
  /** Credentials to call AssumeRole with; the SDK's default chain when omitted. */
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>) | undefined;
  durationSeconds?: number | undefined;
}

/** sts:AssumeRole into the cluster-access role (regional STS; AWS_ENDPOINT_URL_STS overrides it in tests). */
export async function assumeClusterRole(options: AssumeRoleOptions): Promise<AwsCredentials> {
  const client = new STSClient({
    region: options.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  try {
    const response = await client.send(
      new AssumeRoleCommand({
        RoleArn: options.roleArn,
        RoleSessionName: options.sessionName ?? 'thanos-gitops',
        ...(options.externalId ? { ExternalId: options.externalId } : {}),
        ...(options.durationSeconds ? { DurationSeconds: options.durationSeconds } : {}),
      }),
    );
    const c = response.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('the response carried no credentials');
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  } catch (error) {
    throw new Error(
      `sts:AssumeRole into ${options.roleArn} failed: ${(error as Error).message}. Check that the caller may assume the role and the role's trust policy (external id, session name).`,
    );
  } finally {
    client.destroy();
  }
}

export interface EksTokenProviderOptions {
  clusterName: string;
  region: string;
  /** Where signing credentials come from (called again when assumed-role credentials near expiry). */
  credentials: () => Promise<AwsCredentials>;
  clock?: Clock;
  refreshAfterMs?: number;
}

/**
 * Hands out a cached token and mints a new one once the cached one is older than refreshAfterMs (10 min), so a
 * run longer than the token's 14-minute life never presents an expired token.
 */
export class EksTokenProvider {
  private cached: EksToken | undefined;
  private pending: Promise<EksToken> | undefined;
  private readonly clock: Clock;
  private readonly refreshAfterMs: number;
  /** How many tokens this provider has minted; tests read it. */
  minted = 0;

  constructor(private readonly options: EksTokenProviderOptions) {
    this.clock = options.clock ?? systemClock;
    this.refreshAfterMs = options.refreshAfterMs ?? TOKEN_REFRESH_AFTER_MS;
  }

  async token(): Promise<string> {
    return (await this.current()).token;
  }

  async current(): Promise<EksToken> {
    const now = this.clock();
    if (this.cached && now.getTime() - this.cached.issuedAt.getTime() < this.refreshAfterMs) return this.cached;
    this.pending ??= (async () => {
      try {
        const credentials = await this.options.credentials();
        const token = await createEksToken({
          clusterName: this.options.clusterName,
          region: this.options.region,
          credentials,
          now,
        });
        this.minted += 1;
        this.cached = token;
        return token;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}

/**
 * Caches credentials from `load` until they are within `marginMs` of their expiration (static credentials
 * without an expiration are loaded once).
 */
export function cachedCredentials(
  load: () => Promise<AwsCredentials>,
  clock: Clock = systemClock,
  marginMs = 5 * 60_000,
): () => Promise<AwsCredentials> {
  let cached: AwsCredentials | undefined;
  return async () => {
    if (cached && (!cached.expiration || cached.expiration.getTime() - clock().getTime() > marginMs)) return cached;
    cached = await load();
    return cached;
  };
}
