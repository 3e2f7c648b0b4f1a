// Two-key rotation of the objstore IAM user's access key against the real kube-apiserver. AWS is a local HTTP
// stand-in speaking IAM's and STS's Query/XML protocol (shapes as in the IAM/STS API references), reached by the
// real SDK clients through AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS; it checks every SigV4 signature with
// the secret of the key that signed, so "the key authenticates" means what it says.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { KubeClient } from '../../src/kube/client.js';
import { applySecurity, OBJSTORE_CHECKSUM_ANNOTATION } from '../../src/render/tls-objstore-overlay.js';
import type { ObjectStorageInput } from '../../src/config/tls-objstore-schema.js';
import { rotateTarget, formatRotateReport, type RotateOptions } from '../../src/rotation/rotate.js';
import { awsAccessKeyApi, type AccessKeyApi } from '../../src/rotation/objstore/access-keys.js';
import { KEY_STATE_ANNOTATION, KEY_STEPS } from '../../src/rotation/objstore/rotation.js';
import { ROTATION_MANAGER } from '../../src/rotation/secrets.js';
import type { KubeObject } from '../../src/model/objects.js';
import { goldenIn } from './rotation-fixture.js';

const ACCOUNT = '123456789012';
const USER = 'thanos-objstore';

interface StandInKey {
  id: string;
  secret: string;
  user: string;
  status: 'Active' | 'Inactive';
  created: Date;
}

/** IAM (ListAccessKeys, CreateAccessKey, DeleteAccessKey) and STS (GetCallerIdentity) over Query/XML. */
class AwsStandIn {
  readonly keys: StandInKey[] = [];
  /** Every secret access key ever handed out, deleted ones included. */
  readonly issued: string[] = [];
  readonly calls: { action: string; keyId: string; ok: boolean }[] = [];
  private server?: http.Server;

  constructor(readonly admin: { accessKeyId: string; secretAccessKey: string }) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  private newKey(user: string): StandInKey {
    const key = {
      id: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secret: randomBytes(30).toString('base64'),
      user,
      status: 'Active' as const,
      created: new Date(),
    };
    this.keys.push(key);
    this.issued.push(key.secret);
    return key;
  }

  addKey(user: string): StandInKey {
    return this.newKey(user);
  }

  private secretFor(keyId: string): string | undefined {
    if (keyId === this.admin.accessKeyId) return this.admin.secretAccessKey;
    const key = this.keys.find((k) => k.id === keyId && k.status === 'Active');
    return key?.secret;
  }

  /** Re-signs the request with the secret of the key it claims and compares signatures, as AWS does. */
  private async authenticate(req: http.IncomingMessage, body: string): Promise<string | undefined> {
    const auth = req.headers.authorization ?? '';
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(
        auth,
      );
    if (!match) return undefined;
    const [, keyId, , region, service, signedHeaders, signature] = match;
    const secret = this.secretFor(keyId!);
    if (!secret) return undefined;
    const headers: Record<string, string> = {};
    for (const name of signedHeaders!.split(';')) headers[name] = String(req.headers[name] ?? '');
    const url = new URL(req.url ?? '/', this.url);
    const request = new HttpRequest({
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers,
      body,
    });
    const signer = new SignatureV4({
      credentials: { accessKeyId: keyId!, secretAccessKey: secret },
      region: region!,
      service: service!,
      sha256: Hash.bind(null, 'sha256'),
    });
    const amzDate = headers['x-amz-date'] ?? '';
    const signingDate = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    const signed = await signer.sign(request, { signingDate, signableHeaders: new Set(signedHeaders!.split(';')) });
    const expected = /Signature=([0-9a-f]+)/.exec(
      String(signed.headers.authorization ?? signed.headers.Authorization),
    )?.[1];
    return expected === signature ? keyId : undefined;
  }

  private static xml(action: string, namespace: string, result: string): string {
    return `<${action}Response xmlns="${namespace}">\n  ${result}\n  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
  }

  private static error(namespace: string, code: string, message: string): string {
    return `<ErrorResponse xmlns="${namespace}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${code}</Code>\n    <Message>${message}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`;
  }

