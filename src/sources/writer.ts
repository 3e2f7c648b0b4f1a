import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
// The YAML printer only: the renderer's index would also load the stack config schema for every source.
import { toKubeYaml } from '../render/yaml.js';
import { assertWritableSet } from './check.js';
import { ManifestSourceError } from './errors.js';
import type { ManifestSet } from '../model/objects.js';
import { ThanosGitopsError } from '../model/errors.js';

/**
 * The record of the files a render wrote into its output directory. Only those are replaced or removed by the next
 * render; anything else in the directory was put there by someone else and is kept. No .yaml/.json extension, so
 * `kubectl apply -f <dir>` and the directory source (which skips dot files) never read it as a manifest.
 */
export const RENDER_RECORD = '.thanos-gitops-render';

const RECORD_HEADER = `# Written by thanos-gitops render. The next render into this directory replaces or removes the files listed
# here and leaves every other file alone. Deleting this record makes the next render refuse the directory.
`;

/**
 * The YAML stream of a set, as `kubectl apply -f -` reads it: `---`-separated documents in set order, each headed by
 * its file name as a comment unless `sourceComments` is false.
 */
export function formatManifestStream(
  set: ManifestSet,
  { sourceComments = true }: { sourceComments?: boolean } = {},
): string {
  return set
    .map(({ file, object }) => {
      const text = toKubeYaml(object);
      return `---\n${sourceComments ? `# Source: ${file}\n` : ''}${text.endsWith('\n') ? text : `${text}\n`}`;
    })
    .join('');
}

export interface WriteOptions {
  /** Directories the set was read from: an output directory equal to, inside or around one of them is refused. */
  sourceDirs?: string[];
  /** Stops the write (SIGINT/SIGTERM): the staging directory is removed and the output stays as it was. */
  signal?: AbortSignal;
}

/** The write was stopped through WriteOptions.signal before the output directory was touched. */
export class WriteAbortedError extends ThanosGitopsError {
  override name = 'WriteAbortedError';
}

interface Existing {
  /** Regular files, symlinks and other non-directories, as POSIX relative paths. */
  entries: string[];
  /** Directories with nothing in them. */
  emptyDirs: string[];
}

async function existingEntries(target: string, outDir: string): Promise<Existing | undefined> {
  const info = await lstat(target).catch(() => undefined);
  if (!info) return undefined;
  if (!info.isDirectory())
    throw new ManifestSourceError(`output path ${outDir} exists and is not a directory; choose a directory for --out`);
  const found: Existing = { entries: [], emptyDirs: [] };
  async function walk(dir: string, prefix: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    if (entries.length === 0 && prefix !== '') found.emptyDirs.push(prefix.slice(0, -1));
    for (const entry of entries) {
      const rel = prefix + entry.name;
      if (entry.isDirectory()) await walk(join(dir, entry.name), `${rel}/`);
      else found.entries.push(rel);
    }
  }
  await walk(target, '');
  return found;
}

