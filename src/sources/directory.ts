import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { progressCounter, type ProgressListener } from '../model/progress.js';
import { InvalidUtf8Error, decodeUtf8 } from '../model/text.js';
import { ManifestSourceError } from './errors.js';
import { assertInsideRepository, repositoryRoot } from './repository.js';
import { isListObject, objectProblem } from '../model/object-problem.js';
import { isRecord, type KubeObject, type ManifestSet } from '../model/objects.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Every manifest file under dir, recursively, as sorted POSIX-style relative paths. Dot entries (.git) are skipped.
 * A symlinked file must resolve inside `allowed` (the repository): a pull request may commit a link to a file of
 * the runner, whose contents would reach the report.
 */
async function listManifestFiles(root: string, allowed: string, shown: string): Promise<string[]> {
  const allowedReal = await realpath(allowed);
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      // Symlinked directories are not followed, so a link cycle cannot loop; symlinked files are read.
      const isFile =
        entry.isFile() ||
        (entry.isSymbolicLink() &&
          (await stat(full).then(
            (s) => s.isFile(),
            () => false,
          )));
      if (isFile && entry.isSymbolicLink() && MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
        const target = relative(allowedReal, await realpath(full));
        if (
          target === '..' ||
          target.startsWith(`..${sep}`) ||
          isAbsolute(target) ||
          target.split(sep).includes('.git')
        ) {
          throw new ManifestSourceError(
            `${join(shown, relative(root, full))} is a symlink to a file outside the repository (or inside .git); manifests are read only from the repository's own files: replace the link with the file`,
          );
        }
      }
      if (entry.isDirectory()) await walk(full);
      else if (isFile && MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
        found.push(relative(root, full).split(sep).join('/'));
      }
    }
  }
  await walk(root);
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The message for YAML that exhausts the parser: an alias bomb, or nesting deeper than the stack allows. */
function exhaustionMessage(error: unknown): string {
  if (error instanceof RangeError)
    return 'the YAML nests too deeply to read (Maximum call stack size exceeded); flatten the structure';
  if (error instanceof ReferenceError && /alias/i.test(error.message))
    return 'too many aliases (more than 1000 expansions: an alias bomb?); write the values out or use fewer aliases';
  throw error;
}

/**
 * The objects of one manifest file, in order: empty documents skipped, List kinds flattened. Every error names
 * the file and line, plus the document number (1-based, counting every `---` document including empty ones).
 */
export function parseManifestFile(text: string, file: string): KubeObject[] {
  const lineCounter = new LineCounter();
  // merge: kubectl (go-yaml) honours `<<` merge keys, so manifests written for it may use them.
  // resolveKnownTags: false keeps YAML 1.1 tags (!!binary, !!set, !!timestamp) from becoming Buffers, Sets and Dates
  // that JSON would silently turn into something else; like any other unknown tag they are reported below.
  const where = (offset: number | undefined): string => {
    const pos = lineCounter.linePos(offset ?? 0);
    return `${file}:${pos.line}:${pos.col}`;
  };
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, {
      lineCounter,
      merge: true,
      prettyErrors: false,
      uniqueKeys: true,
      resolveKnownTags: false,
    });
  } catch (error) {
    throw new ManifestSourceError(`${file}: cannot parse the YAML: ${exhaustionMessage(error)}`);
  }
  const objects: KubeObject[] = [];
  docs.forEach((doc, index) => {
    const number = index + 1;
    const firstError = doc.errors[0];
    if (firstError) {
      const detail = /Maximum call stack/.test(firstError.message)
        ? exhaustionMessage(new RangeError(firstError.message))
        : `${firstError.message.split('\n')[0]}; fix the syntax at that line`;
      throw new ManifestSourceError(`${where(firstError.pos[0])}: invalid YAML in document ${number}: ${detail}`);
    }
    const unknownTag = doc.warnings.find((warning) => warning.code === 'TAG_RESOLVE_FAILED');
    if (unknownTag) {
      throw new ManifestSourceError(
        `${where(unknownTag.pos[0])}: document ${number}: ${unknownTag.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}; Kubernetes manifests take plain values: remove the tag (quote the value to keep it a string)`,
      );
    }
    if (doc.contents === null) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      throw new ManifestSourceError(
        `${where(doc.contents.range?.[0])}: document ${number}: ${exhaustionMessage(error)}`,
      );
    }
    if (value === null || value === undefined) return;
    const docStart = where(doc.contents.range?.[0] ?? doc.range?.[0]);
    if (isRecord(value) && isListObject(value)) {
      value.items.forEach((item, itemIndex) => {
        const node = doc.getIn(['items', itemIndex], true) as { range?: [number, number, number] } | undefined;
        const problem = objectProblem(item);
        if (problem) {
          throw new ManifestSourceError(
            `${where(node?.range?.[0] ?? doc.contents?.range?.[0])}: document ${number}, items[${itemIndex}] of the ${String(value.kind)}: ${problem}`,
          );
        }
        objects.push(item as KubeObject);
      });
      return;
    }
    const problem = objectProblem(value);
    if (problem) throw new ManifestSourceError(`${docStart}: document ${number}: ${problem}`);
    objects.push(value as KubeObject);
  });
  return objects;
}

