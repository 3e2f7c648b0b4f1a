import { posix } from 'node:path';
import { ManifestSourceError } from './errors.js';
import { sortKeysDeep } from '../model/json.js';
import { progressCounter, type ProgressListener } from '../model/progress.js';
import { describeObject, objectId, type ManifestSet } from '../model/objects.js';

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
 * Checks a set can be written: safe, unique file names (also on case-insensitive file systems). Throws one error
 * naming both sides of the first clash. Objects defined twice are allowed here: kube-thanos's own all.jsonnet
 * emits the shared ServiceAccounts and ServiceMonitors of sharded components twice (see conflictingDuplicates).
 */
export function assertWritableSet(set: ManifestSet): void {
  const byFile = new Map<string, string>();
  for (const { file, object } of set) {
    const problem = fileNameProblem(file);
    if (problem) throw new ManifestSourceError(`manifest file name '${file}' (${describeObject(object)}) ${problem}`);
    const fileKey = file.toLowerCase();
    const previousFile = byFile.get(fileKey);
    if (previousFile !== undefined) {
      throw new ManifestSourceError(
        `two objects map to the same file ${file}: ${previousFile} and ${describeObject(object)}; rename one of them`,
      );
    }
    byFile.set(fileKey, describeObject(object));
  }
}

export interface DuplicateObject {
  /** As describeObject names it, e.g. `ServiceMonitor thanos/thanos-store`. */
  object: string;
  /** The files defining it, in set order; applied in this order, the last one wins. */
  files: string[];
}

/** Objects defined more than once with different content: applying the set keeps only the last definition. */
export function conflictingDuplicates(set: ManifestSet, progress?: ProgressListener): DuplicateObject[] {
  const byId = new Map<string, { object: string; files: string[]; contents: Set<string> }>();
  const compared = progressCounter(progress, 'duplicates', set.length);
  for (const { file, object } of set) {
    const id = objectId(object);
    const entry = byId.get(id) ?? { object: describeObject(object), files: [], contents: new Set<string>() };
    entry.files.push(file);
    entry.contents.add(JSON.stringify(sortKeysDeep(object)));
    byId.set(id, entry);
    compared(file);
  }
  return [...byId.values()].filter((entry) => entry.contents.size > 1).map(({ object, files }) => ({ object, files }));
}

/** One warning line per conflicting duplicate, for the CLI and the Action to print. */
export function duplicateWarnings(set: ManifestSet, progress?: ProgressListener): string[] {
  return conflictingDuplicates(set, progress).map(
    ({ object, files }) =>
      `${object} is defined ${files.length} times with different content (${files.join(', ')}); the last one wins when applied`,
  );
}
