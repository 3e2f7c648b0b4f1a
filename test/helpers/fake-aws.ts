/**
 * Local stand-ins for the AWS APIs thanos-gitops calls, at the HTTP level, on 127.0.0.1: STS (AssumeRole,
 * AssumeRoleWithWebIdentity, presigned GetCallerIdentity), EKS DescribeCluster and Lambda Invoke, answering in the
 * shapes the real services return (STS Query/XML from the STS API reference examples, EKS and Lambda REST/JSON).
 * The real SDK v3 clients reach it through AWS_ENDPOINT_URL. Every SigV4-signed request is verified against the
 * secret of the key it names, so a call signed with the wrong or an unknown key fails as AWS would (403).
 *
 * Also an EKS-style authenticating proxy: an HTTPS front for the test kube-apiserver that accepts only
 * `k8s-aws-v1.` bearer tokens, validates them the way EKS (aws-iam-authenticator) does, replaying the presigned
 * GetCallerIdentity URL against the fake STS with its own cluster id, maps the caller's ARN to an apiserver
 * identity (like an access entry) and forwards the request with that identity's token.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface KnownKey {
  secretAccessKey: string;
  sessionToken?: string;
  /** The identity GetCallerIdentity reports for this key. */
  arn: string;
}

export interface FakeCluster {
  endpoint: string;
  /** Base64 PEM. */
  caData: string;
  status?: string;
}

export interface InvokeContext {
  /** The ARN of the identity that signed the Invoke. */
  caller: string;
  invocationType: string;
}

/** A function's code: returns the response payload, or throws (reported as X-Amz-Function-Error: Unhandled). */
export type FakeFunction = (payload: unknown, context: InvokeContext) => Promise<unknown>;

export interface RecordedCall {
  service: 'sts' | 'eks' | 'lambda' | 'unknown';
  operation: string;
  /** Access key id that signed the request ('' when unsigned). */
  accessKeyId: string;
  caller: string;
  status: number;
  params: Record<string, string>;
  /** Raw request body (Invoke payloads, STS forms) for leak checks. */
  body: string;
  headers: http.IncomingHttpHeaders;
}

export interface FakeAwsOptions {
  accountId?: string;
  region?: string;
  /** Long-term keys the fake knows (e.g. the Lambda's execution role session). */
  keys?: Record<string, KnownKey>;
  clusters?: Record<string, FakeCluster>;
  functions?: Record<
    string,
    { handler: FakeFunction /** ARN prefixes allowed to invoke, like the roles' IAM policy. */; invokers?: string[] }
  >;
  /** Checks a web identity token (GitHub OIDC JWT) and returns its claims; throw to refuse. */
  verifyWebIdentity?: (token: string, roleArn: string) => Promise<Record<string, unknown>>;
  /** Roles AssumeRole may enter, and which caller ARN prefixes may assume each (the trust policy). */
  roles?: Record<string, { trusted: string[]; externalId?: string }>;
}

export interface FakeAws {
  url: string;
  calls: RecordedCall[];
  /** Keys handed out by AssumeRole*, by access key id. */
  issued: Map<string, KnownKey>;
  close(): Promise<void>;
}

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

function xmlEscape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function stsError(code: string, message: string, type = 'Sender'): string {
  return `<ErrorResponse xmlns="${STS_NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`;
}

function credentialsXml(key: {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}): string {
  return `    <Credentials>\n      <AccessKeyId>${key.accessKeyId}</AccessKeyId>\n      <SecretAccessKey>${xmlEscape(key.secretAccessKey)}</SecretAccessKey>\n      <SessionToken>${xmlEscape(key.sessionToken)}</SessionToken>\n      <Expiration>${key.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z')}</Expiration>\n    </Credentials>\n`;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface ParsedAuth {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string | undefined): ParsedAuth | undefined {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      header ?? '',
    );
  if (!match) return undefined;
  return {
    accessKeyId: match[1]!,
    date: match[2]!,
    region: match[3]!,
    service: match[4]!,
    signedHeaders: match[5]!.split(';'),
    signature: match[6]!,
  };
}

function amzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) throw new Error(`bad X-Amz-Date ${value}`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

function signer(
  service: string,
  region: string,
  key: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined },
): SignatureV4 {
  return new SignatureV4({
    service,
    region,
    sha256: Hash.bind(null, 'sha256'),
    credentials: {
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      ...(key.sessionToken ? { sessionToken: key.sessionToken } : {}),
    },
    // S3 is the only service that does not double-encode the path; none of ours is S3.
    uriEscapePath: true,
  });
}

function queryOf(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  return query;
}

export async function startFakeAws(options: FakeAwsOptions = {}): Promise<FakeAws> {
  const accountId = options.accountId ?? '111122223333';
  const keys = new Map<string, KnownKey>(Object.entries(options.keys ?? {}));
  const issued = new Map<string, KnownKey>();
  const calls: RecordedCall[] = [];
  const lookup = (id: string) => keys.get(id) ?? issued.get(id);

  function issue(
    roleArn: string,
    sessionName: string,
  ): {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
    expiration: Date;
    assumedArn: string;
    assumedId: string;
  } {
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    const sessionToken = `IQoJb3JpZ2luX2Vj${randomBytes(48).toString('base64')}`;
    const roleName = roleArn.split('/').pop() ?? 'role';
    const assumedArn = `arn:aws:sts::${roleArn.split(':')[4] || accountId}:assumed-role/${roleName}/${sessionName}`;
    issued.set(accessKeyId, { secretAccessKey, sessionToken, arn: assumedArn });
    return {
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiration: new Date(Date.now() + 3600_000),
      assumedArn,
      assumedId: `AROA${randomBytes(8).toString('hex').toUpperCase()}:${sessionName}`,
    };
  }

  /** Verifies a header-signed request; returns the signer's key id or an error text. */
  async function verifyHeaderSignature(
    req: http.IncomingMessage,
    url: URL,
    body: Buffer,
  ): Promise<{ auth: ParsedAuth; key: KnownKey } | string> {
    const auth = parseAuthorization(req.headers.authorization);
    if (!auth) return 'missing or malformed Authorization header';
    const key = lookup(auth.accessKeyId);
    if (!key) return `The security token included in the request is invalid (unknown access key ${auth.accessKeyId})`;
    const token = req.headers['x-amz-security-token'];
    if ((key.sessionToken ?? '') !== (typeof token === 'string' ? token : ''))
      return 'The security token included in the request is invalid';
    const dateHeader = req.headers['x-amz-date'];
    if (typeof dateHeader !== 'string') return 'missing X-Amz-Date';
    const headers: Record<string, string> = {};
    for (const name of auth.signedHeaders) {
      const value = req.headers[name];
      if (value === undefined) return `signed header ${name} is missing`;
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const request = new HttpRequest({
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: url.pathname,
      query: queryOf(url),
      headers,
      body,
    });
    const signed = await signer(auth.service, auth.region, {
      accessKeyId: auth.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      sessionToken: key.sessionToken,
    }).sign(request, {
      signingDate: amzDate(dateHeader),
      signableHeaders: new Set(auth.signedHeaders),
    });
    const expected = parseAuthorization(signed.headers.authorization ?? signed.headers.Authorization);
    if (expected?.signature !== auth.signature)
      return 'The request signature we calculated does not match the signature you provided';
    return { auth, key };
  }

  /** Verifies a presigned GetCallerIdentity GET as STS does (the EKS authenticator's replay). */
  async function verifyPresigned(req: http.IncomingMessage, url: URL): Promise<KnownKey | string> {
    const q = queryOf(url);
    const credential = q['X-Amz-Credential']?.split('/');
    if (credential?.length !== 5) return 'missing X-Amz-Credential';
    const [accessKeyId, , region, service] = credential as [string, string, string, string, string];
    const key = lookup(accessKeyId);
    if (!key) return `The security token included in the request is invalid (unknown access key ${accessKeyId})`;
    if ((key.sessionToken ?? '') !== (q['X-Amz-Security-Token'] ?? ''))
      return 'The security token included in the request is invalid';
    const date = amzDate(q['X-Amz-Date'] ?? '');
    const expires = Number(q['X-Amz-Expires']);
    if (!(expires >= 0 && expires <= 900)) return 'X-Amz-Expires must be between 0 and 900';
    const signedHeaders = (q['X-Amz-SignedHeaders'] ?? '').split(';');
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      const value = req.headers[name];
      if (typeof value !== 'string') return `signed header ${name} is missing`;
      headers[name] = value;
    }
    const { 'X-Amz-Signature': signature, ...unsigned } = q;
    for (const k of [
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Security-Token',
    ])
      delete unsigned[k];
    const request = new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname: headers.host ?? '',
      path: url.pathname,
      query: unsigned,
      headers,
    });
    const presigned = await signer(service, region, {
      accessKeyId,
      secretAccessKey: key.secretAccessKey,
      sessionToken: key.sessionToken,
    }).presign(request, { signingDate: date, expiresIn: expires });
    if (presigned.query?.['X-Amz-Signature'] !== signature)
      return 'The request signature we calculated does not match the signature you provided';
    return key;
  }

  async function handleSts(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    body: Buffer,
    record: RecordedCall,
  ): Promise<void> {
    const xml = (status: number, text: string) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }).end(text);
    };
    if (req.method === 'GET' && url.searchParams.get('Action') === 'GetCallerIdentity') {
      record.operation = 'GetCallerIdentity';
      record.params = queryOf(url);
      record.accessKeyId = url.searchParams.get('X-Amz-Credential')?.split('/')[0] ?? '';
      const verified = await verifyPresigned(req, url);
      if (typeof verified === 'string') return xml(403, stsError('SignatureDoesNotMatch', verified));
      record.caller = verified.arn;
      const userId = `AROA${accountId}:${verified.arn.split('/').pop()}`;
      if (String(req.headers.accept ?? '').includes('application/json')) {
        record.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            GetCallerIdentityResponse: {
              GetCallerIdentityResult: { Account: verified.arn.split(':')[4], Arn: verified.arn, UserId: userId },
              ResponseMetadata: { RequestId: randomUUID() },
            },
          }),
        );
        return;
      }
      return xml(
        200,
        `<GetCallerIdentityResponse xmlns="${STS_NS}">\n  <GetCallerIdentityResult>\n    <Arn>${xmlEscape(verified.arn)}</Arn>\n    <UserId>${userId}</UserId>\n    <Account>${verified.arn.split(':')[4]}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`,
      );
    }
    const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    record.params = form;
    record.operation = form.Action ?? 'unknown';
    if (form.Action === 'AssumeRoleWithWebIdentity') {
      // Unsigned by design: the web identity token is the credential.
      const roleArn = form.RoleArn ?? '';
      let claims: Record<string, unknown>;
      try {
        if (!options.verifyWebIdentity) throw new Error('no web identity provider configured');
        claims = await options.verifyWebIdentity(form.WebIdentityToken ?? '', roleArn);
      } catch (error) {
        return xml(
          403,
          stsError(
            'AccessDenied',
            `Not authorized to perform sts:AssumeRoleWithWebIdentity: ${(error as Error).message}`,
          ),
        );
      }
      const session = issue(roleArn, form.RoleSessionName ?? 'web-identity');
      record.caller = session.assumedArn;
      return xml(
        200,
        `<AssumeRoleWithWebIdentityResponse xmlns="${STS_NS}">\n  <AssumeRoleWithWebIdentityResult>\n    <Audience>${xmlEscape(String(claims.aud ?? ''))}</Audience>\n    <AssumedRoleUser>\n      <Arn>${session.assumedArn}</Arn>\n      <AssumedRoleId>${session.assumedId}</AssumedRoleId>\n    </AssumedRoleUser>\n    <Provider>arn:aws:iam::${accountId}:oidc-provider/token.actions.githubusercontent.com</Provider>\n${credentialsXml(session)}    <SubjectFromWebIdentityToken>${xmlEscape(String(claims.sub ?? ''))}</SubjectFromWebIdentityToken>\n  </AssumeRoleWithWebIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleWithWebIdentityResponse>\n`,
      );
    }
    const verified = await verifyHeaderSignature(req, url, body);
    if (typeof verified === 'string') return xml(403, stsError('SignatureDoesNotMatch', verified));
    record.accessKeyId = verified.auth.accessKeyId;
    record.caller = verified.key.arn;
    if (form.Action === 'AssumeRole') {
      const roleArn = form.RoleArn ?? '';
      const role = options.roles?.[roleArn];
      if (!role?.trusted.some((prefix) => verified.key.arn.startsWith(prefix))) {
        return xml(
          403,
          stsError(
            'AccessDenied',
            `User: ${verified.key.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
          ),
        );
      }
      if (role.externalId !== undefined && role.externalId !== form.ExternalId) {
        return xml(
          403,
          stsError(
            'AccessDenied',
            `User: ${verified.key.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
          ),
        );
      }
      const session = issue(roleArn, form.RoleSessionName ?? 'session');
      return xml(
        200,
        `<AssumeRoleResponse xmlns="${STS_NS}">\n  <AssumeRoleResult>\n    <AssumedRoleUser>\n      <Arn>${session.assumedArn}</Arn>\n      <AssumedRoleId>${session.assumedId}</AssumedRoleId>\n    </AssumedRoleUser>\n${credentialsXml(session)}  </AssumeRoleResult>\n  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n`,
      );
    }
    return xml(400, stsError('InvalidAction', `Could not find operation ${form.Action ?? ''} for version 2011-06-15`));
  }

  async function handleEks(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    body: Buffer,
    record: RecordedCall,
  ): Promise<void> {
    const json = (status: number, value: unknown, errorType?: string) => {
      record.status = status;
      res
        .writeHead(status, {
          'content-type': 'application/json',
          'x-amzn-requestid': randomUUID(),
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        })
        .end(JSON.stringify(value));
    };
    const verified = await verifyHeaderSignature(req, url, body);
    if (typeof verified === 'string') return json(403, { message: verified }, 'InvalidSignatureException');
    record.accessKeyId = verified.auth.accessKeyId;
    record.caller = verified.key.arn;
    const match = /^\/clusters\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !match)
      return json(404, { message: `no route ${req.method} ${url.pathname}` }, 'ResourceNotFoundException');
    record.operation = 'DescribeCluster';
    const name = decodeURIComponent(match[1]!);
    record.params = { name };
    const cluster = options.clusters?.[name];
    if (!cluster) return json(404, { message: `No cluster found for name: ${name}.` }, 'ResourceNotFoundException');
    const region = options.region ?? verified.auth.region;
    return json(200, {
      cluster: {
        name,
        arn: `arn:aws:eks:${region}:${accountId}:cluster/${name}`,
        createdAt: 1.7e9,
        version: '1.34',
        endpoint: cluster.endpoint,
        roleArn: `arn:aws:iam::${accountId}:role/eks-cluster-role`,
        resourcesVpcConfig: {
          subnetIds: ['subnet-0a1b2c3d'],
          securityGroupIds: [],
          clusterSecurityGroupId: 'sg-0a1b2c3d',
          vpcId: 'vpc-0a1b2c3d',
          endpointPublicAccess: false,
          endpointPrivateAccess: true,
          publicAccessCidrs: [],
        },
        kubernetesNetworkConfig: { serviceIpv4Cidr: '10.100.0.0/16', ipFamily: 'ipv4' },
        logging: {
          clusterLogging: [
            { types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false },
          ],
        },
        identity: { oidc: { issuer: `https://oidc.eks.${region}.amazonaws.com/id/EXAMPLE0123456789` } },
        status: cluster.status ?? 'ACTIVE',
        certificateAuthority: { data: cluster.caData },
        platformVersion: 'eks.7',
        tags: {},
        accessConfig: { authenticationMode: 'API' },
      },
    });
  }

  async function handleLambda(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    body: Buffer,
    record: RecordedCall,
  ): Promise<void> {
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res
        .writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers })
        .end(typeof value === 'string' ? value : JSON.stringify(value));
    };
    const verified = await verifyHeaderSignature(req, url, body);
    if (typeof verified === 'string')
      return json(403, { message: verified }, { 'x-amzn-errortype': 'InvalidSignatureException' });
    record.accessKeyId = verified.auth.accessKeyId;
    record.caller = verified.key.arn;
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    if (req.method !== 'POST' || !match)
      return json(
        404,
        { message: `no route ${req.method} ${url.pathname}` },
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
      );
    record.operation = 'Invoke';
    const name = decodeURIComponent(match[1]!).split(':').pop() ?? '';
    const fn =
      options.functions?.[name] ??
      Object.entries(options.functions ?? {}).find(([n]) =>
        decodeURIComponent(match[1]!).endsWith(`:function:${n}`),
      )?.[1];
    record.params = { FunctionName: decodeURIComponent(match[1]!) };
    if (!fn)
      return json(
        404,
        {
          Type: 'User',
          message: `Function not found: arn:aws:lambda:${verified.auth.region}:${accountId}:function:${name}`,
        },
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
      );
    if (fn.invokers && !fn.invokers.some((prefix) => verified.key.arn.startsWith(prefix))) {
      return json(
        403,
        {
          Message: `User: ${verified.key.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${name} because no identity-based policy allows the lambda:InvokeFunction action`,
        },
        { 'x-amzn-errortype': 'AccessDeniedException' },
      );
    }
    const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    let payload: unknown;
    try {
      payload = body.length ? JSON.parse(body.toString('utf8')) : {};
    } catch {
      return json(
        400,
        { Type: 'User', message: 'Could not parse request body into json' },
        { 'x-amzn-errortype': 'InvalidRequestContentException' },
      );
    }
    try {
      const result = await fn.handler(payload, { caller: verified.key.arn, invocationType });
      return json(200, result === undefined ? 'null' : JSON.stringify(result), { 'x-amz-executed-version': '$LATEST' });
    } catch (error) {
      const failure = error as Error;
      return json(
        200,
        { errorType: failure.name || 'Error', errorMessage: failure.message, trace: [] },
        { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
      );
    }
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(req);
      const auth = parseAuthorization(req.headers.authorization);
      const record: RecordedCall = {
        service: 'unknown',
        operation: 'unknown',
        accessKeyId: auth?.accessKeyId ?? '',
        caller: '',
        status: 0,
        params: {},
        body: body.toString('utf8'),
        headers: req.headers,
      };
      calls.push(record);
      try {
        const isSts =
          auth?.service === 'sts' ||
          url.searchParams.get('Action') === 'GetCallerIdentity' ||
          /(^|&)Action=AssumeRoleWithWebIdentity(&|$)/.test(record.body);
        if (isSts) {
          record.service = 'sts';
          await handleSts(req, res, url, body, record);
        } else if (auth?.service === 'eks') {
          record.service = 'eks';
          await handleEks(req, res, url, body, record);
        } else if (auth?.service === 'lambda') {
          record.service = 'lambda';
          await handleLambda(req, res, url, body, record);
        } else {
          record.status = 400;
          res.writeHead(400, { 'content-type': 'text/plain' }).end('fake-aws: unrecognised request');
        }
      } catch (error) {
        record.status = 500;
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake-aws: ${(error as Error).message}`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    calls,
    issued,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A self-signed P-256 serving certificate for 127.0.0.1 (Debian's openssl). */
export function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-aws-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=eks-auth-proxy',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface EksAuthProxyOptions {
  /** The cluster id EKS puts in x-k8s-aws-id when it replays a token: a token for another cluster fails. */
  clusterName: string;
  region: string;
  /** Where presigned URLs are replayed (the fake STS). */
  stsUrl: string;
  /** The real apiserver behind the proxy. */
  upstream: { server: string; ca: string };
  /** Caller ARN prefix -> apiserver bearer token (what an access entry maps the IAM principal to). */
  identities: Array<{ arnPrefix: string; token: string }>;
}

export interface TokenCheck {
  token: string;
  url: string;
  ok: boolean;
  reason?: string;
  arn?: string;
}

export interface EksAuthProxy {
  url: string;
  /** Base64 PEM of the proxy's serving certificate: what DescribeCluster returns as certificateAuthority.data. */
  caData: string;
  checks: TokenCheck[];
  /** Requests forwarded to the apiserver (method and path). */
  forwarded: Array<{ method: string; path: string; arn: string }>;
  close(): Promise<void>;
}

const ALLOWED_QUERY = new Set([
  'Action',
  'Version',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-Security-Token',
  'X-Amz-Signature',
  'X-Amz-SignedHeaders',
]);

/** aws-iam-authenticator's token checks, then the STS replay; returns the caller ARN or why the token fails. */
async function validateToken(
  token: string,
  options: EksAuthProxyOptions,
): Promise<{ arn?: string; reason?: string; url: string }> {
  const prefix = 'k8s-aws-v1.';
  if (!token.startsWith(prefix)) return { reason: 'token is missing expected "k8s-aws-v1." prefix', url: '' };
  const text = Buffer.from(token.slice(prefix.length), 'base64url').toString('utf8');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { reason: 'token is not a URL', url: text };
  }
  if (url.protocol !== 'https:' || url.hostname !== `sts.${options.region}.amazonaws.com` || url.pathname !== '/') {
    return { reason: `unexpected STS endpoint ${url.origin}${url.pathname}`, url: text };
  }
  for (const key of url.searchParams.keys())
    if (!ALLOWED_QUERY.has(key)) return { reason: `non-whitelisted query parameter ${key}`, url: text };
  if (url.searchParams.get('Action') !== 'GetCallerIdentity')
    return { reason: 'unexpected action parameter', url: text };
  const signed = (url.searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');
  if (!signed.includes('x-k8s-aws-id'))
    return { reason: 'client did not sign the x-k8s-aws-id header in the pre-signed URL', url: text };
  const expires = Number(url.searchParams.get('X-Amz-Expires'));
  if (!(expires >= 0 && expires <= 900)) return { reason: `X-Amz-Expires ${expires} out of range`, url: text };
  const date = amzDate(url.searchParams.get('X-Amz-Date') ?? '');
  if (Date.now() - date.getTime() > 15 * 60_000)
    return { reason: 'X-Amz-Date parameter is expired (15 minute expiration)', url: text };
  const replay = new URL(`${options.stsUrl}/${url.search}`);
  const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      replay,
      {
        method: 'GET',
        headers: { host: url.hostname, 'x-k8s-aws-id': options.clusterName, accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
  if (response.status !== 200)
    return { reason: `sts getCallerIdentity failed: ${response.status} ${response.body.slice(0, 200)}`, url: text };
  const parsed = JSON.parse(response.body) as {
    GetCallerIdentityResponse: { GetCallerIdentityResult: { Arn: string } };
  };
  return { arn: parsed.GetCallerIdentityResponse.GetCallerIdentityResult.Arn, url: text };
}

export async function startEksAuthProxy(options: EksAuthProxyOptions): Promise<EksAuthProxy> {
  const tls = selfSignedCertificate();
  const checks: TokenCheck[] = [];
  const forwarded: EksAuthProxy['forwarded'] = [];
  const upstream = new URL(options.upstream.server);
  const agent = new https.Agent({ ca: options.upstream.ca, keepAlive: true });
  const unauthorized = (res: http.ServerResponse) =>
    res.writeHead(401, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      }),
    );
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    void (async () => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const result = await validateToken(token, options).catch(
        (error: Error) => ({ reason: error.message, url: '' }) as { arn?: string; reason?: string; url: string },
      );
      const check: TokenCheck = { token, url: result.url, ok: !!result.arn };
      if (result.reason) check.reason = result.reason;
      if (result.arn) check.arn = result.arn;
      checks.push(check);
      const identity = result.arn ? options.identities.find((i) => result.arn?.startsWith(i.arnPrefix)) : undefined;
      if (!result.arn || !identity) {
        req.resume();
        return unauthorized(res);
      }
      forwarded.push({ method: req.method ?? 'GET', path: req.url ?? '/', arn: result.arn });
      const headers = { ...req.headers, host: upstream.host, authorization: `Bearer ${identity.token}` };
      const upstreamReq = https.request(
        {
          protocol: 'https:',
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      upstreamReq.on('error', (error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`eks-auth-proxy: ${error.message}`);
      });
      req.pipe(upstreamReq);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${address.port}`,
    caData: Buffer.from(tls.cert).toString('base64'),
    checks,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs scripts/build.mjs (what `npm run build` runs) and copies the Lambda and Action bundles to a private temp dir,
 * so a parallel test file rebuilding dist/ cannot swap files under a running test.
 */
/**
 * Copies the built bundles (`npm test` runs `npm run build` first) into a scratch directory, so a test runs
 * exactly what ships while dist/ stays untouched.
 */
export function buildBundles(root: string): { lambda: string; action: string; dir: string } {
  for (const bundle of ['dist/lambda/index.mjs', 'dist/action/index.js']) {
    if (!existsSync(join(root, bundle))) throw new Error(`${bundle} is missing: run \`npm run build\` (npm test does)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'thanos-gitops-bundles-'));
  mkdirSync(join(dir, 'lambda'), { recursive: true });
  mkdirSync(join(dir, 'action'), { recursive: true });
  copyFileSync(join(root, 'dist/lambda/index.mjs'), join(dir, 'lambda/index.mjs'));
  copyFileSync(join(root, 'dist/action/index.js'), join(dir, 'action/index.js'));
  // The Action bundle is ESM by its package.json; keep that next to the copy.
  writeFileSync(join(dir, 'action/package.json'), '{"type":"module"}\n');
  return { lambda: join(dir, 'lambda/index.mjs'), action: join(dir, 'action/index.js'), dir };
}

export interface LambdaInvocation {
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  /** What the function wrote to stdout/stderr (its logs). */
  logs: string;
}

// The Node.js runtime's contract, minus the Runtime API: import() the handler module, call handler(event, context)
// for each event in turn (a warm container serves many), report a thrown error as {errorType, errorMessage}. The
// context's getRemainingTimeInMillis counts down from the function timeout. Results go to fd 3 so logs stay separate;
// with --expose-gc each carries the heap in use after a full collection.
const RUNTIME = `
import { writeSync } from 'node:fs';
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { bundle, events, timeoutMs } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const module = await import(bundle);
const outcomes = [];
for (const event of events) {
  const started = Date.now();
  const context = {
    awsRequestId: crypto.randomUUID(), functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:' + process.env.AWS_REGION + ':111122223333:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: '512', logGroupName: '/aws/lambda/' + process.env.AWS_LAMBDA_FUNCTION_NAME, logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started),
  };
  let out;
  try { out = { result: await module.handler(event, context) }; }
  catch (error) { out = { error: { errorType: error?.name ?? 'Error', errorMessage: error?.message ?? String(error) } }; }
  out.ms = Date.now() - started;
  if (globalThis.gc) { globalThis.gc(); out.heapUsed = process.memoryUsage().heapUsed; }
  outcomes.push(out);
}
writeSync(3, JSON.stringify(outcomes));
process.exit(0);
`;

export interface LambdaRunOptions {
  /** The function timeout the context counts down from (default 900 s, Lambda's maximum). */
  timeoutMs?: number;
}

export interface WarmInvocation extends Omit<LambdaInvocation, 'logs'> {
  ms: number;
  /** Heap in use after a full garbage collection, once this invocation returned. */
  heapUsed: number;
}

function runRuntime(
  bundle: string,
  events: unknown[],
  env: Record<string, string>,
  options: LambdaRunOptions,
  nodeFlags: string[],
): Promise<{ outcomes: WarmInvocation[]; logs: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--input-type=module', '-e', RUNTIME], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    let logs = '';
    let result = '';
    child.stdout?.on('data', (c: Buffer) => (logs += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (logs += c.toString('utf8')));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => (result += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (!result) return reject(new Error(`the Lambda runtime process exited ${code} without a result:\n${logs}`));
      resolve({ outcomes: JSON.parse(result) as WarmInvocation[], logs });
    });
    child.stdin?.end(
      JSON.stringify({ bundle: pathToFileURL(bundle).href, events, timeoutMs: options.timeoutMs ?? 900_000 }),
    );
  });
}

/** Invokes the bundled handler once per event in ONE process, as a warm container does, measuring the heap after each. */
export async function runLambdaBundleWarm(
  bundle: string,
  events: unknown[],
  env: Record<string, string>,
  options: LambdaRunOptions = {},
): Promise<{ invocations: WarmInvocation[]; logs: string }> {
  const { outcomes, logs } = await runRuntime(bundle, events, env, options, ['--expose-gc']);
  return { invocations: outcomes, logs };
}

/** Invokes the bundled handler in a fresh Node process, the way the Lambda Node.js runtime loads it. */
export async function runLambdaBundle(
  bundle: string,
  event: unknown,
  env: Record<string, string>,
  options: LambdaRunOptions = {},
): Promise<LambdaInvocation> {
  const { outcomes, logs } = await runRuntime(bundle, [event], env, options, []);
  const { ms: _ms, heapUsed: _heapUsed, ...outcome } = outcomes[0] as WarmInvocation;
  return { ...outcome, logs };
}
