import { execFile } from 'node:child_process';
import { mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ManifestSourceError } from './errors.js';
import { loadManifestSet, type LoadOptions } from './source.js';
import type { ManifestSet } from '../model/objects.js';
import type { SourceSpec } from './spec.js';

export class GitError extends ManifestSourceError {
  override name = 'GitError';
}

interface GitResult {
  stdout: string;
  stderr: string;
}

function git(args: string[], cwd: string, env: Record<string, string> = {}): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
        // Never prompt for credentials in CI; C locale keeps git's messages stable for the errors we wrap.
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...env },
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            reject(
              new GitError('git was not found on PATH; install git (apt-get install git) to render a base ref', {
                cause: error,
              }),
            );
            return;
          }
          reject(new GitError(`git ${args[0] ?? ''} failed: ${stderr.trim() || error.message}`, { cause: error }));
          return;
        }
        resolvePromise({ stdout, stderr });
      },
    );
  });
}

function checkRef(ref: string): void {
  // A ref is passed to git as an argument; one starting with '-' would be read as an option.
  if (ref === '' || ref.startsWith('-') || /[\0\n]/.test(ref)) {
    throw new GitError(`'${ref}' is not a git ref; pass a branch, tag, commit sha or expression such as HEAD~1`);
  }
}

async function tryResolve(ref: string, repoDir: string): Promise<string | undefined> {
  try {
    const { stdout } = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], repoDir);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The commit sha a ref names in repoDir. In a shallow checkout (actions/checkout's default) that lacks the ref,
 * it first runs `git fetch --depth=1 origin <ref>`, so a PR's base sha can be rendered without a full clone.
 */
export async function resolveRef(ref: string, repoDir: string = process.cwd()): Promise<string> {
  checkRef(ref);
  const local = await tryResolve(ref, repoDir);
  if (local) return local;

  let shallow: boolean;
  try {
    shallow = (await git(['rev-parse', '--is-shallow-repository'], repoDir)).stdout.trim() === 'true';
  } catch {
    throw new GitError(
      `${repoDir} is not inside a git repository, so the ref '${ref}' cannot be rendered; run from the repository (or compare two configs with --base-config)`,
    );
  }
  if (shallow) {
    // `origin/main` is a remote-tracking name locally, but the remote itself calls it `main`.
    const remoteRef = ref.startsWith('origin/') ? ref.slice('origin/'.length) : ref;
    let fetchError = '';
    try {
      await git(['fetch', '--no-tags', '--depth=1', 'origin', remoteRef], repoDir);
    } catch (error) {
      fetchError = (error as Error).message;
    }
    if (!fetchError) {
      const fetched = (await tryResolve(ref, repoDir)) ?? (await tryResolve('FETCH_HEAD', repoDir));
      if (fetched) return fetched;
    }
    throw new GitError(
      `cannot resolve git ref '${ref}': this is a shallow clone and fetching it from origin did not work` +
        `${fetchError ? ` (${fetchError})` : ''}; fetch more history (git fetch --unshallow, or fetch-depth: 0 in actions/checkout) or pass a commit sha`,
    );
  }
  throw new GitError(
    `cannot resolve git ref '${ref}' in ${repoDir}; check the name (git log --oneline shows commits) or fetch it first`,
  );
}

function within(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '') return '';
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Loads `spec` as it was at `ref`: the commit's tree is checked out into a temporary directory (through a temporary
 * index, so the work tree, the real index and hooks are untouched) and the same source is loaded there. The spec's
 * paths are relative to `options.cwd` (default the process's), which must lie inside the repository.
 * A commit in which the source does not exist yet yields an empty set: the first PR that adds thanos-gitops
 * shows everything as added. A jsonnet library path missing from the commit (a git-ignored vendor/) is taken
 * from the work tree.
 */
export async function loadManifestSetAtRef(
  spec: SourceSpec,
  ref: string,
  repoDir: string = process.cwd(),
  options: LoadOptions = {},
): Promise<ManifestSet> {
  const sha = await resolveRef(ref, repoDir);
  const top = await realpath((await git(['rev-parse', '--show-toplevel'], repoDir)).stdout.trim());
  const cwd = await realpath(options.cwd ?? process.cwd());
  const cwdInRepo = within(top, cwd);

  const scratch = await mkdtemp(join(tmpdir(), 'thanos-gitops-base-'));
  const tree = join(scratch, 'tree');
  try {
    const indexEnv = { GIT_INDEX_FILE: join(scratch, 'index') };
    await git(['read-tree', sha], top, indexEnv);
    await git(['checkout-index', '--all', '--force', `--prefix=${tree}${sep}`], top, indexEnv);

    // The same relative paths, seen from the same place inside the repository, but in the checked-out tree.
    const baseCwd = cwdInRepo === undefined ? tree : join(tree, cwdInRepo);
    const inTree = (path: string): string => {
      const rel = within(top, resolve(cwd, path));
      if (rel === undefined) {
        throw new GitError(
          `${path} lies outside the git repository ${top}; a base ref can only be rendered from files in the repository`,
        );
      }
      return join(tree, rel);
    };

    let baseSpec: SourceSpec;
    switch (spec.type) {
      case 'config':
        baseSpec = { type: 'config', config: inTree(spec.config) };
        break;
      case 'jsonnet': {
        const jpath: string[] = [];
        for (const dir of spec.jpath) {
          const candidate = inTree(dir);
          jpath.push((await exists(candidate)) ? candidate : resolve(cwd, dir));
        }
        baseSpec = { type: 'jsonnet', entrypoint: inTree(spec.entrypoint), jpath };
        break;
      }
      case 'manifests':
        baseSpec = { type: 'manifests', dir: inTree(spec.dir) };
        break;
    }
    const sourcePath =
      baseSpec.type === 'config' ? baseSpec.config : baseSpec.type === 'jsonnet' ? baseSpec.entrypoint : baseSpec.dir;
    if (!(await exists(sourcePath))) return [];

    try {
      return await loadManifestSet(baseSpec, { ...options, cwd: baseCwd, root: tree });
    } catch (error) {
      // Name files as they are in the repository, not by the temporary checkout's path.
      const message = (error instanceof Error ? error.message : String(error)).split(`${tree}${sep}`).join('');
      throw new ManifestSourceError(`at ${ref} (${sha.slice(0, 12)}): ${message}`, { cause: error });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
