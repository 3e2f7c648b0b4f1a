/**
 * Differential test of toKubeYaml against the real thing: kube-thanos's build pipes jsonnet's JSON through
 * gojsontoyaml, i.e. ghodss/yaml.JSONToYAML over gopkg.in/yaml.v2 v2.3.0. This builds that pipeline from the Go module
 * proxy (pinned by go.sum, cached like test/apiserver/build.sh) and compares thousands of seeded random documents full
 * of quoting, number, key-order and block-scalar edge cases, written as jsonnet writes JSON.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toKubeYaml } from '../../src/render/index.js';
import { escapeStringJson, jsonnetNumberToString } from '../../src/render/yaml.js';

const GO_MOD = `module gojsontoyaml-oracle

go 1.22

require (
\tgithub.com/ghodss/yaml v1.0.0
\tgopkg.in/yaml.v2 v2.3.0
)
`;

const GO_SUM = `github.com/ghodss/yaml v1.0.0 h1:wQHKEahhL6wmXdzwWG11gIVCkOv05bNOh+Rxn0yngAk=
github.com/ghodss/yaml v1.0.0/go.mod h1:4dBDuWmgqj2HViK6kFavaiC9ZROes6MMH2rRYeMEF04=
gopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405/go.mod h1:Co6ibVJAznAaIkqp8huTwlJQCZ016jof/cbN4VW5Yz0=
gopkg.in/yaml.v2 v2.3.0 h1:clyUAQHOM3G0M3f5vQj7LuJrETvjVot3Z5el9nffUtU=
gopkg.in/yaml.v2 v2.3.0/go.mod h1:hI93XBmqTisBFMUTm0b8Fm+jr3Dg1NNxqwp+5A1VGuI=
`;

// One JSON document per line in, gojsontoyaml's output for each out, NUL-terminated.
const MAIN_GO = `package main

import (
\t"bufio"
\t"os"

\t"github.com/ghodss/yaml"
)

func main() {
\tin := bufio.NewScanner(os.Stdin)
\tin.Buffer(make([]byte, 1<<20), 1<<26)
\tout := bufio.NewWriter(os.Stdout)
\tdefer out.Flush()
\tfor in.Scan() {
\t\ty, err := yaml.JSONToYAML(in.Bytes())
\t\tif err != nil {
\t\t\tout.WriteString("ERROR " + err.Error())
\t\t} else {
\t\t\tout.Write(y)
\t\t}
\t\tout.WriteByte(0)
\t}
}
`;

async function buildOracle(): Promise<string> {
  const key = createHash('sha256').update(GO_MOD).update(GO_SUM).update(MAIN_GO).digest('hex').slice(0, 16);
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'thanos-gitops');
  const binary = join(cache, `gojsontoyaml-oracle-${key}`);
  if (existsSync(binary)) return binary;
  const dir = mkdtempSync(join(tmpdir(), 'gojsontoyaml-'));
  writeFileSync(join(dir, 'go.mod'), GO_MOD);
  writeFileSync(join(dir, 'go.sum'), GO_SUM);
  writeFileSync(join(dir, 'main.go'), MAIN_GO);
  mkdirSync(cache, { recursive: true });
  const tmp = `${binary}.tmp.${process.pid}`;
  await new Promise<void>((resolve, reject) => {
    execFile(
      'go',
      ['build', '-o', tmp, '.'],
      { cwd: dir, env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' } },
      (error, _stdout, stderr) =>
        error
          ? reject(new Error(`building the gojsontoyaml oracle failed (needs go and the Go module proxy): ${stderr}`))
          : resolve(),
    );
  });
  renameSync(tmp, binary);
  return binary;
}

/**
 * JSON as jsonnet writes it: integers without exponent, other numbers as %.17g, C1 controls escaped. U+2028/U+2029
 * are escaped too: jsonnet writes them raw, and yaml.v2 then reads them as line breaks inside the JSON (the real
 * pipeline fails on such a key), which says nothing about the serializer.
 */
function jsonString(text: string): string {
  return escapeStringJson(text).replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
}

function jsonnetJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return jsonnetNumberToString(value);
  if (typeof value === 'string') return jsonString(value);
  if (Array.isArray(value)) return `[${value.map((item) => jsonnetJson(item)).join(',')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([key, item]) => `${jsonString(key)}:${jsonnetJson(item)}`)
    .join(',')}}`;
}

