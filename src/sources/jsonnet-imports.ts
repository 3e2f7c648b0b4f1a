import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, sep } from 'node:path';
import { ManifestSourceError } from './errors.js';
import { realOrUndefined, within } from './repository.js';
import { ThanosGitopsError } from '../model/errors.js';

/**
 * Confines what a jsonnet evaluation may read, before it runs. A pull request controls the entrypoint and its
 * libraries, and neither Debian's jsonnet nor go-jsonnet's CLI can be told to stay inside a directory: `importstr
 * '/etc/passwd'` or `importstr '../.git/config'` (where actions/checkout keeps an Authorization header) would land
 * in the diff and the pull request comment. Jsonnet only imports string literals (the parser refuses computed
 * imports), so every file an evaluation can read is known from the source text alone. This module lexes each file
 * of the import graph the way jsonnet's lexer does (core/lexer.cpp of google/jsonnet v0.18.0, which also covers
 * go-jsonnet's `|||-` and `importbin`), resolves each import the way jsonnet does (the importing file's directory
 * first, then the library paths), and refuses the evaluation when any place jsonnet could read lies outside the
 * allowed roots, inside a `.git` directory, or is not a regular file.
 */

export type ImportKind = 'import' | 'importstr' | 'importbin';

export interface ImportClosure {
  /** Real paths of every jsonnet file the evaluation may parse (the entrypoint and every `import`). */
  code: string[];
  /** Real paths of every file read as data (`importstr`, `importbin`). */
  data: string[];
}

export interface ConfineOptions {
  /** The entrypoint as jsonnet will be given it (absolute, or relative to `cwd`). */
  entrypoint: string;
  /** Library paths as jsonnet will be given them with -J (absolute, or relative to `cwd`). */
  jpath: readonly string[];
  cwd: string;
  /** Directories whose files may be read: the repository and the declared library paths (absolute). */
  roots: readonly string[];
  /** How paths are named in messages: relative to this directory. */
  displayRoot: string;
}

interface ImportReference {
  kind: ImportKind;
  path: string;
  line: number;
}

const IMPORT_KEYWORDS = new Set<string>(['import', 'importstr', 'importbin']);
const MAX_FILES = 20_000;

class LexError extends ThanosGitopsError {}

function isIdentifierFirst(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isIdentifier(c: string): boolean {
  return isIdentifierFirst(c) || (c >= '0' && c <= '9');
}

function isHorizontalSpace(c: string): boolean {
  return c === ' ' || c === '\t';
}

/** jsonnet_string_unescape (core/string_utils.cpp): the escapes allowed in '...' and "..." strings. */
function unescapeJsonnetString(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw[++i];
    switch (next) {
      case '"':
      case "'":
      case '\\':
      case '/':
        out += next;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        const hex = raw.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new LexError('a \\u escape needs four hex digits');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        throw new LexError(`unknown escape sequence in a string: \\${next ?? ''}`);
    }
  }
  return out;
}

/**
 * The import references of one jsonnet file: each `import`, `importstr` and `importbin` keyword with the string
 * literal after it. Anything jsonnet's lexer would reject, or an import not followed by a literal, throws: such a
 * file cannot evaluate anyway, and a lexer that guessed could be steered past an import.
 */
