import { UsageError, withDebugStack, type Command } from '../command.js';
import { loadManifestSet } from '../../sources/index.js';
import { reportStackIssues } from './stack-checks.js';
import { applyManifestSet, type ApplyResult } from '../../kube/index.js';
import { checkApplyPolicy, PolicyViolationError } from '../../policy/index.js';
import { withProgress } from '../progress.js';
import {
  applyFlagOptions,
  applyOptionsFromFlags,
  applyPolicyFromFlags,
  clientFromFlags,
  clusterFlagsUsage,
  leaseFlagsUsage,
  namespaceFor,
  parseDuration,
  parseFlags,
  rejectPositionals,
  sourceFlagsUsage,
  sourceSpecFromFlags,
} from '../flags.js';
import { applyInOrder, directPodObserver, podProxyObserver } from '../../ring/index.js';

export function formatApplyResult(result: ApplyResult): string {
  const count = (action: string) => result.objects.filter((o) => o.action === action).length;
  const lines: string[] = [];
  for (const warning of result.warnings) lines.push(`warning: ${warning}`);
  const summary = [
    `${count('created')} created`,
    `${count('configured')} configured`,
    `${count('recreated')} recreated`,
    `${count('unchanged')} unchanged`,
  ];
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
${leaseFlagsUsage}
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
  --no-order                apply everything at once, even when the ingestor ring is resized (default: the
                            ordered steps 'plan' shows, observed through the apiserver's pod proxy)
  --step-timeout <duration> how long each ordered step may wait (default 10m)
  --observe proxy|direct    how ordered steps read receivers' /metrics: through the apiserver's pod proxy
                            (default; RBAC pods/proxy get) or at the pods' IPs (runs inside the cluster network)

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
    return withDebugStack(io, () =>
      withProgress(io, async (progress, lineIo) => {
        const { policy, source } = await applyPolicyFromFlags(values);
        const set = await loadManifestSet(spec, { progress });
        const errors = reportStackIssues(set, spec, lineIo).filter((issue) => issue.severity === 'error').length;
        if (errors > 0 && !values['ignore-validation']) {
          throw new Error(
            `stack validation found ${errors} error${errors === 1 ? '' : 's'} (above); fix them, or pass --ignore-validation to apply anyway`,
          );
        }
        options.namespace = namespaceFor(values, set);
        // Before any cluster call: a refused set never reaches the API server.
        if (policy) {
          const violations = checkApplyPolicy(set, policy, { defaultNamespace: options.namespace });
          if (violations.length) throw new PolicyViolationError(violations, source);
        } else {
          lineIo.stderr(
            'warning: --no-policy: the set is applied without the apply policy (privileged pods, host access and any kind pass)\n',
          );
        }
        options.progress = progress;
        options.log = (line) => lineIo.stderr(`${line}\n`);
        const client = await clientFromFlags(values, io.signal);
        try {
          if (values.observe !== undefined && !['proxy', 'direct'].includes(values.observe))
            throw new UsageError(`--observe '${values.observe}' must be proxy or direct`);
          if (values['no-order']) {
            const result = await applyManifestSet(client, set, options);
            io.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatApplyResult(result));
            return 0;
          }
          const ordered = await applyInOrder(client, set, {
            ...options,
            observer: values.observe === 'direct' ? directPodObserver(client) : podProxyObserver(client),
            ...(values['step-timeout'] !== undefined
              ? { stepTimeoutMs: parseDuration(values['step-timeout'], '--step-timeout') }
              : {}),
          });
          if (values.json)
            io.stdout(
              `${JSON.stringify({ ...ordered.apply, steps: ordered.steps, ...(ordered.resumedFrom !== undefined ? { resumedFrom: ordered.resumedFrom + 1 } : {}) }, null, 2)}\n`,
            );
          else {
            io.stdout(formatApplyResult(ordered.apply));
            for (const step of ordered.steps) io.stdout(`  step ${step.kind}: ${(step.ms / 1000).toFixed(1)}s\n`);
          }
          return 0;
        } finally {
          client.close();
        }
      }),
    );
  },
};
