import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromContext, parseInfraConfig, type InfraConfigInput } from '../../infra/lib/config.js';
import { loadConfig } from '../../lambda/config.js';
import { DEFAULT_APPLY_POLICY } from '../../src/policy/index.js';
import { driftMetricRecord } from '../../src/reconciler/metric.js';
import { ThanosGitopsStack } from '../../infra/lib/thanos-gitops-stack.js';
import {
  functionEnvironmentSchema,
  parseFunctionEnvironment,
  RUNTIME_VARIABLES,
} from '../../src/reconciler/function-environment.js';

type Json = Record<string, unknown>;
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Json;
}

const PARTITION = { Ref: 'AWS::Partition' };
const arn = (...parts: string[]) => ({ 'Fn::Join': ['', ['arn:', PARTITION, ...parts]] });
const getAtt = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

const base: InfraConfigInput = {
  account: '111122223333',
  region: 'eu-west-1',
  clusterName: 'observability',
  githubOwner: 'example-org',
  githubRepo: 'thanos-config',
  namespace: 'thanos',
};

/** Same account, both OIDC subject forms, IRSA rotation, a new OIDC provider. */
const sameAccount: InfraConfigInput = { ...base, githubOwnerId: '1234567', githubRepoId: 890123456 };
/** Cluster in another account, name-only subjects, a GitHub environment, access-key rotation, an imported provider. */
const crossAccount: InfraConfigInput = {
  ...base,
  environment: 'staging',
  githubEnvironment: 'staging',
  clusterAccessRoleArn: 'arn:aws:iam::444455556666:role/thanos-gitops-cluster-access',
  rotationMode: 'accessKeys',
  iamUserName: 'thanos-objstore',
  existingOidcProviderArn: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com',
  alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:oncall',
  reconcileSchedule: 'rate(30 minutes)',
  rotateSchedule: 'cron(0 3 * * ? *)',
  additionalNamespaces: ['thanos-extra'],
};

let assetDir: string;
let same: { stack: ThanosGitopsStack; template: Template; json: Json };
let cross: { stack: ThanosGitopsStack; template: Template; json: Json };

function synth(input: InfraConfigInput) {
  const app = new App();
  const config = parseInfraConfig(input);
  const stack = new ThanosGitopsStack(app, `Test-${config.environment}`, {
    config,
    env: { account: config.account, region: config.region },
    lambdaCode: lambda.Code.fromAsset(assetDir),
  });
  const template = Template.fromStack(stack);
  return { stack, template, json: template.toJSON() as Json };
}

function resources(json: Json, type: string): Record<string, Json> {
  const all = json.Resources as Record<string, Json>;
  return Object.fromEntries(Object.entries(all).filter(([, r]) => r.Type === type));
}

function onlyId(json: Json, type: string, prefix: string): string {
  const ids = Object.keys(resources(json, type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}`).toHaveLength(1);
  return ids[0]!;
}

/** Every identity statement attached to a role, from its default policy (the stack makes no inline or managed ones). */
function roleStatements(json: Json, roleId: string): Statement[] {
  const role = (json.Resources as Record<string, Json>)[roleId]!.Properties as Json;
  expect(role.Policies, `${roleId} has inline policies`).toBeUndefined();
  expect(role.ManagedPolicyArns, `${roleId} has managed policies`).toBeUndefined();
  return Object.values(resources(json, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify((p.Properties as Json).Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => ((p.Properties as Json).PolicyDocument as { Statement: Statement[] }).Statement);
}

function trust(json: Json, roleId: string): Statement[] {
  const role = (json.Resources as Record<string, Json>)[roleId]!.Properties as Json;
  return (role.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
}

/** Every value under an `Action`/`NotAction` or `Resource`/`NotResource` key anywhere in the template. */
function collect(node: unknown, keys: string[], out: unknown[] = []): unknown[] {
  if (Array.isArray(node)) for (const item of node) collect(item, keys, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (keys.includes(key)) out.push(...(Array.isArray(value) ? value : [value]));
      else collect(value, keys, out);
    }
  }
  return out;
}

/** Whether an identity statement list allows `action` on `resource` (exact or `*`-pattern match, tokens compared as JSON). */
function allows(statements: Statement[], action: string, resource: unknown): boolean {
  const matches = (pattern: unknown, value: unknown) => {
    if (typeof pattern === 'string' && typeof value === 'string') {
      return new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.?+^$()[\]{}|\\]/g, '\\$&'))
          .join('.*')}$`,
        'i',
      ).test(value);
    }
    return pattern === '*' || JSON.stringify(pattern) === JSON.stringify(value);
  };
  return statements.some((s) => {
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    const resourcesOf = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    return (
      s.Effect === 'Allow' && actions.some((a) => matches(a, action)) && resourcesOf.some((r) => matches(r, resource))
    );
  });
}

