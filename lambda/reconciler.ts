// What the reconciler function does for each event. The handler (lambda/handler.ts) only wires this to the runtime.
import type { Context } from 'aws-lambda';
import { jsonLogger } from '../src/reconciler/log.js';
import { driftMetricFields } from '../src/reconciler/metric.js';
import { renderReport, type ManifestDiff } from '../src/diff/index.js';
import { analyzePlan, caBundleCheck, formatValidationIssue, validateStack } from '../src/thanos/index.js';
import { connectEks } from '../src/kube/eks-cluster.js';
import { applyInOrder, applyOrderFor, podProxyObserver } from '../src/ring/index.js';
import {
  applyManifestSet,
  planManifestSet,
  reconcile,
  ReleaseHistory,
  SecretReleaseStore,
  rollback,
  uniqueHolder,
  type ApplyResult,
  type KubeClient,
} from '../src/kube/index.js';
import { readOnlyClient } from '../src/kube/read-only.js';
import { isRecord, type KubeObject, type ManifestSet } from '../src/model/objects.js';
import type { ReconcilerConfig } from './config.js';
import type { ReconcilerResult } from '../src/reconciler/result.js';
import {
  parseEvent,
  RefusedError,
  WRITING_ACTIONS,
  type ReconcilerAction,
  type ReconcilerEvent,
} from '../src/reconciler/event.js';
import { checkFields, checkRelease } from '../src/reconciler/release-policy.js';
import type { ReleasePayload } from '../src/reconciler/release.js';

export const SETTINGS_FILE = 'thanos-gitops-settings.yaml';
export function settingsConfigMapName(environment: string): string {
  return `thanos-gitops-settings-${environment}`;
}

export interface ReconcilerDeps {
  /** A client for the cluster; connectEks (DescribeCluster + EKS tokens) by default. */
  connect?: (config: ReconcilerConfig) => Promise<KubeClient>;
  /** Where structured log lines go (progress and the invocation summary); stdout, i.e. CloudWatch, by default. */
  log?: (line: string) => void;
}

/** What the reconciler reads from the Lambda context: the request id, and the time left before the function timeout. */
export type InvocationContext = Pick<Context, 'awsRequestId'> & Partial<Pick<Context, 'getRemainingTimeInMillis'>>;

/**
 * How long before the function's timeout the run stops starting new work: enough to finish the requests in flight,
 * record the release as failed and release the Lease (a few requests), and never more than 30 s of a short timeout.
 */
export function deadlineMarginMs(remainingMs: number): number {
  return Math.min(30_000, Math.max(1_000, Math.round(remainingMs * 0.2)));
}

/** The abort reason of a run stopped by the function's deadline. */
export function deadlineReason(marginMs: number): string {
  return `${Math.round(marginMs / 100) / 10}s before the function timeout`;
}

let cachedClient: { key: string; client: Promise<KubeClient> } | undefined;

async function defaultConnect(config: ReconcilerConfig): Promise<KubeClient> {
  // A warm container reuses the connection; the token provider renews tokens itself.
  const key = `${config.region}/${config.clusterName}/${config.clusterRoleArn ?? ''}`;
  if (cachedClient?.key !== key) {
    const client = connectEks({
      clusterName: config.clusterName,
      region: config.region,
      roleArn: config.clusterRoleArn,
      externalId: config.clusterRoleExternalId,
      sessionName: 'thanos-gitops-reconciler',
    }).then((connection) => connection.client);
    cachedClient = { key, client };
    client.catch(() => {
      if (cachedClient?.client === client) cachedClient = undefined;
    });
  }
  return cachedClient.client;
}

/** The settings ConfigMap rotation reads later, carried in the applied set so it is versioned and pruned with it. */
export function settingsManifest(release: ReleasePayload, namespace: string): ManifestSet {
  if (!release.settings) return [];
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: settingsConfigMapName(release.environment),
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'thanos-gitops', 'app.kubernetes.io/component': 'settings' },
    },
    data: { 'settings.json': JSON.stringify(release.settings) },
  };
  return [{ file: SETTINGS_FILE, object }];
}

function emptyResult(action: ReconcilerAction, config: ReconcilerConfig): ReconcilerResult {
  return {
    action,
    mode: config.mode,
    environment: config.policy.environment,
    namespace: config.namespace,
    applied: 0,
    pruned: 0,
    unchanged: 0,
    drifted: 0,
    objects: { applied: [], pruned: [], drifted: [] },
    warnings: [],
    writes: 0,
  };
}

