/**
 * Serializers that reproduce kube-thanos's build output byte for byte.
 *
 * kube-thanos builds with `jsonnet -m` and pipes every file through gojsontoyaml, which is
 * ghodss/yaml over gopkg.in/yaml.v2 v2.3.0: JSON is re-read by yaml.v2 (so numbers become Go
 * ints/floats) and marshalled again with yaml.v2's key order, scalar-style choice and emitter.
 * `toKubeYaml` mirrors that pipeline; `manifestYamlDoc` mirrors jsonnet's `std.manifestYamlDoc`,
 * whose text kube-thanos embeds inside flags such as `--tracing.config=`.
 */

import { setEntry } from '../model/json.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Renders a JSON-like value the way `jsonnet -m` + gojsontoyaml would (always ends with a newline). */
export function toKubeYaml(value: unknown): string {
  const out: string[] = [];
  const root = toJson(value, '$');
  if (isBlockCollection(root)) {
    writeBlock(out, root, 0, false);
  } else {
    out.push(scalarOrEmpty(root, 2));
  }
  out.push('\n');
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// Input normalisation: the same shapes JSON can carry, nothing else.

function toJson(value: unknown, path: string): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`toKubeYaml: ${path} is ${value}, which JSON cannot carry`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, index) => toJson(item, `${path}[${index}]`));
  if (typeof value === 'object') {
    const result: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      // JSON.stringify drops undefined fields; jsonnet has no such value, so dropping matches intent.
      if (item === undefined) continue;
      setEntry(result, key, toJson(item, `${path}.${key}`));
    }
    return result;
  }
  throw new TypeError(`toKubeYaml: ${path} is a ${typeof value}, which JSON cannot carry`);
}

function isBlockCollection(value: Json): value is Json[] | { [key: string]: Json } {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0;
}

// ---------------------------------------------------------------------------------------------
// Block emitter (the subset of yaml.v2's emitter state machine that block output reaches).

/**
 * Writes a non-empty mapping or sequence. `indent` is the column of its keys or dashes; `inline`
 * means the cursor already sits after a "- " at that column, so the first entry must not start a
 * new line (yaml.v2 writes a sequence item's mapping or sequence on the dash's line).
 */
function writeBlock(out: string[], value: Json[] | { [key: string]: Json }, indent: number, inline: boolean): void {
  const pad = ' '.repeat(indent);
  let first = true;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!(first && inline)) out.push(out.length === 0 ? pad : `\n${pad}`);
      first = false;
      out.push('-');
      writeNodeAfterIndicator(out, item, indent, false);
    }
    return;
  }
  for (const key of sortKeys(Object.keys(value))) {
    if (!(first && inline)) out.push(out.length === 0 ? pad : `\n${pad}`);
    first = false;
    const item = value[key] as Json;
    if (isSimpleKey(key)) {
      out.push(formatScalarString(key, indent + 2, 'simple-key'), ':');
      writeNodeAfterIndicator(out, item, indent, true);
    } else {
      // yaml.v2 falls back to an explicit "? key" entry for keys over 128 bytes or with line breaks;
      // its ":" then counts as indentation, so the value nests like a sequence item's.
      out.push('? ', formatScalarString(key, indent + 2, 'block'), `\n${pad}:`);
      writeNodeAfterIndicator(out, item, indent, false);
    }
  }
}

/** Emits the node that follows a "-" or ":" indicator, at the parent's indentation `indent`. */
function writeNodeAfterIndicator(out: string[], item: Json, indent: number, inMapping: boolean): void {
  if (Array.isArray(item) && item.length > 0) {
    if (inMapping) {
      // A sequence under a mapping key is "indentless": its dashes align with the key.
      writeBlock(out, item, indent, false);
      return;
    }
    out.push(' ');
    writeBlock(out, item, indent + 2, true);
    return;
  }
  if (item !== null && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length > 0) {
    if (inMapping) {
      writeBlock(out, item, indent + 2, false);
      return;
    }
    out.push(' ');
    writeBlock(out, item, indent + 2, true);
    return;
  }
  out.push(' ', scalarOrEmpty(item, indent + 2));
}

