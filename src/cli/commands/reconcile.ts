import type { Command } from '../command.js';
import { detectDrift, reconcile, type DriftResult } from '../../kube/index.js';
import {
  applyOptionsFromFlags,
  clientFromFlags,
  clusterFlagOptions,
  clusterFlagsUsageForHistory,
  environmentFromFlags,
  historyNamespace,
  leaseFlagsUsage,
  leaseFlagOptions,
  parseDuration,
  parseFlags,
  rejectPositionals,
} from '../flags.js';
import { formatApplyResult } from './apply.js';
import { caBundleCheck } from '../../thanos/ca-bundle.js';

export function formatDrift(drift: DriftResult, environment: string): string {
  if (drift.revision === undefined) return `${environment}: no deployed release recorded; nothing to compare\n`;
  if (drift.drifted.length === 0)
    return `${environment}: no drift (${drift.checked} objects match release revision ${drift.revision})\n`;
  const lines = [
    `${environment}: ${drift.drifted.length} of ${drift.checked} objects drifted from release revision ${drift.revision}:`,
  ];
  for (const d of drift.drifted) {
    lines.push(
      `  ${d.object}: ${d.change === 'missing' ? 'deleted out of band' : `modified${d.managers.length ? ` (other field managers: ${d.managers.join(', ')})` : ''}`}`,
    );
    if (d.patch) lines.push(d.patch.replace(/^/gm, '    '));
  }
  return `${lines.join('\n')}\n`;
}

export const reconcileCommand: Command = {
  name: 'reconcile',
  interruptible: true,
  usage: `Usage: thanos-gitops reconcile [cluster] [options]

Compares the last deployed release with the live cluster (server-side dry-run with force vs live) and lists the
drifted objects and fields. Without --dry-run, re-applies exactly those objects (taking back fields other managers
changed) under the Lease lock; the deployed revision stays the same.

${clusterFlagsUsageForHistory}

Options:
  --dry-run                 only report drift; exit code 3 when there is drift
  --wait                    wait for rollouts of re-applied workloads
  --timeout <duration>      rollout wait timeout (default 5m)
${leaseFlagsUsage}
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...clusterFlagOptions,
      'dry-run': { type: 'boolean' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      ...leaseFlagOptions,
    });
    rejectPositionals(positionals);
    const namespace = historyNamespace(values);
    if (values.timeout !== undefined) parseDuration(values.timeout, '--timeout');
    const environment = environmentFromFlags(values);
    const client = await clientFromFlags(values, io.signal);
    try {
      if (values['dry-run']) {
        const drift = await detectDrift(client, { environment, namespace, checks: [caBundleCheck] });
        io.stdout(formatDrift(drift, environment));
        return drift.drifted.length ? 3 : 0;
      }
      const { force: _force, release: _release, ...options } = applyOptionsFromFlags(values, namespace, io);
      const result = await reconcile(client, options);
      io.stdout(formatDrift(result.drift, environment));
      if (result.apply) io.stdout(formatApplyResult(result.apply));
      return 0;
    } finally {
      client.close();
    }
  },
};
