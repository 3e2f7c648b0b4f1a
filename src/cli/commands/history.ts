import type { Command } from '../command.js';
import { ReleaseHistory, SecretReleaseStore, type ReleaseInfo } from '../../kube/index.js';
import {
  clientFromFlags,
  clusterFlagOptions,
  clusterFlagsUsageForHistory,
  environmentFromFlags,
  historyNamespace,
  parseFlags,
  rejectPositionals,
} from '../flags.js';

export function formatHistory(releases: ReleaseInfo[]): string {
  const rows = [['REVISION', 'UPDATED', 'STATUS', 'COMMIT', 'OBJECTS', 'DESCRIPTION']];
  for (const r of releases) {
    // A multi-line description is shown whole: its further lines continue under the DESCRIPTION column.
    const [first = '', ...rest] = (r.description ?? '').replace(/\n+$/, '').split('\n');
    rows.push([String(r.revision), r.time, r.status, (r.sourceCommit ?? '').slice(0, 12), String(r.objects), first]);
    for (const line of rest) rows.push(['', '', '', '', '', line]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return `${rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export const historyCommand: Command = {
  name: 'history',
  usage: `Usage: thanos-gitops history [cluster] [--json]

Lists the release revisions of the environment (Secrets thanos-gitops.release.v1.<environment>.v<revision> in the
namespace): revision, time, status (deployed, superseded, failed), source commit, object count, description.
Secret contents are never printed.

${clusterFlagsUsageForHistory}

Options:
  --json                    print the list as JSON
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, { ...clusterFlagOptions, json: { type: 'boolean' } });
    rejectPositionals(positionals);
    const namespace = historyNamespace(values);
    const environment = environmentFromFlags(values);
    const client = await clientFromFlags(values);
    try {
      const releases = await new ReleaseHistory(new SecretReleaseStore(client, namespace, environment)).list();
      if (values.json) io.stdout(`${JSON.stringify(releases, null, 2)}\n`);
      else if (releases.length === 0)
        io.stdout(`no releases recorded for environment ${environment} in namespace ${namespace}\n`);
      else io.stdout(formatHistory(releases));
      return 0;
    } finally {
      client.close();
    }
  },
};