beforeAll(() => {
  assetDir = mkdtempSync(join(tmpdir(), 'thanos-gitops-infra-'));
  writeFileSync(join(assetDir, 'index.mjs'), 'export const handler = async () => ({});\n');
  same = synth(sameAccount);
  cross = synth(crossAccount);
}, 120_000);

afterAll(() => rmSync(assetDir, { recursive: true, force: true }));

describe('functions', () => {
  it('runs plan and apply from the same bundle on Node.js 24, arm64, JSON logs, sized per mode', () => {
    const fns = resources(same.json, 'AWS::Lambda::Function');
    expect(Object.keys(fns).sort()).toEqual(
      [
        onlyId(same.json, 'AWS::Lambda::Function', 'ApplyFunction'),
        onlyId(same.json, 'AWS::Lambda::Function', 'PlanFunction'),
      ].sort(),
    );
    const props = Object.fromEntries(
      Object.entries(fns).map(([id, r]) => [id.startsWith('Plan') ? 'plan' : 'apply', r.Properties as Json]),
    );
    expect(props.plan!.Code).toEqual(props.apply!.Code);
    for (const [mode, p] of Object.entries(props)) {
      expect(p).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 1024,
      });
      expect(p.LoggingConfig).toMatchObject({
        LogFormat: 'JSON',
        LogGroup: { Ref: onlyId(same.json, 'AWS::Logs::LogGroup', mode === 'plan' ? 'Plan' : 'Apply') },
      });
    }
    expect(props.apply!.Timeout).toBe(900);
    expect(props.plan!.Timeout).toBe(300);
  });

  it('gives each function its mode and the reconciler settings, and nothing secret', () => {
    const env = (id: string) =>
      ((resources(same.json, 'AWS::Lambda::Function')[id]!.Properties as Json).Environment as Json).Variables;
    const common = {
      CLUSTER_NAME: 'observability',
      TARGET_NAMESPACES: 'thanos',
      ALLOWED_KINDS:
        'ConfigMap,Secret,Service,ServiceAccount,Deployment.apps,StatefulSet.apps,PodDisruptionBudget.policy,ServiceMonitor.monitoring.coreos.com',
      ALLOW_CLUSTER_SCOPED: 'false',
      ENVIRONMENT: 'production',
    };
    expect(env(onlyId(same.json, 'AWS::Lambda::Function', 'PlanFunction'))).toEqual({
      THANOS_GITOPS_MODE: 'plan',
      ...common,
    });
    expect(env(onlyId(same.json, 'AWS::Lambda::Function', 'ApplyFunction'))).toEqual({
      THANOS_GITOPS_MODE: 'apply',
      ...common,
      ROTATION_MODE: 'irsa',
    });
    const crossEnv = (id: string) =>
      ((resources(cross.json, 'AWS::Lambda::Function')[id]!.Properties as Json).Environment as Json).Variables;
    expect(crossEnv(onlyId(cross.json, 'AWS::Lambda::Function', 'ApplyFunction'))).toEqual({
      THANOS_GITOPS_MODE: 'apply',
      CLUSTER_NAME: 'observability',
      CLUSTER_ROLE_ARN: crossAccount.clusterAccessRoleArn,
      TARGET_NAMESPACES: 'thanos,thanos-extra',
      ALLOWED_KINDS: common.ALLOWED_KINDS,
      ALLOW_CLUSTER_SCOPED: 'false',
      ENVIRONMENT: 'staging',
      ROTATION_MODE: 'accessKeys',
      IAM_USER_NAME: 'thanos-objstore',
    });
    expect(crossEnv(onlyId(cross.json, 'AWS::Lambda::Function', 'PlanFunction'))).toMatchObject({
      THANOS_GITOPS_MODE: 'plan',
      CLUSTER_ROLE_ARN: crossAccount.clusterAccessRoleArn,
    });
  });

  it('passes a configured apply policy to both functions, which load exactly that policy', () => {
    const policy = {
      ...DEFAULT_APPLY_POLICY,
      serviceTypes: ['ClusterIP', 'LoadBalancer'] as ('ClusterIP' | 'LoadBalancer')[],
    };
    const custom = synth({ ...sameAccount, applyPolicy: policy });
    for (const mode of ['PlanFunction', 'ApplyFunction']) {
      const variables = (
        (
          resources(custom.json, 'AWS::Lambda::Function')[onlyId(custom.json, 'AWS::Lambda::Function', mode)]!
            .Properties as Json
        ).Environment as Json
      ).Variables as Record<string, string>;
      const loaded = loadConfig({ ...variables, AWS_REGION: 'eu-west-1' });
      expect(loaded.policy.apply).toEqual(policy);
      expect(loaded.policy.allowedKinds).toEqual(policy.kinds);
      expect(loaded.policy.applySource).toBe('APPLY_POLICY');
    }
    expect(() => parseInfraConfig({ ...sameAccount, applyPolicy: { ...policy, serviceTypes: ['Ingress'] } })).toThrow(
      /applyPolicy\.serviceTypes\.0/,
    );
    expect(
      configFromContext((key) =>
        key === 'applyPolicy' ? JSON.stringify(policy) : (sameAccount as Record<string, unknown>)[key],
      ).applyPolicy,
    ).toEqual(policy);
    expect(() =>
      configFromContext((key) => (key === 'applyPolicy' ? '{not json' : (sameAccount as Record<string, unknown>)[key])),
    ).toThrow(/context applyPolicy: not JSON/);
  });

  it('sets exactly the variables the function environment schema names (one table for both sides)', () => {
    const withPolicy = synth({ ...sameAccount, applyPolicy: DEFAULT_APPLY_POLICY });
    const synthesized = new Set<string>();
    for (const { json } of [same, cross, withPolicy]) {
      for (const fn of Object.values(resources(json, 'AWS::Lambda::Function'))) {
        for (const name of Object.keys(((fn.Properties as Json).Environment as Json).Variables as Json))
          synthesized.add(name);
      }
    }
    // The schema reads those and the variables only the runtime or an operator sets, nothing else.
    expect([...synthesized, ...RUNTIME_VARIABLES].sort()).toEqual(Object.keys(functionEnvironmentSchema.shape).sort());
    for (const name of RUNTIME_VARIABLES) expect(synthesized.has(name)).toBe(false);
    for (const { json } of [same, cross, withPolicy]) {
      for (const fn of Object.values(resources(json, 'AWS::Lambda::Function'))) {
        const variables = ((fn.Properties as Json).Environment as Json).Variables as Record<string, string>;
        expect(() => parseFunctionEnvironment({ ...variables, AWS_REGION: 'eu-west-1' })).not.toThrow();
      }
    }
  });

  it('puts no credential into the template: no secret-like variable, no access key, no token', () => {
    for (const { json } of [same, cross]) {
      for (const fn of Object.values(resources(json, 'AWS::Lambda::Function'))) {
        const variables = (((fn.Properties as Json).Environment as Json).Variables ?? {}) as Record<string, unknown>;
        for (const name of Object.keys(variables)) expect(name).not.toMatch(/SECRET|TOKEN|PASSWORD|ACCESS_KEY|PRIVATE/);
      }
      const text = JSON.stringify(json);
      expect(text).not.toMatch(/AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|-----BEGIN|"SecretAccessKey"/);
      expect(Object.keys(resources(json, 'AWS::IAM::AccessKey'))).toEqual([]);
    }
  });

  it('keeps logs in retained log groups with a retention', () => {
    for (const group of Object.values(resources(same.json, 'AWS::Logs::LogGroup'))) {
      expect(group).toMatchObject({ Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Retain' });
    }
  });

  it('sends failed scheduled runs of apply to the dead-letter queue after one retry', () => {
    const dlq = onlyId(same.json, 'AWS::SQS::Queue', 'DeadLetterQueue');
    same.template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    same.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: onlyId(same.json, 'AWS::Lambda::Function', 'ApplyFunction') },
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: getAtt(dlq) } },
    });
    same.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
  });
});

