import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** The README's "Threat model" section. */
function threatModel(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Threat model');
  expect(start, 'README has a "Threat model" section').toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README threat model', () => {
  it('names a pull-request author, a default-branch workflow and an IAM principal', () => {
    const text = threatModel();
    for (const who of ['Pull-request author', 'A workflow on the default branch', 'An IAM principal'])
      expect(text).toContain(`| ${who}`);
  });

  it('backs every statement with a test that exists: each cited file exists and holds each cited test name', () => {
    const text = threatModel();
    const rows = text
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| Who') && !line.startsWith('|---'));
    expect(rows.length).toBeGreaterThan(5);
    let cited = 0;
    for (const row of rows) {
      // (`unit/x.test.ts` "name …", "other name") groups; a cell without any citation is an empty "Can" or "Cannot".
      for (const cell of row
        .split(' | ')
        .map((c) => c.replace(/^\| |\|$/g, '').trim())
        .slice(1)) {
        if (!cell) continue;
        expect(cell, `a statement without a test: ${cell}`).toMatch(/`(unit|e2e)\/[\w.-]+\.test\.ts`/);
      }
      for (const group of row.matchAll(/`((?:unit|e2e)\/[\w.-]+\.test\.ts)`((?:\s*,?\s*"[^"]+")*)/g)) {
        const file = join(ROOT, 'test', group[1] as string);
        expect(existsSync(file), `${group[1]} exists`).toBe(true);
        const source = readFileSync(file, 'utf8');
        for (const name of (group[2] ?? '').matchAll(/"([^"]+)"/g)) {
          const prefix = (name[1] as string)
            .replace(/^…\s*/, '')
            .replace(/…$/, '')
            .replace(/[\s,]+$/, '');
          expect(source, `${group[1]} has a test named "${prefix}…"`).toContain(prefix);
          cited++;
        }
      }
    }
    expect(cited).toBeGreaterThan(15);
  });
});
