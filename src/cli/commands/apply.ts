import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { UsageError, parseFlags, type Command, type Io } from '../command.js';
import { loadManifestSet, type ManifestSet } from '../../manifests/index.js';
import { readFile } from 'node:fs/promises';
import { reportStackIssues } from './stack-checks.js';
import { caBundleCheck } from '../../thanos/ca-bundle.js';
import { KubeClient, applyManifestSet, type ApplyResult, type ApplySetOptions, type LeaseOptions } from '../../kube/index.js';
import { checkApplyPolicy, DEFAULT_APPLY_POLICY, parseApplyPolicy, PolicyViolationError, type ApplyPolicy } from '../../policy/index.js';
import { withProgress } from '../progress.js';
import { rejectPositionals, sourceFlagOptions, sourceFlagsUsage, sourceSpecFromFlags, withDebugStack } from './render.js';

/** Flags every command that talks to the cluster shares. */
export const clusterFlagOptions = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  environment: { type: 'string', short: 'e' },
} as const;

const clusterFlagsUsageWith = (namespaceDefault: string) => `Cluster:
  --kubeconfig <file>       kubeconfig (default: $KUBECONFIG or ~/.kube/config)
  --context <name>          kubeconfig context (default: the current context)
  --namespace, -n <ns>      namespace of the ApplySet parent, release history and lock Lease
                            ${namespaceDefault}
  --environment, -e <name>  environment name: ApplySet parent thanos-gitops-<name>, release history (default: default)`;

/** For commands that load a manifest set (apply, plan): the namespace can come from the set. */
export const clusterFlagsUsage = clusterFlagsUsageWith("(default: the one namespace the set's objects use)");

/** For commands that read the release history (reconcile, history, rollback): there is no set to take it from. */
export const clusterFlagsUsageForHistory = clusterFlagsUsageWith('(required: where the release history lives)');

