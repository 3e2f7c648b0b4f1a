import { UsageError, parseFlags, type Command, type Io } from '../command.js';
import { loadManifestSet, type ManifestSet } from '../../manifests/index.js';
import { reportStackIssues } from './stack-checks.js';
import { KubeClient, applyManifestSet, type ApplyResult, type ApplySetOptions } from '../../kube/index.js';
import { applyInOrder, directPodObserver, podProxyObserver } from '../../kube/ordering/index.js';
import { rejectPositionals, sourceFlagOptions, sourceFlagsUsage, sourceSpecFromFlags, withDebugStack } from './render.js';

/** Flags every command that talks to the cluster shares. */
export const clusterFlagOptions = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  environment: { type: 'string', short: 'e' },
} as const;

export const clusterFlagsUsage = `Cluster:
  --kubeconfig <file>       kubeconfig (default: $KUBECONFIG or ~/.kube/config)
  --context <name>          kubeconfig context (default: the current context)
  --namespace, -n <ns>      namespace of the ApplySet parent, release history and lock Lease
                            (default: the one namespace the set's objects use)
  --environment, -e <name>  environment name: ApplySet parent thanos-gitops-<name>, release history (default: default)`;

export interface ClusterFlagValues {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
  environment?: string | undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function clientFromFlags(values: ClusterFlagValues): KubeClient {
  return KubeClient.fromFile(values.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0], values.context);
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
  'allow-empty': { type: 'boolean' },
  json: { type: 'boolean' },
  'ignore-validation': { type: 'boolean' },
  'no-order': { type: 'boolean' },
  'step-timeout': { type: 'string' },
  observe: { type: 'string' },
} as const;

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
  'allow-empty'?: boolean | undefined;
}

export function applyOptionsFromFlags(values: ApplyFlagValues, namespace: string, io: Io): ApplySetOptions {
  if (values.prune && values['no-prune']) throw new UsageError('--prune and --no-prune contradict each other');
  const options: ApplySetOptions = {
    environment: environmentFromFlags(values),
    namespace,
    force: !!values['force-conflicts'],
    recreate: !!values.recreate,
    prune: !values['no-prune'],
    missingKinds: values['skip-missing-kinds'] ? 'skip' : 'fail',
    wait: !!values.wait,
    log: (line) => io.stderr(`${line}\n`),
  };
  if (values.timeout !== undefined) options.timeoutMs = parseDuration(values.timeout, '--timeout');
  if (values.commit) options.sourceCommit = values.commit;
  if (values['allow-empty']) options.allowEmpty = true;
  if (values['lock-timeout'] !== undefined) options.lease = { waitTimeoutMs: parseDuration(values['lock-timeout'], '--lock-timeout') };
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
  --commit <sha>            source commit recorded in the release
  --allow-empty             apply an empty set, pruning everything earlier applies created (refused otherwise)
  --json                    print the result as JSON
  --ignore-validation       apply even when stack validation reports errors (see 'validate')
  --no-order                apply everything at once, even when the ingestor ring is resized (default: the
                            ordered steps 'plan' shows, observed through the apiserver's pod proxy)
  --step-timeout <duration> how long each ordered step may wait (default 10m)
  --observe proxy|direct    how ordered steps read receivers' /metrics: through the apiserver's pod proxy
                            (default; RBAC pods/proxy get) or at the pods' IPs (runs inside the cluster network)

Example:
  thanos-gitops apply --config thanos-stack.yaml --namespace thanos --environment prod --wait --commit $GITHUB_SHA
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, applyFlagOptions);
    rejectPositionals(positionals);
    const spec = sourceSpecFromFlags(values);
    // Flag mistakes are reported before the (possibly slow) source is rendered; the namespace may come from the set.
    const options = applyOptionsFromFlags(values, values.namespace ?? '', io);
    return withDebugStack(io, async () => {
      const set = await loadManifestSet(spec);
      const errors = reportStackIssues(set, spec, io).filter((issue) => issue.severity === 'error').length;
      if (errors > 0 && !values['ignore-validation']) {
        throw new Error(`stack validation found ${errors} error${errors === 1 ? '' : 's'} (above); fix them, or pass --ignore-validation to apply anyway`);
      }
      options.namespace = namespaceFor(values, set);
      const client = clientFromFlags(values);
      try {
        if (values.observe !== undefined && !['proxy', 'direct'].includes(values.observe)) throw new UsageError(`--observe '${values.observe}' must be proxy or direct`);
        if (values['no-order']) {
          const result = await applyManifestSet(client, set, options);
          io.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatApplyResult(result));
          return 0;
        }
        const ordered = await applyInOrder(client, set, {
          ...options,
          observer: values.observe === 'direct' ? directPodObserver(client) : podProxyObserver(client),
          ...(values['step-timeout'] !== undefined ? { stepTimeoutMs: parseDuration(values['step-timeout'], '--step-timeout') } : {}),
        });
        if (values.json) io.stdout(`${JSON.stringify({ ...ordered.apply, steps: ordered.steps, ...(ordered.resumedFrom !== undefined ? { resumedFrom: ordered.resumedFrom + 1 } : {}) }, null, 2)}\n`);
        else {
          io.stdout(formatApplyResult(ordered.apply));
          for (const step of ordered.steps) io.stdout(`  step ${step.kind}: ${(step.ms / 1000).toFixed(1)}s\n`);
        }
        return 0;
      } finally {
        client.close();
      }
    });
  },
};