function scalarOrEmpty(value: Json, scalarIndent: number): string {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return formatGoNumber(value);
  return formatScalarString(value, scalarIndent, 'block');
}

function isSimpleKey(key: string): boolean {
  if (utf8Length(key) > 128) return false;
  for (const ch of key) if (isBreak(ch.codePointAt(0) as number)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Numbers: what yaml.v2 re-reads from jsonnet's JSON text and prints again.

const TWO_POW_63 = 2 ** 63;
const TWO_POW_64 = 2 ** 64;

/** jsonnet writes integral doubles without exponent; yaml.v2 reads those as int/uint, else float64. */
function formatGoNumber(value: number): string {
  if (Number.isInteger(value)) {
    if (value >= -TWO_POW_63 && value < TWO_POW_63) return BigInt(value).toString();
    if (value >= 0 && value < TWO_POW_64) return BigInt(value).toString();
  }
  return formatGoFloatShortest(value);
}

/** strconv.FormatFloat(v, 'g', -1, 64): shortest round-trip digits, exponent form when exp < -4 || exp >= 6. */
function formatGoFloatShortest(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const { negative, digits, exponent } = decompose(value.toExponential());
  if (exponent < -4 || exponent >= 6) return formatExponent(negative, digits, exponent);
  return (negative ? '-' : '') + formatFixed(digits, exponent);
}

interface Decomposed {
  negative: boolean;
  /** Significant digits without trailing zeros, e.g. "42" for 0.42. */
  digits: string;
  /** Decimal exponent of the first digit, e.g. -1 for 0.42. */
  exponent: number;
}

function decompose(exponential: string): Decomposed {
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exponential);
  if (!match) throw new Error(`unexpected number form ${exponential}`);
  const digits = `${match[2]}${match[3] ?? ''}`.replace(/0+$/, '') || '0';
  return { negative: match[1] === '-', digits, exponent: Number(match[4]) };
}

function formatExponent(negative: boolean, digits: string, exponent: number): string {
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const sign = exponent < 0 ? '-' : '+';
  const abs = Math.abs(exponent);
  return `${negative ? '-' : ''}${mantissa}e${sign}${abs < 10 ? `0${abs}` : String(abs)}`;
}

function formatFixed(digits: string, exponent: number): string {
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return digits + '0'.repeat(exponent + 1 - digits.length);
  return `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

// ---------------------------------------------------------------------------------------------
// Strings: yaml.v2 encoder's style choice, then the emitter's analysis and writers.

type ScalarContext = 'block' | 'simple-key';

function formatScalarString(value: string, indent: number, context: ScalarContext): string {
  const analysis = analyzeScalar(value);
  let style: 'plain' | 'single' | 'double' | 'literal';
  if (value.includes('\n')) style = 'literal';
  else if (resolvesToString(value) && !isBase60Float(value)) style = 'plain';
  else style = 'double';

  if (context === 'simple-key' && analysis.multiline) style = 'double';
  if (style === 'plain') {
    if (!analysis.blockPlainAllowed) style = 'single';
    if (value.length === 0 && context === 'simple-key') style = 'single';
  }
  if (style === 'single' && !analysis.singleQuotedAllowed) style = 'double';
  if (style === 'literal' && (!analysis.blockAllowed || context === 'simple-key')) style = 'double';

  switch (style) {
    case 'plain':
      return writePlain(value);
    case 'single':
      return writeSingleQuoted(value, indent);
    case 'double':
      return writeDoubleQuoted(value);
    case 'literal':
      return writeLiteral(value, indent);
  }
}

interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

const CR = 0x0d;
const LF = 0x0a;

function isBreak(cp: number): boolean {
  return cp === CR || cp === LF || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
}

function isBlank(cp: number | undefined): boolean {
  return cp === 0x20 || cp === 0x09;
}

/** yaml.v2's is_printable, translated from UTF-8 byte tests to code points. */
function isPrintable(cp: number): boolean {
  return (
    cp === LF ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

const FIRST_CHAR_INDICATORS = new Set(Array.from('#,[]{}&*!|>\'"%@`', (ch) => ch.codePointAt(0) as number));
const QUESTION = 0x3f;
const COLON = 0x3a;
const DASH = 0x2d;
const HASH = 0x23;

function analyzeScalar(value: string): ScalarAnalysis {
  if (value.length === 0) {
    return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  }
  let blockIndicators = value.startsWith('---') || value.startsWith('...');
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;

  // Walks code points without allocating; `first`/`last` mirror yaml.v2's byte-index tests.
  for (let i = 0; i < value.length; ) {
    const cp = value.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    const next = i + width;
    const first = i === 0;
    const last = next >= value.length;
    const followedByWhitespace = last || isBlank(value.codePointAt(next));
    if (first) {
      if (FIRST_CHAR_INDICATORS.has(cp)) blockIndicators = true;
      else if ((cp === QUESTION || cp === COLON) && followedByWhitespace) blockIndicators = true;
      else if (cp === DASH && followedByWhitespace) blockIndicators = true;
    } else if (cp === COLON && followedByWhitespace) {
      blockIndicators = true;
    } else if (cp === HASH && precededByWhitespace) {
      blockIndicators = true;
    }

    if (!isPrintable(cp)) specialCharacters = true;
    if (cp === 0x20) {
      if (first) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(cp)) {
      lineBreaks = true;
      if (first) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(cp) || isBreak(cp);
    i = next;
  }

  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
    blockAllowed = false;
  }
  if (lineBreaks) blockPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

/** Without line wrapping (v2.3.0) and with no breaks allowed in plain scalars, plain text is verbatim. */
function writePlain(value: string): string {
  return value;
}

function writeSingleQuoted(value: string, indent: number): string {
  const pad = ' '.repeat(indent);
  let out = "'";
  let breaks = false;
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    if (isBreak(cp)) {
      if (!breaks && cp === LF) out += '\n';
      out += cp === CR || cp === LF || cp === 0x85 ? '\n' : ch;
      breaks = true;
    } else {
      if (breaks) out += pad;
      if (ch === "'") out += "'";
      out += ch;
      breaks = false;
    }
  }
  return `${out}'`;
}

function writeDoubleQuoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    if (!isPrintable(cp) || cp === 0xfeff || isBreak(cp) || ch === '"' || ch === '\\') {
      out += `\\${escapeFor(cp)}`;
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

function escapeFor(cp: number): string {
  switch (cp) {
    case 0x00:
      return '0';
    case 0x07:
      return 'a';
    case 0x08:
      return 'b';
    case 0x09:
      return 't';
    case 0x0a:
      return 'n';
    case 0x0b:
      return 'v';
    case 0x0c:
      return 'f';
    case 0x0d:
      return 'r';
    case 0x1b:
      return 'e';
    case 0x22:
      return '"';
    case 0x5c:
      return '\\';
    case 0x85:
      return 'N';
    case 0xa0:
      return '_';
    case 0x2028:
      return 'L';
    case 0x2029:
      return 'P';
  }
  const hex = cp.toString(16).toUpperCase();
  if (cp <= 0xff) return `x${hex.padStart(2, '0')}`;
  if (cp <= 0xffff) return `u${hex.padStart(4, '0')}`;
  return `U${hex.padStart(8, '0')}`;
}

function writeLiteral(value: string, indent: number): string {
  const pad = ' '.repeat(indent);
  const cps = Array.from(value, (ch) => ch.codePointAt(0) as number);
  let out = '|';
  const first = cps[0] as number;
  if (first === 0x20 || isBreak(first)) out += '2';
  const last = cps[cps.length - 1] as number;
  if (!isBreak(last)) out += '-';
  else if (cps.length === 1 || isBreak(cps[cps.length - 2] as number)) out += '+';
  out += '\n';
  let breaks = true;
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    if (isBreak(cp)) {
      out += cp === CR || cp === LF || cp === 0x85 ? '\n' : ch;
      breaks = true;
    } else {
      if (breaks) out += pad;
      out += ch;
      breaks = false;
    }
  }
  // The emitter leaves the cursor after the last character; a trailing break already ended the line.
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}

function utf8Length(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

// ---------------------------------------------------------------------------------------------
// yaml.v2's resolve(): would this text, unquoted, read back as something other than a string?

const RESOLVE_SPECIAL = new Set([
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'true',
  'True',
  'TRUE',
  'on',
  'On',
  'ON',
  'n',
  'N',
  'no',
  'No',
  'NO',
  'false',
  'False',
  'FALSE',
  'off',
  'Off',
  'OFF',
  '',
  '~',
  'null',
  'Null',
  'NULL',
  '.nan',
  '.NaN',
  '.NAN',
  '.inf',
  '.Inf',
  '.INF',
  '+.inf',
  '+.Inf',
  '+.INF',
  '-.inf',
  '-.Inf',
  '-.INF',
  '<<',
]);

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function isBase60Float(value: string): boolean {
  return BASE60_FLOAT.test(value);
}

function resolvesToString(value: string): boolean {
  if (value === '') return false;
  const head = value[0] as string;
  const isSign = head === '+' || head === '-';
  const isDigit = head >= '0' && head <= '9';
  const inMap = 'yYnNtTfFoO~'.includes(head);
  if (!isSign && !isDigit && !inMap && head !== '.') return true;
  if (RESOLVE_SPECIAL.has(value)) return false;
  if (inMap) return true;
  if (head === '.') return !goParsesFloat(value);
  if (parsesAsTimestamp(value)) return false;
  const plain = value.replaceAll('_', '');
  if (goParsesInt(plain)) return false;
  if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return false;
  if (plain.startsWith('0b') && /^0b[01]+$/.test(plain) && BigInt(plain) < 2n ** 64n) return false;
  if (plain.startsWith('-0b') && /^-0b[01]+$/.test(plain) && BigInt(plain.slice(1)) <= 2n ** 63n) return false;
  return true;
}

/** strconv.ParseInt(s, 0, 64) or ParseUint(s, 0, 64) succeeds. */
function goParsesInt(text: string): boolean {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return false;
  const body = match[2] as string;
  let magnitude: bigint;
  if (/^0[0-7]+$/.test(body)) magnitude = BigInt(`0o${body.slice(1)}`);
  else magnitude = BigInt(body.toLowerCase());
  if (match[1] === '-') return magnitude <= 2n ** 63n;
  return magnitude < 2n ** 64n;
}

/** strconv.ParseFloat(s, 64) succeeds (only called for text starting with '.'). */
function goParsesFloat(text: string): boolean {
  if (!/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text)) return false;
  return Number.isFinite(Number(text));
}

/** yaml.v2 parseTimestamp: YYYY-M-D, optionally followed by a time in one of three layouts. */
function parsesAsTimestamp(value: string): boolean {
  const match =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?))?$/.exec(
      value,
    );
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return false;
  const hour = Number(match[4] ?? match[7] ?? 0);
  const minute = Number(match[5] ?? match[8] ?? 0);
  const second = Number(match[6] ?? match[9] ?? 0);
  return hour < 24 && minute < 60 && second < 60;
}