  private async handle(req: http.IncomingMessage, body: string): Promise<{ status: number; xml: string }> {
    const form = new URLSearchParams(body);
    const action = form.get('Action') ?? '';
    const version = form.get('Version');
    const ns =
      version === '2011-06-15'
        ? 'https://sts.amazonaws.com/doc/2011-06-15/'
        : 'https://iam.amazonaws.com/doc/2010-05-08/';
    const keyId = await this.authenticate(req, body);
    this.calls.push({ action, keyId: keyId ?? '', ok: !!keyId });
    if (!keyId)
      return {
        status: 403,
        xml: AwsStandIn.error(ns, 'InvalidClientTokenId', 'The security token included in the request is invalid.'),
      };
    const user = form.get('UserName') ?? '';
    switch (action) {
      case 'GetCallerIdentity': {
        const name = keyId === this.admin.accessKeyId ? 'admin' : this.keys.find((k) => k.id === keyId)!.user;
        return {
          status: 200,
          xml: AwsStandIn.xml(
            action,
            ns,
            `<GetCallerIdentityResult>\n    <Arn>arn:aws:iam::${ACCOUNT}:user/${name}</Arn>\n    <UserId>AIDA${ACCOUNT}</UserId>\n    <Account>${ACCOUNT}</Account>\n  </GetCallerIdentityResult>`,
          ),
        };
      }
      case 'ListAccessKeys': {
        const members = this.keys
          .filter((k) => k.user === user)
          .map(
            (k) =>
              `<member>\n        <UserName>${k.user}</UserName>\n        <AccessKeyId>${k.id}</AccessKeyId>\n        <Status>${k.status}</Status>\n        <CreateDate>${k.created.toISOString().replace(/\.\d+Z$/, 'Z')}</CreateDate>\n      </member>`,
          )
          .join('\n      ');
        return {
          status: 200,
          xml: AwsStandIn.xml(
            action,
            ns,
            `<ListAccessKeysResult>\n    <UserName>${user}</UserName>\n    <AccessKeyMetadata>\n      ${members}\n    </AccessKeyMetadata>\n    <IsTruncated>false</IsTruncated>\n  </ListAccessKeysResult>`,
          ),
        };
      }
      case 'CreateAccessKey': {
        if (this.keys.filter((k) => k.user === user).length >= 2)
          return {
            status: 409,
            xml: AwsStandIn.error(ns, 'LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2'),
          };
        const key = this.newKey(user);
        return {
          status: 200,
          xml: AwsStandIn.xml(
            action,
            ns,
            `<CreateAccessKeyResult>\n    <AccessKey>\n      <UserName>${user}</UserName>\n      <AccessKeyId>${key.id}</AccessKeyId>\n      <Status>Active</Status>\n      <SecretAccessKey>${key.secret}</SecretAccessKey>\n      <CreateDate>${key.created.toISOString().replace(/\.\d+Z$/, 'Z')}</CreateDate>\n    </AccessKey>\n  </CreateAccessKeyResult>`,
          ),
        };
      }
      case 'DeleteAccessKey': {
        const index = this.keys.findIndex((k) => k.user === user && k.id === form.get('AccessKeyId'));
        if (index < 0)
          return {
            status: 404,
            xml: AwsStandIn.error(
              ns,
              'NoSuchEntity',
              `The Access Key with id ${form.get('AccessKeyId')} cannot be found.`,
            ),
          };
        this.keys.splice(index, 1);
        return { status: 200, xml: AwsStandIn.xml(action, ns, '') };
      }
      default:
        return {
          status: 400,
          xml: AwsStandIn.error(ns, 'InvalidAction', `Could not find operation ${action} for version ${version}`),
        };
    }
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.handle(req, Buffer.concat(chunks).toString('utf8'))
          .catch((error: unknown) => ({
            status: 500,
            xml: AwsStandIn.error('https://iam.amazonaws.com/doc/2010-05-08/', 'ServiceFailure', String(error)),
          }))
          .then(({ status, xml }) => {
            res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
            res.end(xml);
          });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

let client: KubeClient;
let ns: string;
let aws: AwsStandIn;
let api: AccessKeyApi;
let target: Parameters<typeof rotateTarget>[1];
const logs: string[] = [];
const errors: string[] = [];
const rolled: string[] = [];
const store: ObjectStorageInput = {
  type: 'S3',
  bucket: 'metrics',
  endpoint: 's3.eu-west-1.amazonaws.com',
  region: 'eu-west-1',
  mode: 'accessKeys',
  iamUserName: USER,
};

async function objstoreSecret(): Promise<{ config: Record<string, unknown>; annotations: Record<string, string> }> {
  const secret = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'thanos-objectstorage' });
  if (!secret) throw new Error('objstore Secret missing');
  const text = Buffer.from((secret.data as Record<string, string>)['thanos.yaml'] ?? '', 'base64').toString('utf8');
  return { config: (parse(text) ?? {}) as Record<string, unknown>, annotations: secret.metadata.annotations ?? {} };
}

