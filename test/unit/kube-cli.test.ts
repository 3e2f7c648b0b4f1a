import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { formatApplyResult } from '../../src/cli/commands/apply.js';
import { environmentFromFlags, namespaceFor, parseDuration } from '../../src/cli/flags.js';
import { formatHistory } from '../../src/cli/commands/history.js';

const capture = () => {
  const out: string[] = [];
  return { out, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t) } };
};

describe('cluster command flags', () => {
  it('parses durations', () => {
    expect(parseDuration('300', '--timeout')).toBe(300_000);
    expect(parseDuration('90s', '--timeout')).toBe(90_000);
    expect(parseDuration('5m', '--timeout')).toBe(300_000);
    expect(parseDuration('250ms', '--timeout')).toBe(250);
    expect(() => parseDuration('soon', '--timeout')).toThrow(UsageError);
  });

  it('infers the namespace from a set that uses exactly one, and asks otherwise', () => {
    const object = (namespace?: string) => ({
      file: 'x.yaml',
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', ...(namespace ? { namespace } : {}) } },
    });
    expect(namespaceFor({}, [object('thanos'), object('thanos'), object()])).toBe('thanos');
    expect(namespaceFor({ namespace: 'other' }, [object('thanos')])).toBe('other');
    expect(() => namespaceFor({}, [object('a'), object('b')])).toThrow('--namespace is required: the set spans a, b');
    expect(() => namespaceFor({}, [object()])).toThrow('--namespace is required (the set names no namespace)');
  });

  it('accepts environment names that can name Secrets', () => {
    expect(environmentFromFlags({})).toBe('default');
    expect(environmentFromFlags({ environment: 'prod-eu-1' })).toBe('prod-eu-1');
    expect(() => environmentFromFlags({ environment: 'Prod_EU' })).toThrow(UsageError);
  });

  it('reports usage errors with exit code 2 before touching a cluster', async () => {
    const { out, io } = capture();
    expect(await main(['rollback', '--kubeconfig', '/nonexistent', '-n', 'x'], io)).toBe(2);
    expect(out.join('')).toContain('give exactly one revision number');
    expect(await main(['apply', '--prune', '--no-prune', '--dir', '.'], io)).toBe(2);
    expect(await main(['history', '--kubeconfig', '/nonexistent'], io)).toBe(2);
    expect(out.join('')).toContain('--namespace is required');
  });
});

describe('output formats', () => {
  it('summarises an apply on one line', () => {
    const text = formatApplyResult({
      environment: 'prod',
      revision: 4,
      objects: [
        { id: 'a', object: 'ConfigMap t/a', file: 'a.yaml', action: 'created' },
        { id: 'b', object: 'StatefulSet t/b', file: 'b.yaml', action: 'configured' },
        { id: 'c', object: 'Service t/c', file: 'c.yaml', action: 'unchanged' },
      ],
      pruned: ['Deployment t/old'],
      warnings: ['skipped 1 PodMonitor'],
      writes: 5,
    });
    expect(text).toBe(
      'warning: skipped 1 PodMonitor\nprod: 1 created, 1 configured, 0 recreated, 1 unchanged, 1 pruned; 5 write requests; release revision 4\n',
    );
  });

  it('prints history as an aligned table', () => {
    const text = formatHistory([
      {
        environment: 'p',
        revision: 1,
        time: '2026-01-01T00:00:00Z',
        status: 'superseded',
        sourceCommit: '0123456789abcdef',
        objects: 16,
      },
      {
        environment: 'p',
        revision: 2,
        time: '2026-01-02T00:00:00Z',
        status: 'deployed',
        objects: 16,
        description: 'rollback to 1',
      },
    ]);
    expect(text.split('\n')).toEqual([
      'REVISION  UPDATED               STATUS      COMMIT        OBJECTS  DESCRIPTION',
      '1         2026-01-01T00:00:00Z  superseded  0123456789ab  16',
      '2         2026-01-02T00:00:00Z  deployed                  16       rollback to 1',
      '',
    ]);
  });
});
