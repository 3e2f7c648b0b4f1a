// Structured logs: one JSON object per line. The Lambda writes them to stdout for CloudWatch (past the runtime's
// console wrapper, so each line stays a top-level record and an EMF metric in it is read); the CLI writes its
// machine-readable progress to stderr the same way.

export type LogRecord = Record<string, unknown>;

export interface JsonLogger {
  /** The record as one line of JSON (no newline), the bound fields first; fields whose value is undefined are left out. */
  format(record: LogRecord): string;
  /** Formats the record and hands the line to the sink. */
  write(record: LogRecord): void;
}

/** `sink` receives each line without a line break; every record starts with the `bound` fields. */
export function jsonLogger(sink: (line: string) => void, bound: LogRecord = {}): JsonLogger {
  const format = (record: LogRecord) => JSON.stringify({ ...bound, ...record });
  return { format, write: (record) => sink(format(record)) };
}