describe('IAM: every statement of every role, pinned', () => {
  it('has exactly five roles', () => {
    expect(
      Object.keys(resources(same.json, 'AWS::IAM::Role'))
        .map((id) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort(),
    ).toEqual(['ApplyFunctionRole', 'GitHubApplyRole', 'GitHubPlanRole', 'PlanFunctionRole', 'SchedulerRole'].sort());
  });

  it('same account: each function writes its own log group and describes the one cluster', () => {
    const cluster = arn(':eks:eu-west-1:111122223333:cluster/observability');
    const logs = (mode: string) => ({
      Sid: 'WriteOwnLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: getAtt(onlyId(same.json, 'AWS::Logs::LogGroup', mode)),
    });
    const describe = { Sid: 'DescribeCluster', Effect: 'Allow', Action: 'eks:DescribeCluster', Resource: cluster };
    expect(roleStatements(same.json, onlyId(same.json, 'AWS::IAM::Role', 'PlanFunctionRole'))).toEqual([
      logs('Plan'),
      describe,
    ]);
    expect(roleStatements(same.json, onlyId(same.json, 'AWS::IAM::Role', 'ApplyFunctionRole'))).toEqual([
      logs('Apply'),
      describe,
      {
        Sid: 'SendFailedRunsToDeadLetterQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: getAtt(onlyId(same.json, 'AWS::SQS::Queue', 'DeadLetterQueue')),
      },
    ]);
  });

  it('cross account: only sts:AssumeRole on the cluster-access role (no DescribeCluster here); access keys of the one user', () => {
    const j = cross.json;
    const logs = (mode: string) => ({
      Sid: 'WriteOwnLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: getAtt(onlyId(j, 'AWS::Logs::LogGroup', mode)),
    });
    const assume = {
      Sid: 'AssumeClusterAccessRole',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: crossAccount.clusterAccessRoleArn,
    };
    expect(roleStatements(j, onlyId(j, 'AWS::IAM::Role', 'PlanFunctionRole'))).toEqual([logs('Plan'), assume]);
    expect(roleStatements(j, onlyId(j, 'AWS::IAM::Role', 'ApplyFunctionRole'))).toEqual([
      logs('Apply'),
      assume,
      {
        Sid: 'RotateObjectStoreAccessKeys',
        Effect: 'Allow',
        Action: ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:ListAccessKeys', 'iam:UpdateAccessKey'],
        Resource: arn(':iam::111122223333:user/thanos-objstore'),
      },
      {
        Sid: 'SendFailedRunsToDeadLetterQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: getAtt(onlyId(j, 'AWS::SQS::Queue', 'DeadLetterQueue')),
      },
    ]);
  });

  it('GitHub roles may invoke only their own function; the scheduler only apply and the queue', () => {
    for (const { json } of [same, cross]) {
      const fn = (mode: string) => getAtt(onlyId(json, 'AWS::Lambda::Function', mode));
      expect(roleStatements(json, onlyId(json, 'AWS::IAM::Role', 'GitHubPlanRole'))).toEqual([
        { Sid: 'InvokePlanFunction', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fn('PlanFunction') },
      ]);
      expect(roleStatements(json, onlyId(json, 'AWS::IAM::Role', 'GitHubApplyRole'))).toEqual([
        { Sid: 'InvokeApplyFunction', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fn('ApplyFunction') },
      ]);
      expect(roleStatements(json, onlyId(json, 'AWS::IAM::Role', 'SchedulerRole'))).toEqual([
        { Sid: 'InvokeApplyFunction', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fn('ApplyFunction') },
        {
          Sid: 'SendToDeadLetterQueue',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: getAtt(onlyId(json, 'AWS::SQS::Queue', 'DeadLetterQueue')),
        },
      ]);
    }
  });

  it('the plan role cannot invoke the apply function, and the apply role cannot invoke plan', () => {
    const j = same.json;
    const planFn = getAtt(onlyId(j, 'AWS::Lambda::Function', 'PlanFunction'));
    const applyFn = getAtt(onlyId(j, 'AWS::Lambda::Function', 'ApplyFunction'));
    const plan = roleStatements(j, onlyId(j, 'AWS::IAM::Role', 'GitHubPlanRole'));
    const apply = roleStatements(j, onlyId(j, 'AWS::IAM::Role', 'GitHubApplyRole'));
    expect(allows(plan, 'lambda:InvokeFunction', planFn)).toBe(true);
    expect(allows(plan, 'lambda:InvokeFunction', applyFn)).toBe(false);
    expect(allows(apply, 'lambda:InvokeFunction', applyFn)).toBe(true);
    expect(allows(apply, 'lambda:InvokeFunction', planFn)).toBe(false);
    // Nor may either change the functions, their configuration or their permissions.
    for (const statements of [plan, apply]) {
      for (const action of [
        'lambda:UpdateFunctionCode',
        'lambda:UpdateFunctionConfiguration',
        'lambda:AddPermission',
        'lambda:InvokeAsync',
      ]) {
        expect(allows(statements, action, applyFn)).toBe(false);
      }
    }
    // No Lambda resource policy widens this: invocation rights come from the roles alone.
    same.template.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  it('has no "*" action anywhere and no wildcard resource beyond the one justified pattern', () => {
    for (const { json } of [same, cross]) {
      const actions = collect(json.Resources, ['Action', 'NotAction']);
      expect(actions.length).toBeGreaterThan(10);
      for (const action of actions) {
        expect(typeof action, JSON.stringify(action)).toBe('string');
        expect(action as string).not.toContain('*');
      }
      const literal = collect(json.Resources, ['Resource', 'NotResource']).filter((r) =>
        JSON.stringify(r).includes('*'),
      );
      // Justified: none. (The only pattern is the log group's own GetAtt Arn, "...:log-group:<name>:*", which CloudFormation
      // resolves to that group's log streams; no literal "*" resource is written.)
      expect(literal).toEqual([]);
      const logResources = collect(json.Resources, ['Resource']).filter((r) => JSON.stringify(r).includes('LogGroup'));
      expect(
        logResources.every(
          (r) => JSON.stringify(r).startsWith('{"Fn::GetAtt":["') && JSON.stringify(r).endsWith('","Arn"]}'),
        ),
      ).toBe(true);
      expect(collect(json.Resources, ['ManagedPolicyArns'])).toEqual([]);
    }
  });
});

describe('GitHub OIDC trust', () => {
  const aud = { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' };

  it('creates the provider for the sts.amazonaws.com audience, or imports the given one', () => {
    same.template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    same.template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
    cross.template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect(trust(cross.json, onlyId(cross.json, 'AWS::IAM::Role', 'GitHubPlanRole'))[0]!.Principal).toEqual({
      Federated: crossAccount.existingOidcProviderArn,
    });
  });

  it('plan trusts only pull_request, apply only the default branch; both name and immutable subject forms', () => {
    const provider = { Federated: { Ref: onlyId(same.json, 'AWS::IAM::OIDCProvider', 'GitHubOidcProvider') } };
    expect(trust(same.json, onlyId(same.json, 'AWS::IAM::Role', 'GitHubPlanRole'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: provider,
        Condition: {
          StringEquals: {
            ...aud,
            'token.actions.githubusercontent.com:sub': [
              'repo:example-org/thanos-config:pull_request',
              'repo:example-org@1234567/thanos-config@890123456:pull_request',
            ],
          },
        },
      },
    ]);
    expect(trust(same.json, onlyId(same.json, 'AWS::IAM::Role', 'GitHubApplyRole'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: provider,
        Condition: {
          StringEquals: {
            ...aud,
            'token.actions.githubusercontent.com:sub': [
              'repo:example-org/thanos-config:ref:refs/heads/main',
              'repo:example-org@1234567/thanos-config@890123456:ref:refs/heads/main',
            ],
          },
        },
      },
    ]);
  });

  it('without ids uses the name form; with a GitHub environment apply trusts that environment, not the branch', () => {
    const provider = { Federated: crossAccount.existingOidcProviderArn };
    expect(trust(cross.json, onlyId(cross.json, 'AWS::IAM::Role', 'GitHubPlanRole'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: provider,
        Condition: {
          StringEquals: {
            ...aud,
            'token.actions.githubusercontent.com:sub': 'repo:example-org/thanos-config:pull_request',
          },
        },
      },
    ]);
    expect(trust(cross.json, onlyId(cross.json, 'AWS::IAM::Role', 'GitHubApplyRole'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: provider,
        Condition: {
          StringEquals: {
            ...aud,
            'token.actions.githubusercontent.com:sub': 'repo:example-org/thanos-config:environment:staging',
          },
        },
      },
    ]);
  });

  it('warns at synth when the apply role trusts the default branch instead of a GitHub environment', () => {
    const warnings = (stack: ThanosGitopsStack) =>
      Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('apply role trusts every workflow on main'));
    expect(warnings(same.stack)).toHaveLength(1);
    expect(warnings(cross.stack)).toHaveLength(0);
  });

  it("warns at synth when, cross-account, the plan function would share the apply function's cluster role", () => {
    const shared = (stack: ThanosGitopsStack) =>
      Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('set planClusterAccessRoleArn'));
    expect(shared(cross.stack)).toHaveLength(1);
    const withPlanRole = synth({
      ...crossAccount,
      planClusterAccessRoleArn: 'arn:aws:iam::444455556666:role/thanos-gitops-plan-access',
    });
    expect(shared(withPlanRole.stack)).toHaveLength(0);
    expect(shared(same.stack)).toHaveLength(0);
  });

  it("function and scheduler roles trust only their service (the scheduler only this account's schedules)", () => {
    const j = same.json;
    for (const mode of ['PlanFunctionRole', 'ApplyFunctionRole']) {
      expect(trust(j, onlyId(j, 'AWS::IAM::Role', mode))).toEqual([
        { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
    expect(trust(j, onlyId(j, 'AWS::IAM::Role', 'SchedulerRole'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111122223333' },
          ArnLike: { 'aws:SourceArn': arn(':scheduler:eu-west-1:111122223333:schedule/default/*') },
        },
      },
    ]);
  });
});

describe('EKS access entries', () => {
  it('maps each function role to its Kubernetes group, STANDARD, with no access policy', () => {
    const entries = Object.entries(resources(same.json, 'AWS::EKS::AccessEntry')).map(([id, r]) => [id, r.Properties]);
    expect(Object.fromEntries(entries)).toEqual({
      PlanAccessEntry: expect.objectContaining({
        ClusterName: 'observability',
        Type: 'STANDARD',
        KubernetesGroups: ['thanos-gitops-plan'],
        PrincipalArn: getAtt(onlyId(same.json, 'AWS::IAM::Role', 'PlanFunctionRole')),
      }),
      ApplyAccessEntry: expect.objectContaining({
        ClusterName: 'observability',
        Type: 'STANDARD',
        KubernetesGroups: ['thanos-gitops-apply'],
        PrincipalArn: getAtt(onlyId(same.json, 'AWS::IAM::Role', 'ApplyFunctionRole')),
      }),
    });
    for (const [, props] of entries) expect((props as Json).AccessPolicies).toBeUndefined();
  });

  it('cross account: no entries here (the cluster account maps the cluster-access role)', () => {
    cross.template.resourceCountIs('AWS::EKS::AccessEntry', 0);
  });

  it('ships the Role/RoleBinding for every namespace and both modes', () => {
    expect(
      cross.stack.rbac.map((m) => `${m.object.kind} ${m.object.metadata.namespace}/${m.object.metadata.name}`),
    ).toEqual([
      'Role thanos/thanos-gitops-apply',
      'RoleBinding thanos/thanos-gitops-apply',
      'Role thanos-extra/thanos-gitops-apply',
      'RoleBinding thanos-extra/thanos-gitops-apply',
      'Role thanos/thanos-gitops-plan',
      'RoleBinding thanos/thanos-gitops-plan',
      'Role thanos-extra/thanos-gitops-plan',
      'RoleBinding thanos-extra/thanos-gitops-plan',
      'ValidatingAdmissionPolicy undefined/thanos-gitops-plan-dry-run-only',
      'ValidatingAdmissionPolicyBinding undefined/thanos-gitops-plan-dry-run-only',
    ]);
  });
});

describe('schedules', () => {
  it('reconcile and rotate invoke the apply function with retries and the dead-letter queue', () => {
    for (const [{ json }, reconcile, rotate] of [
      [same, 'rate(15 minutes)', 'rate(1 day)'],
      [cross, 'rate(30 minutes)', 'cron(0 3 * * ? *)'],
    ] as const) {
      const target = (input: string, retry: Json) => ({
        Arn: getAtt(onlyId(json, 'AWS::Lambda::Function', 'ApplyFunction')),
        RoleArn: getAtt(onlyId(json, 'AWS::IAM::Role', 'SchedulerRole')),
        Input: input,
        RetryPolicy: retry,
        DeadLetterConfig: { Arn: getAtt(onlyId(json, 'AWS::SQS::Queue', 'DeadLetterQueue')) },
      });
      const schedules = resources(json, 'AWS::Scheduler::Schedule');
      expect(Object.keys(schedules).sort()).toEqual(['ReconcileSchedule', 'RotateSchedule']);
      expect(schedules.ReconcileSchedule!.Properties).toMatchObject({
        ScheduleExpression: reconcile,
        ScheduleExpressionTimezone: 'UTC',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: target('{"action":"reconcile"}', { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 }),
      });
      expect(schedules.RotateSchedule!.Properties).toMatchObject({
        ScheduleExpression: rotate,
        Target: target('{"action":"rotate"}', { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 }),
      });
      // The scheduler's policy exists before a schedule can fire.
      expect(schedules.ReconcileSchedule!.DependsOn).toContain(
        onlyId(json, 'AWS::IAM::Policy', 'SchedulerRoleDefaultPolicy'),
      );
    }
  });
});

describe('alarms', () => {
  it('alarms on apply errors, on drift (the EMF metric) and on the dead-letter queue', () => {
    const alarms = resources(same.json, 'AWS::CloudWatch::Alarm');
    const byId = (prefix: string) => alarms[onlyId(same.json, 'AWS::CloudWatch::Alarm', prefix)]!.Properties as Json;
    expect(Object.keys(alarms)).toHaveLength(3);
    const threshold = {
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    };
    expect(byId('ApplyErrorsAlarm')).toMatchObject({
      ...threshold,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 300,
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: onlyId(same.json, 'AWS::Lambda::Function', 'ApplyFunction') } },
      ],
    });
    expect(byId('DriftAlarm')).toMatchObject({
      ...threshold,
      Namespace: 'ThanosGitops',
      MetricName: 'DriftedObjects',
      Statistic: 'Maximum',
      Period: 3600,
      Dimensions: [{ Name: 'Environment', Value: 'production' }],
    });
    expect(byId('DeadLetterAlarm')).toMatchObject({
      ...threshold,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [onlyId(same.json, 'AWS::SQS::Queue', 'DeadLetterQueue'), 'QueueName'] },
        },
      ],
    });
    for (const alarm of Object.values(alarms)) expect((alarm.Properties as Json).AlarmActions).toBeUndefined();
    for (const alarm of Object.values(resources(cross.json, 'AWS::CloudWatch::Alarm'))) {
      expect((alarm.Properties as Json).AlarmActions).toEqual([crossAccount.alarmTopicArn]);
    }
  });

  it('the drift metric record is EMF that matches the alarm (namespace, metric, dimension)', () => {
    const record = JSON.parse(driftMetricRecord('production', 3, 1_700_000_000_000)) as Json;
    expect(record).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'ThanosGitops',
            Dimensions: [['Environment']],
            Metrics: [{ Name: 'DriftedObjects', Unit: 'Count' }],
          },
        ],
      },
      Environment: 'production',
      DriftedObjects: 3,
    });
  });
});

