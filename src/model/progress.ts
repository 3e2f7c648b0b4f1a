/**
 * Progress of long work (reading 20,000 manifests, diffing them, dry-running them against a cluster), reported by
 * the library as plain events; each entry point decides how to show them (the CLI: a status line on a terminal,
 * JSON lines otherwise). Listeners must be cheap: they are called once per item.
 */
export interface ProgressEvent {
  /** What is being done, e.g. `read`, `parse`, `diff`, `dry-run`, `apply`. */
  phase: string;
  done: number;
  total: number;
  /** The file or object just finished. */
  current?: string;
}

export type ProgressListener = (event: ProgressEvent) => void;

/** Announces a phase of `total` items and returns the function to call as each one finishes. */
export function progressCounter(
  listener: ProgressListener | undefined,
  phase: string,
  total: number,
): (current?: string) => void {
  if (!listener) return () => undefined;
  let done = 0;
  listener({ phase, done, total });
  return (current) =>
    listener(current === undefined ? { phase, done: ++done, total } : { phase, done: ++done, total, current });
}