// ---------------------------------------------------------------------------------------------
// yaml.v2's key order (sorter.go keyList.Less): letters after non-letters, digit runs numerically.

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;

function isLetter(ch: string): boolean {
  const cp = ch.codePointAt(0) as number;
  if (cp < 0x80) return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  return LETTER.test(ch);
}

function isDigit(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const cp = ch.codePointAt(0) as number;
  if (cp < 0x80) return cp >= 0x30 && cp <= 0x39;
  return DIGIT.test(ch);
}

function digitValue(ch: string): bigint {
  return BigInt((ch.codePointAt(0) as number) - 0x30);
}

export function yamlKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as string;
    const bc = br[i] as string;
    if (ac === bc) continue;
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return (ac.codePointAt(0) as number) < (bc.codePointAt(0) as number);
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    // Go accumulates in int64 and silently wraps; the order of very long digit runs depends on it.
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = BigInt.asIntN(64, an * 10n + digitValue(ar[ai] as string));
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = BigInt.asIntN(64, bn * 10n + digitValue(br[bi] as string));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return (ac.codePointAt(0) as number) < (bc.codePointAt(0) as number);
  }
  return ar.length < br.length;
}

/**
 * yamlKeyLess is not transitive for some odd key sets (e.g. "08", "0a", "1_000" form a cycle); yaml.v2
 * then sorts Go's randomly ordered map keys into a random order, so no order is more correct there.
 */
