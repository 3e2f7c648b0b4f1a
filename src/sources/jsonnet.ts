import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { ManifestSourceError } from './errors.js';
import { confineImports } from './jsonnet-imports.js';
import { repositoryRoot } from './repository.js';
import { isListObject, objectProblem } from '../model/object-problem.js';
import { isRecord, type KubeObject, type ManifestSet } from '../model/objects.js';

export interface JsonnetOptions {
  cwd?: string;
  /** The jsonnet binary; default `$THANOS_GITOPS_JSONNET` or `jsonnet` on PATH. */
  binary?: string;
  /**
   * The directory imports may read from besides the --jpath directories; default the git repository holding the
   * entrypoint (the nearest directory upwards with a `.git`), or the entrypoint's directory outside a repository.
   */
  root?: string;
}

const INSTALL_HINT =
  'install it: `apt-get install jsonnet` (Debian/Ubuntu), `brew install jsonnet` (macOS) or ' +
  '`go install github.com/google/go-jsonnet/cmd/jsonnet@latest`, or point THANOS_GITOPS_JSONNET at the binary';

/** Evaluation output larger than this is refused: a pull request must not exhaust the runner's memory. */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;
/** Lines of jsonnet's error trace kept in our message: the locations, never the values. */
const MAX_TRACE_LINES = 12;
const MAX_MESSAGE_CHARS = 300;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

/** The binary's absolute path, looked up on the caller's PATH: jsonnet itself runs with an empty environment. */
async function locate(binary: string): Promise<string> {
  if (binary.includes('/')) return binary;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return binary;
}

function run(binary: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    // An empty environment: a pull request's jsonnet must not see the runner's variables (tokens, JSONNET_PATH).
    const child = spawn(binary, args, { cwd, env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let truncated = false;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) {
        truncated = true;
        child.kill('SIGKILL');
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.reduce((sum, part) => sum + part.length, 0) < 1024 * 1024) stderr.push(chunk);
    });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({
        code,
        signal,
        truncated,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
  });
}

/**
 * jsonnet's error, cut to what locates it: the first line of the message (at most 300 characters) and the trace's
 * `file:line:column` lines. A message holding a line of a file read with importstr/importbin is withheld: `error
 * importstr 'x'` would otherwise print the file.
 */
export function safeJsonnetError(stderr: string, dataFiles: readonly string[]): string {
  const lines = stderr.replace(/\r/g, '').split('\n');
  const headIndex = lines.findIndex((line) => /^(RUNTIME|STATIC) ERROR:|^[^\t].*:\d+:\d+/.test(line));
  const head = headIndex >= 0 ? lines[headIndex]! : (lines.find((line) => line.trim() !== '') ?? '');
  let message = head.length > MAX_MESSAGE_CHARS ? `${head.slice(0, MAX_MESSAGE_CHARS - 1)}…` : head;
  const quoted = dataFiles.some((text) =>
    text.split('\n').some((line) => line.trim().length >= 4 && head.includes(line.trim())),
  );
  if (quoted)
    message = `${/^(RUNTIME|STATIC) ERROR:/.exec(head)?.[0] ?? 'ERROR:'} (message not shown: it quotes a file read with importstr/importbin)`;
  const trace = lines
    .slice(headIndex + 1)
    .filter((line) => /^\t/.test(line))
    .map((line) => line.trim())
    .filter(
      (line) => /:\(?\d+:\d+/.test(line) || line === 'During evaluation' || line.startsWith('During manifestation'),
    )
    .slice(0, MAX_TRACE_LINES)
    .map((line) => `\t${line}`);
  return [message, ...trace].join('\n');
}

/** Why a top-level field name cannot name an output file, or undefined when it can (checked before anything is written). */
function fieldNameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'is empty, . or ..';
  if (/[/\\]/.test(name)) return 'contains a path separator';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this check refuses
  if (/[\0-\x1f\x7f]/.test(name)) return 'contains a control character';
  if (name.length > 200) return 'is longer than 200 characters';
  return undefined;
}

async function readDataFiles(paths: readonly string[]): Promise<string[]> {
  return Promise.all(paths.map((path) => readFile(path, 'utf8').catch(() => '')));
}

/**
 * Evaluates a kube-thanos style entrypoint the way kube-thanos's build.sh does (`jsonnet -J <jpath>... -m <dir>
 * <entrypoint>`): every top-level field becomes one object named `<field>.yaml`. A field holding a List is
 * flattened into `<field>-<n>.yaml`. The entrypoint is evaluated to standard output rather than with `-m`, so a
 * field named `../../x` is refused here before any file exists; imports are confined first (confineImports) and
 * jsonnet runs with an empty environment.
 */
