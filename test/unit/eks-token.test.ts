import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { describeEksCluster, eksCredentials, eksKubeConfig } from '../../src/kube/eks-cluster.js';
import {
  createEksToken,
  decodeEksToken,
  EksTokenProvider,
  execCredentialApiVersion,
  formatExecCredential,
  presignGetCallerIdentity,
  type AwsCredentials,
} from '../../src/kube/eks-token.js';
import { startFakeAws, type FakeAws } from '../helpers/fake-aws.js';

// Debian's awscli (apt-get install awscli faketime) is the oracle; the `aws` on PATH may be another install.
const AWS = '/usr/bin/aws';
const FAKETIME = '/usr/bin/faketime';
const NODE = process.execPath;
const INSTANT = '2026-01-02 03:04:05';
const INSTANT_ISO = '2026-01-02T03:04:05Z';
const home = mkdtempSync(join(tmpdir(), 'eks-token-home-'));

const baseEnv = {
  PATH: '/usr/bin:/bin',
  HOME: home,
  AWS_CONFIG_FILE: join(home, 'none'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
  AWS_EC2_METADATA_DISABLED: 'true',
};

function awsGetToken(
  args: string[],
  credentials: Record<string, string>,
  extraEnv: Record<string, string> = {},
): string {
  const run = spawnSync(FAKETIME, ['-f', INSTANT, AWS, 'eks', 'get-token', ...args], {
    env: { ...baseEnv, ...credentials, ...extraEnv },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`aws eks get-token failed: ${run.stderr}`);
  return run.stdout;
}

function ourGetToken(
  args: string[],
  credentials: Record<string, string>,
  extraEnv: Record<string, string> = {},
): string {
  const run = spawnSync(NODE, ['--import', 'tsx', 'src/cli/main.ts', 'eks-token', ...args], {
    env: { ...baseEnv, ...credentials, ...extraEnv, THANOS_GITOPS_NOW: INSTANT_ISO },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`thanos-gitops eks-token failed: ${run.stderr}`);
  return run.stdout;
}

const STATIC = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const SESSION = {
  AWS_ACCESS_KEY_ID: 'ASIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJGMEQCIA+/ex=ample',
};

describe('EKS token: byte-for-byte equal to aws eks get-token', () => {
  beforeAll(() => {
    if (!existsSync(AWS) || !existsSync(FAKETIME)) {
      throw new Error(
        'this test needs Debian awscli and faketime: flock /tmp/apt.lock apt-get install -y awscli faketime',
      );
    }
  });

  it.each([
    ['static keys, eu-west-1', STATIC, ['--cluster-name', 'prod-thanos', '--region', 'eu-west-1']],
    ['session token, us-east-1', SESSION, ['--cluster-name', 'demo', '--region', 'us-east-1']],
    [
      'session token, ap-southeast-2, long cluster name',
      SESSION,
      ['--cluster-name', 'thanos-observability-platform-2', '--region', 'ap-southeast-2'],
    ],
  ])('%s', (_name, credentials, args) => {
    const expected = awsGetToken(args, credentials);
    const actual = ourGetToken(args, credentials);
    expect(actual).toBe(expected);
    const parsed = JSON.parse(actual) as { status: { token: string; expirationTimestamp: string } };
    expect(parsed.status.expirationTimestamp).toBe('2026-01-02T03:18:05Z');
    const url = decodeEksToken(parsed.status.token);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(
      credentials === SESSION ? SESSION.AWS_SESSION_TOKEN : null,
    );
    expect(parsed.status.token).not.toMatch(/=/);
  });

  it('same apiVersion choice from KUBERNETES_EXEC_INFO', () => {
    const args = ['--cluster-name', 'demo', '--region', 'eu-central-1'];
    for (const info of [
      '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}',
      '{"apiVersion":"client.authentication.k8s.io/v1beta1"}',
    ]) {
      expect(ourGetToken(args, STATIC, { KUBERNETES_EXEC_INFO: info })).toBe(
        awsGetToken(args, STATIC, { KUBERNETES_EXEC_INFO: info }),
      );
    }
    expect(execCredentialApiVersion(undefined)).toBe('client.authentication.k8s.io/v1beta1');
    expect(execCredentialApiVersion('not json')).toBe('client.authentication.k8s.io/v1beta1');
  });

  it('expirationTimestamp has whole seconds and the JSON has Python separators, like aws-cli', () => {
    const credential = formatExecCredential(
      {
        token: 'k8s-aws-v1.abc',
        issuedAt: new Date('2026-01-02T03:04:05Z'),
        expiresAt: new Date('2026-01-02T03:18:05.123Z'),
      },
      'client.authentication.k8s.io/v1beta1',
    );
    expect(credential).toBe(
      '{"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1", "spec": {}, "status": {"expirationTimestamp": "2026-01-02T03:18:05Z", "token": "k8s-aws-v1.abc"}}\n',
    );
  });

  it('CLI usage errors', async () => {
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t) };
    expect(await main(['eks-token', '--region', 'eu-west-1'], io)).toBe(2);
    expect(out.join('')).toContain('--cluster-name is required');
    expect(await main(['eks-token', '--cluster-name', 'x', '--region', 'eu-west-1', '--external-id', 'e'], io)).toBe(2);
    expect(out.join('')).toContain('need --role-arn');
  });
});

describe('EKS token provider', () => {
  const credentials: AwsCredentials = {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  };

  it('reuses a token for under 10 minutes and mints a new one after', async () => {
    let now = new Date('2026-03-01T10:00:00Z');
    const provider = new EksTokenProvider({
      clusterName: 'c',
      region: 'eu-west-1',
      credentials: async () => credentials,
      clock: () => now,
    });
    const first = await provider.token();
    now = new Date('2026-03-01T10:09:59Z');
    expect(await provider.token()).toBe(first);
    expect(provider.minted).toBe(1);
    now = new Date('2026-03-01T10:10:00Z');
    const second = await provider.token();
    expect(second).not.toBe(first);
    expect(provider.minted).toBe(2);
    expect(decodeEksToken(second).searchParams.get('X-Amz-Date')).toBe('20260301T101000Z');
    // A Lambda running its full 15 minutes never presents a token older than 10 minutes (valid for 15).
    for (let minute = 10; minute <= 25; minute++) {
      now = new Date(Date.UTC(2026, 2, 1, 10, minute, 30));
      const token = await provider.current();
      expect(now.getTime() - token.issuedAt.getTime()).toBeLessThan(10 * 60_000);
    }
  });

  it('concurrent callers share one mint', async () => {
    const provider = new EksTokenProvider({
      clusterName: 'c',
      region: 'eu-west-1',
      credentials: async () => credentials,
    });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => provider.token()));
    expect(new Set(tokens).size).toBe(1);
    expect(provider.minted).toBe(1);
  });

  it('the presigned URL carries only the query keys EKS accepts, in aws-cli order', async () => {
    const url = await presignGetCallerIdentity({
      clusterName: 'c',
      region: 'eu-north-1',
      credentials: { ...credentials, sessionToken: 'tok' },
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect([...new URL(url).searchParams.keys()]).toEqual([
      'Action',
      'Version',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Security-Token',
      'X-Amz-Signature',
    ]);
    expect(url.startsWith('https://sts.eu-north-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&')).toBe(
      true,
    );
    const token = await createEksToken({
      clusterName: 'c',
      region: 'eu-north-1',
      credentials,
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(token.expiresAt.toISOString()).toBe('2026-01-01T00:14:00.000Z');
  });
});

describe('AssumeRole and DescribeCluster through the SDK against the local stand-in', () => {
  let aws: FakeAws;
  const saved = { ...process.env };
  const base = { AWS_ACCESS_KEY_ID: 'AKIABASEKEYEXAMPLE01', AWS_SECRET_ACCESS_KEY: 'base/secret/EXAMPLEKEY' };
  const roleArn = 'arn:aws:iam::444455556666:role/thanos-gitops-cluster-access';

  beforeAll(async () => {
    aws = await startFakeAws({
      keys: {
        [base.AWS_ACCESS_KEY_ID]: {
          secretAccessKey: base.AWS_SECRET_ACCESS_KEY,
          arn: 'arn:aws:iam::111122223333:user/ci',
        },
      },
      roles: { [roleArn]: { trusted: ['arn:aws:iam::111122223333:user/ci'], externalId: 'thanos-ext-1' } },
      clusters: {
        prod: {
          endpoint: 'https://10.0.0.1',
          caData: Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64'),
        },
      },
    });
    Object.assign(process.env, base, { AWS_ENDPOINT_URL: aws.url, AWS_REGION: 'eu-west-1' });
  });
  afterAll(async () => {
    process.env = saved;
    await aws.close();
  });

  it('assumes the cluster-access role with session name and external id, and signs with the role session', async () => {
    const credentials = eksCredentials({
      region: 'eu-west-1',
      roleArn,
      sessionName: 'reconciler',
      externalId: 'thanos-ext-1',
    });
    const session = await credentials();
    expect(session.accessKeyId).toMatch(/^ASIA/);
    expect(session.sessionToken).toBeTruthy();
    expect(await credentials()).toBe(session); // cached until near expiry
    const call = aws.calls.find((c) => c.operation === 'AssumeRole');
    expect(call?.params).toMatchObject({
      RoleArn: roleArn,
      RoleSessionName: 'reconciler',
      ExternalId: 'thanos-ext-1',
      Version: '2011-06-15',
    });
    expect(call?.accessKeyId).toBe(base.AWS_ACCESS_KEY_ID);
    const token = await createEksToken({ clusterName: 'prod', region: 'eu-west-1', credentials: session });
    expect(decodeEksToken(token.token).searchParams.get('X-Amz-Security-Token')).toBe(session.sessionToken);
  });

  it('eks-token --role-arn signs with the assumed role session (default session name EKSGetTokenAuth, as aws-cli)', async () => {
    // Asynchronous: the AWS stand-in answers from this process's event loop.
    const child = spawn(
      NODE,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'eks-token',
        '--cluster-name',
        'prod',
        '--region',
        'eu-west-1',
        '--role-arn',
        roleArn,
        '--external-id',
        'thanos-ext-1',
      ],
      {
        env: { ...baseEnv, ...base, AWS_ENDPOINT_URL: aws.url },
      },
    );
    const run = { stdout: '', stderr: '', status: 0 as number | null };
    child.stdout.on('data', (c: Buffer) => (run.stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (run.stderr += c.toString()));
    run.status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(run.status, run.stderr).toBe(0);
    const token = (JSON.parse(run.stdout) as { status: { token: string } }).status.token;
    const url = decodeEksToken(token);
    const session = [...aws.issued.entries()].find(([, key]) => key.arn.endsWith('/EKSGetTokenAuth'));
    expect(session).toBeDefined();
    expect(url.searchParams.get('X-Amz-Credential')?.split('/')[0]).toBe(session?.[0]);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(session?.[1].sessionToken);
    expect(run.stdout).not.toContain(session?.[1].secretAccessKey);
  });

  it('a wrong external id fails with the reason and what to check', async () => {
    const credentials = eksCredentials({ region: 'eu-west-1', roleArn, externalId: 'wrong' });
    await expect(credentials()).rejects.toThrow(
      /sts:AssumeRole into arn:aws:iam::444455556666:role\/thanos-gitops-cluster-access failed: .*not authorized.*trust policy/s,
    );
  });

  it('DescribeCluster gives endpoint and CA for an in-memory kubeconfig', async () => {
    const credentials = eksCredentials({ region: 'eu-west-1' });
    const cluster = await describeEksCluster({ clusterName: 'prod', region: 'eu-west-1', credentials });
    expect(cluster.endpoint).toBe('https://10.0.0.1');
    expect(cluster.authenticationMode).toBe('API');
    const kc = eksKubeConfig(cluster);
    expect(kc.getCurrentCluster()?.server).toBe('https://10.0.0.1');
    expect(kc.getCurrentUser()?.token).toBeUndefined();
    await expect(describeEksCluster({ clusterName: 'nope', region: 'eu-west-1', credentials })).rejects.toThrow(
      /eks:DescribeCluster nope in eu-west-1 failed: No cluster found for name: nope/,
    );
  });
});
