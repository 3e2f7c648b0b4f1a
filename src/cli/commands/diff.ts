import { writeFile } from 'node:fs/promises';
import { UsageError, withDebugStack, type Command } from '../command.js';
import {
  renderFullReport,
  renderJsonReport,
  renderReport,
  renderUnifiedReport,
  type ReportContext,
} from '../../diff/index.js';
import { analyzeManifestSets } from '../../thanos/index.js';
import { applyOrderFor } from '../../ring/ring-steps.js';
import { reportStackIssues } from './stack-checks.js';
import { loadManifestSet, loadManifestSetAtRef, resolveRef } from '../../sources/index.js';
import type { ManifestSet } from '../../model/objects.js';
import { DEFAULT_ENVIRONMENT, environmentNameProblem } from '../../model/environment.js';
import { withProgress } from '../progress.js';
import { parseFlags, rejectPositionals, sourceFlagOptions, sourceFlagsUsage, sourceSpecFromFlags } from '../flags.js';

/** Exit code of `diff --exit-code` when the sets differ; 1 and 2 already mean failure and usage error. */
export const DIFF_CHANGES_EXIT_CODE = 3;

export const diffCommand: Command = {
  name: 'diff',
  usage: `Usage: thanos-gitops diff (--base <ref> | --base-config <file>) [--head <ref>] [source] [options]

Renders the source at the base and at the head, diffs the two manifest sets and prints the report the
pull-request Action posts: changes per object, Thanos-aware risk flags with their source, stack validation of the
head (also printed on stderr), the restart impact per workload and the requested capacity per component. The head
is the working tree unless
--head names a ref. A base commit in which the source does not exist yet counts as empty. In a shallow clone a
missing base commit is fetched with 'git fetch --depth=1 origin <ref>'.

${sourceFlagsUsage}

Options:
  --base <ref>              git ref to compare against (branch, tag, sha, HEAD~1)
  --base-config <file>      compare against another stack config instead of a git ref
  --head <ref>              git ref to render as the head (default: the working tree)
  --environment, -e <name>  environment named in the report (default: default)
  --format <format>         markdown (default), json (objects, risks, forecast, capacity, issues) or unified
                            (a plain unified diff for terminals, with '#' comment lines for the risks)
  --json                    the same as --format json
  --output <file>           write the report to a file and print a one-line summary instead
  --max-length <n>          shorten the report to at most n characters (as for a PR comment)
  --exit-code               exit with ${DIFF_CHANGES_EXIT_CODE} when the manifests differ

Exit codes: 0 no change (or changes without --exit-code), 1 failure, 2 usage error,
${DIFF_CHANGES_EXIT_CODE} changes found (with --exit-code).

Examples:
  thanos-gitops diff --base origin/main --config thanos-stack.yaml
  thanos-gitops diff --base-config examples/stack/thanos-stack.yaml --config examples/stack/thanos-stack.next.yaml
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...sourceFlagOptions,
      base: { type: 'string' },
      'base-config': { type: 'string' },
      head: { type: 'string' },
      environment: { type: 'string', short: 'e' },
      output: { type: 'string' },
      'max-length': { type: 'string' },
      'exit-code': { type: 'boolean' },
      format: { type: 'string' },
      json: { type: 'boolean' },
    });
    rejectPositionals(positionals);
    const environment = values.environment ?? DEFAULT_ENVIRONMENT;
    const environmentProblem = environmentNameProblem(environment, '--environment');
    if (environmentProblem !== undefined) throw new UsageError(environmentProblem);
    const baseConfig = values['base-config'];
    let base: { ref: string } | { config: string } | undefined;
    if (values.base !== undefined) base = { ref: values.base };
    else if (baseConfig !== undefined) base = { config: baseConfig };
    if (base === undefined || (values.base !== undefined && baseConfig !== undefined)) {
      throw new UsageError('pass exactly one of --base <ref> and --base-config <file>');
    }
    let maxLength: number | undefined;
    if (values['max-length'] !== undefined) {
      maxLength = Number(values['max-length']);
      if (!Number.isInteger(maxLength) || maxLength < 1000) {
        throw new UsageError(`--max-length must be a whole number of at least 1000, got '${values['max-length']}'`);
      }
    }
    const format = values.json ? 'json' : (values.format ?? 'markdown');
    if (
      !['markdown', 'json', 'unified'].includes(format) ||
      (values.json && values.format !== undefined && values.format !== 'json')
    ) {
      throw new UsageError(
        `--format must be markdown, json or unified (and --json means --format json), got '${values.format ?? ''}'`,
      );
    }
    if (maxLength !== undefined && format !== 'markdown')
      throw new UsageError('--max-length shortens the Markdown report; it does not apply to --format json or unified');
    const spec = sourceSpecFromFlags(values);
    if (baseConfig !== undefined && spec.type !== 'config') {
      throw new UsageError(
        '--base-config compares two stack configs; use --config for the head (or --base <ref> for other sources)',
      );
    }

    return withDebugStack(io, () =>
      withProgress(io, async (progress) => {
        const context: ReportContext = { environment };
        let baseSet: ManifestSet;
        if ('ref' in base) {
          context.baseRef = base.ref;
          context.baseSha = await resolveRef(base.ref);
          baseSet = await loadManifestSetAtRef(spec, context.baseSha, process.cwd(), { progress });
        } else {
          context.baseRef = base.config;
          baseSet = await loadManifestSet({ type: 'config', config: base.config }, { progress });
        }
        let headSet: ManifestSet;
        if (values.head !== undefined) {
          context.headRef = values.head;
          context.headSha = await resolveRef(values.head);
          headSet = await loadManifestSetAtRef(spec, context.headSha, process.cwd(), { progress });
        } else {
          // Against a git base the head is the checkout as it stands; against --base-config it is the other file.
          context.headRef = 'config' in base && spec.type === 'config' ? spec.config : 'working tree';
          headSet = await loadManifestSet(spec, { progress });
        }

        reportStackIssues(headSet, spec, io);
        const diff = analyzeManifestSets(baseSet, headSet, { progress });
        const namespaces = [
          ...new Set(headSet.map((m) => m.object.metadata?.namespace).filter((ns): ns is string => !!ns)),
        ];
        const order = applyOrderFor(baseSet, headSet, namespaces.length === 1 ? namespaces[0]! : 'default');
        if (order) diff.order = order;
        let report: string;
        if (format === 'json') {
          report = renderJsonReport(diff, context);
        } else if (format === 'unified') {
          report = renderUnifiedReport(diff, context);
        } else if (maxLength === undefined) {
          report = renderFullReport(diff, context);
        } else {
          context.fullReportHint = 'the output of `thanos-gitops diff` run without --max-length';
          report = renderReport(diff, context, { maxLength });
        }
        const { added, removed, modified, unchanged } = diff.counts;
        const changed = added + removed + modified > 0;
        if (values.output !== undefined) {
          await writeFile(values.output, report.endsWith('\n') ? report : `${report}\n`);
          const risks = diff.risks.length;
          io.stdout(
            `${changed ? 'Changes' : 'No changes'}: ${added} added, ${removed} removed, ${modified} modified, ${unchanged} unchanged` +
              `${risks > 0 ? `; ${risks} risk${risks === 1 ? '' : 's'}` : ''}; report written to ${values.output}\n`,
          );
        } else {
          io.stdout(report.endsWith('\n') ? report : `${report}\n`);
        }
        return changed && values['exit-code'] ? DIFF_CHANGES_EXIT_CODE : 0;
      }),
    );
  },
};
