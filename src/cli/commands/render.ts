import { UsageError, parseFlags, type Command } from '../command.js';
import {
  SourceSpecError,
  describeSource,
  duplicateWarnings,
  formatManifestStream,
  loadManifestSet,
  sourceSpecFrom,
  RENDER_RECORD,
  WriteAbortedError,
  writeManifestSet,
  type SourceSpec,
} from '../../sources/index.js';

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

/** Prints the stack trace of a failure when THANOS_GITOPS_DEBUG=1; the message alone is printed by main(). */
export async function withDebugStack<T>(io: { stderr: (text: string) => void }, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (process.env.THANOS_GITOPS_DEBUG === '1' && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    throw error;
  }
}

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
        await writeManifestSet(set, values.out, { signal: stop.signal, sourceDirs: spec.type === 'manifests' ? [spec.dir] : [] });
      } catch (error) {
        if (error instanceof WriteAbortedError && stoppedBy) {
          io.stderr(`${stoppedBy}: stopped; ${values.out} was left as it was and the staging directory removed\n`);
          return signals[stoppedBy];
        }
        throw error;
      } finally {
        for (const remove of handlers) remove();
      }
      io.stderr(`Rendered ${set.length} object${set.length === 1 ? '' : 's'} from ${describeSource(spec)} into ${values.out}\n`);
      return 0;
    });
  },
};
