import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEFAULT_GROUPS, allowedKindsValue, rbacManifests } from '../../src/kube/rbac.js';
import type { ManifestSet } from '../../src/model/objects.js';
import type { StackVariables } from '../../src/reconciler/function-environment.js';
import { roleAccount, type InfraConfig } from './config.js';
import { DRIFT_METRIC_DIMENSION, DRIFT_METRIC_NAME, DRIFT_METRIC_NAMESPACE } from '../../src/reconciler/metric.js';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** Where `npm run build` puts the Lambda bundle (handler `index.handler` in `index.mjs`). */
export const DEFAULT_LAMBDA_ASSET_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/lambda');

/** Sizing: apply may run Lambda's 15-minute maximum (rollout waits); plan only dry-runs and must answer a PR fast. */
export const FUNCTION_SIZING = {
  plan: { memoryMiB: 1024, timeout: Duration.minutes(5) },
  apply: { memoryMiB: 1024, timeout: Duration.minutes(15) },
} as const;

/**
 * Scheduler retries cover delivery failures (throttling, the function briefly missing); the event age keeps a late
 * reconcile from running after the next one is due. Both then go to the dead-letter queue.
 */
export const SCHEDULE_RETRY = {
  reconcile: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 600 },
  rotate: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 },
} as const;

export interface ThanosGitopsStackProps extends StackProps {
  config: InfraConfig;
  /** The Lambda bundle; defaults to `dist/lambda` of this repository (built by `npm run build`). */
  lambdaCode?: lambda.Code;
}

/** One row of the permission table: who may do what on which resource, and why. */
export interface PermissionGrant {
  principal: string;
  sid: string;
  actions: string[];
  resources: string[];
  reason: string;
}

/** Sends the function's failed asynchronous invocations to the queue; the send permission is granted explicitly. */
class QueueFailureDestination implements lambda.IDestination {
  constructor(private readonly queue: sqs.IQueue) {}
  bind(): lambda.DestinationConfig {
    return { destination: this.queue.queueArn };
  }
}

export function githubSubjects(config: InfraConfig, suffix: string): string[] {
  const byName = `repo:${config.githubOwner}/${config.githubRepo}:${suffix}`;
  if (config.githubOwnerId === undefined || config.githubRepoId === undefined) return [byName];
  const immutable = `repo:${config.githubOwner}@${config.githubOwnerId}/${config.githubRepo}@${config.githubRepoId}:${suffix}`;
  // Both forms: GitHub sends the immutable one once the org opts in (the default for new repositories); the name form
  // keeps existing repositories working until then.
  return [byName, immutable];
}

/** The `sub` suffix the apply role trusts: the environment when deployments are gated by one, else the default branch. */
export function applySubjectSuffix(config: InfraConfig): string {
  return config.githubEnvironment
    ? `environment:${config.githubEnvironment}`
    : `ref:refs/heads/${config.defaultBranch}`;
}

export class ThanosGitopsStack extends Stack {
  readonly planFunction: lambda.Function;
  readonly applyFunction: lambda.Function;
  readonly planRole: iam.Role;
  readonly applyRole: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  /** Every IAM grant the stack makes, for the README table and the tests. */
  readonly permissions: PermissionGrant[] = [];
  /** The Role/RoleBinding manifests (both modes, every target namespace) a cluster admin applies once. */
  readonly rbac: ManifestSet;