/** The files an earlier render recorded, or undefined when the directory has no record. */
async function recordedFiles(target: string): Promise<Set<string> | undefined> {
  const text = await readFile(join(target, RENDER_RECORD), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  return new Set(text.split('\n').filter((line) => line !== '' && !line.startsWith('#')));
}

const within = (parent: string, child: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

async function realOrResolved(path: string): Promise<string> {
  const absolute = resolve(path);
  // A path that does not exist yet is compared through its nearest existing parent.
  return realpath(absolute).catch(async () =>
    join(await realOrResolved(dirname(absolute)).catch(() => dirname(absolute)), basename(absolute)),
  );
}

function shortList(items: string[]): string {
  return items.slice(0, 3).join(', ') + (items.length > 3 ? `, and ${items.length - 3} more` : '');
}

/**
 * Writes each manifest as kube-thanos formatted YAML to `<outDir>/<file>` and records their names in
 * RENDER_RECORD. Files an earlier render recorded and the set no longer has are removed; files nobody recorded
 * (hand-written notes, a kustomization) are kept, and a rendered file that would overwrite one is refused. A
 * non-empty directory without a record is refused: nothing tells which of its files are safe to replace.
 *
 * Everything is built in a sibling staging directory (kept files hard-linked in) and swapped in with two renames,
 * so a failure or an abort through `signal` leaves outDir as it was and removes the staging directory.
 */
export async function writeManifestSet(set: ManifestSet, outDir: string, options: WriteOptions = {}): Promise<void> {
  assertWritableSet(set);
  if (set.some(({ file }) => file === RENDER_RECORD)) {
    throw new ManifestSourceError(
      `manifest file name '${RENDER_RECORD}' is reserved for the render record; rename that object's file`,
    );
  }
  // Serialise everything before touching the disk.
  const files = set.map(({ file, object }) => ({ file, text: toKubeYaml(object) }));

  const target = resolve(outDir);
  const fromTarget = relative(target, process.cwd());
  if (fromTarget === '' || (!fromTarget.startsWith('..') && !isAbsolute(fromTarget))) {
    // Swapping the directory the process (and the user's shell) stands in would leave both in a deleted directory.
    throw new ManifestSourceError(
      `refusing to replace ${outDir}: it is the current directory or one of its parents; choose a subdirectory for --out`,
    );
  }
  const realTarget = await realOrResolved(target);
  for (const source of options.sourceDirs ?? []) {
    const realSource = await realOrResolved(source);
    if (within(realTarget, realSource) || within(realSource, realTarget)) {
      throw new ManifestSourceError(
        `refusing to write ${outDir}: it ${realTarget === realSource ? 'is' : within(realTarget, realSource) ? 'contains' : 'is inside'} the source directory ${source}, whose files it would rewrite; choose an --out outside it`,
      );
    }
  }

  const existing = await existingEntries(target, outDir);
  let kept: string[] = [];
  if (existing) {
    const recorded = await recordedFiles(target);
    const others = existing.entries.filter((entry) => entry !== RENDER_RECORD);
    if (!recorded && others.length > 0) {
      throw new ManifestSourceError(
        `refusing to write into ${outDir}: it holds files that thanos-gitops render did not write (${shortList(others)}) and no ${RENDER_RECORD} record; choose an empty or new directory, or move those files away (if they are an earlier render's output, delete them and render again)`,
      );
    }
    kept = others.filter((entry) => !recorded?.has(entry));
    const keptSet = new Set(kept.map((entry) => entry.toLowerCase()));
    const clashes = files
      .map(({ file }) => file)
      .filter((file) => {
        const lower = file.toLowerCase();
        const parts = lower.split('/');
        // The file itself, a kept file where one of its directories goes, or kept files under a directory it would replace.
        return (
          keptSet.has(lower) ||
          parts.slice(1).some((_, i) => keptSet.has(parts.slice(0, i + 1).join('/'))) ||
          [...keptSet].some((k) => k.startsWith(`${lower}/`))
        );
      });
    if (clashes.length > 0) {
      throw new ManifestSourceError(
        `refusing to write into ${outDir}: ${shortList(clashes)} would overwrite file(s) that thanos-gitops render did not write; move them away or choose another --out`,
      );
    }
  }

  const abortIfAsked = () => {
    if (options.signal?.aborted) throw new WriteAbortedError(`interrupted: ${outDir} was left as it was`);
  };
  abortIfAsked();
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const suffix = randomBytes(6).toString('hex');
  const staging = join(parent, `.${basename(target)}.tmp-${suffix}`);
  const retired = join(parent, `.${basename(target)}.old-${suffix}`);
  try {
    await mkdir(staging);
    for (const { file, text } of files) {
      abortIfAsked();
      const path = join(staging, ...file.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text, { flag: 'wx' });
    }
    for (const entry of kept) {
      abortIfAsked();
      const path = join(staging, ...entry.split('/'));
      await mkdir(dirname(path), { recursive: true });
      // A hard link keeps the very file (content, mode, owner) without copying it; link(2) does not follow symlinks.
      await link(join(target, ...entry.split('/')), path);
    }
    for (const dir of existing?.emptyDirs ?? []) await mkdir(join(staging, ...dir.split('/')), { recursive: true });
    await writeFile(join(staging, RENDER_RECORD), `${RECORD_HEADER}${files.map(({ file }) => `${file}\n`).join('')}`, {
      flag: 'wx',
    });
    abortIfAsked();
    // From here on the swap runs to its end: two renames, which a signal must not split.
    if (existing) await rename(target, retired);
    try {
      await rename(staging, target);
    } catch (error) {
      if (existing) await rename(retired, target);
      throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  await rm(retired, { recursive: true, force: true });
}