function fromApply(result: ReconcilerResult, apply: ApplyResult): ReconcilerResult {
  const applied = apply.objects.filter(
    (o) => o.action === 'created' || o.action === 'configured' || o.action === 'recreated',
  );
  result.revision = apply.revision;
  result.applied = applied.length;
  result.unchanged = apply.objects.filter((o) => o.action === 'unchanged').length;
  result.pruned = apply.pruned.length;
  result.objects.applied = applied.map((o) => o.object);
  result.objects.pruned = [...apply.pruned];
  result.warnings.push(...apply.warnings);
  result.writes += apply.writes;
  return result;
}

/** Refuses before the cluster is touched when discovery says an object is cluster-scoped and that is not allowed. */
async function checkScopes(client: KubeClient, set: ManifestSet, config: ReconcilerConfig): Promise<void> {
  if (config.policy.allowClusterScoped) return;
  const kinds = new Map<string, KubeObject>();
  for (const { object } of set) kinds.set(`${object.apiVersion}/${object.kind}`, object);
  const refused: string[] = [];
  for (const object of kinds.values()) {
    if (!(await client.isServed(object.apiVersion, object.kind))) continue;
    const info = await client.resource(object.apiVersion, object.kind);
    if (!info.namespaced) refused.push(`${object.kind} (${object.apiVersion}) is cluster-scoped`);
  }
  if (refused.length)
    throw new RefusedError(
      `release refused, nothing was applied: ${refused.join('; ')}; set ALLOW_CLUSTER_SCOPED=true to permit cluster-scoped objects`,
    );
}

/** Strips object bodies from a diff so the response stays small; patches, counts and risks are what reports need. */
function slimDiff(diff: ManifestDiff): ManifestDiff {
  return { ...diff, entries: diff.entries.map(({ before: _before, after: _after, ...entry }) => entry) };
}