export interface ClusterFlagValues {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
  environment?: string | undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The client for --kubeconfig, else the first $KUBECONFIG entry, else ~/.kube/config. A missing file is an error that
 * says how to provide one (the Kubernetes client would otherwise fall back to http://localhost and fail obscurely).
 * With a signal, the run stops at the next request when it fires (SIGINT/SIGTERM of interruptible commands).
 */
export function clientFromFlags(values: ClusterFlagValues, signal?: AbortSignal): KubeClient {
  const fromEnvironment = process.env.KUBECONFIG?.split(delimiter).find((entry) => entry !== '');
  const path = values.kubeconfig ?? fromEnvironment ?? join(homedir(), '.kube', 'config');
  if (!existsSync(path)) {
    // Inside a pod with no kubeconfig, the client's default is the pod's service account, as kubectl's is.
    const inCluster = process.env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
    if (inCluster && values.kubeconfig === undefined && fromEnvironment === undefined) return KubeClient.fromFile(undefined, values.context);
    const origin = values.kubeconfig !== undefined ? '--kubeconfig' : fromEnvironment !== undefined ? '$KUBECONFIG' : 'the default';
    throw new Error(
      `no kubeconfig: ${path} (${origin}) does not exist; pass --kubeconfig <file>, set KUBECONFIG, or create ~/.kube/config ` +
        '(for EKS: aws eks update-kubeconfig --name <cluster> --region <region>)',
    );
  }
  return KubeClient.fromFile(path, values.context, signal ? { signal } : {});
}

export function environmentFromFlags(values: ClusterFlagValues): string {
  const environment = values.environment ?? 'default';
  if (!DNS_LABEL.test(environment) || environment.length > 40) {
    throw new UsageError(`--environment '${environment}' must be a lowercase DNS label of at most 40 characters (it names Secrets)`);
  }
  return environment;
}

/** The namespace flag, or the single namespace the set's objects name. */
export function namespaceFor(values: ClusterFlagValues, set?: ManifestSet): string {
  if (values.namespace) return values.namespace;
  const namespaces = new Set((set ?? []).map((m) => m.object.metadata?.namespace).filter((ns): ns is string => !!ns));
  if (namespaces.size === 1) return [...namespaces][0] as string;
  throw new UsageError(
    namespaces.size === 0 ? '--namespace is required (the set names no namespace)' : `--namespace is required: the set spans ${[...namespaces].sort().join(', ')}`,
  );
}

/** `300`, `300s`, `5m`, `1h` to milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`${flag} '${text}' is not a duration; use e.g. 300s, 5m or 1h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

export const applyFlagOptions = {
  ...sourceFlagOptions,
  ...clusterFlagOptions,
  'force-conflicts': { type: 'boolean' },
  recreate: { type: 'boolean' },
  prune: { type: 'boolean' },
  'no-prune': { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  commit: { type: 'string' },
  'skip-missing-kinds': { type: 'boolean' },
  'lock-timeout': { type: 'string' },
  'lease-duration': { type: 'string' },
  'allow-empty': { type: 'boolean' },
  policy: { type: 'string' },
  'no-policy': { type: 'boolean' },
  json: { type: 'boolean' },
  'ignore-validation': { type: 'boolean' },
} as const;

/** The policy `apply` enforces: `--policy <file>`, the built-in default, or none with `--no-policy`. */
export async function applyPolicyFromFlags(values: { policy?: string | undefined; 'no-policy'?: boolean | undefined }): Promise<{ policy?: ApplyPolicy; source: string }> {
  if (values.policy !== undefined && values['no-policy']) throw new UsageError('--policy and --no-policy contradict each other');
  if (values['no-policy']) return { source: 'none' };
  if (values.policy === undefined) return { policy: DEFAULT_APPLY_POLICY, source: 'built-in default' };
  let text: string;
  try {
    text = await readFile(values.policy, 'utf8');
  } catch (error) {
    throw new Error(`--policy ${values.policy}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); fix: pass the path of a policy YAML file`);
  }
  return { policy: parseApplyPolicy(text, values.policy), source: values.policy };
}

/** How long a run that died without releasing the Lease (SIGKILL, lost node) blocks the next one. */
export const leaseDurationUsage = `  --lease-duration <d>      how long the Lease outlives a run killed without clean-up (SIGKILL); the next run
                            takes it over after that (default 30s; Ctrl-C and SIGTERM release it at once)`;

/** Lease options from --lock-timeout and --lease-duration. */
export function leaseOptionsFromFlags(values: { 'lock-timeout'?: string | undefined; 'lease-duration'?: string | undefined }): LeaseOptions | undefined {
  const lease: LeaseOptions = {};
  if (values['lock-timeout'] !== undefined) lease.waitTimeoutMs = parseDuration(values['lock-timeout'], '--lock-timeout');
  if (values['lease-duration'] !== undefined) {
    const seconds = Math.ceil(parseDuration(values['lease-duration'], '--lease-duration') / 1000);
    if (seconds < 1) throw new UsageError(`--lease-duration '${values['lease-duration']}' must be at least 1s`);
    lease.leaseDurationSeconds = seconds;
  }
  return Object.keys(lease).length ? lease : undefined;
}

export interface ApplyFlagValues extends ClusterFlagValues {
  'force-conflicts'?: boolean | undefined;
  recreate?: boolean | undefined;
  prune?: boolean | undefined;
  'no-prune'?: boolean | undefined;
  wait?: boolean | undefined;
  timeout?: string | undefined;
  commit?: string | undefined;
  'skip-missing-kinds'?: boolean | undefined;
  'lock-timeout'?: string | undefined;
  'lease-duration'?: string | undefined;
  'allow-empty'?: boolean | undefined;
}

export function applyOptionsFromFlags(values: ApplyFlagValues, namespace: string, io: Io): ApplySetOptions {
  if (values.prune && values['no-prune']) throw new UsageError('--prune and --no-prune contradict each other');
  const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout, '--timeout');
  const options: ApplySetOptions = {
    environment: environmentFromFlags(values),
    namespace,
    force: !!values['force-conflicts'],
    recreate: !!values.recreate,
    prune: !values['no-prune'],
    missingKinds: values['skip-missing-kinds'] ? 'skip' : 'fail',
    wait: values.wait ? (timeoutMs === undefined ? true : { timeoutMs }) : false,
    checks: [caBundleCheck],
    log: (line) => io.stderr(`${line}\n`),
  };
  if (values.commit) options.release = { sourceCommit: values.commit };
  if (values['allow-empty']) options.allowEmpty = true;
  const lease = leaseOptionsFromFlags(values);
  if (lease) options.lease = lease;
  return options;
}

export function formatApplyResult(result: ApplyResult): string {
  const count = (action: string) => result.objects.filter((o) => o.action === action).length;
  const lines: string[] = [];
  for (const warning of result.warnings) lines.push(`warning: ${warning}`);
  const summary = [`${count('created')} created`, `${count('configured')} configured`, `${count('recreated')} recreated`, `${count('unchanged')} unchanged`];
  if (count('skipped')) summary.push(`${count('skipped')} skipped`);
  summary.push(`${result.pruned.length} pruned`);
  lines.push(
    `${result.environment}: ${summary.join(', ')}; ${result.writes} write request${result.writes === 1 ? '' : 's'}${result.revision !== undefined ? `; release revision ${result.revision}` : '; no new revision (nothing changed)'}`,
  );
  for (const state of result.rollout ?? []) lines.push(`  ${state.object}: ${state.reason}`);
  return `${lines.join('\n')}\n`;
}

export const applyCommand: Command = {
  name: 'apply',
  interruptible: true,
  usage: `Usage: thanos-gitops apply [source] [cluster] [options]

Applies the manifest set with server-side apply (field manager thanos-gitops) under a Lease lock. Every object is
dry-run first: nothing is written when a kind is not served, an immutable field would change, or another field
manager owns a field. Only objects that would change are written (a re-apply of an unchanged set writes nothing).
Members of earlier applies that left the set are pruned (ApplySet, as kubectl --prune --applyset), and a release
revision is recorded (see 'history' and 'rollback').

${sourceFlagsUsage}

${clusterFlagsUsage}

Options:
  --force-conflicts         take over fields other field managers own
  --recreate                delete and re-create objects whose immutable fields change (StatefulSets with
                            propagationPolicy Orphan: pods and volumes stay)
  --no-prune                keep objects that left the set (default: prune them)
  --skip-missing-kinds      skip objects of kinds the server does not serve (default: fail before writing)
  --wait                    wait for Deployments and StatefulSets to roll out
  --timeout <duration>      rollout wait timeout (default 5m)
  --lock-timeout <duration> how long to wait for another run's Lease (default 60s)
${leaseDurationUsage}
  --commit <sha>            source commit recorded in the release
  --allow-empty             apply an empty set, pruning everything earlier applies created (refused otherwise)
  --policy <file>           apply policy (YAML or JSON) the set must pass before anything is written
                            (default: the built-in policy the reconciler Lambda enforces: kube-thanos's kinds,
                            Pod Security baseline + runAsNonRoot, runAsUser, seccomp, volume types, capabilities,
                            no allowPrivilegeEscalation: true; ServiceAccounts of the set; ClusterIP Services;
                            no service-account-token Secrets; see the README's "Apply policy")
  --no-policy               apply without any policy check (prints a warning)
  --json                    print the result as JSON
  --ignore-validation       apply even when stack validation reports errors (see 'validate')

Ctrl-C or SIGTERM stops at the next request, records the revision as failed if anything was written, releases the
Lease and exits 130 (SIGINT) or 143 (SIGTERM); running apply again converges.

Example:
  thanos-gitops apply --config thanos-stack.yaml --namespace thanos --environment prod --wait --commit $GITHUB_SHA
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, applyFlagOptions);
    rejectPositionals(positionals);
    const spec = sourceSpecFromFlags(values);
    // Flag mistakes are reported before the (possibly slow) source is rendered; the namespace may come from the set.
    const options = applyOptionsFromFlags(values, values.namespace ?? '', io);
    return withDebugStack(io, () => withProgress(io, async (progress, lineIo) => {
      const { policy, source } = await applyPolicyFromFlags(values);
      const set = await loadManifestSet(spec, { progress });
      const errors = reportStackIssues(set, spec, lineIo).filter((issue) => issue.severity === 'error').length;
      if (errors > 0 && !values['ignore-validation']) {
        throw new Error(`stack validation found ${errors} error${errors === 1 ? '' : 's'} (above); fix them, or pass --ignore-validation to apply anyway`);
      }
      options.namespace = namespaceFor(values, set);
      // Before any cluster call: a refused set never reaches the API server.
      if (policy) {
        const violations = checkApplyPolicy(set, policy, { defaultNamespace: options.namespace });
        if (violations.length) throw new PolicyViolationError(violations, source);
      } else {
        lineIo.stderr('warning: --no-policy: the set is applied without the apply policy (privileged pods, host access and any kind pass)\n');
      }
      options.progress = progress;
      options.log = (line) => lineIo.stderr(`${line}\n`);
      const client = clientFromFlags(values, io.signal);
      try {
        const result = await applyManifestSet(client, set, options);
        io.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatApplyResult(result));
        return 0;
      } finally {
        client.close();
      }
    }));
  },
};
