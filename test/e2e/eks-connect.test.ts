/**
 * connectEks against the real test kube-apiserver behind the EKS-style auth proxy: DescribeCluster for endpoint and
 * CA, tokens signed by the assumed cluster-access role, and renewal once a token is 10 minutes old (injected clock).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEks } from '../../src/kube/eks-cluster.js';
import { decodeEksToken, TOKEN_REFRESH_AFTER_MS } from '../../src/kube/eks-token.js';
import { bindDeployer, createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import {
  startEksAuthProxy,
  startFakeAws,
  type EksAuthProxy,
  type FakeAws,
  type FakeCluster,
} from '../helpers/fake-aws.js';

const BASE = {
  id: 'AKIACONNECTTEST00001',
  secret: 'connect/test/secret/EXAMPLEKEY',
  arn: 'arn:aws:iam::111122223333:user/operator',
};
const ROLE = 'arn:aws:iam::999988887777:role/eks-access';

let aws: FakeAws;
let proxy: EksAuthProxy;
let ns: string;
const clusters: Record<string, FakeCluster> = {};
const saved = { ...process.env };

beforeAll(async () => {
  const cluster = testCluster();
  ns = await createNamespace(uniqueNamespace('eks-connect'));
  await bindDeployer(ns, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'patch'] }]);
  aws = await startFakeAws({
    keys: { [BASE.id]: { secretAccessKey: BASE.secret, arn: BASE.arn } },
    roles: { [ROLE]: { trusted: [BASE.arn], externalId: 'ext-42' } },
    clusters,
  });
  proxy = await startEksAuthProxy({
    clusterName: 'blue',
    region: 'us-west-2',
    stsUrl: aws.url,
    upstream: { server: cluster.server, ca: readFileSync(cluster.caFile, 'utf8') },
    identities: [{ arnPrefix: 'arn:aws:sts::999988887777:assumed-role/eks-access/', token: cluster.deployerToken }],
  });
  clusters.blue = { endpoint: proxy.url, caData: proxy.caData };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: aws.url,
    AWS_ACCESS_KEY_ID: BASE.id,
    AWS_SECRET_ACCESS_KEY: BASE.secret,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
});

afterAll(async () => {
  process.env = saved;
  await proxy?.close();
  await aws?.close();
});

describe('connectEks', () => {
  it('reaches the apiserver as the cross-account role and renews the token after 10 minutes', async () => {
    let now = new Date();
    const connection = await connectEks({
      clusterName: 'blue',
      region: 'us-west-2',
      roleArn: ROLE,
      externalId: 'ext-42',
      sessionName: 'ops',
      clock: () => now,
    });
    try {
      expect(connection.cluster.endpoint).toBe(proxy.url);
      const { client, tokens } = connection;
      await client.apply(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hello', namespace: ns }, data: { a: '1' } },
        { fieldManager: 'eks-connect-test' },
      );
      expect((await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'hello' }))?.data).toEqual({
        a: '1',
      });
      expect(tokens.minted).toBe(1);
      const first = proxy.checks.at(-1);
      expect(first?.ok).toBe(true);
      expect(first?.arn).toBe('arn:aws:sts::999988887777:assumed-role/eks-access/ops');

      // Ten minutes on (the clock is injected; the proxy checks real time, so signing "later" stays valid).
      now = new Date(now.getTime() + TOKEN_REFRESH_AFTER_MS);
      await client.list('v1', 'ConfigMap', ns);
      expect(tokens.minted).toBe(2);
      const second = proxy.checks.at(-1);
      expect(second?.ok).toBe(true);
      expect(second?.token).not.toBe(first?.token);
      expect(decodeEksToken(second?.token ?? '').searchParams.get('X-Amz-Security-Token')).toBeTruthy();
      // One AssumeRole: the role session is cached until near its expiry, tokens are re-signed with it.
      expect(aws.calls.filter((c) => c.operation === 'AssumeRole')).toHaveLength(1);
      expect(aws.calls.find((c) => c.operation === 'AssumeRole')?.params).toMatchObject({
        RoleArn: ROLE,
        ExternalId: 'ext-42',
        RoleSessionName: 'ops',
      });
    } finally {
      connection.client.close();
    }
  });

  it('the RBAC of the mapped identity still applies: a Forbidden names the object', async () => {
    const connection = await connectEks({
      clusterName: 'blue',
      region: 'us-west-2',
      roleArn: ROLE,
      externalId: 'ext-42',
    });
    try {
      await expect(connection.client.list('v1', 'Secret', ns)).rejects.toThrow(/forbidden/i);
    } finally {
      connection.client.close();
    }
  });

  it('an unknown cluster is a clear error', async () => {
    await expect(connectEks({ clusterName: 'green', region: 'us-west-2' })).rejects.toThrow(
      /eks:DescribeCluster green in us-west-2 failed: No cluster found for name: green/,
    );
  });
});
