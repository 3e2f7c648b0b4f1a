// The pod runner's kubelet behaviours that need no Thanos: the atomic ..data swap and $(VAR) expansion.
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expand, writeAtomicDir } from '../helpers/pod-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'pod-runner-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeAtomicDir (kubelet AtomicWriter layout)', () => {
  it('writes keys as symlinks through ..data into a timestamped directory, and swaps ..data on update', () => {
    const volume = join(dir, 'secret');
    expect(writeAtomicDir(volume, { 'tls.crt': Buffer.from('one'), 'tls.key': Buffer.from('key') })).toBe(true);
    expect(lstatSync(join(volume, 'tls.crt')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(volume, 'tls.crt'))).toBe('..data/tls.crt');
    const first = readlinkSync(join(volume, '..data'));
    expect(first).toMatch(/^\.\.\d/);
    expect(readFileSync(join(volume, 'tls.crt'), 'utf8')).toBe('one');

    expect(writeAtomicDir(volume, { 'tls.crt': Buffer.from('one'), 'tls.key': Buffer.from('key') })).toBe(false);
    expect(writeAtomicDir(volume, { 'tls.crt': Buffer.from('two'), 'tls.key': Buffer.from('key') })).toBe(true);
    const second = readlinkSync(join(volume, '..data'));
    expect(second).not.toBe(first);
    expect(readFileSync(join(volume, 'tls.crt'), 'utf8')).toBe('two');
    // The old generation is gone; only one timestamped directory remains.
    expect(readdirSync(volume).filter((name) => /^\.\.\d/.test(name))).toEqual([second]);
  });
});

describe('expand ($(VAR) as kubelet expands container args)', () => {
  it('replaces defined variables, keeps unknown ones and unescapes $$', () => {
    const env = { NAME: 'thanos-receive-0', NAMESPACE: 'thanos' };
    expect(expand('--receive.local-endpoint=$(NAME).thanos-receive.$(NAMESPACE):10901', env)).toBe(
      '--receive.local-endpoint=thanos-receive-0.thanos-receive.thanos:10901',
    );
    expect(expand('--label=x="$(UNKNOWN)"', env)).toBe('--label=x="$(UNKNOWN)"');
    expect(expand('$$(NAME)', env)).toBe('$(NAME)');
  });
});
