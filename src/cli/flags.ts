// The command-line flags the commands share, their usage text, and the conversion of their values into options:
// one place, so a flag means the same in every command.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ApplySetOptions, KubeClient, LeaseOptions } from '../kube/index.js';
import { SourceSpecError, sourceSpecFrom, type SourceSpec } from '../sources/index.js';
import type { ManifestSet } from '../model/objects.js';
import { DEFAULT_ENVIRONMENT, environmentNameProblem } from '../model/environment.js';
import { parseDuration as durationMs } from '../model/duration.js';
import { DEFAULT_APPLY_POLICY, type ApplyPolicy } from '../policy/index.js';
import { UsageError, type Io } from './command.js';
import { caBundleCheck } from '../thanos/ca-bundle.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with strict checking turned into UsageError. */
export function parseFlags<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

/** The source flags shared by every command that loads a manifest set (render, validate, diff, plan, apply, ...). */
export const sourceFlagOptions = {
  source: { type: 'string' },
  config: { type: 'string', short: 'c' },
  entrypoint: { type: 'string' },
  jpath: { type: 'string', short: 'J', multiple: true },
  dir: { type: 'string' },
} as const;

export const sourceFlagsUsage = `Source (one of):
  --config, -c <file>       stack config rendered by the built-in kube-thanos renderer (default: thanos-stack.yaml)
  --entrypoint <file>       kube-thanos style jsonnet entrypoint, evaluated with the jsonnet binary
    --jpath, -J <dir>       jsonnet library directory (repeatable), e.g. vendor
  --dir <dir>               directory of YAML/JSON manifests (recursive, multi-document files allowed)
  --source <type>           config | jsonnet | manifests (inferred from the flags above when omitted)`;

export interface SourceFlagValues {
  source?: string | undefined;
  config?: string | undefined;
  entrypoint?: string | undefined;
  jpath?: string[] | undefined;
  dir?: string | undefined;
}

/** Builds the SourceSpec the source flags describe; contradictory flags are usage errors. */
export function sourceSpecFromFlags(values: SourceFlagValues): SourceSpec {
  try {
    return sourceSpecFrom(values);
  } catch (error) {
    if (error instanceof SourceSpecError) {
      throw new UsageError(error.message.replace(/'(config|entrypoint|jpath|dir)'/g, '--$1'));
    }
    throw error;
  }
}

export function rejectPositionals(positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
}

/** How to reach the cluster, and the namespace to work in. */
export const kubeconfigFlagOptions = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
} as const;

/** Flags every command that works on an environment's release shares. */
export const clusterFlagOptions = {
  ...kubeconfigFlagOptions,
  environment: { type: 'string', short: 'e' },
} as const;

