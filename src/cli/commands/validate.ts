import { parseFlags, type Command } from '../command.js';
import { describeSource, duplicateWarnings, loadManifestSet } from '../../manifests/index.js';
import { caBundleRefusals, formatCaBundleRefusal } from '../../thanos/ca-bundle.js';
import { rejectPositionals, sourceFlagOptions, sourceFlagsUsage, sourceSpecFromFlags, withDebugStack } from './render.js';
import { reportStackIssues } from './stack-checks.js';

export const validateCommand: Command = {
  name: 'validate',
  usage: `Usage: thanos-gitops validate [source]

Loads the source (config schema, jsonnet evaluation or YAML parsing), renders it and checks that every object
has apiVersion, kind and metadata.name and that file names do not clash. Prints one OK line with the object
count, or the first problem with its file and line (exit code 1). A CA bundle that a workload of the set reads
as a TLS client CA must hold PEM certificates (Thanos serves plain HTTP when it holds none). An object defined twice with different
content is a warning (kube-thanos's all.jsonnet does this for sharded components): the last one wins.

Then checks the rendered stack against what Thanos v0.42 does with it, naming the config option and the fix:
hashrings with fewer endpoints than the replication factor (error), routers and ingestors with different
replication factors, queriers that do not deduplicate on the receivers' or rulers' per-pod label, compactor
deduplication labels, two compactors on one bucket (error), retention shorter than downsampling needs, and a
ketama hashring whose ingestors lack --receive.hashrings-algorithm=ketama. Exit code 1 on any error.

${sourceFlagsUsage}
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, sourceFlagOptions);
    rejectPositionals(positionals);
    const spec = sourceSpecFromFlags(values);
    return withDebugStack(io, async () => {
      const set = await loadManifestSet(spec);
      for (const warning of duplicateWarnings(set)) io.stderr(`warning: ${warning}\n`);
      const refusals = caBundleRefusals(set);
      if (refusals.length > 0) throw new Error(`${describeSource(spec)}: ${refusals.map(formatCaBundleRefusal).join('\n')}`);
      const issues = reportStackIssues(set, spec, io);
      const errors = issues.filter((issue) => issue.severity === 'error').length;
      if (errors > 0) {
        io.stderr(`${describeSource(spec)}: ${errors} error${errors === 1 ? '' : 's'}; Thanos would refuse or lose writes with this stack\n`);
        return 1;
      }
      const kinds = new Set(set.map((manifest) => manifest.object.kind)).size;
      io.stdout(`OK: ${describeSource(spec)} renders ${set.length} object${set.length === 1 ? '' : 's'} of ${kinds} kind${kinds === 1 ? '' : 's'}\n`);
      return 0;
    });
  },
};