function keyIn(config: Record<string, unknown>): { accessKeyId: string; secretAccessKey: string } {
  const c = config.config as { access_key: string; secret_key: string };
  return { accessKeyId: c.access_key, secretAccessKey: c.secret_key };
}

async function storeChecksum(): Promise<string | undefined> {
  const sts = (await client.get({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    namespace: ns,
    name: 'thanos-store',
  })) as KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } };
  return sts.spec.template.metadata.annotations?.[OBJSTORE_CHECKSUM_ANNOTATION];
}

async function run(extra: Partial<RotateOptions> = {}, keys: AccessKeyApi = api) {
  try {
    const report = await rotateTarget(client, target, {
      accessKeys: keys,
      log: (line) => logs.push(line),
      // No controllers: record what would restart instead of waiting on pod status.
      awaitRollout: async (objects) => void rolled.push(...objects.map((o) => o.metadata.name)),
      ...extra,
    });
    logs.push(formatRotateReport(report));
    return report;
  } catch (error) {
    errors.push(error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error));
    throw error;
  }
}

/** The invariant of the two-key rotation: whatever the Secret holds is an active key that authenticates. */
async function secretKeyWorks(): Promise<void> {
  const { config } = await objstoreSecret();
  await expect(api.verify(keyIn(config))).resolves.toBeUndefined();
}

beforeAll(async () => {
  aws = new AwsStandIn({ accessKeyId: 'AKIAADMINSTANDIN0001', secretAccessKey: randomBytes(30).toString('base64') });
  await aws.start();
  // Exactly what the Lambda and CLI see: the SDK's default credential chain and the standard endpoint variables.
  process.env.AWS_ENDPOINT_URL_IAM = aws.url;
  process.env.AWS_ENDPOINT_URL_STS = aws.url;
  process.env.AWS_ACCESS_KEY_ID = aws.admin.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = aws.admin.secretAccessKey;
  process.env.AWS_REGION = 'eu-west-1';
  api = awsAccessKeyApi({ region: 'eu-west-1', verifyAttempts: 2, verifyDelayMs: 50 });
  client = KubeClient.fromFile(testCluster().adminKubeconfig);
  ns = await createNamespace(uniqueNamespace('rotation-keys'));
  const set = applySecurity(goldenIn('example', ns), { namespace: ns, objectStorage: store });
  for (const manifest of set) await client.apply(manifest.object, { fieldManager: 'thanos-gitops', force: true });
  target = { set, namespace: ns, objectStorage: store };
});

afterAll(async () => {
  await aws?.stop();
  client?.close();
});

