import { realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { ManifestSourceError } from './errors.js';

// Which files a source may read: the repository the source's path names. A pull request controls the repository's
// contents, symlinks included, but not what lies outside it.

/** `path` relative to `root` when it lies inside it ('' for root itself), else undefined. */
export function within(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel;
}

/** The real path, or undefined when nothing (readable) is there: a reader cannot open it either. */
export async function realOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

/** The repository holding `start`: the nearest directory upwards with a `.git` entry (a directory or a worktree's file). */
export async function repositoryRoot(start: string): Promise<string | undefined> {
  let dir = start;
  for (;;) {
    if (
      await stat(`${dir}/.git`).then(
        () => true,
        () => false,
      )
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Refuses `path` when it resolves (through symlinks) outside `repository` or into its `.git`: a pull request can
 * replace a source file or directory with a link to the runner's files. `what` names the source in the message.
 */
export async function assertInsideRepository(path: string, repository: string, what: string): Promise<void> {
  const [real, repositoryReal] = await Promise.all([realOrUndefined(path), realOrUndefined(repository)]);
  if (real === undefined || repositoryReal === undefined) return;
  const rel = within(repositoryReal, real);
  if (rel === undefined || rel.split(sep).includes('.git')) {
    throw new ManifestSourceError(
      `${what} resolves to a path outside the repository (or inside .git), through a symlink; sources are read only from the repository's own files: replace the link with the files`,
    );
  }
}