const STRINGS = [
  'on',
  'off',
  'y',
  'n',
  'yes',
  'No',
  'TRUE',
  'null',
  'Null',
  '~',
  '',
  '0.1',
  '1e3',
  '10',
  '017',
  '08',
  '0x1F',
  '0o17',
  '0b101',
  '-0b1',
  '1_000',
  '+1',
  '.5',
  '.inf',
  '-.inf',
  '.nan',
  '1:20',
  '190:20:30',
  '1:60',
  '2001-12-14',
  '2001-02-30',
  '2001-12-14t21:59:43.10-05:00',
  '2002-12-14 21:59:43.10',
  '1e999',
  '9223372036854775808',
  '<<',
  'v0.31.0',
  'a:b',
  'a: b',
  'a:',
  ':',
  ':a',
  'a #b',
  'a#b',
  '#a',
  '*a',
  '&a',
  '!a',
  '|a',
  '>a',
  '%a',
  '@a',
  '`a',
  "'a",
  '"a',
  '[a',
  'a]',
  '{a',
  'a,b',
  ',a',
  '-',
  '- a',
  '-a',
  '?',
  '?a',
  '? a',
  '---',
  '--- a',
  '...',
  ' a',
  'a ',
  '  ',
  'a\tb',
  '\ta',
  'a\n',
  'a\nb',
  'a\nb\n',
  'a\n\n',
  '\na',
  '\n',
  'a \nb',
  'a\n b',
  ' lead\nx',
  'line1\nline2\n\n\n',
  'a\r\nb',
  'é',
  '😀',
  '\u0085',
  'x\u2028y',
  '\u00a0',
  '\ufeff',
  '\u007f',
  '\u0001',
  'a"b',
  'a\\b',
  "it's",
  'x'.repeat(129),
  '--tracing.config="config":\n  "type": "JAEGER"',
  'dnssrv+_grpc._tcp.thanos-store.thanos:10901',
  '$(OBJSTORE_CONFIG)',
  'replica="$(NAME)"',
  'shard\\-(\\d+)',
  '[{"hashring": "default", "tenants": [ ]}]',
];
const NUMBERS = [
  0,
  1,
  -1,
  0.42,
  0.123,
  0.1 + 0.2,
  1e-4,
  1e-5,
  123456.5,
  1234567.5,
  1e21,
  1.5e300,
  5e-324,
  2 ** 53,
  2 ** 63,
  2 ** 64,
  65534,
  10902,
];
const KEYS = [
  'a',
  'b',
  'B',
  'Z',
  'a1',
  'a2',
  'a10',
  'a01',
  'x0y',
  'x00y',
  '_z',
  '-a',
  '1',
  '2',
  '10',
  'shard9',
  'shard10',
  'é',
  'app.kubernetes.io/name',
  'remote-write',
];

function generator(seed: number) {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const value = (depth: number): unknown => {
    const roll = random();
    if (depth > 3 || roll < 0.45) {
      const kind = random();
      if (kind < 0.6) return pick(STRINGS);
      if (kind < 0.8) return pick(NUMBERS);
      if (kind < 0.9) return pick([true, false, null]);
      return pick([[], {}]);
    }
    if (roll < 0.7) return Array.from({ length: 1 + Math.floor(random() * 4) }, () => value(depth + 1));
    const object: Record<string, unknown> = {};
    const size = 1 + Math.floor(random() * 5);
    // Keys from one family at a time: yaml.v2's order is not transitive across some mixed sets (e.g. "08", "0a",
    // "1_000"), and then Go's randomized map order decides, so no single answer exists there.
    const family = random() < 0.5 ? KEYS : STRINGS.filter((key) => !/^[0-9+\-.]/.test(key));
    for (let i = 0; i < size; i++) object[pick(family)] = value(depth + 1);
    return object;
  };
  return value;
}

let oracle: string;

beforeAll(async () => {
  oracle = await buildOracle();
}, 300_000);

describe('toKubeYaml matches gojsontoyaml (ghodss/yaml + yaml.v2 v2.3.0)', () => {
  it.each([1, 2, 3])('seeded random documents, seed %i', (seed) => {
    const value = generator(seed);
    const cases = Array.from({ length: 1500 }, () => value(0));
    const input = `${cases.map(jsonnetJson).join('\n')}\n`;
    const outputs = execFileSync(oracle, { input, maxBuffer: 1 << 28 })
      .toString('utf8')
      .split('\0');
    const mismatches = cases.flatMap((item, index) => {
      const expected = outputs[index] ?? '';
      const actual = toKubeYaml(item);
      return actual === expected ? [] : [{ input: jsonnetJson(item), expected, actual }];
    });
    expect(mismatches.slice(0, 3)).toEqual([]);
  });

  it('every edge-case string on its own, as value and as key', () => {
    const cases: unknown[] = STRINGS.flatMap((text) => [{ value: text }, { [text]: 1 }, [text]]);
    const input = `${cases.map(jsonnetJson).join('\n')}\n`;
    const outputs = execFileSync(oracle, { input, maxBuffer: 1 << 26 })
      .toString('utf8')
      .split('\0');
    cases.forEach((item, index) => expect(toKubeYaml(item), jsonnetJson(item)).toBe(outputs[index]));
  });
});
