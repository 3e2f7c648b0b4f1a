// Progress of long CLI work on stderr: a status line on a terminal, JSON lines otherwise, nothing for quick runs.
import { afterEach, describe, expect, it } from 'vitest';
import { progressReporter } from '../../src/cli/progress.js';
import type { Io } from '../../src/cli/command.js';

function fakeIo(progress: Io['progress']): Io & { err: string[]; out: string[] } {
  const err: string[] = [];
  const out: string[] = [];
  return { err, out, progress, columns: 60, stdout: (text) => out.push(text), stderr: (text) => err.push(text) };
}

let clock = 0;
const now = () => clock;

afterEach(() => {
  clock = 0;
  delete process.env.THANOS_GITOPS_PROGRESS;
});

describe('progress on a terminal', () => {
  it('starts after 500 ms, rewrites one status line at most every 100 ms, shows the last item, and clears it at the end', () => {
    const io = fakeIo('tty');
    const reporter = progressReporter(io, now);
    reporter.listener({ phase: 'parse', done: 0, total: 3 });
    clock = 400;
    reporter.listener({ phase: 'parse', done: 1, total: 3, current: 'a.yaml' });
    expect(io.err).toEqual([]);
    clock = 600;
    reporter.listener({ phase: 'parse', done: 2, total: 3, current: 'b.yaml' });
    clock = 650;
    reporter.listener({ phase: 'parse', done: 2, total: 3, current: 'b2.yaml' });
    reporter.listener({ phase: 'parse', done: 3, total: 3, current: 'c.yaml' });
    expect(io.err).toEqual(['\r\u001b[Kparsing files 2/3 b.yaml', '\r\u001b[Kparsing files 3/3 c.yaml']);
    // Other lines clear the status line first, so they never run into it.
    reporter.io.stderr('created Deployment thanos/q\n');
    expect(io.err.slice(2)).toEqual(['\r\u001b[K', 'created Deployment thanos/q\n']);
    clock = 800;
    reporter.listener({ phase: 'dry-run', done: 1, total: 9, current: 'Service thanos/\u001b[31mred' });
    reporter.end();
    expect(io.err.slice(4)).toEqual(['\r\u001b[Kdry-running objects 1/9 Service thanos/\\u001b[31mred', '\r\u001b[K']);
  });

  it('cuts the line to the terminal width', () => {
    const io = fakeIo('tty');
    process.env.THANOS_GITOPS_PROGRESS = 'now';
    const reporter = progressReporter(io, now);
    reporter.listener({ phase: 'diff', done: 1, total: 2, current: `ConfigMap thanos/${'x'.repeat(100)}` });
    expect(io.err[0]!.length).toBe('\r\u001b[K'.length + 59);
    expect(io.err[0]!.endsWith('…')).toBe(true);
  });
});

describe('progress in logs (stderr is not a terminal)', () => {
  it('prints JSON lines after 3 s: at most one a second per phase, each new phase and each last item at once', () => {
    const io = fakeIo('json');
    const reporter = progressReporter(io, now);
    clock = 2900;
    reporter.listener({ phase: 'read', done: 100, total: 200 });
    expect(io.err).toEqual([]);
    clock = 3000;
    reporter.listener({ phase: 'read', done: 150, total: 200, current: 'x.yaml' });
    clock = 3500;
    reporter.listener({ phase: 'read', done: 160, total: 200, current: 'y.yaml' });
    reporter.listener({ phase: 'read', done: 200, total: 200, current: 'z.yaml' });
    reporter.listener({ phase: 'parse', done: 0, total: 200 });
    clock = 4600;
    reporter.listener({ phase: 'parse', done: 50, total: 200, current: 'p.yaml' });
    reporter.end();
    expect(io.err.map((line) => JSON.parse(line) as unknown)).toEqual([
      { progress: 'read', done: 150, total: 200, current: 'x.yaml', elapsedMs: 3000 },
      { progress: 'read', done: 200, total: 200, current: 'z.yaml', elapsedMs: 3500 },
      { progress: 'parse', done: 0, total: 200, elapsedMs: 3500 },
      { progress: 'parse', done: 50, total: 200, current: 'p.yaml', elapsedMs: 4600 },
    ]);
    expect(io.err.every((line) => line.endsWith('}\n'))).toBe(true);
  });

  it('prints nothing without a progress mode (the CLI run in-process) or with THANOS_GITOPS_PROGRESS=off', () => {
    for (const [mode, setting] of [
      [undefined, undefined],
      ['json', 'off'],
      ['tty', 'off'],
    ] as const) {
      const io = fakeIo(mode);
      if (setting) process.env.THANOS_GITOPS_PROGRESS = setting;
      const reporter = progressReporter(io, now);
      clock = 10_000;
      reporter.listener({ phase: 'read', done: 1, total: 1 });
      reporter.end();
      expect(io.err).toEqual([]);
    }
  });
});
