import { readFile } from 'node:fs/promises';
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { describeType, valueAt } from '../model/json.js';
import { InvalidUtf8Error, decodeUtf8 } from '../model/text.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { checkRequirements } from './requirements.js';
import { resolveStack } from './resolve.js';
import {
  API_VERSION,
  COMPONENT_KEYS,
  IGNORED_OPTIONS,
  KIND,
  stackConfigSchema,
  type ComponentKey,
  type OptionName,
  type StackConfig,
} from './schema.js';

/** Where a parsed config came from, kept beside it so later stages (render) can point errors at lines. */
export interface ConfigSource {
  file: string;
  locate(path: readonly (string | number)[]): { line: number; column: number };
}

const sources = new WeakMap<StackConfig, ConfigSource>();

export function configSource(config: StackConfig): ConfigSource | undefined {
  return sources.get(config);
}

/** Parses and validates a stack config; every problem found is reported at once, each at its file:line:col. */
export function parseStackConfig(text: string, file: string): StackConfig {
  const lineCounter = new LineCounter();
  let documents: ReturnType<typeof parseAllDocuments>;
  try {
    // resolveKnownTags: false: YAML 1.1 tags (!!binary, !!set, !!timestamp) are reported as unknown, not turned into
    // Buffers, Sets and Dates that JSON would silently change.
    documents = parseAllDocuments(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      resolveKnownTags: false,
    });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ConfigError([
      {
        file,
        line: 1,
        column: 1,
        path: '',
        message: 'invalid YAML: it nests too deeply to read',
        fix: 'flatten the structure',
      },
    ]);
  }
  const all = Array.isArray(documents) ? documents : [];
  const position = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };

  const syntaxIssues: ConfigIssue[] = [];
  for (const doc of all) {
    for (const error of doc.errors) {
      const { line, column } = position(error.pos[0]);
      syntaxIssues.push({
        file,
        line,
        column,
        path: '',
        message: `invalid YAML: ${firstLine(error.message)}`,
        fix: 'fix the YAML syntax at this position',
      });
    }
    for (const warning of doc.warnings) {
      if (warning.code !== 'TAG_RESOLVE_FAILED') continue;
      const { line, column } = position(warning.pos[0]);
      syntaxIssues.push({
        file,
        line,
        column,
        path: '',
        message: `invalid YAML: ${firstLine(warning.message)}`,
        fix: 'remove the tag (quote the value to keep it a string)',
      });
    }
  }
  if (syntaxIssues.length > 0) throw new ConfigError(syntaxIssues);
  const emptyDocument = () =>
    new ConfigError([
      {
        file,
        line: 1,
        column: 1,
        path: '',
        message: 'the document must be a mapping',
        fix: `start with \`apiVersion: ${API_VERSION}\` and \`kind: ${KIND}\``,
      },
    ]);
  if (all.length === 0) throw emptyDocument();
  if (all.length !== 1 || !all[0]) {
    const second = all[1];
    const at = second?.range ? position(second.range[0]) : { line: 1, column: 1 };
    throw new ConfigError([
      {
        file,
        ...at,
        path: '',
        message: `expected exactly one YAML document, found ${all.length}`,
        fix: 'keep one ThanosStack document per file',
      },
    ]);
  }
  const doc = all[0];
  const locate = (path: readonly (string | number)[]) => locateNode(doc, path, position);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // e.g. an alias bomb; the yaml library names the problem, not the content.
    throw new ConfigError(
      [
        {
          file,
          line: 1,
          column: 1,
          path: '',
          message: `invalid YAML: ${firstLine((error as Error).message)}`,
          fix: 'remove the excess aliases',
        },
      ],
      { cause: error },
    );
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw emptyDocument();

  // `compact:` with nothing under it enables the component with common settings and defaults.
  const record = data as Record<string, unknown>;
  for (const key of COMPONENT_KEYS) if (key in record && record[key] === null) record[key] = {};

  const parsed = stackConfigSchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigError(
      byPosition(parsed.error.issues.flatMap((issue) => describeZodIssue(issue, data, file, doc, position))),
    );
  }
  const config = parsed.data;

  const requirementIssues = checkRequirements(resolveStack(config)).map((issue) => ({
    file,
    ...locate(issue.at),
    path: issue.path,
    message: issue.message,
    fix: issue.fix,
  }));
  if (requirementIssues.length > 0) throw new ConfigError(byPosition(requirementIssues));

  sources.set(config, { file, locate });
  return config;
}

export async function loadStackConfig(path: string): Promise<StackConfig> {
  let text: string;
  try {
    text = decodeUtf8(await readFile(path), path);
  } catch (error) {
    if (error instanceof InvalidUtf8Error) {
      throw new ConfigError(
        [
          {
            file: path,
            line: error.line,
            column: error.column,
            path: '',
            message: error.detail,
            fix: 'save the file as UTF-8 (reading it as Latin-1 or any other encoding would change the data)',
          },
        ],
        { cause: error },
      );
    }
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(
      [
        {
          file: path,
          line: 0,
          column: 0,
          path: '',
          message: `cannot read the stack config (${code})`,
          fix: 'check the path passed as the config source',
        },
      ],
      { cause: error },
    );
  }
  return parseStackConfig(text, path);
}

