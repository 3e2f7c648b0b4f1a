// How the CLI words results: history listings and plan reports.
import { describe, expect, it } from 'vitest';
import { formatHistory } from '../../src/cli/commands/history.js';
import { formatPlan } from '../../src/cli/commands/plan.js';
import { diffManifestSets, renderFullReport } from '../../src/diff/index.js';

describe('history', () => {
  it('shows a multi-line description whole, its further lines under DESCRIPTION', () => {
    const text = formatHistory([
      {
        environment: 'prod',
        revision: 2,
        time: '2026-12-03T16:00:00Z',
        status: 'failed',
        objects: 22,
        description:
          'apply failed for 1 object(s):\n  StatefulSet thanos/thanos-store: field is immutable\nRe-running the apply is safe\n',
      },
      {
        environment: 'prod',
        revision: 1,
        time: '2026-12-03T15:00:00Z',
        status: 'superseded',
        sourceCommit: '0123456789abcdef',
        objects: 22,
      },
    ]);
    expect(text).toBe(
      [
        'REVISION  UPDATED               STATUS      COMMIT        OBJECTS  DESCRIPTION',
        '2         2026-12-03T16:00:00Z  failed                    22       apply failed for 1 object(s):',
        '                                                                     StatefulSet thanos/thanos-store: field is immutable',
        '                                                                   Re-running the apply is safe',
        '1         2026-12-03T15:00:00Z  superseded  0123456789ab  22',
        '',
      ].join('\n'),
    );
  });
});

describe('plan and report footers', () => {
  const empty = {
    diff: diffManifestSets([], []),
    live: [],
    merged: [],
    conflicts: [],
    immutable: [],
    prune: [],
    warnings: [],
    errors: [],
    deferred: [],
  };

  it('a plan names the live cluster and the source, never "(unknown)"', () => {
    const text = formatPlan(empty, 'prod', 'manifests directory deploy');
    expect(text).toContain(
      '<sub>base (live cluster) → head (manifests directory deploy) · rendered by thanos-gitops</sub>',
    );
    expect(text).not.toContain('unknown');
  });

  it('a report without any revision leaves the sides out', () => {
    expect(renderFullReport(diffManifestSets([], []), { environment: 'prod' })).toContain(
      '<sub>rendered by thanos-gitops</sub>',
    );
    expect(renderFullReport(diffManifestSets([], []), { environment: 'prod', headRef: 'working tree' })).toContain(
      '<sub>head (working tree) · rendered by thanos-gitops</sub>',
    );
  });
});