export async function runEvent(
  event: ReconcilerEvent,
  config: ReconcilerConfig,
  deps: ReconcilerDeps = {},
  context?: InvocationContext,
  run: { signal?: AbortSignal; progress?: (line: string) => void } = {},
): Promise<ReconcilerResult> {
  if (config.mode === 'plan' && WRITING_ACTIONS.has(event.action)) {
    throw new RefusedError(
      `this is a plan function (THANOS_GITOPS_MODE=plan): it refuses '${event.action}' and never writes; invoke the apply function for it`,
    );
  }
  let set: ManifestSet | undefined;
  if (event.action === 'plan' || event.action === 'apply') {
    set = [...checkRelease(event.release, config.policy), ...settingsManifest(event.release, config.namespace)];
  }
  // A view per invocation: a warm container's client keeps its connections but not the previous invocations'
  // request records, and this invocation's deadline stops only this invocation.
  const connected = (await (deps.connect ?? defaultConnect)(config)).forRun(run.signal);
  // The plan function's guard: only GETs and requests whose URL says dryRun=All reach the cluster.
  const client = config.mode === 'plan' ? readOnlyClient(connected) : connected;
  const result = emptyResult(event.action, config);
  const environment = config.policy.environment;
  const namespace = config.namespace;
  const holder = uniqueHolder(
    `thanos-gitops-lambda-${environment}${context?.awsRequestId ? `-${context.awsRequestId.slice(0, 8)}` : ''}`,
  );
  const log = run.progress ?? (() => undefined);
  const base = { environment, namespace, lease: { holder }, log, checks: [caBundleCheck] };

  switch (event.action) {
    case 'plan': {
      await checkScopes(client, set as ManifestSet, config);
      const writesBefore = connected.writeCount;
      // A pull request's Secrets are never compared with the cluster: "unchanged" would confirm a guessed value.
      const plan = analyzePlan(
        await planManifestSet(client, set as ManifestSet, {
          environment,
          namespace,
          secrets: 'write-only',
          log,
          checks: [caBundleCheck],
        }),
      );
      const order = applyOrderFor(plan.live, set as ManifestSet, namespace);
      if (order) plan.diff.order = order;
      // Counted by the client itself: requests that were neither GETs nor dry-runs (the guard makes it 0).
      result.writes = connected.writeCount - writesBefore;
      result.commit = event.release.commit;
      result.applied = plan.diff.counts.added + plan.diff.counts.modified;
      result.pruned = plan.prune.length;
      result.unchanged = plan.diff.counts.unchanged;
      result.objects.applied = plan.diff.entries
        .filter((e) => e.change === 'added' || e.change === 'modified')
        .map((e) => `${e.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name}`);
      result.objects.pruned = [...plan.prune];
      result.warnings.push(
        ...plan.warnings,
        ...plan.conflicts.map((c) => `${c.object}: ${c.field} is owned by field manager "${c.manager}"`),
        ...plan.immutable.map((i) => `${i.object}: immutable field change: ${i.message}`),
        ...plan.errors.map((e) => `${e.object}: ${e.message}`),
        ...plan.deferred.map(
          (d) =>
            `${d.object}: will be created after CustomResourceDefinition ${d.crd} (not dry-run: its kind is not served yet)`,
        ),
      );
      result.diff = slimDiff(plan.diff);
      result.report = renderReport(plan.diff, {
        environment,
        headSha: event.release.commit,
        baseRef: 'live cluster',
        title: `thanos-gitops plan for \`${environment}\` (live cluster → ${event.release.commit.slice(0, 7)})`,
      });
      return result;
    }
    case 'apply': {
      await checkScopes(client, set as ManifestSet, config);
      // A stack Thanos would refuse (e.g. a hashring smaller than the replication factor) is never applied.
      const issues = validateStack(set as ManifestSet);
      const errors = issues.filter((issue) => issue.severity === 'error');
      if (errors.length > 0) {
        throw new RefusedError(
          `release refused, nothing was applied: stack validation found ${errors.length} error${errors.length === 1 ? '' : 's'}: ${errors.map((issue) => formatValidationIssue(issue)).join('; ')}`,
        );
      }
      result.warnings.push(...issues.map((issue) => formatValidationIssue(issue)));
      const applyOptions = {
        ...base,
        release: {
          sourceCommit: event.release.commit,
          description: `${event.release.repository}@${event.release.commit.slice(0, 12)} by ${event.release.actor}`,
        },
        ...(event.options?.force !== undefined ? { force: event.options.force } : {}),
        ...(event.options?.recreate !== undefined ? { recreate: event.options.recreate } : {}),
        ...(event.options?.prune !== undefined ? { prune: event.options.prune } : {}),
      };
      result.commit = event.release.commit;
      if (event.options?.order === false)
        return fromApply(result, await applyManifestSet(client, set as ManifestSet, applyOptions));
      // Ingestor ring resizes run as ordered steps, observed through the apiserver's pod proxy; a run stopped by the
      // function's deadline leaves a pending release that the next invocation with the same release resumes.
      const ordered = await applyInOrder(client, set as ManifestSet, {
        ...applyOptions,
        observer: podProxyObserver(client),
      });
      for (const step of ordered.steps)
        result.warnings.push(`ordered step ${step.kind} took ${(step.ms / 1000).toFixed(1)}s: ${step.summary}`);
      return fromApply(result, ordered.apply);
    }
    case 'reconcile': {
      const outcome = await reconcile(client, base);
      result.revision = outcome.drift.revision;
      result.drifted = outcome.drift.drifted.length;
      result.objects.drifted = outcome.drift.drifted.map(
        (d) => `${d.object} (${d.change}${d.managers.length ? `, changed by ${d.managers.join(', ')}` : ''})`,
      );
      if (outcome.apply) fromApply(result, outcome.apply);
      result.revision = outcome.drift.revision;
      return result;
    }
    case 'rollback': {
      const recorded = await new SecretReleaseStore(client, namespace, environment).get(event.revision);
      if (recorded) checkFields(recorded.manifests, config.policy, namespace, `rollback to revision ${event.revision}`);
      const apply = await rollback(client, event.revision, {
        ...base,
        release: { description: `rollback to ${event.revision}${event.actor ? ` by ${event.actor}` : ''}` },
      });
      return fromApply(result, apply);
    }
    case 'rotate': {
      return rotateFromRelease(client, config, event, result, holder, log);
    }
  }
}

