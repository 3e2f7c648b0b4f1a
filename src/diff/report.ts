import { codeText, escapeMarkdown } from './markdown.js';
import type {
  ApplyOrder,
  CapacityItem,
  DiffEntry,
  ForecastItem,
  ManifestDiff,
  ReportContext,
  ReportOptions,
  Risk,
  RiskSeverity,
  SourceLink,
  StackIssue,
} from './types.js';

/** GitHub rejects issue comments over 65,536 characters; stay well below for headers and edits. */
export const COMMENT_LIMIT = 65_536;
export const DEFAULT_REPORT_BUDGET = 60_000;
/** Below this many characters a truncated diff is no longer worth showing; it becomes a one-line mention. */
const MIN_DIFF_CHARS = 600;
const DEFAULT_HINT = "this workflow run's job summary and the file named by the `report-path` output";

type RiskLevel = 'full' | 'compact' | 'minimal';

/** The hidden line the Action finds its sticky comment by; one per environment. */
export function commentMarker(environment: string): string {
  return `<!-- thanos-gitops:${environment.replace(/[^A-Za-z0-9._/:-]/g, '_').replace(/-{2,}/g, '-')} -->`;
}

function shortSha(sha: string | undefined): string | undefined {
  return sha ? sha.slice(0, 12) : undefined;
}

/**
 * One line of a risk message or action, cut to `limit` characters. Messages quote names in backticks; each quoted
 * part is shown in a `<code>` element and every part, quoted or not, goes through escapeMarkdown, so a backtick an
 * author slipped into a name can at most shift which words look like code, never end an element or open a link.
 */
function oneLine(text: string, limit = Infinity): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  const cut = clean.length > limit ? `${clean.slice(0, limit - 1)}…` : clean;
  return cut
    .split(/`([^`]*)`/)
    .map((part, index) => (index % 2 === 1 ? `<code>${escapeMarkdown(part)}</code>` : escapeMarkdown(part)))
    .join('');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function objectName(entry: DiffEntry): string {
  return entry.namespace ? `${entry.namespace}/${entry.name}` : entry.name;
}

/** The same text `describeObject` gives, which is what Risk.object holds. */
function describe(entry: DiffEntry): string {
  return `${entry.kind} ${objectName(entry)}`;
}

function title(context: ReportContext): string {
  return `### ${context.title ?? `thanos-gitops diff for ${codeText(context.environment)}`}`;
}

function summaryLine(diff: ManifestDiff): string {
  const { added, removed, modified, unchanged } = diff.counts;
  const changed = added + removed + modified;
  const bySeverity = (severity: RiskSeverity) => diff.risks.filter((risk) => risk.severity === severity).length;
  const riskText =
    diff.risks.length === 0
      ? 'no risks flagged'
      : `**${plural(diff.risks.length, 'risk')}** (${(['high', 'medium', 'low'] as const)
          .map((severity) => [severity, bySeverity(severity)] as const)
          .filter(([, count]) => count > 0)
          .map(([severity, count]) => `${count} ${severity}`)
          .join(', ')})`;
  return `**${plural(changed, 'object')} ${changed === 1 ? 'changes' : 'change'}**: ${added} added, ${removed} removed, ${modified} modified, ${unchanged} unchanged; ${riskText}.`;
}

function footer(context: ReportContext): string {
  const side = (label: string, sha: string | undefined, ref: string | undefined) => {
    const short = shortSha(sha);
    if (!short && !ref) return undefined;
    return `${label} ${short ? codeText(short) : ''}${short && ref ? ' ' : ''}${ref ? `(${escapeMarkdown(ref)})` : ''}`;
  };
  // A side nobody named is left out rather than printed as "(unknown)", which reads like a failure.
  const sides = [side('base', context.baseSha, context.baseRef), side('head', context.headSha, context.headRef)].filter(
    (text) => text !== undefined,
  );
  return `<sub>${sides.length ? `${sides.join(' → ')} · ` : ''}rendered by thanos-gitops</sub>`;
}

