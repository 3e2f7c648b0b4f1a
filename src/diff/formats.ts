import type {
  ApplyOrder,
  CapacityItem,
  ChangeType,
  ForecastItem,
  ManifestDiff,
  ReportContext,
  RiskSeverity,
  SourceLink,
  StackIssue,
} from './types.js';

/** The machine-readable report (`diff --format json`, the Action's JSON report file). */
export interface JsonReport {
  schemaVersion: 1;
  environment: string;
  base: { ref?: string; sha?: string };
  head: { ref?: string; sha?: string };
  counts: ManifestDiff['counts'];
  objects: Array<{
    id: string;
    kind: string;
    namespace: string;
    name: string;
    change: ChangeType;
    additions: number;
    deletions: number;
    patch: string;
  }>;
  risks: Array<{
    id: string;
    severity: RiskSeverity;
    object: string;
    message: string;
    action: string;
    source: SourceLink | null;
  }>;
  forecast: ForecastItem[];
  capacity: CapacityItem[];
  issues: StackIssue[];
  order: ApplyOrder | null;
}

/** Every object (unchanged ones included, without patch text), risk, forecast row and capacity row. */
export function jsonReport(diff: ManifestDiff, context: ReportContext): JsonReport {
  const side = (ref: string | undefined, sha: string | undefined) => ({
    ...(ref !== undefined ? { ref } : {}),
    ...(sha !== undefined ? { sha } : {}),
  });
  return {
    schemaVersion: 1,
    environment: context.environment,
    base: side(context.baseRef, context.baseSha),
    head: side(context.headRef, context.headSha),
    counts: diff.counts,
    objects: diff.entries.map((entry) => ({
      id: entry.id,
      kind: entry.kind,
      namespace: entry.namespace,
      name: entry.name,
      change: entry.change,
      additions: entry.additions,
      deletions: entry.deletions,
      patch: entry.patch,
    })),
    risks: diff.risks.map((risk) => ({
      id: risk.id,
      severity: risk.severity,
      object: risk.object,
      message: risk.message,
      action: risk.action,
      source: risk.source ?? null,
    })),
    forecast: diff.forecast ?? [],
    capacity: diff.capacity ?? [],
    issues: diff.issues ?? [],
    order: diff.order ?? null,
  };
}

export function renderJsonReport(diff: ManifestDiff, context: ReportContext): string {
  return `${JSON.stringify(jsonReport(diff, context), null, 2)}\n`;
}

/**
 * A plain unified diff for terminals: a few `#` comment lines (summary, risks, stack issues, restart impact),
 * then every changed object's patch. Text only, no Markdown or HTML; `patch`/`git apply` skip the comment lines.
 */
export function renderUnifiedReport(diff: ManifestDiff, context: ReportContext): string {
  const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ');
  const { added, removed, modified, unchanged } = diff.counts;
  const lines = [
    `# thanos-gitops diff for ${oneLine(context.environment)}: ${added} added, ${removed} removed, ${modified} modified, ${unchanged} unchanged; ${diff.risks.length} risk${diff.risks.length === 1 ? '' : 's'}`,
  ];
  for (const risk of diff.risks) {
    lines.push(`# [${risk.severity}] ${risk.id} ${oneLine(risk.object)}: ${oneLine(risk.message)}`);
    lines.push(
      `#   what to do: ${oneLine(risk.action)}${risk.source ? ` (${risk.source.label}: ${risk.source.url})` : ''}`,
    );
  }
  for (const issue of diff.issues ?? [])
    lines.push(
      `# ${issue.severity}: ${issue.id} ${oneLine(issue.object)}: ${oneLine(issue.message)}; fix: ${oneLine(issue.fix)}`,
    );
  if (diff.order?.refused) lines.push(`# order: refused: ${oneLine(diff.order.refused)}`);
  for (const step of diff.order?.steps ?? []) lines.push(`# order: ${oneLine(step)}`);
  for (const item of diff.forecast ?? [])
    lines.push(
      `# restart: ${oneLine(item.object)} (${item.pods.base} -> ${item.pods.head} pods) ${item.effect}: ${oneLine(item.order)}; ${oneLine(item.reason)}`,
    );
  const patches = diff.entries
    .filter((entry) => entry.change !== 'unchanged')
    .map((entry) => (entry.patch.endsWith('\n') ? entry.patch : `${entry.patch}\n`));
  return `${lines.join('\n')}\n${patches.join('')}`;
}