function sortKeys(keys: string[]): string[] {
  return keys.sort((a, b) => (yamlKeyLess(a, b) ? -1 : yamlKeyLess(b, a) ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// std.manifestYamlDoc (jsonnet's standard library, quote_keys=true).

/**
 * jsonnet's `std.manifestYamlDoc(value, indent_array_in_object)` with its default quote_keys=true
 * (the only form kube-thanos uses), byte for byte.
 */
export function manifestYamlDoc(value: unknown, indentArrayInObject = false): string {
  return manifestAux(toJson(value, '$'), '', indentArrayInObject);
}

function manifestAux(value: Json, indent: string, indentArrayInObject: boolean): string {
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (value === null) return 'null';
  if (typeof value === 'number') return jsonnetNumberToString(value);
  if (typeof value === 'string') {
    if (value.length === 0) return '""';
    if (value.endsWith('\n')) {
      const lines = value.split('\n');
      return ['|', ...lines.slice(0, -1)].join(`\n${indent}  `);
    }
    return escapeStringJson(value);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const parts = value.map((item) => {
      let newIndent = indent;
      let space = ' ';
      if (Array.isArray(item) && item.length > 0) {
        newIndent = `${indent}  `;
        space = `\n${newIndent}`;
      } else if (isNonEmptyObject(item)) {
        newIndent = `${indent}  `;
      }
      return `-${space}${manifestAux(item, newIndent, indentArrayInObject)}`;
    });
    return parts.join(`\n${indent}`);
  }
  const keys = Object.keys(value).sort(compareCodePoints);
  if (keys.length === 0) return '{}';
  const lines = keys.map((key) => {
    const item = value[key] as Json;
    let newIndent = indent;
    let space = ' ';
    if (Array.isArray(item) && item.length > 0) {
      newIndent = indentArrayInObject ? `${indent}  ` : indent;
      space = `\n${newIndent}`;
    } else if (isNonEmptyObject(item)) {
      newIndent = `${indent}  `;
      space = `\n${newIndent}`;
    }
    return `${escapeStringJson(key)}:${space}${manifestAux(item, newIndent, indentArrayInObject)}`;
  });
  return lines.join(`\n${indent}`);
}

function isNonEmptyObject(value: Json): value is { [key: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0;
}

/** jsonnet's std.objectFields order: UTF-16-independent code point order. */
function compareCodePoints(a: string, b: string): number {
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const d = (ar[i]!.codePointAt(0) as number) - (br[i]!.codePointAt(0) as number);
    if (d !== 0) return d;
  }
  return ar.length - br.length;
}

/** jsonnet's number-to-string: integral values as %.0f, others as %.17g. */
export function jsonnetNumberToString(value: number): string {
  if (Number.isInteger(value)) return Object.is(value, -0) ? '-0' : BigInt(value).toString();
  const { negative, digits, exponent } = decompose(value.toExponential(16));
  if (exponent < -4 || exponent >= 17) return formatExponent(negative, digits, exponent);
  return (negative ? '-' : '') + formatFixed(digits, exponent);
}

/** jsonnet's std.escapeStringJson. */
export function escapeStringJson(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
    }
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * jsonnet's `std.toString` (and `'%s' % value`) for non-string values: single-line JSON with `", "` and `": "`
 * separators, sorted keys, and `[ ]` / `{ }` for empty collections. kube-thanos writes hashrings.json with it.
 */
export function jsonnetToString(value: unknown): string {
  const json = toJson(value, '$');
  if (typeof json === 'string') return json;
  return manifestJsonSingleLine(json);
}

function manifestJsonSingleLine(value: Json): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return jsonnetNumberToString(value);
  if (typeof value === 'string') return escapeStringJson(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    return `[${value.map(manifestJsonSingleLine).join(', ')}]`;
  }
  const keys = Object.keys(value).sort(compareCodePoints);
  if (keys.length === 0) return '{ }';
  return `{${keys.map((key) => `${escapeStringJson(key)}: ${manifestJsonSingleLine(value[key] as Json)}`).join(', ')}}`;
}
