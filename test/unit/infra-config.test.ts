import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONTEXT_KEYS,
  InfraConfigError,
  configFromContext,
  parseInfraConfig,
  type InfraConfigInput,
} from '../../infra/lib/config.js';

const valid: InfraConfigInput = {
  account: '111122223333',
  region: 'eu-west-1',
  clusterName: 'observability',
  githubOwner: 'example-org',
  githubRepo: 'thanos-config',
  namespace: 'thanos',
};

function errorOf(input: unknown): string {
  try {
    parseInfraConfig(input, 'context');
  } catch (error) {
    expect(error).toBeInstanceOf(InfraConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('infra config', () => {
  it('fills the documented defaults', () => {
    expect(parseInfraConfig(valid)).toEqual({
      ...valid,
      defaultBranch: 'main',
      additionalNamespaces: [],
      environment: 'production',
      reconcileSchedule: 'rate(15 minutes)',
      rotateSchedule: 'rate(1 day)',
      rotationMode: 'irsa',
      allowClusterScoped: false,
      logRetentionDays: 30,
    });
  });

  it('the example cdk.json context is valid and uses only known keys', () => {
    const context = (
      JSON.parse(readFileSync(new URL('../../infra/cdk.json', import.meta.url), 'utf8')) as {
        context: Record<string, unknown>;
      }
    ).context;
    const ours = Object.keys(context).filter((k) => !k.startsWith('@'));
    expect(ours.every((k) => (CONTEXT_KEYS as string[]).includes(k))).toBe(true);
    expect(configFromContext((k) => context[k])).toMatchObject({
      clusterName: 'observability',
      githubOwnerId: '1234567',
      namespace: 'thanos',
    });
  });

  it('names every missing key at once', () => {
    const message = errorOf({});
    for (const key of ['account', 'region', 'clusterName', 'githubOwner', 'githubRepo', 'namespace']) {
      expect(message).toContain(`context ${key}:`);
    }
  });

  it.each([
    [{ account: '1234' }, 'account: account must be a 12-digit AWS account id'],
    [{ region: 'Europe' }, 'region: region must be an AWS region name'],
    [{ clusterName: '-bad' }, 'clusterName: clusterName must be the EKS cluster name'],
    [{ githubOwner: 'a--b' }, 'githubOwner: githubOwner must be the GitHub user or organization name'],
    [{ githubRepo: 'owner/repo' }, 'githubRepo: githubRepo must be the repository name without the owner'],
    [{ githubOwnerId: 'abc', githubRepoId: '1' }, 'githubOwnerId: githubOwnerId must be a positive integer'],
    [{ githubOwnerId: '1' }, 'githubRepoId: githubOwnerId and githubRepoId go together'],
    [{ namespace: 'Thanos' }, 'namespace: namespace must be a DNS-1123 label'],
    [
      { reconcileSchedule: 'every 15 minutes' },
      'reconcileSchedule: reconcileSchedule must be an EventBridge Scheduler expression',
    ],
    [{ reconcileSchedule: 'rate(1 minute)' }, 'reconcileSchedule: reconcileSchedule "rate(1 minute)" is too frequent'],
    [
      { rotateSchedule: 'rate(1 days)' },
      'rotateSchedule: rotateSchedule "rate(1 days)": EventBridge wants the singular unit',
    ],
    [{ rotationMode: 'keys' }, 'rotationMode: rotationMode must be "irsa" or "accessKeys"'],
    [{ rotationMode: 'accessKeys' }, 'iamUserName: iamUserName is required when rotationMode is "accessKeys"'],
    [{ iamUserName: 'u' }, 'iamUserName: iamUserName is only used with rotationMode "accessKeys"'],
    [
      { clusterAccessRoleArn: 'arn:aws:iam::1:role/x' },
      'clusterAccessRoleArn: clusterAccessRoleArn must be an IAM role ARN',
    ],
    [
      { planClusterAccessRoleArn: 'arn:aws:iam::444455556666:role/plan' },
      'planClusterAccessRoleArn: planClusterAccessRoleArn needs clusterAccessRoleArn',
    ],
    [
      {
        clusterAccessRoleArn: 'arn:aws:iam::444455556666:role/a',
        planClusterAccessRoleArn: 'arn:aws:iam::777788889999:role/p',
      },
      'planClusterAccessRoleArn: planClusterAccessRoleArn must be in the same account',
    ],
    [
      { existingOidcProviderArn: 'arn:aws:iam::111122223333:oidc-provider/example.com' },
      'existingOidcProviderArn: existingOidcProviderArn must be arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com',
    ],
    [{ logRetentionDays: 31 }, 'logRetentionDays: logRetentionDays must be one of'],
    [{ clustername: 'x' }, '(root): unknown key(s) "clustername": check the spelling'],
  ])('rejects %j with the key and the fix', (patch, expected) => {
    expect(errorOf({ ...valid, ...patch })).toContain(`context ${expected}`);
  });

  it('accepts both rate spellings, cron and at expressions', () => {
    for (const expression of [
      'rate(5 minutes)',
      'rate(1 hour)',
      'rate(2 days)',
      'cron(0 3 * * ? *)',
      'at(2027-01-01T00:00:00)',
    ]) {
      expect(parseInfraConfig({ ...valid, rotateSchedule: expression }).rotateSchedule).toBe(expression);
    }
  });

  it('converts command-line context strings (-c key=value)', () => {
    const context: Record<string, string> = {
      ...(valid as unknown as Record<string, string>),
      allowClusterScoped: 'true',
      logRetentionDays: '90',
      additionalNamespaces: 'a, b',
      githubOwnerId: '42',
      githubRepoId: '43',
      clusterAccessRoleArn: '',
    };
    expect(configFromContext((k) => context[k])).toMatchObject({
      allowClusterScoped: true,
      logRetentionDays: 90,
      additionalNamespaces: ['a', 'b'],
      githubOwnerId: '42',
    });
    expect(configFromContext((k) => context[k]).clusterAccessRoleArn).toBeUndefined();
  });
});