describe('objstore access key rotation', () => {
  it('bootstraps: creates a key, writes the Secret from the config, restarts the readers, verifies', async () => {
    const report = await run();
    expect(report.objectStorage.rotated).toBe(true);
    const { config, annotations } = await objstoreSecret();
    const key = keyIn(config);
    expect(config).toEqual({
      type: 'S3',
      config: {
        bucket: 'metrics',
        endpoint: 's3.eu-west-1.amazonaws.com',
        region: 'eu-west-1',
        access_key: key.accessKeyId,
        secret_key: key.secretAccessKey,
      },
      prefix: '',
    });
    expect(aws.keys.map((k) => k.id)).toEqual([key.accessKeyId]);
    expect(annotations[KEY_STATE_ANNOTATION]).toBe('idle');
    expect(await storeChecksum()).toMatch(/^[0-9a-f]{32}$/);
    expect(report.objectStorage.rolled).toEqual([`StatefulSet ${ns}/thanos-store`]);
    expect(
      aws.calls.filter((c) => c.action === 'GetCallerIdentity' && c.keyId === key.accessKeyId && c.ok),
    ).toHaveLength(1);
    await secretKeyWorks();
    // The stand-in really checks signatures: the right key id with a wrong secret does not authenticate.
    await expect(
      api.verify({ accessKeyId: key.accessKeyId, secretAccessKey: randomBytes(30).toString('base64') }),
    ).rejects.toThrow(/does not authenticate \(STS GetCallerIdentity: InvalidClientTokenId/);
  });

  it('does nothing when the key is young and the Secret matches the config', async () => {
    const before = aws.calls.filter((c) => c.action !== 'ListAccessKeys').length;
    const report = await run();
    expect(report.objectStorage.rotated).toBe(false);
    expect(report.objectStorage.actions).toEqual([`object storage: Secret ${ns}/thanos-objectstorage is up to date`]);
    expect(aws.calls.filter((c) => c.action !== 'ListAccessKeys').length).toBe(before);
  });

  it('a crash after every step resumes and converges; the Secret always holds a working key', async () => {
    const { config: start } = await objstoreSecret();
    const oldKey = keyIn(start).accessKeyId;
    for (const [index, step] of KEY_STEPS.entries()) {
      await expect(
        run({
          forceKeyRotation: index === 0,
          afterStep: (done) => {
            if (done === step) throw new Error(`injected crash after ${done}`);
          },
        }),
      ).rejects.toThrow(`injected crash after ${step}`);
      await secretKeyWorks();
      expect((await objstoreSecret()).annotations[KEY_STATE_ANNOTATION]).toBe(
        ['written', 'rolled', 'verified', 'idle'][index],
      );
      // The old key lives until the very last step.
      expect(aws.keys.some((k) => k.id === oldKey)).toBe(index < KEY_STEPS.length - 1);
    }
    await run();
    const { config } = await objstoreSecret();
    const newKey = keyIn(config).accessKeyId;
    expect(newKey).not.toBe(oldKey);
    expect(aws.keys.map((k) => k.id)).toEqual([newKey]);
  });

  it('a crash between CreateAccessKey and the Secret write leaves an orphan that the next run deletes', async () => {
    const { config: start } = await objstoreSecret();
    const crashing: AccessKeyApi = {
      ...api,
      create: async (user) => {
        await api.create(user);
        throw new Error('injected crash after CreateAccessKey');
      },
    };
    await expect(run({ forceKeyRotation: true }, crashing)).rejects.toThrow('injected crash after CreateAccessKey');
    expect(aws.keys).toHaveLength(2);
    await secretKeyWorks();
    expect(keyIn((await objstoreSecret()).config)).toEqual(keyIn(start));
    const report = await run();
    expect(report.objectStorage.actions.join('\n')).toMatch(/deleted orphaned access key AKIA…/);
    const current = keyIn((await objstoreSecret()).config).accessKeyId;
    expect(aws.keys.map((k) => k.id)).toEqual([current]);
    await secretKeyWorks();
  });

  it('refuses to rotate when the user already has a second key it does not know, naming the fix', async () => {
    const foreign = aws.addKey(USER);
    await expect(run({ forceKeyRotation: true })).rejects.toThrow(
      /IAM user thanos-objstore already has two access keys .*delete the key that Secret .* does not use/,
    );
    aws.keys.splice(aws.keys.indexOf(foreign), 1);
    await secretKeyWorks();
  });

  it('rewrites the Secret when the config changes (same key) and restarts its readers', async () => {
    const before = await storeChecksum();
    const key = keyIn((await objstoreSecret()).config);
    const changed = { ...store, bucket: 'metrics-v2', prefix: 'eu' };
    target = {
      ...target,
      set: applySecurity(goldenIn('example', ns), { namespace: ns, objectStorage: changed }),
      objectStorage: changed,
    };
    await run();
    const { config } = await objstoreSecret();
    expect(config).toMatchObject({ config: { bucket: 'metrics-v2' }, prefix: 'eu' });
    expect(keyIn(config)).toEqual(key);
    expect(await storeChecksum()).not.toBe(before);
  });

  it('resumes access key rotations recorded by the previous code (after each step, and mid-creation)', async () => {
    // The Secrets the rotation wrote before the step runner existed (test/unit/fixtures), with the stand-in's keys
    // put where the captured ones were: a cluster upgraded in the middle of a rotation holds exactly these.
    const recorded = (
      JSON.parse(readFileSync(new URL('../unit/fixtures/rotation-recorded-state.json', import.meta.url), 'utf8')) as {
        objstore: Record<string, KubeObject>;
      }
    ).objstore;
    const user = 'thanos-objstore-upgraded';
    const upgraded = await createNamespace(uniqueNamespace('rotation-keys-upgraded'));
    const upgradedStore: ObjectStorageInput = { ...store, iamUserName: user };
    const secretIn = async () =>
      (await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: upgraded, name: 'thanos-objectstorage' }))!;
    for (const step of [...KEY_STEPS.slice(0, -1), 'keys:creating']) {
      const previous = aws.addKey(user);
      const current = step === 'keys:creating' ? previous : aws.addKey(user);
      const orphan = step === 'keys:creating' ? aws.addKey(user) : undefined;
      const swap = (text: string) =>
        text
          .replaceAll('AKIANEWKEY000002', current.id)
          .replaceAll('new-secret-2', current.secret)
          .replaceAll('AKIANEWKEY000001', previous.id);
      const secret = structuredClone(recorded[step]!);
      secret.metadata.namespace = upgraded;
      secret.metadata.annotations = Object.fromEntries(
        Object.entries(secret.metadata.annotations ?? {}).map(([k, v]) => [k, swap(v)]),
      );
      const data = secret.data as Record<string, string>;
      data['thanos.yaml'] = Buffer.from(swap(Buffer.from(data['thanos.yaml']!, 'base64').toString('utf8'))).toString(
        'base64',
      );
      await client.apply(secret, { fieldManager: ROTATION_MANAGER, force: true });

      const ran: string[] = [];
      const report = await rotateTarget(
        client,
        { set: [], namespace: upgraded, objectStorage: upgradedStore },
        { accessKeys: api, log: (line) => logs.push(line), afterStep: (done) => void ran.push(done) },
      );
      logs.push(formatRotateReport(report));
      expect(ran, step).toEqual(
        step === 'keys:creating'
          ? [...KEY_STEPS]
          : KEY_STEPS.slice(KEY_STEPS.indexOf(step as (typeof KEY_STEPS)[number]) + 1),
      );
      const after = await secretIn();
      expect(after.metadata.annotations?.[KEY_STATE_ANNOTATION], step).toBe('idle');
      const inSecret = (
        parse(Buffer.from((after.data as Record<string, string>)['thanos.yaml']!, 'base64').toString('utf8')) as {
          config: { access_key: string };
        }
      ).config.access_key;
      const left = aws.keys.filter((k) => k.user === user).map((k) => k.id);
      expect(left, step).toEqual([inSecret]);
      if (step === 'keys:creating') {
        expect(report.objectStorage.actions.join('\n')).toContain(`deleted orphaned access key`);
        expect(left).not.toContain(orphan!.id);
      } else {
        expect(inSecret, step).toBe(current.id);
      }
      aws.keys.splice(
        aws.keys.findIndex((k) => k.id === inSecret),
        1,
      );
    }
  });

  it('dry run: reports and writes nothing, neither to the cluster nor to IAM', async () => {
    const secretVersion = async () =>
      (await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'thanos-objectstorage' }))!.metadata
        .resourceVersion;
    const before = await secretVersion();
    const writes = aws.calls.filter((c) => c.action === 'CreateAccessKey' || c.action === 'DeleteAccessKey').length;
    const report = await run({ dryRun: true, forceKeyRotation: true });
    expect(report.objectStorage.actions).toEqual([
      expect.stringMatching(/^would rotate the access key of IAM user thanos-objstore \(forced\)/),
    ]);
    expect(await secretVersion()).toBe(before);
    expect(aws.calls.filter((c) => c.action === 'CreateAccessKey' || c.action === 'DeleteAccessKey').length).toBe(
      writes,
    );
  });

  it('never prints a secret access key (plain or base64) in logs or errors', async () => {
    const output = [...logs, ...errors].join('\n');
    // Every key the stand-in ever issued, deleted ones too: they were in Secrets along the way.
    const secrets = [...aws.issued, aws.admin.secretAccessKey];
    expect(aws.calls.filter((c) => c.action === 'CreateAccessKey').length).toBeGreaterThanOrEqual(3);
    for (const secret of secrets) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(Buffer.from(secret).toString('base64'));
    }
    expect(output).not.toMatch(/secret_key/);
  });
});