  constructor(scope: Construct, id: string, props: ThanosGitopsStackProps) {
    super(scope, id, props);
    const { config } = props;
    Tags.of(this).add('app.kubernetes.io/part-of', 'thanos-gitops');
    Tags.of(this).add('thanos-gitops/environment', config.environment);

    const code = props.lambdaCode ?? defaultLambdaCode();
    const namespaces = [...new Set([config.namespace, ...config.additionalNamespaces])];
    const crossAccount = config.clusterAccessRoleArn !== undefined;
    const clusterAccount = crossAccount ? roleAccount(config.clusterAccessRoleArn!) : this.account;
    const clusterArn = this.formatArn({
      service: 'eks',
      account: clusterAccount,
      resource: 'cluster',
      resourceName: config.clusterName,
    });

    this.rbac = [
      ...rbacManifests({ namespaces, mode: 'apply' }),
      ...rbacManifests({ namespaces, mode: 'plan', environments: [config.environment] }),
    ];

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });

    const commonEnvironment: StackVariables = {
      CLUSTER_NAME: config.clusterName,
      TARGET_NAMESPACES: namespaces.join(','),
      // A configured policy's kinds replace the default list; the Roles still grant only the managed kinds.
      ALLOWED_KINDS: config.applyPolicy ? config.applyPolicy.kinds.join(',') : allowedKindsValue(),
      ALLOW_CLUSTER_SCOPED: String(config.allowClusterScoped),
      ENVIRONMENT: config.environment,
      ...(config.applyPolicy ? { APPLY_POLICY: JSON.stringify(config.applyPolicy) } : {}),
    };

    const makeFunction = (mode: 'plan' | 'apply', clusterRoleArn: string | undefined) => {
      const name = mode === 'plan' ? 'Plan' : 'Apply';
      const logGroup = new logs.LogGroup(this, `${name}LogGroup`, {
        retention: config.logRetentionDays as logs.RetentionDays,
        // Apply logs are the audit trail of what changed in the cluster: they outlive the stack.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const role = new iam.Role(this, `${name}FunctionRole`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `thanos-gitops ${mode} function (${config.environment}); no managed policies, see infra/README.md`,
      });
      const principal = `${name}FunctionRole`;
      this.grant(role, {
        principal,
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
        reason: "Function logs (and the EMF drift metric) go to this function's own log group only.",
      });
      if (clusterRoleArn) {
        this.grant(role, {
          principal,
          sid: 'AssumeClusterAccessRole',
          actions: ['sts:AssumeRole'],
          resources: [clusterRoleArn],
          reason:
            'The cluster lives in another account: that role is the one its access entry maps, and it calls eks:DescribeCluster.',
        });
      } else {
        this.grant(role, {
          principal,
          sid: 'DescribeCluster',
          actions: ['eks:DescribeCluster'],
          resources: [clusterArn],
          reason:
            'Endpoint and CA of the one cluster; the bearer token itself is a presigned sts:GetCallerIdentity, which needs no permission.',
        });
      }
      const sizing = FUNCTION_SIZING[mode];
      const environment: StackVariables = { THANOS_GITOPS_MODE: mode, ...commonEnvironment };
      if (clusterRoleArn) environment.CLUSTER_ROLE_ARN = clusterRoleArn;
      const fn = new lambda.Function(this, `${name}Function`, {
        description: `thanos-gitops ${mode} (${config.environment}): ${mode === 'plan' ? 'server-side dry-run only' : 'apply, reconcile, rotate, rollback'}`,
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code,
        role,
        memorySize: sizing.memoryMiB,
        timeout: sizing.timeout,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
        systemLogLevelV2: lambda.SystemLogLevel.WARN,
        environment,
      });
      return { fn, role, principal };
    };

    const plan = makeFunction('plan', config.planClusterAccessRoleArn ?? config.clusterAccessRoleArn);
    const apply = makeFunction('apply', config.clusterAccessRoleArn);
    this.planFunction = plan.fn;
    this.applyFunction = apply.fn;

    apply.fn.addEnvironment('ROTATION_MODE' satisfies keyof StackVariables, config.rotationMode);
    if (config.rotationMode === 'accessKeys') {
      const userName = config.iamUserName!;
      apply.fn.addEnvironment('IAM_USER_NAME' satisfies keyof StackVariables, userName);
      this.grant(apply.role, {
        principal: apply.principal,
        sid: 'RotateObjectStoreAccessKeys',
        actions: ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:ListAccessKeys', 'iam:UpdateAccessKey'],
        resources: [this.formatArn({ service: 'iam', region: '', resource: 'user', resourceName: userName })],
        reason:
          'rotationMode accessKeys: create the new key, deactivate and delete the old one, of this one IAM user only.',
      });
    }

    // Scheduled runs are asynchronous invocations: one retry, then the event lands in the dead-letter queue.
    apply.fn.configureAsyncInvoke({
      retryAttempts: 1,
      maxEventAge: Duration.hours(1),
      onFailure: new QueueFailureDestination(this.deadLetterQueue),
    });
    this.grant(apply.role, {
      principal: apply.principal,
      sid: 'SendFailedRunsToDeadLetterQueue',
      actions: ['sqs:SendMessage'],
      resources: [this.deadLetterQueue.queueArn],
      reason:
        'On-failure destination of scheduled (asynchronous) runs: the failed event goes to the dead-letter queue.',
    });

    if (!crossAccount) {
      for (const [mode, side] of [
        ['plan', plan],
        ['apply', apply],
      ] as const) {
        new eks.CfnAccessEntry(this, `${mode === 'plan' ? 'Plan' : 'Apply'}AccessEntry`, {
          clusterName: config.clusterName,
          principalArn: side.role.roleArn,
          type: 'STANDARD',
          // No access policy: the group's namespace Role (thanos-gitops rbac) is the whole grant.
          kubernetesGroups: [DEFAULT_GROUPS[mode]],
        });
      }
    }

    if (crossAccount && !config.planClusterAccessRoleArn) {
      // Both functions would reach the cluster as one Kubernetes identity: the plan identity's limits (no Secrets,
      // dry-run only) would then be the apply identity's, or the apply identity would be unable to write.
      Annotations.of(this).addWarningV2(
        'thanos-gitops:plan-shares-cluster-role',
        'the plan function assumes clusterAccessRoleArn like the apply function, so both reach the cluster as one Kubernetes identity; set planClusterAccessRoleArn to a role the cluster account maps to the group thanos-gitops-plan',
      );
    }
    if (!config.githubEnvironment) {
      // Without an environment, any workflow that runs on the default branch (including one a merged PR adds) can
      // assume the apply role; an environment adds required reviewers and branch rules on GitHub's side.
      Annotations.of(this).addWarningV2(
        'thanos-gitops:apply-trusts-branch',
        `the apply role trusts every workflow on ${config.defaultBranch}; set githubEnvironment (a GitHub environment with required reviewers) so only jobs of that environment can apply`,
      );
    }

    // GitHub OIDC: pull requests may only plan; only the default branch (or the gated environment) may apply.
    const provider: iam.IOidcProvider = config.existingOidcProviderArn
      ? iam.OidcProviderNative.fromOidcProviderArn(this, 'GitHubOidcProvider', config.existingOidcProviderArn)
      : new iam.OidcProviderNative(this, 'GitHubOidcProvider', {
          url: `https://${GITHUB_OIDC_HOST}`,
          clientIds: [GITHUB_OIDC_AUDIENCE],
        });
    const githubRole = (name: 'Plan' | 'Apply', subjects: string[], fn: lambda.Function) => {
      const role = new iam.Role(this, `GitHub${name}Role`, {
        assumedBy: new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
            [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0] : subjects,
          },
        }),
        maxSessionDuration: Duration.hours(1),
        description: `GitHub Actions ${config.githubOwner}/${config.githubRepo}: may invoke only the ${name.toLowerCase()} function`,
      });
      this.grant(role, {
        principal: `GitHub${name}Role`,
        sid: `Invoke${name}Function`,
        actions: ['lambda:InvokeFunction'],
        resources: [fn.functionArn],
        reason: `The workflow invokes the ${name.toLowerCase()} function (unqualified ARN only: no versions or aliases).`,
      });
      return role;
    };
    this.planRole = githubRole('Plan', githubSubjects(config, 'pull_request'), plan.fn);
    this.applyRole = githubRole('Apply', githubSubjects(config, applySubjectSuffix(config)), apply.fn);

    // EventBridge Scheduler: reconcile and rotate the apply function; failures after retries go to the queue.
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          // Confused-deputy guard: only schedules of this account's default group may use the role.
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: {
            'aws:SourceArn': this.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: 'default/*' }),
          },
        },
      }),
      description:
        'EventBridge Scheduler: may invoke only the thanos-gitops apply function and send to its dead-letter queue',
    });
    this.grant(schedulerRole, {
      principal: 'SchedulerRole',
      sid: 'InvokeApplyFunction',
      actions: ['lambda:InvokeFunction'],
      resources: [apply.fn.functionArn],
      reason: 'The reconcile and rotate schedules invoke the apply function.',
    });
    this.grant(schedulerRole, {
      principal: 'SchedulerRole',
      sid: 'SendToDeadLetterQueue',
      actions: ['sqs:SendMessage'],
      resources: [this.deadLetterQueue.queueArn],
      reason: 'Events the scheduler could not deliver after its retries.',
    });
    const schedule = (name: 'Reconcile' | 'Rotate', expression: string, action: 'reconcile' | 'rotate') =>
      new scheduler.CfnSchedule(this, `${name}Schedule`, {
        description: `thanos-gitops ${action} (${config.environment})`,
        scheduleExpression: expression,
        scheduleExpressionTimezone: 'UTC',
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: apply.fn.functionArn,
          roleArn: schedulerRole.roleArn,
          input: JSON.stringify({ action }),
          retryPolicy: SCHEDULE_RETRY[action],
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
      });
    const reconcileSchedule = schedule('Reconcile', config.reconcileSchedule, 'reconcile');
    const rotateSchedule = schedule('Rotate', config.rotateSchedule, 'rotate');
    // The role's policy must exist before the schedules first fire.
    for (const s of [reconcileSchedule, rotateSchedule]) s.node.addDependency(schedulerRole);

    const alarmTopic = config.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn)
      : undefined;
    const alarms = [
      new cloudwatch.Alarm(this, 'ApplyErrorsAlarm', {
        alarmDescription: `thanos-gitops apply function (${config.environment}) failed: see its log group`,
        metric: apply.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'DriftAlarm', {
        alarmDescription: `thanos-gitops found objects in ${config.environment} changed outside GitOps (reconcile reverts them)`,
        metric: new cloudwatch.Metric({
          namespace: DRIFT_METRIC_NAMESPACE,
          metricName: DRIFT_METRIC_NAME,
          dimensionsMap: { [DRIFT_METRIC_DIMENSION]: config.environment },
          statistic: 'Maximum',
          period: Duration.hours(1),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
        alarmDescription: `thanos-gitops scheduled runs (${config.environment}) failed or were not delivered: see the dead-letter queue`,
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    if (alarmTopic) for (const alarm of alarms) alarm.addAlarmAction(new cloudwatchActions.SnsAction(alarmTopic));

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('PlanRoleArn', this.planRole.roleArn, 'role-to-assume for pull-request (plan) jobs');
    output('ApplyRoleArn', this.applyRole.roleArn, 'role-to-assume for default-branch (deploy) jobs');
    output('PlanFunctionName', plan.fn.functionName, 'plan-function input of the Action');
    output('ApplyFunctionName', apply.fn.functionName, 'apply-function input of the Action');
    output('Region', this.region, 'aws-region input of the Action');
    output('ClusterName', config.clusterName, 'EKS cluster the functions manage');
    output('DeadLetterQueueUrl', this.deadLetterQueue.queueUrl, 'failed scheduled runs');
    output('PlanFunctionRoleArn', plan.role.roleArn, 'Kubernetes identity of plan (access entry principal)');
    output('ApplyFunctionRoleArn', apply.role.roleArn, 'Kubernetes identity of apply (access entry principal)');
    output(
      'RbacCommand',
      (['apply', 'plan'] as const)
        .map(
          (mode) =>
            `thanos-gitops rbac ${namespaces.map((ns) => `--namespace ${ns}`).join(' ')} --mode ${mode} | kubectl apply -f -`,
        )
        .join(' && '),
      "run once as a cluster admin: the namespace Roles/RoleBindings the access entries' groups need",
    );
  }

  private grant(role: iam.Role, grant: PermissionGrant): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: grant.sid, actions: grant.actions, resources: grant.resources }),
    );
    this.permissions.push(grant);
  }
}

function defaultLambdaCode(): lambda.Code {
  if (!existsSync(join(DEFAULT_LAMBDA_ASSET_DIR, 'index.mjs'))) {
    throw new Error(
      `thanos-gitops infra: ${join(DEFAULT_LAMBDA_ASSET_DIR, 'index.mjs')} not found: run 'npm run build' in the repository root first (it bundles the Lambda)`,
    );
  }
  return lambda.Code.fromAsset(DEFAULT_LAMBDA_ASSET_DIR);
}
