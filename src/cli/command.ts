import { parseArgs, type ParseArgsConfig } from 'node:util';
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

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with strict checking turned into UsageError. */
export function parseFlags<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}
