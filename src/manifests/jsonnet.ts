import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { ManifestSourceError } from './errors.js';
import { isListObject, isRecord, objectProblem } from './objects.js';
import type { KubeObject, ManifestSet } from './types.js';

export interface JsonnetOptions {
  cwd?: string;
  /** The jsonnet binary; default `$THANOS_GITOPS_JSONNET` or `jsonnet` on PATH. */
  binary?: string;
}

const INSTALL_HINT =
  'install it: `apt-get install jsonnet` (Debian/Ubuntu), `brew install jsonnet` (macOS) or ' +
  '`go install github.com/google/go-jsonnet/cmd/jsonnet@latest`, or point THANOS_GITOPS_JSONNET at the binary';

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(binary: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({ code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
  });
}

function fixFor(stderr: string): string {
  if (/couldn'?t open import|no match locally or in the jsonnet library paths/i.test(stderr)) {
    return 'an import was not found: pass the directory that holds it with --jpath (for kube-thanos, run `jb install` and pass --jpath vendor)';
  }
  return 'fix the jsonnet at the location jsonnet reports above, then run again';
}

/**
 * Evaluates a kube-thanos style entrypoint the way kube-thanos's build.sh does (`jsonnet -J <jpath>... -m <dir>
 * <entrypoint>`): every top-level field becomes one object written to `<field>.yaml`. A field holding a List is
 * flattened into `<field>-<n>.yaml`.
 */
export async function loadJsonnet(entrypoint: string, jpath: readonly string[], options: JsonnetOptions = {}): Promise<ManifestSet> {
  const cwd = options.cwd ?? process.cwd();
  const binary = options.binary ?? (process.env.THANOS_GITOPS_JSONNET || 'jsonnet');
  const entryInfo = await stat(resolve(cwd, entrypoint)).catch(() => undefined);
  if (!entryInfo?.isFile()) {
    throw new ManifestSourceError(`jsonnet entrypoint ${entrypoint} does not exist; pass an existing .jsonnet file with --entrypoint`);
  }
  for (const dir of jpath) {
    const info = await stat(resolve(cwd, dir)).catch(() => undefined);
    // jsonnet itself ignores a missing -J directory and later fails on the import with a vaguer message.
    if (!info?.isDirectory()) {
      throw new ManifestSourceError(`jsonnet library path ${dir} (--jpath) is not a directory; for kube-thanos run \`jb install\` first, or fix the path`);
    }
  }

  const outDir = await mkdtemp(join(tmpdir(), 'thanos-gitops-jsonnet-'));
  try {
    const args = [...jpath.flatMap((dir) => ['-J', dir]), '-m', outDir, entrypoint];
    let result: RunResult;
    try {
      result = await run(binary, args, cwd);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ManifestSourceError(`the jsonnet binary '${binary}' was not found; ${INSTALL_HINT}`);
      }
      throw new ManifestSourceError(`could not run jsonnet ('${binary}'): ${(error as Error).message}`);
    }
    if (result.code !== 0) {
      const detail = result.stderr.trim() || (result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`);
      throw new ManifestSourceError(`jsonnet failed to evaluate ${entrypoint}:\n${detail}\n${fixFor(result.stderr)}`);
    }

    const set: ManifestSet = [];
    // jsonnet -m prints the files it wrote, one per line, in field order (sorted, like the output directory).
    const written = result.stdout.split('\n').filter((line) => line !== '');
    for (const path of written) {
      const key = relative(outDir, resolve(cwd, path)).split(sep).join('/');
      const text = await readFile(resolve(cwd, path), 'utf8');
      const value: unknown = JSON.parse(text);
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
        throw new ManifestSourceError(`${where}: ${problem}; each top-level field of the entrypoint must be one object (filter out nulls in the entrypoint)`);
      }
      set.push({ file: `${key}.yaml`, object: value as KubeObject });
    }
    return set;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
