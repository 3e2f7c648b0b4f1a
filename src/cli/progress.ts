import type { Io } from './command.js';
import type { ProgressEvent, ProgressListener } from '../model/progress.js';
import { jsonLogger } from '../reconciler/log.js';

/** Quick runs print nothing: progress starts once the work has taken this long. */
const TTY_DELAY_MS = 500;
const JSON_DELAY_MS = 3000;
const TTY_INTERVAL_MS = 100;
const JSON_INTERVAL_MS = 1000;

export interface ProgressReporter {
  listener: ProgressListener;
  /** The Io to print other lines through: on a terminal it clears the status line first, so lines never mix. */
  io: Io;
  /** Clears the status line (terminal); call when the work is over, also on failure. */
  end(): void;
}

const PHASE_WORDS: Record<string, string> = {
  read: 'reading files',
  parse: 'parsing files',
  check: 'checking objects',
  duplicates: 'looking for duplicate objects',
  normalize: 'normalizing objects',
  diff: 'diffing objects',
  'dry-run': 'dry-running objects',
  apply: 'applying objects',
};

/**
 * Shows long work on stderr: on a terminal a status line with the counts and the current object, rewritten in
 * place and cleared at the end; otherwise (CI logs, pipes) one JSON object per line, at most once a second per
 * phase plus the phase's last item. Nothing is printed for work that ends before the delay, and nothing when the Io
 * has no progress mode (tests running the CLI in-process) or THANOS_GITOPS_PROGRESS=off.
 */
export function progressReporter(io: Io, now: () => number = Date.now): ProgressReporter {
  const setting = process.env.THANOS_GITOPS_PROGRESS;
  const mode = setting === 'off' ? undefined : io.progress;
  if (!mode) return { listener: () => undefined, io, end: () => undefined };
  // THANOS_GITOPS_PROGRESS=now shows progress from the start (for slow terminals, and for tests of short runs).
  const started = now();
  const ttyDelay = setting === 'now' ? 0 : TTY_DELAY_MS;
  const jsonDelay = setting === 'now' ? 0 : JSON_DELAY_MS;
  let lastWrite = -Infinity;
  let lastPhase = '';
  let shown = false;
  const width = () => Math.max(40, (io.columns ?? 80) - 1);

  const tty = (event: ProgressEvent) => {
    const t = now();
    const finished = event.done === event.total;
    if (t - started < ttyDelay || (!finished && t - lastWrite < TTY_INTERVAL_MS)) return;
    lastWrite = t;
    shown = true;
    const words = PHASE_WORDS[event.phase] ?? event.phase;
    const line = `${words} ${event.done}/${event.total}${event.current ? ` ${event.current}` : ''}`;
    // Control characters in a file or object name would move the cursor: show them escaped.
    const safe = JSON.stringify(line).slice(1, -1);
    io.stderr(`\r\u001b[K${safe.length > width() ? `${safe.slice(0, width() - 1)}…` : safe}`);
  };

  const machine = jsonLogger((line) => io.stderr(`${line}\n`));
  const json = (event: ProgressEvent) => {
    const t = now();
    const elapsed = t - started;
    if (elapsed < jsonDelay) return;
    const finished = event.done === event.total;
    const newPhase = event.phase !== lastPhase;
    if (!finished && !newPhase && t - lastWrite < JSON_INTERVAL_MS) return;
    lastWrite = t;
    lastPhase = event.phase;
    machine.write({
      progress: event.phase,
      done: event.done,
      total: event.total,
      current: event.current,
      elapsedMs: elapsed,
    });
  };

  const clear = () => {
    if (mode === 'tty' && shown) io.stderr('\r\u001b[K');
    shown = false;
  };
  return {
    listener: mode === 'tty' ? tty : json,
    io: {
      ...io,
      stdout: (text) => {
        clear();
        io.stdout(text);
      },
      stderr: (text) => {
        clear();
        io.stderr(text);
      },
    },
    end: () => {
      if (mode === 'tty' && shown) io.stderr('\r\u001b[K');
      shown = false;
    },
  };
}

/** Runs `body` with a progress reporter for `io`, ending it (clearing the status line) however the body ends. */
export async function withProgress<T>(io: Io, body: (listener: ProgressListener, io: Io) => Promise<T>): Promise<T> {
  const reporter = progressReporter(io);
  try {
    return await body(reporter.listener, reporter.io);
  } finally {
    reporter.end();
  }
}