/** The lock Lease of every writing command. */
export const leaseFlagOptions = {
  'lock-timeout': { type: 'string' },
  'lease-duration': { type: 'string' },
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

/**
 * The client for --kubeconfig, else the first $KUBECONFIG entry, else ~/.kube/config. A missing file is an error that
 * says how to provide one (the Kubernetes client would otherwise fall back to http://localhost and fail obscurely).
 * With a signal, the run stops at the next request when it fires (SIGINT/SIGTERM of interruptible commands).
 * The Kubernetes client is imported here, not at the top: commands that never reach a cluster (render, validate,
 * diff) load this module too and must not load the client.
 */
export async function clientFromFlags(values: ClusterFlagValues, signal?: AbortSignal): Promise<KubeClient> {
  const { KubeClient } = await import('../kube/client.js');
  const fromEnvironment = process.env.KUBECONFIG?.split(delimiter).find((entry) => entry !== '');
  const path = values.kubeconfig ?? fromEnvironment ?? join(homedir(), '.kube', 'config');
  if (!existsSync(path)) {
    // Inside a pod with no kubeconfig, the client's default is the pod's service account, as kubectl's is.
    const inCluster =
      process.env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
    if (inCluster && values.kubeconfig === undefined && fromEnvironment === undefined)
      return KubeClient.fromFile(undefined, values.context);
    const origin =
      values.kubeconfig !== undefined ? '--kubeconfig' : fromEnvironment !== undefined ? '$KUBECONFIG' : 'the default';
    throw new Error(
      `no kubeconfig: ${path} (${origin}) does not exist; pass --kubeconfig <file>, set KUBECONFIG, or create ~/.kube/config ` +
        '(for EKS: aws eks update-kubeconfig --name <cluster> --region <region>)',
    );
  }
  return KubeClient.fromFile(path, values.context, signal ? { signal } : {});
}

export function environmentFromFlags(values: ClusterFlagValues): string {
  const environment = values.environment ?? DEFAULT_ENVIRONMENT;
  const problem = environmentNameProblem(environment, '--environment');
  if (problem !== undefined) throw new UsageError(problem);
  return environment;
}

/** --namespace of the commands that work from the release history, which no manifest set can tell. */
export function historyNamespace(values: ClusterFlagValues): string {
  if (!values.namespace) throw new UsageError('--namespace is required (where the release history lives)');
  return values.namespace;
}

/** The namespace flag, or the single namespace the set's objects name. */
export function namespaceFor(values: ClusterFlagValues, set?: ManifestSet): string {
  if (values.namespace) return values.namespace;
  const namespaces = new Set((set ?? []).map((m) => m.object.metadata?.namespace).filter((ns): ns is string => !!ns));
  if (namespaces.size === 1) return [...namespaces][0] as string;
  throw new UsageError(
    namespaces.size === 0
      ? '--namespace is required (the set names no namespace)'
      : `--namespace is required: the set spans ${[...namespaces].sort().join(', ')}`,
  );
}

/** A duration flag (`300s`, `5m`, `1h30m`; a plain number counts seconds) in milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : durationMs(trimmed);
  if (ms === undefined) throw new UsageError(`${flag} '${text}' is not a duration; use e.g. 300s, 5m or 1h30m`);
  return ms;
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
  ...leaseFlagOptions,
  'allow-empty': { type: 'boolean' },
  policy: { type: 'string' },
  'no-policy': { type: 'boolean' },
  json: { type: 'boolean' },
  'ignore-validation': { type: 'boolean' },
  'no-order': { type: 'boolean' },
  'step-timeout': { type: 'string' },
  observe: { type: 'string' },
} as const;

/** The policy `apply` enforces: `--policy <file>`, the built-in default, or none with `--no-policy`. */
export async function applyPolicyFromFlags(values: {
  policy?: string | undefined;
  'no-policy'?: boolean | undefined;
}): Promise<{ policy?: ApplyPolicy; source: string }> {
  if (values.policy !== undefined && values['no-policy'])
    throw new UsageError('--policy and --no-policy contradict each other');
  if (values['no-policy']) return { source: 'none' };
  if (values.policy === undefined) return { policy: DEFAULT_APPLY_POLICY, source: 'built-in default' };
  let text: string;
  try {
    text = await readFile(values.policy, 'utf8');
  } catch (error) {
    throw new Error(
      `--policy ${values.policy}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); fix: pass the path of a policy YAML file`,
    );
  }
  // Loaded here only: the schema library is not needed by a run without a policy file.
  const { parseApplyPolicy } = await import('../policy/policy-file.js');
  return { policy: parseApplyPolicy(text, values.policy), source: values.policy };
}

/** How long a run that died without releasing the Lease (SIGKILL, lost node) blocks the next one. */
export const leaseDurationUsage = `  --lease-duration <d>      how long the Lease outlives a run killed without clean-up (SIGKILL); the next run
                            takes it over after that (default 30s; Ctrl-C and SIGTERM release it at once)`;

/** The usage lines of leaseFlagOptions. */
export const leaseFlagsUsage = `  --lock-timeout <duration> how long to wait for another run's Lease (default 60s)
${leaseDurationUsage}`;

/** Lease options from --lock-timeout and --lease-duration. */
export function leaseOptionsFromFlags(values: {
  'lock-timeout'?: string | undefined;
  'lease-duration'?: string | undefined;
}): LeaseOptions | undefined {
  const lease: LeaseOptions = {};
  if (values['lock-timeout'] !== undefined)
    lease.waitTimeoutMs = parseDuration(values['lock-timeout'], '--lock-timeout');
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
