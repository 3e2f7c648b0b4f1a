import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { manifestYamlDoc, toKubeYaml } from '../../src/render/index.js';
import { yamlKeyLess } from '../../src/render/yaml.js';

// Expected texts below were produced by ghodss/yaml.JSONToYAML over gopkg.in/yaml.v2 v2.3.0 (gojsontoyaml's
// pipeline) from the same values written as jsonnet writes JSON.
describe('toKubeYaml scalar styles (yaml.v2 v2.3.0 via gojsontoyaml)', () => {
  const values: Record<string, unknown> = {
    on: 'on',
    off: 'off',
    y: 'y',
    n: 'n',
    yes: 'yes',
    No: 'No',
    TRUE: 'TRUE',
    nullWord: 'null',
    tilde: '~',
    empty: '',
    decimal: '0.1',
    exponent: '1e3',
    int: '10',
    octal: '017',
    leadingZero: '08',
    hex: '0x1F',
    underscoreInt: '1_000',
    dotFloat: '.5',
    inf: '.inf',
    base60: '1:20',
    timestamp: '2001-12-14',
    badDate: '2001-02-30',
    version: 'v0.31.0',
    colonInside: 'a:b',
    colonSpace: 'a: b',
    trailingColon: 'a:',
    star: '*a',
    amp: '&a',
    bang: '!a',
    dashSpace: '- a',
    dashWord: '-a',
    dashAlone: '-',
    question: '?',
    questionWord: '?a',
    hashLead: '#a',
    hashInside: 'a #b',
    hashNoSpace: 'a#b',
    pipe: '|a',
    percent: '%a',
    at: '@a',
    backtick: '`a',
    quote: "'a",
    dquote: '"a',
    bracket: '[a',
    comma: 'a,b',
    threeDashes: '---',
    dots: '...',
    leadingSpace: ' a',
    trailingSpace: 'a ',
    tab: 'a\tb',
    multi: 'line1\nline2',
    multiTrailing: 'line1\nline2\n',
    multiKeep: 'a\n\n',
    multiTrailingSpaces: 'a  \nb',
    multiLeadingSpace: ' lead\nx',
    crlf: 'a\r\nb',
    unicode: 'é',
    emoji: '😀',
    nel: '\u0085',
    merge: '<<',
    selector: 'dnssrv+_grpc._tcp.thanos-store.thanos',
    flag: '--objstore.config=$(OBJSTORE_CONFIG)',
    addr: '0.0.0.0:10901',
    jsonArray: '["__block_id"]',
    float: 0.42,
    floatSmall: 0.0001,
    floatTiny: 0.00001,
    floatBig: 1234567.5,
    intBig: 9007199254740993,
    negZero: -0,
    huge: 1e21,
    bool: true,
    nil: null,
    emptyMap: {},
    emptyList: [],
  };

  it('quotes exactly the strings yaml.v2 quotes, and in the same style', () => {
    expect(toKubeYaml(values)).toBe(EXPECTED);
  });

  it.each([
    ['on', '"on"'],
    ['0.1', '"0.1"'],
    ['1e3', '"1e3"'],
    ['a:b', 'a:b'],
    ['a: b', "'a: b'"],
    ['*x', "'*x'"],
    ['&x', "'&x'"],
    ['!x', "'!x'"],
    ['- x', "'- x'"],
    ['-x', '-x'],
    ['?', "'?'"],
    ['#x', "'#x'"],
    ['x #y', "'x #y'"],
    ['', '""'],
    ["it's", "it's"],
    ["'quoted'", "'''quoted'''"],
  ])('writes the string %j as %s', (input, expected) => {
    expect(toKubeYaml({ k: input })).toBe(`k: ${expected}\n`);
  });

  it('falls back to double quotes for multi-line text with trailing spaces (no block scalar can hold them)', () => {
    expect(toKubeYaml({ k: 'a  \nb' })).toBe('k: "a  \\nb"\n');
    expect(toKubeYaml({ k: 'a\nb  ' })).toBe('k: "a\\nb  "\n');
  });

  it('prints floats as Go does and integers without exponent', () => {
    expect(toKubeYaml([0.42, 0.42, 0.123, 1e-5, 1234567.5, 65534, 2 ** 53, 1e21, -0])).toBe(
      '- 0.42\n- 0.42\n- 0.123\n- 1e-05\n- 1.2345675e+06\n- 65534\n- 9007199254740992\n- 1e+21\n- 0\n',
    );
  });
});

