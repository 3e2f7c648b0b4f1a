import { ThanosGitopsError } from '../model/errors.js';
/** Output streams a command writes to; tests pass their own. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Fires when the process is asked to stop (SIGINT, SIGTERM) while an interruptible command runs. */
  signal?: AbortSignal;
  /** How to show progress of long work on stderr: a status line (a terminal), JSON lines, or not at all (absent). */
  progress?: 'tty' | 'json';
  /** The terminal's width, for the status line. */
  columns?: number;
}

/** A command's implementation; its one-line summary lives in commands/index.ts, so `--help` loads nothing. */
export interface Command {
  name: string;
  /** Full help text, printed by `thanos-gitops <name> --help`. */
  usage: string;
  /** Returns the exit code. Throw UsageError for bad arguments, any Error for failures. */
  run(argv: string[], io: Io): Promise<number>;
  /**
   * The command stops at a safe point when io.signal fires (and releases what it holds), so SIGINT/SIGTERM are
   * delivered to it through the signal. Other commands keep the default: the signal ends the process at once.
   */
  interruptible?: boolean;
}

/** Bad command-line arguments: printed with the command's usage hint, exit code 2. */
export class UsageError extends ThanosGitopsError {
  override name = 'UsageError';
}

/** Prints the stack trace of a failure when THANOS_GITOPS_DEBUG=1; the message alone is printed by main(). */
export async function withDebugStack<T>(io: { stderr: (text: string) => void }, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (process.env.THANOS_GITOPS_DEBUG === '1' && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    throw error;
  }
}
