import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commentMarker,
  renderFullReport,
  renderJsonReport,
  renderReport,
  type ManifestDiff,
  type ReportContext,
} from '../diff/index.js';
import { analyzeManifestSets } from '../thanos/index.js';
import { describeSource, loadManifestSet, loadManifestSetAtRef } from '../sources/index.js';
import type { ManifestSet } from '../model/objects.js';
import { upsertStickyComment, type StickyCommentResult } from './comment.js';
import type { ActionCore, ActionDeps } from './deps.js';
import type { ActionInputs } from './inputs.js';
import { fetchLivePlan } from './live-diff.js';
import { applyOrderFor } from '../ring/ring-steps.js';

/** GitHub's job-summary limit per step is 1 MiB (bytes); stay a little under it. */
const SUMMARY_LIMIT_BYTES = 1024 * 1024 - 4096;
const NULL_SHA = /^0+$/;

interface Revisions {
  baseSha?: string;
  baseRef?: string;
  headSha?: string;
  headRef?: string;
  pullRequest?: number;
}

/** The two commits to compare, from the event that started the workflow. */
export function revisionsFromEvent(eventName: string, payload: Record<string, unknown>): Revisions {
  const pr = payload['pull_request'] as
    | { number?: number; base?: { sha?: string; ref?: string }; head?: { sha?: string; ref?: string } }
    | undefined;
  if ((eventName === 'pull_request' || eventName === 'pull_request_target') && pr) {
    if (!pr.base?.sha || typeof pr.number !== 'number') {
      throw new Error(
        `the ${eventName} event payload has no pull_request.base.sha or number; the Action needs GitHub's event file (GITHUB_EVENT_PATH)`,
      );
    }
    const revisions: Revisions = { baseSha: pr.base.sha, pullRequest: pr.number };
    if (pr.base.ref) revisions.baseRef = pr.base.ref;
    if (pr.head?.sha) revisions.headSha = pr.head.sha;
    if (pr.head?.ref) revisions.headRef = pr.head.ref;
    return revisions;
  }
  if (eventName === 'push') {
    const revisions: Revisions = {};
    const before = payload['before'];
    const after = payload['after'];
    const ref = payload['ref'];
    if (typeof before === 'string' && !NULL_SHA.test(before)) revisions.baseSha = before;
    if (typeof after === 'string') revisions.headSha = after;
    if (typeof ref === 'string') revisions.headRef = ref.replace(/^refs\/heads\//, '');
    return revisions;
  }
  throw new Error(
    `mode 'diff' runs on pull_request and push events, not '${eventName || 'unknown'}'; ` +
      "trigger the workflow on pull_request (see examples/workflows/thanos-diff.yml) or run 'thanos-gitops diff' for other events",
  );
}

/** Writes `<environment>-report.<extension>` under RUNNER_TEMP/thanos-gitops and returns its path. */
async function writeReportFile(
  inputs: ActionInputs,
  report: string,
  env: NodeJS.ProcessEnv,
  extension = 'md',
): Promise<string> {
  const dir = join(env['RUNNER_TEMP'] || tmpdir(), 'thanos-gitops');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${inputs.environment}-report.${extension}`);
  await writeFile(path, report, 'utf8');
  return path;
}

async function writeJobSummary(core: ActionCore, diff: ManifestDiff, context: ReportContext): Promise<void> {
  const summaryContext = { ...context, fullReportHint: 'the file named by the `report-path` output' };
  let maxLength = SUMMARY_LIMIT_BYTES;
  let text = renderReport(diff, summaryContext, { maxLength });
  // The budget counts characters, the limit bytes: shrink until multi-byte text fits too.
  for (let bytes = Buffer.byteLength(text); bytes > SUMMARY_LIMIT_BYTES; bytes = Buffer.byteLength(text)) {
    maxLength = Math.floor(((maxLength * SUMMARY_LIMIT_BYTES) / bytes) * 0.97);
    text = renderReport(diff, summaryContext, { maxLength });
  }
  try {
    await core.summary.addRaw(text).write();
  } catch (error) {
    // Outside a runner there is no GITHUB_STEP_SUMMARY; the report file still has everything.
    core.warning(`could not write the job summary: ${(error as Error).message}`);
  }
}

function logStackIssues(core: ActionCore, diff: ManifestDiff): void {
  for (const issue of diff.issues ?? []) {
    const line = `${issue.object}${issue.option ? ` (${issue.option})` : ''}: ${issue.message}. Fix: ${issue.fix}`;
    // Annotations, not a failure: the report carries them; apply (the reconciler) refuses the errors.
    if (issue.severity === 'error') core.error(line, { title: `thanos-gitops ${issue.id}` });
    else core.warning(line, { title: `thanos-gitops ${issue.id}` });
  }
}

function logRisks(core: ActionCore, diff: ManifestDiff): void {
  for (const risk of diff.risks) {
    const line = `${risk.object}: ${risk.message}. What to do: ${risk.action}`;
    if (risk.severity === 'high') core.warning(line, { title: `thanos-gitops ${risk.id}` });
    else core.info(`[${risk.severity}] ${risk.id} ${line}`);
  }
}

async function postComment(
  inputs: ActionInputs,
  deps: ActionDeps,
  diff: ManifestDiff,
  context: ReportContext,
  pullRequest: number,
): Promise<StickyCommentResult | undefined> {
  if (!inputs.githubToken) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, quoted for the user
    throw new Error("input 'github-token' is empty; keep its default (${{ github.token }}) or set comment: false");
  }
  const octokit = deps.github(inputs.githubToken);
  const { owner, repo } = deps.context.repo;
  const changed = diff.counts.added + diff.counts.removed + diff.counts.modified > 0;
  try {
    return await upsertStickyComment(
      octokit,
      { owner, repo, issueNumber: pullRequest, marker: commentMarker(inputs.environment) },
      renderReport(diff, context),
      { createIfMissing: changed },
    );
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 403 || status === 404) {
      // Pull requests from forks get a read-only token; the report is still in the job summary.
      deps.core.warning(
        `could not write the pull request comment (HTTP ${status}): the token needs 'pull-requests: write' ` +
          '(a pull request from a fork only gets a read-only token); the report is in the job summary',
      );
      return undefined;
    }
    throw error;
  }
}

/** mode: diff. Renders base and head, posts the sticky comment, writes the summary and the report file. */
export async function runDiff(inputs: ActionInputs, deps: ActionDeps): Promise<void> {
  const { core, env } = deps;
  const revisions = revisionsFromEvent(deps.context.eventName, deps.context.payload);
  core.info(`thanos-gitops: rendering ${describeSource(inputs.source)} for environment ${inputs.environment}`);
  const head: ManifestSet = await loadManifestSet(inputs.source, { cwd: inputs.workspace });
  let diff: ManifestDiff;
  const context: ReportContext = { environment: inputs.environment };
  if (revisions.headSha) context.headSha = revisions.headSha;
  if (revisions.headRef) context.headRef = revisions.headRef;
  if (inputs.liveDiff) {
    diff = await fetchLivePlan(inputs, head, deps);
    context.baseRef = 'live cluster';
    context.title = `thanos-gitops plan for \`${inputs.environment}\` (live cluster → head)`;
  } else {
    const base = revisions.baseSha
      ? await loadManifestSetAtRef(inputs.source, revisions.baseSha, inputs.workspace, { cwd: inputs.workspace })
      : [];
    if (revisions.baseSha) context.baseSha = revisions.baseSha;
    if (revisions.baseRef) context.baseRef = revisions.baseRef;
    diff = analyzeManifestSets(base, head);
    // The steps apply will run when this merges (the live cluster is assumed to run the base).
    const namespaces = [...new Set(head.map((m) => m.object.metadata?.namespace).filter((ns): ns is string => !!ns))];
    const order = applyOrderFor(base, head, namespaces.length === 1 ? namespaces[0]! : 'default');
    if (order) diff.order = order;
  }

  const { added, removed, modified } = diff.counts;
  const changed = added + removed + modified > 0;
  core.info(
    `thanos-gitops: ${added} added, ${removed} removed, ${modified} modified, ${diff.counts.unchanged} unchanged; ${diff.risks.length} risk flag${diff.risks.length === 1 ? '' : 's'}`,
  );
  logRisks(core, diff);
  logStackIssues(core, diff);

  const reportPath = await writeReportFile(inputs, renderFullReport(diff, context), env);
  const jsonReportPath = await writeReportFile(inputs, renderJsonReport(diff, context), env, 'json');
  // Outputs first: a comment that cannot be posted fails the step, and the documented follow-up steps (uploading
  // report-path with `if: always()`, gating on `changed`) still need them.
  core.setOutput('changed', changed ? 'true' : 'false');
  core.setOutput('added', String(added));
  core.setOutput('removed', String(removed));
  core.setOutput('modified', String(modified));
  core.setOutput('risks', String(diff.risks.length));
  core.setOutput('report-path', reportPath);
  core.setOutput('json-report-path', jsonReportPath);
  await writeJobSummary(core, diff, context);
  if (inputs.comment && revisions.pullRequest !== undefined) {
    const result = await postComment(inputs, deps, diff, context, revisions.pullRequest);
    if (result) core.info(`thanos-gitops: comment ${result.action}${result.url ? ` (${result.url})` : ''}`);
  }
}
