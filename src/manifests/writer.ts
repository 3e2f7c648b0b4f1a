import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { toKubeYaml } from '../render/index.js';
import { ManifestSourceError } from './errors.js';
import { describeObject, objectId, type ManifestSet } from './types.js';

const OUTPUT_EXTENSIONS = /\.(ya?ml|json)$/i;

/** Why a manifest's file name cannot be written under an output directory, or undefined when it can. */
function fileNameProblem(file: string): string | undefined {
  if (file === '' || file.includes('\\') || file.includes('\0')) return 'is empty or contains a backslash or NUL';
  if (posix.isAbsolute(file)) return 'is absolute';
  if (posix.normalize(file) !== file || file.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    return 'is not a plain relative path (no `..`, `.` or empty segments)';
  }
  if (!/\.ya?ml$/.test(file)) return 'does not end in .yaml or .yml';
  return undefined;
}

/**
 * Checks a set can be written and applied: unique, writable file names and unique object identities. Throws one
 * error naming both sides of the first clash.
 */
export function assertWritableSet(set: ManifestSet): void {
  const byFile = new Map<string, string>();
  const byId = new Map<string, string>();
  for (const { file, object } of set) {
    const problem = fileNameProblem(file);
    if (problem) throw new ManifestSourceError(`manifest file name '${file}' (${describeObject(object)}) ${problem}`);
    // Case-insensitive file systems (macOS, Windows) would merge names that differ only in case.
    const fileKey = file.toLowerCase();
    const previousFile = byFile.get(fileKey);
    if (previousFile !== undefined) {
      throw new ManifestSourceError(`two objects map to the same file ${file}: ${previousFile} and ${describeObject(object)}; rename one of them`);
    }
    byFile.set(fileKey, describeObject(object));
    const id = objectId(object);
    const previousId = byId.get(id);
    if (previousId !== undefined) {
      throw new ManifestSourceError(`${describeObject(object)} is defined twice, in ${previousId} and ${file}; keep one definition`);
    }
    byId.set(id, file);
  }
}

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