export function importReferences(source: string): ImportReference[] {
  if (source.includes('\0')) throw new LexError('the file contains a NUL byte');
  const references: ImportReference[] = [];
  let i = 0;
  let line = 1;
  let pending: { kind: ImportKind; line: number } | undefined;
  const n = source.length;

  const string = (value: string) => {
    if (pending) {
      references.push({ kind: pending.kind, path: value, line: pending.line });
      pending = undefined;
    }
  };
  const token = () => {
    if (pending)
      throw new LexError(
        `line ${pending.line}: ${pending.kind} must be followed by a string literal (computed imports are not allowed)`,
      );
  };

  while (i < n) {
    const c = source[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && source[i + 1] === '/')) {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new LexError(`line ${line}: multi-line comment has no terminating */`);
      for (let k = i; k < end; k++) if (source[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = line;
      let raw = '';
      i++;
      for (; ; i++) {
        if (i >= n) throw new LexError(`line ${start}: unterminated string`);
        const d = source[i]!;
        if (d === c) break;
        if (d === '\\' && i + 1 < n) {
          raw += d;
          i++;
        }
        if (source[i] === '\n') line++;
        raw += source[i]!;
      }
      i++;
      string(unescapeJsonnetString(raw));
      continue;
    }
    if (c === '@') {
      const quote = source[i + 1];
      if (quote !== '"' && quote !== "'") throw new LexError(`line ${line}: junk after '@'`);
      const start = line;
      let value = '';
      for (i += 2; ; i++) {
        if (i >= n) throw new LexError(`line ${start}: unterminated verbatim string`);
        const d = source[i]!;
        if (d === quote) {
          if (source[i + 1] === quote) i++;
          else break;
        }
        if (d === '\n') line++;
        value += source[i]!;
      }
      i++;
      string(value);
      continue;
    }
    if (c === '|' && source[i + 1] === '|' && source[i + 2] === '|') {
      const start = line;
      i += 3;
      if (source[i] === '-') i++;
      while (i < n && isHorizontalSpace(source[i]!)) i++;
      if (source[i] !== '\n') throw new LexError(`line ${start}: text block syntax requires new line after |||`);
      i++;
      line++;
      let block = '';
      while (source[i] === '\n') {
        i++;
        line++;
        block += '\n';
      }
      let indent = 0;
      while (isHorizontalSpace(source[i + indent] ?? '')) indent++;
      if (indent === 0) throw new LexError(`line ${start}: text block's first line must start with whitespace`);
      const prefix = source.slice(i, i + indent);
      for (;;) {
        for (i += indent; source[i] !== '\n'; i++) {
          if (i >= n) throw new LexError(`line ${start}: unexpected end of file in a text block`);
          block += source[i]!;
        }
        block += '\n';
        i++;
        line++;
        while (source[i] === '\n') {
          i++;
          line++;
          block += '\n';
        }
        if (source.startsWith(prefix, i)) continue;
        while (isHorizontalSpace(source[i] ?? '')) i++;
        if (!source.startsWith('|||', i)) throw new LexError(`line ${start}: text block not terminated with |||`);
        i += 3;
        break;
      }
      string(block);
      continue;
    }
    if (isIdentifierFirst(c)) {
      let j = i;
      while (j < n && isIdentifier(source[j]!)) j++;
      const word = source.slice(i, j);
      token();
      if (IMPORT_KEYWORDS.has(word)) pending = { kind: word as ImportKind, line };
      i = j;
      continue;
    }
    if (c >= '0' && c <= '9') {
      token();
      // lex_number: digits, an optional fraction and an optional exponent; identifiers after it lex on their own.
      i++;
      while (i < n && /[0-9]/.test(source[i]!)) i++;
      if (source[i] === '.') {
        i++;
        while (i < n && /[0-9]/.test(source[i]!)) i++;
      }
      if (source[i] === 'e' || source[i] === 'E') {
        i++;
        if (source[i] === '+' || source[i] === '-') i++;
        while (i < n && /[0-9]/.test(source[i]!)) i++;
      }
      continue;
    }
    // Operators and delimiters, one character at a time: comment and text-block starts inside an operator run are
    // checked at every position above, as jsonnet's lexer stops an operator at `//`, `/*` and `|||`.
    token();
    i++;
  }
  if (pending) throw new LexError(`line ${pending.line}: ${pending.kind} at the end of the file`);
  return references;
}

function refusal(
  options: ConfineOptions,
  file: string,
  reference: ImportReference | undefined,
  why: string,
  fix: string,
): ManifestSourceError {
  const shown = within(options.displayRoot, file) ?? file;
  const what = reference ? `${shown}:${reference.line}: ${reference.kind} ${JSON.stringify(reference.path)}` : shown;
  return new ManifestSourceError(`jsonnet import refused before evaluation: ${what} ${why}; ${fix}`);
}

const CONFINE_FIX =
  'imports must stay inside the repository or a library directory (--jpath): copy the file into the repository, or pass its directory with --jpath';

/**
 * Walks the import graph from the entrypoint and returns every file the evaluation may read; throws a
 * ManifestSourceError naming the file, line and import when one could read outside the allowed roots.
 */
export async function confineImports(options: ConfineOptions): Promise<ImportClosure> {
  const roots = (await Promise.all(options.roots.map(realOrUndefined))).filter(
    (root): root is string => root !== undefined,
  );
  const searchDirs = options.jpath.map((dir) => (isAbsolute(dir) ? dir : `${options.cwd}/${dir}`));
  const code = new Set<string>();
  const data = new Set<string>();

  /** The real path of a place jsonnet may read, after checking it is allowed; undefined when it does not exist. */
  const allowed = async (
    path: string,
    from: string,
    reference: ImportReference | undefined,
  ): Promise<string | undefined> => {
    const real = await realOrUndefined(path);
    if (real === undefined) return undefined;
    const rel = roots.map((root) => within(root, real)).find((inside) => inside !== undefined);
    if (rel === undefined) {
      throw refusal(
        options,
        from,
        reference,
        reference
          ? 'reads a file outside the repository and the library directories (--jpath)'
          : 'lies outside the repository and the library directories (--jpath)',
        CONFINE_FIX,
      );
    }
    if (rel.split(sep).includes('.git')) {
      throw refusal(
        options,
        from,
        reference,
        'reads inside a .git directory (it holds credentials and is not part of the source)',
        "import only files of the repository's tree",
      );
    }
    const info = await stat(real);
    if (!info.isFile()) throw refusal(options, from, reference, 'is not a regular file', 'import a file');
    return real;
  };

  // `found` is the path as jsonnet forms it (directory + '/' + import), never normalized: the kernel resolves `..`
  // after symlinks, and so does realpath, so both see the same file.
  const queue: { found: string; real: string }[] = [];
  const entryFound = isAbsolute(options.entrypoint) ? options.entrypoint : `${options.cwd}/${options.entrypoint}`;
  const entryReal = await allowed(entryFound, entryFound, undefined);
  if (entryReal === undefined)
    throw new ManifestSourceError(
      `jsonnet entrypoint ${options.entrypoint} does not exist; pass an existing .jsonnet file with --entrypoint`,
    );
  queue.push({ found: entryFound, real: entryReal });
  const scanned = new Set<string>();

  while (queue.length > 0) {
    const { found, real } = queue.shift()!;
    const key = `${found}\0${real}`;
    if (scanned.has(key)) continue;
    scanned.add(key);
    if (scanned.size > MAX_FILES)
      throw refusal(options, real, undefined, `imports more than ${MAX_FILES} files`, 'split the entrypoint');
    code.add(real);
    let references: ImportReference[];
    try {
      references = importReferences(await readFile(real, 'utf8'));
    } catch (error) {
      if (!(error instanceof LexError)) throw error;
      throw refusal(
        options,
        real,
        undefined,
        `cannot be read as jsonnet (${error.message})`,
        'fix the file so jsonnet can parse it',
      );
    }
    for (const reference of references) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this check refuses
      if (reference.path === '' || /[\0-\x1f]/.test(reference.path)) {
        throw refusal(
          options,
          real,
          reference,
          'has an empty path or one with control characters',
          'import a plain file path',
        );
      }
      if (isAbsolute(reference.path)) {
        throw refusal(options, real, reference, 'is an absolute path', CONFINE_FIX);
      }
      // Every place jsonnet may look: the importing file's directory, then each library path. All of them are checked
      // (not only the first that exists), so the result does not depend on the order a jsonnet version searches in.
      const candidates = [
        `${dirname(found)}/${reference.path}`,
        ...searchDirs.map((dir) => `${dir}/${reference.path}`),
      ];
      let foundAny = false;
      for (const candidate of candidates) {
        const candidateReal = await allowed(candidate, real, reference);
        if (candidateReal === undefined) continue;
        foundAny = true;
        if (reference.kind === 'import') queue.push({ found: candidate, real: candidateReal });
        else data.add(candidateReal);
      }
      if (!foundAny) {
        // jsonnet would go on to its built-in library directories (/usr/share/jsonnet-<version>/ and JSONNET_PATH),
        // outside the repository: refuse instead.
        throw refusal(
          options,
          real,
          reference,
          'was not found next to the importing file nor in a library directory (--jpath)',
          'an import was not found: pass the directory that holds it with --jpath (for kube-thanos, run `jb install` and pass --jpath vendor)',
        );
      }
    }
  }
  return { code: [...code], data: [...data] };
}
