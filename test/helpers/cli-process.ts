// The shipped CLI (dist/cli/index.js, built by `npm test`) as a real process that tests can signal mid-run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const CLI_BUNDLE = join(import.meta.dirname, '../../dist/cli/index.js');

export interface CliExit {
  code: number | null;
  /** Set when the process died of a signal it did not handle (SIGKILL). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit. */
  ms: number;
}

export interface CliProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Whether the process has exited. */
  readonly done: boolean;
  exited: Promise<CliExit>;
  /** Resolves when stderr matches (or rejects when the process exits first). */
  waitForStderr(pattern: RegExp): Promise<void>;
}

export function startCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): CliProcess {
  if (!existsSync(CLI_BUNDLE)) throw new Error(`${CLI_BUNDLE} is missing: run \`npm run build\` (npm test does)`);
  const started = Date.now();
  const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, KUBECONFIG: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let done = false;
  const watchers: Array<{ pattern: RegExp; resolve: () => void; reject: (error: Error) => void }> = [];
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    for (const watcher of [...watchers]) {
      if (watcher.pattern.test(stderr)) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
    }
  });
  const exited = new Promise<CliExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      done = true;
      for (const watcher of watchers.splice(0))
        watcher.reject(
          new Error(`the CLI exited (${code ?? signal}) before stderr matched ${watcher.pattern}:\n${stderr}`),
        );
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    get done() {
      return done;
    },
    exited,
    waitForStderr(pattern) {
      if (pattern.test(stderr)) return Promise.resolve();
      if (done) return Promise.reject(new Error(`the CLI has exited; stderr never matched ${pattern}:\n${stderr}`));
      return new Promise((resolve, reject) => watchers.push({ pattern, resolve, reject }));
    },
  };
}

/** Runs the CLI to completion. */
export function runCliProcess(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliExit> {
  return startCli(args, options).exited;
}