function alertType(severity: RiskSeverity): string {
  return severity === 'high' ? 'CAUTION' : 'WARNING';
}

function renderRisks(risks: Risk[], level: RiskLevel, maxLength = Infinity): string {
  if (risks.length === 0) return '';
  if (level === 'full') {
    return risks
      .map((risk) =>
        [
          `> [!${alertType(risk.severity)}]`,
          `> **${codeText(risk.object)}** · ${codeText(risk.id)} (${risk.severity}): ${oneLine(risk.message)}`,
          `> **What to do:** ${oneLine(risk.action)}`,
          ...(risk.source ? [`> **Source:** ${sourceLink(risk.source)}`] : []),
        ].join('\n'),
      )
      .join('\n\n');
  }
  // Shorter forms group risks by kind so the advice is printed once; every risk still gets its object named.
  const groups = new Map<string, Risk[]>();
  for (const risk of risks) {
    const key = `${risk.severity}\u0000${risk.id}`;
    groups.set(key, [...(groups.get(key) ?? []), risk]);
  }
  const blocks: string[] = [];
  let length = 0;
  let shown = 0;
  for (const group of groups.values()) {
    const first = group[0]!;
    const source = level === 'compact' && first.source ? ` (${sourceLink(first.source)})` : '';
    const lines = [
      `> [!${alertType(first.severity)}]`,
      `> ${codeText(first.id)} (${first.severity}, ${plural(group.length, 'object')}). **What to do:** ${oneLine(first.action, 300)}${source}`,
    ];
    if (level === 'compact') {
      for (const risk of group) lines.push(`> - ${codeText(risk.object)}: ${oneLine(risk.message, 240)}`);
    } else {
      lines.push(`> ${group.map((risk) => codeText(risk.object)).join(', ')}`);
    }
    const block = lines.join('\n');
    if (length + block.length + 2 > maxLength) break;
    blocks.push(block);
    length += block.length + 2;
    shown += group.length;
  }
  if (shown < risks.length)
    blocks.push(`> [!CAUTION]\n> ${risks.length - shown} more risks did not fit; they are listed in the full report.`);
  return blocks.join('\n\n');
}

/** A Markdown link to the doc or source file a message rests on; label and address pass the same escaping as messages. */
function sourceLink(source: SourceLink): string {
  const url = /^https:\/\/[^\s()<>]+$/.test(source.url) ? source.url : '';
  return url ? `[${oneLine(source.label).replace(/[[\]]/g, '')}](${url})` : oneLine(source.label);
}

function tableCell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}

const EFFECT_TEXT: Record<ForecastItem['effect'], string> = {
  rolls: 'rolls',
  reloads: 'reloads in place',
  flushes: 'flushes heads',
  'restart-needed': 'needs a restart',
  created: 'created',
  deleted: 'deleted',
  scaled: 'scaled',
};