export async function loadJsonnet(
  entrypoint: string,
  jpath: readonly string[],
  options: JsonnetOptions = {},
): Promise<ManifestSet> {
  const cwd = options.cwd ?? process.cwd();
  const binary = options.binary ?? (process.env.THANOS_GITOPS_JSONNET || 'jsonnet');
  const entryPath = resolve(cwd, entrypoint);
  const entryInfo = await stat(entryPath).catch(() => undefined);
  if (!entryInfo?.isFile()) {
    throw new ManifestSourceError(
      `jsonnet entrypoint ${entrypoint} does not exist; pass an existing .jsonnet file with --entrypoint`,
    );
  }
  for (const dir of jpath) {
    const info = await stat(resolve(cwd, dir)).catch(() => undefined);
    // jsonnet itself ignores a missing -J directory and later fails on the import with a vaguer message.
    if (!info?.isDirectory()) {
      throw new ManifestSourceError(
        `jsonnet library path ${dir} (--jpath) is not a directory; for kube-thanos run \`jb install\` first, or fix the path`,
      );
    }
  }
  // The repository the entrypoint's path names, not the one its symlink target lies in: a linked entrypoint leading
  // out of the repository is refused like an import would be.
  const root = options.root ?? (await repositoryRoot(dirname(entryPath))) ?? dirname(entryPath);
  const closure = await confineImports({
    entrypoint,
    jpath,
    cwd,
    roots: [root, ...jpath.map((dir) => resolve(cwd, dir))],
    displayRoot: root,
  });

  const args = [...jpath.flatMap((dir) => ['-J', dir]), '--', entrypoint];
  let result: RunResult;
  try {
    result = await run(await locate(binary), args, cwd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ManifestSourceError(`the jsonnet binary '${binary}' was not found; ${INSTALL_HINT}`, { cause: error });
    }
    throw new ManifestSourceError(`could not run jsonnet ('${binary}'): ${(error as Error).message}`, { cause: error });
  }
  if (result.truncated) {
    throw new ManifestSourceError(
      `jsonnet output of ${entrypoint} is larger than ${MAX_OUTPUT_BYTES / 1024 / 1024} MiB; render fewer objects per entrypoint`,
    );
  }
  if (result.code !== 0) {
    const detail = result.stderr.trim()
      ? safeJsonnetError(result.stderr, await readDataFiles(closure.data))
      : result.signal
        ? `killed by ${result.signal}`
        : `exit code ${result.code}`;
    throw new ManifestSourceError(
      `jsonnet failed to evaluate ${entrypoint}:\n${detail}\nfix the jsonnet at the location jsonnet reports above, then run again`,
    );
  }

  let output: unknown;
  try {
    output = JSON.parse(result.stdout);
  } catch {
    throw new ManifestSourceError(`jsonnet ${entrypoint} did not print JSON; is '${binary}' a jsonnet interpreter?`);
  }
  if (!isRecord(output)) {
    throw new ManifestSourceError(
      `jsonnet ${entrypoint}: the top level is ${Array.isArray(output) ? 'a list' : output === null ? 'null' : `a ${typeof output}`}; ` +
        'it must be an object whose fields name the files (as for jsonnet -m)',
    );
  }
  // Every name is checked before any object is taken: jsonnet -m would already have written `../../x`.
  const fields = Object.keys(output).sort();
  for (const field of fields) {
    const problem = fieldNameProblem(field);
    if (problem) {
      throw new ManifestSourceError(
        `jsonnet ${entrypoint}: top-level field ${JSON.stringify(field.slice(0, 100))} ${problem}; each field names an output file <field>.yaml, so use a plain name such as 'thanos-query-deployment'`,
      );
    }
  }

  const set: ManifestSet = [];
  for (const key of fields) {
    const value = output[key];
    const where = `jsonnet ${entrypoint}, output field '${key}'`;
    if (isRecord(value) && isListObject(value)) {
      value.items.forEach((item, index) => {
        const problem = objectProblem(item);
        if (problem) throw new ManifestSourceError(`${where}, items[${index}]: ${problem}`);
        set.push({ file: `${key}-${index + 1}.yaml`, object: item as KubeObject });
      });
      continue;
    }
    const problem = objectProblem(value);
    if (problem) {
      throw new ManifestSourceError(
        `${where}: ${problem}; each top-level field of the entrypoint must be one object (filter out nulls in the entrypoint)`,
      );
    }
    set.push({ file: `${key}.yaml`, object: value as KubeObject });
  }
  return set;
}
