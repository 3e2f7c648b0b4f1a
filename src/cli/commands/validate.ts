import { parseFlags, type Command } from '../command.js';
import { describeSource, duplicateWarnings, loadManifestSet } from '../../manifests/index.js';
import { withProgress } from '../progress.js';
import { rejectPositionals, sourceFlagOptions, sourceFlagsUsage, sourceSpecFromFlags, withDebugStack } from './render.js';

export const validateCommand: Command = {
  name: 'validate',
  usage: `Usage: thanos-gitops validate [source]

Loads the source (config schema, jsonnet evaluation or YAML parsing), renders it and checks that every object
has apiVersion, kind and metadata.name, that names and namespaces are ones the API server accepts for the kind
(DNS-1123 subdomain, label or DNS-1035 label as Kubernetes requires), that container images hold no whitespace or
control characters, and that file names do not clash. Files must be UTF-8, and YAML tags other than the core
ones (!!str, !!int, ...) are errors, so nothing is silently converted. Prints one OK line with the object
count, or the first problem with its file and line (exit code 1). An object defined twice with different
content is a warning (kube-thanos's all.jsonnet does this for sharded components): the last one wins.

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
      const kinds = new Set(set.map((manifest) => manifest.object.kind)).size;
      io.stdout(`OK: ${describeSource(spec)} renders ${set.length} object${set.length === 1 ? '' : 's'} of ${kinds} kind${kinds === 1 ? '' : 's'}\n`);
      return 0;
    });
  },
};