function renderForecast(items: ForecastItem[] | undefined): string {
  if (!items || items.length === 0) return '';
  const rows = items.map(
    (item) =>
      `| ${tableCell(item.object)} | ${item.pods.base} → ${item.pods.head} | ${EFFECT_TEXT[item.effect]} | ${tableCell(item.order)} | ${tableCell(item.reason)}${item.source ? ` (${sourceLink(item.source)})` : ''} |`,
  );
  return [
    '#### Restart impact',
    '',
    '| Workload | Pods | Effect | Order | Why |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function cpu(millis: number): string {
  return millis % 1000 === 0 ? `${millis / 1000}` : `${millis}m`;
}

function bytes(value: number): string {
  if (value === 0) return '0';
  for (const [unit, size] of [
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (value >= size) return `${Number((value / size).toFixed(2))}${unit}`;
  }
  return `${value}`;
}

function change(base: number, head: number, format: (value: number) => string): string {
  if (base === head) return format(head);
  const delta = head - base;
  return `${format(base)} → ${format(head)} (${delta > 0 ? '+' : '−'}${format(Math.abs(delta))})`;
}

function renderCapacity(items: CapacityItem[] | undefined): string {
  const changed = (items ?? []).filter((item) => JSON.stringify(item.base) !== JSON.stringify(item.head));
  if (changed.length === 0) return '';
  const rows = changed.map(
    (item) =>
      `| ${tableCell(item.component)} | ${change(item.base.pods, item.head.pods, String)} | ${change(item.base.cpuMillis, item.head.cpuMillis, cpu)} | ${change(item.base.memoryBytes, item.head.memoryBytes, bytes)} | ${change(item.base.storageBytes, item.head.storageBytes, bytes)} |`,
  );
  return [
    '#### Requested capacity',
    '',
    '| Component | Pods | CPU | Memory | PVC storage |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function renderIssues(issues: StackIssue[] | undefined): string {
  if (!issues || issues.length === 0) return '';
  const lines = issues.map(
    (issue) =>
      `- **${issue.severity}** ${codeText(issue.id)} ${codeText(issue.object)}${issue.option ? ` (${codeText(issue.option)})` : ''}: ${oneLine(issue.message)}. **Fix:** ${oneLine(issue.fix)}${issue.source ? ` (${sourceLink(issue.source)})` : ''}`,
  );
  return ['#### Stack validation (head)', '', ...lines].join('\n');
}

function renderOrder(order: ApplyOrder | undefined): string {
  if (!order || (order.steps.length === 0 && !order.refused)) return '';
  const lines = ['#### Order of the apply', ''];
  if (order.refused) lines.push(`> [!CAUTION]\n> ${oneLine(order.refused)}`);
  else
    lines.push(
      'The ingestor ring changes, so apply runs these steps in this order (`apply --no-order` applies everything at once):',
      '',
      ...order.steps.map((step) => oneLine(step)),
    );
  for (const warning of order.warnings) lines.push('', `- **warning** ${oneLine(warning)}`);
  return lines.join('\n');
}

/** Apply order, stack validation, restart forecast and capacity delta, when an analysis layer provided them. */
function renderImpact(diff: ManifestDiff): string {
  return [
    renderOrder(diff.order),
    renderIssues(diff.issues),
    renderForecast(diff.forecast),
    renderCapacity(diff.capacity),
  ]
    .filter(Boolean)
    .join('\n\n');
}

function tableHeader(): string {
  return '| Kind | Name | Change | Lines |\n|---|---|---|---|';
}

function tableRow(entry: DiffEntry): string {
  return `| ${escapeMarkdown(entry.kind)} | ${escapeMarkdown(objectName(entry))} | ${entry.change} | +${entry.additions} / -${entry.deletions} |`;
}

function renderTable(entries: DiffEntry[], maxLength = Infinity): string {
  const lines = [tableHeader()];
  let length = lines[0]!.length;
  const reserve = 120;
  let shown = 0;
  for (const entry of entries) {
    const row = tableRow(entry);
    if (length + row.length + 1 + reserve > maxLength) break;
    lines.push(row);
    length += row.length + 1;
    shown++;
  }
  if (shown < entries.length)
    lines.push(`\n_…and ${entries.length - shown} more changed objects; the full report lists them all._`);
  return lines.join('\n');
}

function fenceFor(patch: string): string {
  const longest = Math.max(2, ...(patch.match(/`{3,}/g) ?? []).map((run) => run.length));
  return '`'.repeat(longest + 1);
}

function detailsBlock(entry: DiffEntry, patch: string): string {
  const fence = fenceFor(patch);
  const body = patch.endsWith('\n') ? patch : `${patch}\n`;
  return [
    `<details><summary><code>${escapeMarkdown(entry.kind)} ${escapeMarkdown(objectName(entry))}</code> ${entry.change} (+${entry.additions} / -${entry.deletions})</summary>`,
    '',
    `${fence}diff`,
    `${body}${fence}`,
    '',
    '</details>',
  ].join('\n');
}

/** The first lines of a patch that fit in `limit` characters, plus a line saying how much was cut. */
function truncatePatch(patch: string, limit: number): string {
  const lines = patch.replace(/\n$/, '').split('\n');
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (length + line.length + 1 > limit) break;
    kept.push(line);
    length += line.length + 1;
  }
  if (kept.length === lines.length) return patch;
  return `${kept.join('\n')}\n... ${lines.length - kept.length} more lines cut; see the full report\n`;
}

function mention(entry: DiffEntry): string {
  return `- ${codeText(`${entry.kind} ${objectName(entry)}`)} ${entry.change} (+${entry.additions} / -${entry.deletions}): diff only in the full report`;
}

/** Overhead of a details block around its patch, plus room for the "lines cut" note. */
function blockOverhead(entry: DiffEntry): number {
  return detailsBlock(entry, '').length + 80;
}

/**
 * Fits the per-object diffs into `budget` characters: first every diff gets the same cap (so only the
 * longest ones are cut), and when that cap would be too small to be useful, the longest diffs become
 * one-line mentions, largest first, until the others fit again.
 */
function renderDetails(entries: DiffEntry[], budget: number, risky: Set<string>): string {
  // Drop order: objects without risks before flagged ones, longer diffs before shorter ones.
  const byLengthDesc = [...entries].sort(
    (a, b) => Number(risky.has(describe(a))) - Number(risky.has(describe(b))) || b.patch.length - a.patch.length,
  );
  const dropped = new Set<DiffEntry>();
  // Mentions past this share collapse into one "and N more" line, so they never crowd out every diff.
  const mentionsCap = Math.floor(budget * 0.3);
  const overhead = new Map(entries.map((entry) => [entry, blockOverhead(entry) + 2]));
  const ascending = [...entries].sort((a, b) => a.patch.length - b.patch.length);
  let keptOverhead = entries.reduce((sum, entry) => sum + overhead.get(entry)!, 0);
  let keptPatch = entries.reduce((sum, entry) => sum + entry.patch.length, 0);
  let mentionsLength = 0;
  let cap = Infinity;
  for (let drop = 0; drop <= byLengthDesc.length; drop++) {
    if (drop > 0) {
      const entry = byLengthDesc[drop - 1]!;
      dropped.add(entry);
      keptOverhead -= overhead.get(entry)!;
      keptPatch -= entry.patch.length;
      mentionsLength = Math.min(mentionsCap, mentionsLength + mention(entry).length + 1);
    }
    const available = budget - mentionsLength - 200 - keptOverhead;
    if (available < 0) continue;
    if (keptPatch <= available) {
      cap = Infinity;
      break;
    }
    // Water-filling: the largest cap with sum(min(length, cap)) <= available over the kept diffs.
    const keptCount = byLengthDesc.length - drop;
    let spent = 0;
    let seen = 0;
    let best = 0;
    for (const entry of ascending) {
      if (dropped.has(entry)) continue;
      const even = Math.floor((available - spent) / (keptCount - seen));
      if (even <= entry.patch.length) {
        best = even;
        break;
      }
      spent += entry.patch.length;
      seen++;
    }
    if (best >= MIN_DIFF_CHARS) {
      cap = best;
      break;
    }
    if (drop === byLengthDesc.length) cap = 0;
  }
  const blocks: string[] = [];
  const mentions: string[] = [];
  let used = 0;
  for (const entry of entries) {
    if (!dropped.has(entry) && cap > 0) {
      const block = detailsBlock(entry, cap === Infinity ? entry.patch : truncatePatch(entry.patch, cap));
      blocks.push(block);
      used += block.length + 2;
    } else {
      dropped.add(entry);
    }
  }
  let mentionsShown = 0;
  let mentionsUsed = 0;
  for (const entry of entries) {
    if (!dropped.has(entry)) continue;
    const line = mention(entry);
    if (used + line.length + 1 + 160 > budget || (blocks.length > 0 && mentionsUsed + line.length > mentionsCap)) break;
    mentions.push(line);
    used += line.length + 1;
    mentionsUsed += line.length + 1;
    mentionsShown++;
  }
  const parts = [...blocks];
  if (dropped.size > 0) {
    const rest = dropped.size - mentionsShown;
    const list = [...mentions];
    if (rest > 0) list.push(`- …and ${plural(rest, 'more object')} whose diff is only in the full report`);
    parts.push(`Diffs that did not fit in this comment:\n\n${list.join('\n')}`);
  }
  return parts.join('\n\n');
}

function noChanges(diff: ManifestDiff, context: ReportContext): string {
  return [
    commentMarker(context.environment),
    title(context),
    '',
    `**No changes.** The manifests for ${codeText(context.environment)} are the same on both sides (${plural(diff.counts.unchanged, 'object')} compared).`,
    '',
    footer(context),
    '',
  ].join('\n');
}

function changedEntries(diff: ManifestDiff): DiffEntry[] {
  return diff.entries.filter((entry) => entry.change !== 'unchanged');
}

/** The whole report, nothing cut: for the job summary and the report file. */
export function renderFullReport(diff: ManifestDiff, context: ReportContext): string {
  const changed = changedEntries(diff);
  if (changed.length === 0) return noChanges(diff, context);
  const parts = [
    `${commentMarker(context.environment)}\n${title(context)}`,
    summaryLine(diff),
    renderRisks(diff.risks, 'full'),
    renderImpact(diff),
    renderTable(changed),
    changed.map((entry) => detailsBlock(entry, entry.patch)).join('\n\n'),
    footer(context),
  ];
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}

/**
 * The report as a PR comment: the full report when it fits in `maxLength` (default 60,000), otherwise
 * shortened step by step (risk details condensed, table rows cut, long diffs cut, then diffs reduced to
 * one-line mentions) with a note saying where the full report is. The summary line and every risk are kept,
 * fences and <details> stay balanced, and the result never exceeds `maxLength`.
 */
export function renderReport(diff: ManifestDiff, context: ReportContext, options: ReportOptions = {}): string {
  const maxLength = Math.min(options.maxLength ?? DEFAULT_REPORT_BUDGET, Number.MAX_SAFE_INTEGER);
  const full = renderFullReport(diff, context);
  if (full.length <= maxLength) return full;
  const changed = changedEntries(diff);
  const head = `${commentMarker(context.environment)}\n${title(context)}\n\n${summaryLine(diff)}`;
  const notice = `> [!NOTE]\n> This comment is shortened to fit GitHub's size limit. The full report is in ${context.fullReportHint ?? DEFAULT_HINT}.`;
  const tail = footer(context);
  const separators = 40;
  const fixed = head.length + notice.length + tail.length + separators;

  let risks = '';
  for (const level of ['full', 'compact', 'minimal'] as const) {
    risks = renderRisks(diff.risks, level, level === 'minimal' ? Math.max(0, maxLength - fixed - 200) : Infinity);
    if (fixed + risks.length <= maxLength * 0.6) break;
  }
  let remaining = maxLength - fixed - risks.length;
  // The forecast and capacity tables are short; they make way only when even the risks barely fit.
  let impact = renderImpact(diff);
  if (impact.length > remaining * 0.3) impact = '';
  remaining -= impact.length + (impact ? 2 : 0);
  const table = remaining > 400 ? renderTable(changed, Math.floor(remaining * 0.4)) : '';
  remaining -= table.length + 4;
  const details =
    remaining > 300 ? renderDetails(changed, remaining, new Set(diff.risks.map((risk) => risk.object))) : '';
  const text = `${[head, notice, risks, impact, table, details, tail].filter(Boolean).join('\n\n')}\n`;
  if (text.length <= maxLength) return text;
  // Unreachable with sane budgets; a hard guarantee that GitHub never rejects the comment.
  const minimal = `${[head, notice, renderRisks(diff.risks, 'minimal', Math.max(0, maxLength - fixed - 100))].join('\n\n')}\n`;
  return minimal.length <= maxLength ? minimal : `${head.slice(0, maxLength - 1)}\n`;
}
