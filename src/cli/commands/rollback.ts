import { UsageError, type Command } from '../command.js';
import { rollback } from '../../kube/index.js';
import {
  applyOptionsFromFlags,
  clientFromFlags,
  clusterFlagOptions,
  clusterFlagsUsageForHistory,
  historyNamespace,
  leaseFlagsUsage,
  leaseFlagOptions,
  parseFlags,
} from '../flags.js';
import { formatApplyResult } from './apply.js';

export const rollbackCommand: Command = {
  name: 'rollback',
  interruptible: true,
  usage: `Usage: thanos-gitops rollback <revision> [cluster] [options]

Re-applies the manifests recorded in <revision> (see 'history') exactly as apply does: dry-run checks first,
only changed objects written, objects not in that revision pruned, and a new revision recorded.

${clusterFlagsUsageForHistory}

Options:
  --force-conflicts         take over fields other field managers own
  --recreate                delete and re-create objects whose immutable fields change
  --no-prune                keep objects that are not in that revision
  --wait                    wait for Deployments and StatefulSets to roll out
  --timeout <duration>      rollout wait timeout (default 5m)
${leaseFlagsUsage}
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...clusterFlagOptions,
      'force-conflicts': { type: 'boolean' },
      recreate: { type: 'boolean' },
      'no-prune': { type: 'boolean' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      ...leaseFlagOptions,
    });
    if (positionals.length !== 1)
      throw new UsageError('give exactly one revision number, e.g. thanos-gitops rollback 3');
    const revision = Number(positionals[0]);
    if (!Number.isInteger(revision) || revision < 1)
      throw new UsageError(`revision '${positionals[0]}' is not a positive integer`);
    const options = applyOptionsFromFlags(values, historyNamespace(values), io);
    const client = await clientFromFlags(values, io.signal);
    try {
      io.stdout(formatApplyResult(await rollback(client, revision, options)));
      return 0;
    } finally {
      client.close();
    }
  },
};