describe('toKubeYaml layout', () => {
  it('indents mappings by two, keeps sequences at the parent key, and nests items on the dash line', () => {
    const value = {
      spec: {
        containers: [
          { args: ['store', '--log.level=info'], name: 'thanos', ports: [{ containerPort: 10901, name: 'grpc' }] },
        ],
        empty: {},
        none: [],
        nested: [['a', 'b'], [], [{ x: 1 }]],
      },
    };
    expect(toKubeYaml(value)).toBe(
      [
        'spec:',
        '  containers:',
        '  - args:',
        '    - store',
        '    - --log.level=info',
        '    name: thanos',
        '    ports:',
        '    - containerPort: 10901',
        '      name: grpc',
        '  empty: {}',
        '  nested:',
        '  - - a',
        '    - b',
        '  - []',
        '  - - x: 1',
        '  none: []',
        '',
      ].join('\n'),
    );
  });

  it('writes multi-line strings as literal blocks indented under their key or dash', () => {
    expect(toKubeYaml({ args: ['--a', '--tracing.config=type: JAEGER\nconfig: {}', 'keep\n'] })).toBe(
      'args:\n- --a\n- |-\n  --tracing.config=type: JAEGER\n  config: {}\n- |\n  keep\n',
    );
    expect(toKubeYaml({ a: { b: 'x\n\n' } })).toBe('a:\n  b: |+\n    x\n\n');
    expect(toKubeYaml({ a: ' lead\nx' })).toBe('a: |2-\n   lead\n  x\n');
  });

  it('writes top-level empties and scalars like yaml.v2', () => {
    expect(toKubeYaml({})).toBe('{}\n');
    expect(toKubeYaml([])).toBe('[]\n');
    expect(toKubeYaml('on')).toBe('"on"\n');
    expect(toKubeYaml(null)).toBe('null\n');
  });

  it('uses an explicit "? key" entry for keys longer than 128 bytes', () => {
    const key = 'k'.repeat(129);
    expect(toKubeYaml({ [key]: { a: 1, b: 2 } })).toBe(`? ${key}\n: a: 1\n  b: 2\n`);
  });

  it('drops undefined fields and rejects values JSON cannot carry', () => {
    expect(toKubeYaml({ a: undefined, b: 1 })).toBe('b: 1\n');
    expect(() => toKubeYaml({ a: Number.NaN })).toThrow(/\$\.a is NaN/);
    expect(() => toKubeYaml({ a: () => 1 })).toThrow(/function/);
  });
});

describe('yaml.v2 key order', () => {
  it('puts non-letters before letters and compares digit runs as numbers (order recorded from yaml.v2)', () => {
    const keys = [
      'shard10',
      'shard9',
      'b',
      'a',
      'B',
      'Z',
      '_z',
      '-a',
      'app.kubernetes.io/name',
      'app',
      'a10',
      'a2',
      '10',
      '9',
      'é',
    ];
    const sorted = [...keys].sort((x, y) => (yamlKeyLess(x, y) ? -1 : yamlKeyLess(y, x) ? 1 : 0));
    expect(sorted).toEqual([
      '-a',
      '_z',
      '9',
      '10',
      'B',
      'Z',
      'a',
      'a2',
      'a10',
      'app',
      'app.kubernetes.io/name',
      'b',
      'shard9',
      'shard10',
      'é',
    ]);
  });

  it('orders object keys that way in the output', () => {
    expect(toKubeYaml({ 'thanos-store-shard10': 1, 'thanos-store-shard9': 2, apiVersion: 'v1', '9': 0 })).toBe(
      '"9": 0\napiVersion: v1\nthanos-store-shard9: 2\nthanos-store-shard10: 1\n',
    );
  });
});