async function rotateFromRelease(
  client: KubeClient,
  config: ReconcilerConfig,
  event: Extract<ReconcilerEvent, { action: 'rotate' }>,
  result: ReconcilerResult,
  holder: string,
  log: (line: string) => void,
): Promise<ReconcilerResult> {
  const history = new ReleaseHistory(new SecretReleaseStore(client, config.namespace, config.policy.environment));
  const release = await history.deployed();
  if (!release) {
    result.warnings.push(
      `no deployed release for environment ${config.policy.environment} in namespace ${config.namespace}: nothing to rotate yet`,
    );
    return result;
  }
  result.revision = release.revision;
  result.commit = release.sourceCommit;
  const settingsEntry = release.manifests.find((m) => m.file === SETTINGS_FILE);
  const settingsText = (settingsEntry?.object.data as Record<string, string> | undefined)?.['settings.json'];
  const settings = settingsText
    ? (JSON.parse(settingsText) as { tls?: unknown; objectStorage?: Record<string, unknown> })
    : {};
  // infra/ scopes the function's IAM key permissions to IAM_USER_NAME: another user in the config would be AccessDenied.
  const configUser = settings.objectStorage?.iamUserName;
  if (config.iamUserName && typeof configUser === 'string' && configUser !== config.iamUserName) {
    result.warnings.push(
      `objectStorage.iamUserName is ${configUser} but the function may only rotate keys of IAM_USER_NAME=${config.iamUserName}; align the stack config with the infra stack`,
    );
  }
  if (!settings.tls && !settings.objectStorage) {
    result.warnings.push('the deployed release carries no tls or objectStorage settings: nothing to rotate');
    return result;
  }
  // Loaded lazily: rotation pulls in X.509 code that plan and apply never need.
  const { rotateTarget, formatRotateReport } = await import('../src/rotation/rotate.js');
  const accessKeys =
    config.rotationMode === 'accessKeys'
      ? (await import('../src/rotation/objstore/access-keys.js')).awsAccessKeyApi({ region: config.region })
      : undefined;
  const set = release.manifests.filter((m) => m.file !== SETTINGS_FILE);
  const report = await rotateTarget(
    client,
    {
      set,
      namespace: config.namespace,
      ...(settings.tls ? { tls: settings.tls as never } : {}),
      ...(settings.objectStorage ? { objectStorage: settings.objectStorage as never } : {}),
    },
    {
      holder,
      log,
      ...(accessKeys ? { accessKeys } : {}),
      ...(event.forceCaRotation ? { forceCaRotation: true } : {}),
      ...(event.forceKeyRotation ? { forceKeyRotation: true } : {}),
    },
  );
  result.rotation = formatRotateReport(report).trimEnd().split('\n');
  result.applied = report.certificates.actions.length + report.objectStorage.actions.length;
  result.writes = client.writeCount;
  return result;
}

export interface HandlerOutcome {
  result?: ReconcilerResult;
  error?: Error;
  /** The summary log line for this invocation (also an EMF record of the drift metric); progress lines went to deps.log. */
  logLine: string;
}

/**
 * Parses, runs and logs one invocation; never includes object contents in the log. Engine progress goes to deps.log
 * as structured lines while the run goes on; with a context that knows its remaining time, the run stops starting
 * new work deadlineMarginMs before the timeout, records what it wrote as a failed revision and releases the Lease.
 */
export async function handleInvocation(
  raw: unknown,
  config: ReconcilerConfig | Error,
  deps: ReconcilerDeps,
  context?: InvocationContext,
): Promise<HandlerOutcome> {
  const started = Date.now();
  const controller = new AbortController();
  let deadline: NodeJS.Timeout | undefined;
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining !== undefined && Number.isFinite(remaining)) {
    const margin = deadlineMarginMs(remaining);
    deadline = setTimeout(() => controller.abort(deadlineReason(margin)), Math.max(0, remaining - margin));
  }
  try {
    return await invocation(raw, config, deps, context, controller.signal, started);
  } finally {
    clearTimeout(deadline);
  }
}

async function invocation(
  raw: unknown,
  config: ReconcilerConfig | Error,
  deps: ReconcilerDeps,
  context: InvocationContext | undefined,
  signal: AbortSignal,
  started: number,
): Promise<HandlerOutcome> {
  let action: string = isRecord(raw) && typeof raw.action === 'string' ? raw.action : 'unknown';
  const release = isRecord(raw) && isRecord(raw.release) ? raw.release : undefined;
  const log = jsonLogger(deps.log ?? ((line) => process.stdout.write(`${line}\n`)), {
    requestId: context?.awsRequestId,
    environment: config instanceof Error ? undefined : config.policy.environment,
  });
  // Only strings: an invalid event's fields are logged as far as they can be, never as objects.
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const fields: Record<string, unknown> = {
    mode: config instanceof Error ? undefined : config.mode,
    repository: text(release?.repository),
    commit: text(release?.commit),
    actor: text(release?.actor),
  };
  try {
    if (config instanceof Error) throw config;
    const event = parseEvent(raw);
    action = event.action;
    const progress = (message: string) => log.write({ level: 'info', type: 'progress', message, action });
    const result = await runEvent(event, config, deps, context, { signal, progress });
    const line = log.format({
      // The drift alarm's metric: one EMF record per reconcile (0 is a value, not a gap).
      ...(action === 'reconcile' ? driftMetricFields(config.policy.environment, result.drifted) : {}),
      level: 'info',
      message: `${action} ok`,
      action,
      ...fields,
      revision: result.revision,
      applied: result.applied,
      pruned: result.pruned,
      unchanged: result.unchanged,
      drifted: result.drifted,
      writes: result.writes,
      warnings: result.warnings.length,
      durationMs: Date.now() - started,
    });
    return { result, logLine: line };
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    const line = log.format({
      level: 'error',
      message: `${action} failed`,
      action,
      ...fields,
      errorType: failure.name,
      error: failure.message,
      durationMs: Date.now() - started,
    });
    return { error: failure, logLine: line };
  }
}