/**
 * The output file for object `index` of `count` from a source file: the source's relative path when it holds one
 * object, `<stem>-<n>.<ext>` (n from 1) when it holds several. JSON sources become .yaml since they are written as YAML.
 */
export function manifestFileName(relativePath: string, index: number, count: number): string {
  const extension = extname(relativePath);
  const stem = relativePath.slice(0, relativePath.length - extension.length);
  const outExtension = extension.toLowerCase() === '.json' ? '.yaml' : extension;
  return count === 1 ? `${stem}${outExtension}` : `${stem}-${index + 1}${outExtension}`;
}

/** Loads a directory of YAML/JSON manifests (recursive, multi-document files and List kinds allowed). */
const READ_BATCH = 64;

export async function loadManifestDirectory(
  dir: string,
  cwd: string = process.cwd(),
  repository?: string,
  progress?: ProgressListener,
): Promise<ManifestSet> {
  const root = resolve(cwd, dir);
  const info = await stat(root).catch(() => undefined);
  if (!info)
    throw new ManifestSourceError(`manifests directory ${dir} does not exist; pass an existing directory with --dir`);
  if (!info.isDirectory())
    throw new ManifestSourceError(
      `manifests directory ${dir} is not a directory; pass the directory that holds the YAML files with --dir`,
    );
  const allowed = repository ?? (await repositoryRoot(root)) ?? root;
  await assertInsideRepository(root, allowed, `manifests directory ${dir}`);
  const files = await listManifestFiles(root, allowed, dir);
  // Read in parallel (a 500-file directory otherwise spends ~200 ms waiting on one read at a time), in batches so a
  // huge directory cannot exhaust file descriptors; parse in order, so errors and the set keep the files' order.
  const texts: string[] = [];
  const read = progressCounter(progress, 'read', files.length);
  for (let start = 0; start < files.length; start += READ_BATCH) {
    const batch = files.slice(start, start + READ_BATCH);
    const contents = await Promise.all(batch.map((file) => readFile(join(root, file))));
    contents.forEach((bytes, index) => {
      try {
        texts.push(decodeUtf8(bytes, join(dir, batch[index] as string)));
        read(batch[index]);
      } catch (error) {
        if (error instanceof InvalidUtf8Error) throw new ManifestSourceError(error.message, { cause: error });
        throw error;
      }
    });
  }
  const set: ManifestSet = [];
  const parsed = progressCounter(progress, 'parse', files.length);
  files.forEach((file, fileIndex) => {
    const objects = parseManifestFile(texts[fileIndex] as string, join(dir, file));
    parsed(file);
    for (const [index, object] of objects.entries())
      set.push({ file: manifestFileName(file, index, objects.length), object });
  });
  return set;
}
