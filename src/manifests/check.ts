import { posix } from 'node:path';
import { ManifestSourceError } from './errors.js';
import { describeObject, objectId, type ManifestSet } from './types.js';

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
