import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { toKubeYaml } from '../render/index.js';
import { assertWritableSet } from './check.js';
import { ManifestSourceError } from './errors.js';
import type { ManifestSet } from './types.js';

const OUTPUT_EXTENSIONS = /\.(ya?ml|json)$/i;

/** The YAML stream of a set: `---`-separated documents, each headed by its file name as a comment. */
export function formatManifestStream(set: ManifestSet): string {
  return set
    .map(({ file, object }) => {
      const text = toKubeYaml(object);
      return `---\n# Source: ${file}\n${text.endsWith('\n') ? text : `${text}\n`}`;
    })
    .join('');
}

async function existingEntries(outDir: string): Promise<string[] | undefined> {
  const info = await lstat(outDir).catch(() => undefined);
  if (!info) return undefined;
  if (!info.isDirectory()) throw new ManifestSourceError(`output path ${outDir} exists and is not a directory; choose a directory for --out`);
  const foreign: string[] = [];
  async function walk(dir: string, prefix: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const rel = prefix + entry.name;
      if (entry.isDirectory()) await walk(join(dir, entry.name), `${rel}/`);
      else if (!entry.isFile() || !OUTPUT_EXTENSIONS.test(entry.name)) foreign.push(rel);
    }
  }
  await walk(outDir, '');
  return foreign;
}

/**
 * Writes each manifest as kube-thanos formatted YAML to `<outDir>/<file>`, so that afterwards the directory holds
 * exactly the set (stale files from an earlier render are gone). Everything is written to a sibling temporary
 * directory first and swapped in with renames: a failure leaves outDir as it was. A directory holding anything
 * but manifests is refused rather than replaced, so a mistyped --out cannot wipe a source tree.
 */
export async function writeManifestSet(set: ManifestSet, outDir: string): Promise<void> {
  assertWritableSet(set);
  // Serialise everything before touching the disk.
  const files = set.map(({ file, object }) => ({ file, text: toKubeYaml(object) }));

  const target = resolve(outDir);
  const fromTarget = relative(target, process.cwd());
  if (fromTarget === '' || (!fromTarget.startsWith('..') && !isAbsolute(fromTarget))) {
    // Swapping the directory the process (and the user's shell) stands in would leave both in a deleted directory.
    throw new ManifestSourceError(`refusing to replace ${outDir}: it is the current directory or one of its parents; choose a subdirectory for --out`);
  }
  const foreign = await existingEntries(target);
  if (foreign && foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, and ${foreign.length - 3} more` : '');
    throw new ManifestSourceError(
      `refusing to replace ${outDir}: it holds files that are not manifests (${shown}); choose an empty directory or one written by thanos-gitops render`,
    );
  }

  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const suffix = randomBytes(6).toString('hex');
  const staging = join(parent, `.${basename(target)}.tmp-${suffix}`);
  const retired = join(parent, `.${basename(target)}.old-${suffix}`);
  try {
    await mkdir(staging);
    for (const { file, text } of files) {
      const path = join(staging, ...file.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text, { flag: 'wx' });
    }
    if (foreign) await rename(target, retired);
    try {
      await rename(staging, target);
    } catch (error) {
      if (foreign) await rename(retired, target);
      throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  await rm(retired, { recursive: true, force: true });
}