function byPosition(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * The position of `path`: its key (or list item), or with `atValue` the value itself; when the path does not exist,
 * the nearest existing ancestor's key.
 */
function locateNode(
  doc: Document,
  path: readonly (string | number)[],
  position: (offset: number) => { line: number; column: number },
  atValue = false,
): { line: number; column: number } {
  let node: unknown = doc.contents;
  let best: { line: number; column: number } =
    node && isNode(node) && node.range ? position(node.range[0]) : { line: 1, column: 1 };
  let matched = 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      const key = pair.key as Node;
      if (key.range) best = position(key.range[0]);
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (!item || !isNode(item)) break;
      if (item.range) best = position(item.range[0]);
      node = item;
    } else {
      break;
    }
    matched++;
  }
  if (atValue && matched === path.length && isNode(node) && node.range) return position(node.range[0]);
  return best;
}

function locateKey(
  doc: Document,
  path: readonly (string | number)[],
  key: string,
  position: (offset: number) => { line: number; column: number },
) {
  return locateNode(doc, [...path, key], position);
}

function dotted(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function describeZodIssue(
  issue: z.core.$ZodIssue,
  data: unknown,
  file: string,
  doc: Document,
  position: (offset: number) => { line: number; column: number },
): ConfigIssue[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(path);
    return issue.keys.map((key) => {
      const ignored = path.length === 1 ? IGNORED_OPTIONS[path[0] as ComponentKey]?.[key as OptionName] : undefined;
      if (ignored !== undefined) {
        return {
          file,
          ...locateKey(doc, path, key, position),
          path: dotted([...path, key]),
          message: `kube-thanos declares this option for ${String(path[0])} but never uses it, so it would change nothing`,
          fix: `remove it: ${ignored}`,
        };
      }
      const suggestion = closest(key, allowed);
      const hint = suggestion ? `did you mean \`${suggestion}\`? ` : '';
      return {
        file,
        ...locateKey(doc, path, key, position),
        path: dotted([...path, key]),
        message: 'unknown option',
        fix: `${hint}allowed here: ${allowed.join(', ')}`,
      };
    });
  }
  const present = valueAt(data, ...path) !== undefined;
  const { line, column } = locateNode(doc, path, position, present);
  if (issue.code === 'invalid_type') {
    if (!present) {
      return [
        {
          file,
          line,
          column,
          path: dotted(path),
          message: `missing required field (expected ${issue.expected})`,
          fix: requiredFieldFix(path),
        },
      ];
    }
    return [
      {
        file,
        line,
        column,
        path: dotted(path),
        message: `expected ${issue.expected}, got ${describeType(valueAt(data, ...path))}`,
        fix: `write a ${issue.expected} here`,
      },
    ];
  }
  if (issue.code === 'invalid_value') {
    const values = issue.values.map((value) => JSON.stringify(value)).join(', ');
    if (!present)
      return [
        {
          file,
          line,
          column,
          path: dotted(path),
          message: 'missing required field',
          fix: requiredFieldFix(path, values),
        },
      ];
    return [{ file, line, column, path: dotted(path), message: `not an allowed value`, fix: `use one of ${values}` }];
  }
  return [
    {
      file,
      line,
      column,
      path: dotted(path),
      message: issue.message.replace(/^Invalid input: /, ''),
      fix: fixFor(issue),
    },
  ];
}

function requiredFieldFix(path: readonly (string | number)[], values?: string): string {
  const last = path[path.length - 1];
  if (path.length === 1 && last === 'apiVersion') return `add \`apiVersion: ${API_VERSION}\``;
  if (path.length === 1 && last === 'kind') return `add \`kind: ${KIND}\``;
  return values ? `add \`${String(last)}\` set to ${values}` : `add \`${String(last)}\``;
}

function fixFor(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case 'too_small':
      return `use a value of at least ${String(issue.minimum)}`;
    case 'too_big':
      return `use a value of at most ${String(issue.maximum)}`;
    case 'invalid_format':
      return 'change the value to the expected format';
    default:
      return undefined;
  }
}

interface ZodDefLike {
  type: string;
  innerType?: { _zod: { def: ZodDefLike } };
  shape?: Record<string, { _zod: { def: ZodDefLike } }>;
  element?: { _zod: { def: ZodDefLike } };
  valueType?: { _zod: { def: ZodDefLike } };
  in?: { _zod: { def: ZodDefLike } };
}

function unwrap(def: ZodDefLike): ZodDefLike {
  let current = def;
  for (let i = 0; i < 10; i++) {
    if (
      (current.type === 'optional' ||
        current.type === 'nullable' ||
        current.type === 'default' ||
        current.type === 'prefault') &&
      current.innerType
    ) {
      current = current.innerType._zod.def;
    } else if (current.type === 'pipe' && current.in) {
      current = current.in._zod.def;
    } else {
      break;
    }
  }
  return current;
}

/** The keys the schema accepts at `path` (for "did you mean" and the allowed-keys list). */
function allowedKeys(path: readonly (string | number)[]): string[] {
  let def = unwrap((stackConfigSchema as unknown as { _zod: { def: ZodDefLike } })._zod.def);
  for (const segment of path) {
    if (def.type === 'object' && def.shape && typeof segment === 'string' && def.shape[segment])
      def = unwrap(def.shape[segment]._zod.def);
    else if (def.type === 'array' && def.element) def = unwrap(def.element._zod.def);
    else if (def.type === 'record' && def.valueType) def = unwrap(def.valueType._zod.def);
    else return [];
  }
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === word.toLowerCase()) return candidate;
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] as number;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] as number;
      previous[j] = Math.min(above + 1, (previous[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length] as number;
}