describe('outputs and the permission table', () => {
  it('outputs what the Action needs', () => {
    const outputs = same.json.Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'ApplyFunctionName',
        'ApplyFunctionRoleArn',
        'ApplyRoleArn',
        'ClusterName',
        'DeadLetterQueueUrl',
        'PlanFunctionName',
        'PlanFunctionRoleArn',
        'PlanRoleArn',
        'RbacCommand',
        'Region',
      ].sort(),
    );
    expect(outputs.PlanRoleArn!.Value).toEqual(getAtt(onlyId(same.json, 'AWS::IAM::Role', 'GitHubPlanRole')));
    expect(outputs.ApplyRoleArn!.Value).toEqual(getAtt(onlyId(same.json, 'AWS::IAM::Role', 'GitHubApplyRole')));
    expect(outputs.PlanFunctionName!.Value).toEqual({
      Ref: onlyId(same.json, 'AWS::Lambda::Function', 'PlanFunction'),
    });
    expect(outputs.ApplyFunctionName!.Value).toEqual({
      Ref: onlyId(same.json, 'AWS::Lambda::Function', 'ApplyFunction'),
    });
    expect(outputs.Region!.Value).toBe('eu-west-1');
    expect(outputs.RbacCommand!.Value).toBe(
      'thanos-gitops rbac --namespace thanos --mode apply | kubectl apply -f - && thanos-gitops rbac --namespace thanos --mode plan | kubectl apply -f -',
    );
  });

  it('README documents every permission the stack grants', () => {
    const readme = readFileSync(new URL('../../infra/README.md', import.meta.url), 'utf8');
    for (const grant of [...same.stack.permissions, ...cross.stack.permissions]) {
      for (const action of grant.actions) {
        const row = readme
          .split('\n')
          .find((line) => line.startsWith('|') && line.includes(`\`${action}\``) && line.includes(grant.principal));
        expect(row, `README row for ${grant.principal} ${action}`).toBeDefined();
      }
    }
  });
});
