// The import scan that confines jsonnet before evaluation: it must find every import the real jsonnet would perform
// (or a bypass exists) and nothing jsonnet would not (or valid sources are refused). Tricky layouts are checked
// against the real binary: what jsonnet imports is what the scan reports.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importReferences } from '../../src/sources/jsonnet-imports.js';

const paths = (source: string) => importReferences(source).map((reference) => `${reference.kind} ${reference.path}`);

describe('importReferences', () => {
  it.each([
    [
      'plain forms',
      "import 'a.libsonnet' + importstr \"b.txt\" + importbin @'c.bin'",
      ['import a.libsonnet', 'importstr b.txt', 'importbin c.bin'],
    ],
    [
      'escapes as jsonnet decodes them',
      String.raw`importstr '\u002egit/config' + importstr "x\/y" + importstr @"q""r"`,
      ['importstr .git/config', 'importstr x/y', 'importstr q"r'],
    ],
    ['a text block path', 'importstr |||\n  .git/config\n|||', ['importstr .git/config\n']],
    [
      'an import after a text block on its closing line',
      "local s = |||\n  import 'no'\n  x\n|||; importstr '/etc/passwd'",
      ['importstr /etc/passwd'],
    ],
    ['an import after a chomped text block', "local s = |||-\n  a\n||| + importstr 'p'", ['importstr p']],
    [
      'comments are skipped',
      "// importstr '/a'\n# importstr '/b'\n/* importstr '/c' */ importstr 'd'",
      ['importstr d'],
    ],
    ['strings are skipped', String.raw`{ a: "importstr '/a'", b: 'x\' importstr "/b"', c: @'importstr ''/c''' }`, []],
    ['an operator run does not hide a comment start', "1 +// importstr '/a'\n importstr 'b'", ['importstr b']],
    ['identifiers that only contain the word', '{ importstrx: 1, ximport: 2, import_: 3 }', []],
    ['a number directly before the keyword', "[1import 'x']", ['import x']],
  ])('%s', (_name, source, expected) => {
    expect(paths(source)).toEqual(expected);
  });

  it.each([
    ['a computed import', "importstr ('/etc/' + 'passwd')", /computed imports are not allowed/],
    ['an unterminated string', "importstr '/etc/passwd", /unterminated string/],
    ['an unterminated comment', '/* x', /no terminating/],
    ['a NUL byte (jsonnet stops reading there, other jsonnets do not)', "{}\0importstr '/etc/passwd'", /NUL byte/],
    ['an unknown escape', String.raw`importstr '\q'`, /unknown escape/],
  ])('refuses %s', (_name, source, expected) => {
    expect(() => importReferences(source)).toThrow(expected);
  });

  it('agrees with the real jsonnet on what a text block and comments hide', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-jsonnet-lex-'));
    try {
      writeFileSync(join(dir, 'seen.txt'), 'seen');
      const cases = [
        "local s = |||\n  importstr 'hidden.txt'\n|||; { v: s, w: importstr 'seen.txt' }",
        "{ /* importstr 'hidden.txt' */ v: importstr 'seen.txt' } // importstr 'hidden.txt'",
        "{ v: @'importstr ''hidden.txt''', w: importstr 'seen.txt' }",
      ];
      for (const source of cases) {
        writeFileSync(join(dir, 'main.jsonnet'), source);
        // jsonnet fails on a missing import only when it evaluates it: hidden.txt does not exist.
        const run = spawnSync('jsonnet', ['main.jsonnet'], { cwd: dir, encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(0);
        expect(paths(source)).toEqual(['importstr seen.txt']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
