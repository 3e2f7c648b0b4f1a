import type { getOctokit } from '@actions/github';

export type Octokit = ReturnType<typeof getOctokit>;

export interface StickyCommentTarget {
  owner: string;
  repo: string;
  issueNumber: number;
  marker: string;
}

export interface StickyCommentResult {
  action: 'created' | 'updated' | 'unchanged' | 'skipped';
  id?: number;
  url?: string;
}

/** Login the workflow's GITHUB_TOKEN posts as; GET /user is not available to it. */
export const ACTIONS_BOT_LOGIN = 'github-actions[bot]';

interface CommentAuthor {
  login: string;
  type?: string;
}

interface IssueComment {
  id: number;
  html_url: string;
  body?: string | undefined;
  user: CommentAuthor | null;
  performed_via_github_app?: { slug?: string } | null;
}

/**
 * The login the token acts as. A personal or OAuth token can read GET /user; installation tokens (the workflow
 * token included) get 403, and then undefined means "a bot": see isOwnComment.
 */
export async function tokenLogin(octokit: Octokit): Promise<string | undefined> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return data.login;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 401 || status === 403 || status === 404) return undefined;
    throw error;
  }
}

function isOwnComment(comment: IssueComment, login: string | undefined): boolean {
  if (!comment.user) return false;
  if (login !== undefined) return comment.user.login === login;
  // Without GET /user the token is an app installation (the workflow token is the github-actions app):
  // only bot-authored comments can be ours, which keeps a human's quoted marker from being overwritten.
  return (
    comment.user.login === ACTIONS_BOT_LOGIN || comment.user.type === 'Bot' || Boolean(comment.performed_via_github_app)
  );
}

/** The comment carrying `marker` written by the token's own user, oldest first, across every page. */
export async function findStickyComment(
  octokit: Octokit,
  target: StickyCommentTarget,
): Promise<IssueComment | undefined> {
  const login = await tokenLogin(octokit);
  const comments = (await octokit.paginate(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: 100,
  })) as IssueComment[];
  return comments.find((comment) => (comment.body ?? '').includes(target.marker) && isOwnComment(comment, login));
}

/**
 * Creates or updates the one comment for `target.marker`. With `createIfMissing: false` (a report with no
 * changes) an existing comment is still updated, so a PR whose change went away says so, but none is created.
 */
export async function upsertStickyComment(
  octokit: Octokit,
  target: StickyCommentTarget,
  body: string,
  options: { createIfMissing: boolean },
): Promise<StickyCommentResult> {
  const existing = await findStickyComment(octokit, target);
  if (existing) {
    if (existing.body === body) return { action: 'unchanged', id: existing.id, url: existing.html_url };
    const { data } = await octokit.rest.issues.updateComment({
      owner: target.owner,
      repo: target.repo,
      comment_id: existing.id,
      body,
    });
    return { action: 'updated', id: data.id, url: data.html_url };
  }
  if (!options.createIfMissing) return { action: 'skipped' };
  const { data } = await octokit.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    body,
  });
  return { action: 'created', id: data.id, url: data.html_url };
}
