import { isUtf8 } from 'node:buffer';
import { ThanosGitopsError } from './errors.js';

/** A file that is not UTF-8: where the first invalid byte is, for an error that names the file and the fix. */
export class InvalidUtf8Error extends ThanosGitopsError {
  override name = 'InvalidUtf8Error';
  /** `byte offset 12 (0xE9) is not valid UTF-8`, without the file and the fix. */
  readonly detail: string;
  constructor(
    readonly file: string,
    /** 0-based byte offset of the first byte that does not start a valid UTF-8 sequence. */
    readonly offset: number,
    readonly line: number,
    readonly column: number,
    readonly byte: number,
  ) {
    const detail = `byte offset ${offset} (0x${byte.toString(16).toUpperCase().padStart(2, '0')}) is not valid UTF-8`;
    super(
      `${file}:${line}:${column}: ${detail}; save the file as UTF-8 (reading it as Latin-1 or any other encoding would change the data)`,
    );
    this.detail = detail;
  }
}

/**
 * The text of a file that must be UTF-8 (YAML 1.2 and JSON are). Decoding with replacement would silently turn a
 * Latin-1 byte into U+FFFD and ship that to the cluster, so anything else is an error naming the first bad byte.
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString('utf8');
  if (isUtf8(buffer)) return text;
  // Every character before the first invalid sequence decoded exactly, so their UTF-8 lengths add up to its offset.
  let offset = 0;
  let line = 1;
  let column = 1;
  for (const char of text) {
    if (char === '\uFFFD' && !(buffer[offset] === 0xef && buffer[offset + 1] === 0xbf && buffer[offset + 2] === 0xbd))
      break;
    offset += Buffer.byteLength(char);
    if (char === '\n') {
      line++;
      column = 1;
    } else column++;
  }
  throw new InvalidUtf8Error(file, offset, line, column, buffer[offset] ?? 0);
}