describe('manifestYamlDoc (jsonnet std.manifestYamlDoc)', () => {
  const cases: unknown[] = [
    { type: 'JAEGER', config: { sampler_type: 'ratelimiting', sampler_param: 2, service_name: 'thanos-query' } },
    {
      type: 'memcached',
      config: { addresses: ['dnssrv+_client._tcp.memcached.thanos'], timeout: '500ms', max_item_size: '1MiB' },
    },
    { nested: [[1, 2], [], {}, { a: [3], b: {} }], text: 'multi\nline\n', plain: 'a\nb', empty: '', n: null, t: true },
    [0.42, 0.1, 1e-7, 1e21, 123456789.5, 'é', 'tab\tquote"back\\', '\u007f\u0085\u0001'],
    'top-level string',
    { 'key with space': { é: 1, B: 2, a: 3 } },
  ];

  it('matches the jsonnet binary byte for byte', () => {
    const program = `[${cases.map((value) => `std.manifestYamlDoc(${JSON.stringify(value)})`).join(',')}]`;
    const expected = JSON.parse(execFileSync('jsonnet', ['-e', program], { encoding: 'utf8' })) as string[];
    expect(cases.map((value) => manifestYamlDoc(value))).toEqual(expected);
  });

  it('matches the jsonnet binary on seeded random documents (numbers, escapes, nesting, block strings)', () => {
    let state = 7;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const atoms = [
      '',
      'a',
      'on',
      'a\nb',
      'a\nb\n',
      'a\n\n',
      '\n',
      ' x ',
      'tab\t',
      'q"q',
      'é',
      '\u007f',
      '\u0001',
      0,
      1,
      -1,
      0.1,
      0.42,
      1e-7,
      1e21,
      123456789.5,
      1 / 3,
      true,
      false,
      null,
      [],
      {},
    ];
    const value = (depth: number): unknown => {
      const roll = random();
      if (depth > 3 || roll < 0.4) return pick(atoms);
      if (roll < 0.7) return Array.from({ length: 1 + Math.floor(random() * 3) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: 1 + Math.floor(random() * 3) }, () => [
          pick(['a', 'b', 'B', 'é', '1', 'k y']),
          value(depth + 1),
        ]),
      );
    };
    const cases = Array.from({ length: 300 }, () => ({ value: value(0), indent: random() < 0.3 }));
    const program = `[${cases.map((item) => `std.manifestYamlDoc(${JSON.stringify(item.value)}, ${item.indent})`).join(',\n')}]`;
    const expected = JSON.parse(
      execFileSync('jsonnet', ['-e', program], { encoding: 'utf8', maxBuffer: 1 << 26 }),
    ) as string[];
    expect(cases.map((item) => manifestYamlDoc(item.value, item.indent))).toEqual(expected);
  });

  it('writes the tracing flag text kube-thanos embeds', () => {
    expect(
      manifestYamlDoc({
        type: 'JAEGER',
        config: { sampler_type: 'ratelimiting', sampler_param: 2, service_name: 'thanos-store' },
      }),
    ).toBe(
      '"config":\n  "sampler_param": 2\n  "sampler_type": "ratelimiting"\n  "service_name": "thanos-store"\n"type": "JAEGER"',
    );
  });

  it('indents arrays inside objects on request', () => {
    expect(manifestYamlDoc({ a: [{ b: [1] }] }, true)).toBe('"a":\n  - "b":\n      - 1');
  });
});

const EXPECTED = `"No": "No"
"TRUE": "TRUE"
addr: 0.0.0.0:10901
amp: '&a'
at: '@a'
backtick: '\`a'
badDate: 2001-02-30
bang: '!a'
base60: "1:20"
bool: true
bracket: '[a'
colonInside: a:b
colonSpace: 'a: b'
comma: a,b
crlf: "a\\r\\nb"
dashAlone: '-'
dashSpace: '- a'
dashWord: -a
decimal: "0.1"
dotFloat: ".5"
dots: '...'
dquote: '"a'
emoji: "\\U0001F600"
empty: ""
emptyList: []
emptyMap: {}
exponent: "1e3"
flag: --objstore.config=$(OBJSTORE_CONFIG)
float: 0.42
floatBig: 1.2345675e+06
floatSmall: 0.0001
floatTiny: 1e-05
hashInside: 'a #b'
hashLead: '#a'
hashNoSpace: a#b
hex: "0x1F"
huge: 1e+21
inf: ".inf"
int: "10"
intBig: 9007199254740992
jsonArray: '["__block_id"]'
leadingSpace: ' a'
leadingZero: "08"
merge: <<
multi: |-
  line1
  line2
multiKeep: |+
  a

multiLeadingSpace: |2-
   lead
  x
multiTrailing: |
  line1
  line2
multiTrailingSpaces: "a  \\nb"
"n": "n"
negZero: 0
nel: "\\N"
nil: null
nullWord: "null"
octal: "017"
"off": "off"
"on": "on"
percent: '%a'
pipe: '|a'
question: '?'
questionWord: ?a
quote: '''a'
selector: dnssrv+_grpc._tcp.thanos-store.thanos
star: '*a'
tab: "a\\tb"
threeDashes: '---'
tilde: "~"
timestamp: "2001-12-14"
trailingColon: 'a:'
trailingSpace: 'a '
underscoreInt: "1_000"
unicode: é
version: v0.31.0
"y": "y"
"yes": "yes"
`;
