import { withDebugStack, type Command } from '../command.js';
import { parseFlags, rejectPositionals, sourceFlagOptions, sourceFlagsUsage, sourceSpecFromFlags } from '../flags.js';
import {
  describeSource,
  duplicateWarnings,
  formatManifestStream,
  loadManifestSet,
  RENDER_RECORD,
  WriteAbortedError,
  writeManifestSet,
} from '../../sources/index.js';

export const renderCommand: Command = {
  name: 'render',
  usage: `Usage: thanos-gitops render [source] [--out <dir>]

Renders the manifest set and writes one file per object into --out, listing them in --out/${RENDER_RECORD}.
The next render replaces or removes only the files listed there: files you put in the directory yourself are
kept (a rendered file that would overwrite one is refused), and a non-empty directory without the record is
refused. --out may not be, contain or lie inside a --dir source. On failure, Ctrl-C or SIGTERM the directory is
left as it was. Without --out the set is printed to stdout as a '---'-separated YAML stream.

${sourceFlagsUsage}

Options:
  --out, -o <dir>           output directory

Examples:
  thanos-gitops render --config thanos-stack.yaml --out manifests/
  thanos-gitops render --entrypoint example.jsonnet --jpath vendor --out manifests/
  thanos-gitops render --dir deploy/ | kubectl apply --dry-run=client -f -
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, { ...sourceFlagOptions, out: { type: 'string', short: 'o' } });
    rejectPositionals(positionals);
    const spec = sourceSpecFromFlags(values);
    return withDebugStack(io, async () => {
      const set = await loadManifestSet(spec);
      for (const warning of duplicateWarnings(set)) io.stderr(`warning: ${warning}\n`);
      if (values.out === undefined) {
        io.stdout(formatManifestStream(set));
        return 0;
      }
      const stop = new AbortController();
      const signals = { SIGINT: 130, SIGTERM: 143 } as const;
      let stoppedBy: keyof typeof signals | undefined;
      const handlers = (Object.keys(signals) as Array<keyof typeof signals>).map((name) => {
        const handler = () => {
          stoppedBy ??= name;
          stop.abort();
        };
        process.on(name, handler);
        return () => process.off(name, handler);
      });
      try {
        await writeManifestSet(set, values.out, {
          signal: stop.signal,
          sourceDirs: spec.type === 'manifests' ? [spec.dir] : [],
        });
      } catch (error) {
        if (error instanceof WriteAbortedError && stoppedBy) {
          io.stderr(`${stoppedBy}: stopped; ${values.out} was left as it was and the staging directory removed\n`);
          return signals[stoppedBy];
        }
        throw error;
      } finally {
        for (const remove of handlers) remove();
      }
      io.stderr(
        `Rendered ${set.length} object${set.length === 1 ? '' : 's'} from ${describeSource(spec)} into ${values.out}\n`,
      );
      return 0;
    });
  },
};
