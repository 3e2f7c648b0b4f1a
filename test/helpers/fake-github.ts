// A local stand-in for the parts of GitHub's REST API the Action uses, with the response shapes GitHub sends
// (issue comments, GET /user, Link-header pagination, the 65,536-character body limit). Every call is recorded.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

export interface FakeComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: FakeUser;
  created_at: string;
  updated_at: string;
  author_association: string;
  performed_via_github_app: { id: number; slug: string; name: string } | null;
}

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
  status: number;
}

export interface FakeGitHubOptions {
  /** The token the Action must present. */
  token: string;
  /**
   * Who the token is. `undefined` is the workflow's GITHUB_TOKEN: GET /user answers 403 and comments are
   * written by github-actions[bot] through the GitHub Actions app.
   */
  user?: FakeUser;
  /** Answer 403 to comment writes, as GitHub does for a fork's read-only token. */
  readOnly?: boolean;
}

export const ACTIONS_BOT: FakeUser = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };
const ACTIONS_APP = { id: 15368, slug: 'github-actions', name: 'GitHub Actions' };
const BODY_LIMIT = 65_536;

export interface FakeGitHub {
  url: string;
  calls: RecordedCall[];
  /** Comments per `owner/repo#number`. */
  comments: Map<string, FakeComment[]>;
  seedComment(issue: string, body: string, user: FakeUser): FakeComment;
  close(): Promise<void>;
}

function send(
  response: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): number {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-github-api-version-selected': '2022-11-28',
    ...headers,
  });
  response.end(JSON.stringify(payload));
  return status;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const calls: RecordedCall[] = [];
  const comments = new Map<string, FakeComment[]>();
  let nextId = 1_000_001;
  let base = '';
  const author = options.user ?? ACTIONS_BOT;

  const makeComment = (issue: string, body: string, user: FakeUser): FakeComment => {
    const [repoPath, number] = issue.split('#') as [string, string];
    const id = nextId++;
    const now = new Date(Date.UTC(2026, 10, 26, 0, 0, id % 60)).toISOString().replace('.000', '');
    const comment: FakeComment = {
      id,
      node_id: `IC_kwDO${id}`,
      url: `${base}/repos/${repoPath}/issues/comments/${id}`,
      html_url: `https://github.com/${repoPath}/pull/${number}#issuecomment-${id}`,
      issue_url: `${base}/repos/${repoPath}/issues/${number}`,
      body,
      user,
      created_at: now,
      updated_at: now,
      author_association: user.type === 'Bot' ? 'NONE' : 'MEMBER',
      performed_via_github_app: user === ACTIONS_BOT ? ACTIONS_APP : null,
    };
    comments.set(issue, [...(comments.get(issue) ?? []), comment]);
    return comment;
  };

  const handle = async (request: IncomingMessage, requestBody: unknown, response: ServerResponse): Promise<number> => {
    const url = new URL(request.url ?? '/', base);
    const authorization = request.headers.authorization;
    const accepted = authorization === `token ${options.token}` || authorization === `Bearer ${options.token}`;
    if (!accepted)
      return send(response, 401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
    const method = request.method ?? 'GET';
    const path = url.pathname;

    if (method === 'GET' && path === '/user') {
      if (!options.user) {
        return send(response, 403, {
          message: 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
          status: '403',
        });
      }
      return send(response, 200, { ...options.user, node_id: `U_${options.user.id}`, site_admin: false });
    }

    let match = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path);
    if (match) {
      const issue = `${match[1]}/${match[2]}#${match[3]}`;
      if (method === 'GET') {
        const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
        const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
        const all = comments.get(issue) ?? [];
        const pages = Math.max(1, Math.ceil(all.length / perPage));
        const link = (target: number, rel: string) => {
          const next = new URL(url);
          next.searchParams.set('page', String(target));
          next.searchParams.set('per_page', String(perPage));
          return `<${next.toString()}>; rel="${rel}"`;
        };
        const links = [];
        if (page < pages) links.push(link(page + 1, 'next'), link(pages, 'last'));
        if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
        return send(
          response,
          200,
          all.slice((page - 1) * perPage, page * perPage),
          links.length ? { link: links.join(', ') } : {},
        );
      }
      if (method === 'POST') {
        const body = requestBody as { body?: unknown } | undefined;
        if (options.readOnly)
          return send(response, 403, { message: 'Resource not accessible by integration', status: '403' });
        if (typeof body?.body !== 'string')
          return send(response, 422, { message: 'Invalid request.\n\n"body" wasn\'t supplied.', status: '422' });
        if (body.body.length > BODY_LIMIT) {
          return send(response, 422, {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'IssueComment',
                code: 'custom',
                field: 'body',
                message: `body is too long (maximum is ${BODY_LIMIT} characters)`,
              },
            ],
            status: '422',
          });
        }
        return send(response, 201, makeComment(issue, body.body, author));
      }
    }

    match = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(path);
    if (match && method === 'PATCH') {
      const id = Number(match[3]);
      const body = requestBody as { body?: unknown } | undefined;
      const comment = [...comments.values()].flat().find((item) => item.id === id);
      if (!comment) return send(response, 404, { message: 'Not Found', status: '404' });
      if (options.readOnly || comment.user.login !== author.login) {
        return send(response, 403, { message: 'Resource not accessible by integration', status: '403' });
      }
      if (typeof body?.body !== 'string') return send(response, 422, { message: 'Invalid request.', status: '422' });
      if (body.body.length > BODY_LIMIT) return send(response, 422, { message: 'Validation Failed', status: '422' });
      comment.body = body.body;
      comment.updated_at = new Date(Date.UTC(2026, 10, 26, 1)).toISOString().replace('.000', '');
      return send(response, 200, comment);
    }
    return send(response, 404, {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
      status: '404',
    });
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    const call: RecordedCall = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
      authorization: request.headers.authorization,
      status: 0,
    };
    calls.push(call);
    readBody(request)
      .then((body) => {
        call.body = body;
        return handle(request, body, response);
      })
      .then(
        (status) => {
          call.status = status;
        },
        (error: unknown) => {
          call.status = send(response, 500, { message: String(error) });
        },
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    calls,
    comments,
    seedComment: (issue, body, user) => makeComment(issue, body, user),
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
