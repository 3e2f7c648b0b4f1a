import { withDebugStack, type Command } from '../command.js';
import { describeSource, duplicateWarnings, loadManifestSet } from '../../sources/index.js';
import { caBundleRefusals, formatCaBundleRefusal } from '../../thanos/ca-bundle.js';
import { withProgress } from '../progress.js';
import { parseFlags, rejectPositionals, sourceFlagOptions, sourceFlagsUsage, sourceSpecFromFlags } from '../flags.js';
import { reportStackIssues } from './stack-checks.js';

export const validateCommand: Command = {
  name: 'validate',
  usage: `Usage: thanos-gitops validate [source]

Loads the source (config schema, jsonnet evaluation or YAML parsing), renders it and checks that every object
has apiVersion, kind and metadata.name, that names and namespaces are ones the API server accepts for the kind
(DNS-1123 subdomain, label or DNS-1035 label as Kubernetes requires), that container images hold no whitespace or
control characters, and that file names do not clash. Files must be UTF-8, and YAML tags other than the core
ones (!!str, !!int, ...) are errors, so nothing is silently converted. Prints one OK line with the object
count, or the first problem with its file and line (exit code 1). A CA bundle that a workload of the set reads
as a TLS client CA must hold PEM certificates (Thanos serves plain HTTP when it holds none). An object defined twice with different
content is a warning (kube-thanos's all.jsonnet does this for sharded components): the last one wins.

Then checks the rendered stack against what Thanos v0.42 does with it, naming the config option and the fix:
hashrings with fewer endpoints than the replication factor (error), routers and ingestors with different
replication factors, queriers that do not deduplicate on the receivers' or rulers' per-pod label, compactor
deduplication labels, two compactors on one bucket, retention shorter than downsampling needs, and a
ketama hashring whose ingestors lack --receive.hashrings-algorithm=ketama. Exit code 1 on any error.

${sourceFlagsUsage}
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, sourceFlagOptions);
    rejectPositionals(positionals);
    const spec = sourceSpecFromFlags(values);
    return withDebugStack(io, async () => {
      const { set, warnings } = await withProgress(io, async (progress) => {
        const loaded = await loadManifestSet(spec, { progress });
        return { set: loaded, warnings: duplicateWarnings(loaded, progress) };
      });
      for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
      const refusals = caBundleRefusals(set);
      if (refusals.length > 0)
        throw new Error(`${describeSource(spec)}: ${refusals.map(formatCaBundleRefusal).join('\n')}`);
      const issues = reportStackIssues(set, spec, io);
      const errors = issues.filter((issue) => issue.severity === 'error').length;
      if (errors > 0) {
        io.stderr(
          `${describeSource(spec)}: ${errors} error${errors === 1 ? '' : 's'}; Thanos would refuse or lose writes with this stack\n`,
        );
        return 1;
      }
      const kinds = new Set(set.map((manifest) => manifest.object.kind)).size;
      io.stdout(
        `OK: ${describeSource(spec)} renders ${set.length} object${set.length === 1 ? '' : 's'} of ${kinds} kind${kinds === 1 ? '' : 's'}\n`,
      );
      return 0;
    });
  },
};
