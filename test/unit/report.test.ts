import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  codeText,
  commentMarker,
  escapeMarkdown,
  renderFullReport,
  renderReport,
  type ManifestDiff,
  type ReportContext,
} from '../../src/diff/index.js';
import { analyzeManifestSets as diffManifestSets } from '../../src/thanos/index.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';

const GOLDENS = join(import.meta.dirname, '../../../shared/kube-thanos');

function loadGolden(name: 'example' | 'all'): ManifestSet {
  const dir = join(GOLDENS, name);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, object: parse(readFileSync(join(dir, file), 'utf8')) as KubeObject }));
}

const context: ReportContext = {
  environment: 'production',
  baseRef: 'main',
  headRef: 'bump-thanos',
  baseSha: '0123456789abcdef0123456789abcdef01234567',
  headSha: 'fedcba9876543210fedcba9876543210fedcba98',
};

type Mutable = Record<string, any>;
const containers = (object: Mutable): Mutable[] => object.spec?.template?.spec?.containers ?? [];

/** `copies` renamed copies of kube-thanos's full output (distinct namespaces), about 56 objects each. */
function bigSet(copies: number): ManifestSet {
  const set: ManifestSet = [];
  // kube-thanos writes a few shared objects twice; keep one of each so every copy has distinct objects.
  const seen = new Set<string>();
  const golden = loadGolden('all').filter(({ object }) => {
    const key = `${object.kind}/${object.metadata.name}`;
    return !seen.has(key) && seen.add(key);
  });
  for (let copy = 0; copy < copies; copy++) {
    for (const manifest of golden) {
      const object = structuredClone(manifest.object);
      object.metadata.namespace = `tenant-${copy}`;
      set.push({ file: `tenant-${copy}/${manifest.file}`, object });
    }
  }
  return set;
}

/** A change touching every object of a 500-object set, with risks of several kinds and some very long diffs. */
function bigChange(): { base: ManifestSet; head: ManifestSet; diff: ManifestDiff } {
  const base = bigSet(11).slice(0, 500);
  const head = structuredClone(base);
  head.forEach(({ object }, position) => {
    const mutable = object as Mutable;
    mutable.metadata.labels = { ...mutable.metadata.labels, 'example.com/change': `c${position}` };
    for (const container of containers(mutable)) {
      container.image = container.image?.replace(/v0\.30\.2$/, 'v0.32.0');
      if (position % 7 === 0)
        container.args = [
          ...(container.args ?? []),
          ...Array.from({ length: 400 }, (_, i) => `--extra.flag-${i}=value-${i}`),
        ];
    }
    if (object.kind === 'StatefulSet' && position % 3 === 0)
      mutable.spec.serviceName = `${mutable.spec.serviceName}-v2`;
  });
  const diff = diffManifestSets(base, head);
  return { base, head, diff };
}

function assertBalanced(text: string): void {
  expect(text.match(/<details>/g)?.length ?? 0).toBe(text.match(/<\/details>/g)?.length ?? 0);
  let open: string | undefined;
  for (const line of text.split('\n')) {
    const fence = /^(`{3,})/.exec(line)?.[1];
    if (!fence) continue;
    if (open === undefined) open = fence;
    else if (line === open) open = undefined;
  }
  expect(open).toBeUndefined();
}

describe('renderReport', () => {
  it('puts the marker, title, summary, risks, table, diffs and footer in order', () => {
    const base = loadGolden('example');
    const head = structuredClone(base);
    const store = head.find((item) => item.file === 'thanos-store-statefulSet.yaml')!.object as Mutable;
    store.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '100Gi';
    containers(store)[0]!.image = 'quay.io/thanos/thanos:v0.32.0';
    const report = renderReport(diffManifestSets(base, head), context);
    expect(report.startsWith(`${commentMarker('production')}\n### thanos-gitops diff for \`production\``)).toBe(true);
    const order = [
      '**1 object changes**: 0 added, 0 removed, 1 modified, 15 unchanged; **2 risks** (1 high, 1 low).',
      '> [!CAUTION]',
      'immutable-field',
      '> [!WARNING]',
      '| Kind | Name | Change | Lines |',
      '| StatefulSet | thanos/thanos-store | modified | +2 / -2 |',
      '<details><summary><code>StatefulSet thanos/thanos-store</code> modified (+2 / -2)</summary>',
      '```diff',
      '-            storage: 10Gi',
      '+            storage: 100Gi',
      '</details>',
      'base `0123456789ab` (main) → head `fedcba987654` (bump-thanos)',
    ];
    let position = 0;
    for (const part of order) {
      const found = report.indexOf(part, position);
      expect(found, part).toBeGreaterThanOrEqual(position);
      position = found;
    }
    expect(report).not.toContain('shortened');
    assertBalanced(report);
  });

  it('says so when nothing changed', () => {
    const report = renderReport(diffManifestSets(loadGolden('example'), loadGolden('example')), context);
    expect(report).toContain(commentMarker('production'));
    expect(report).toContain('**No changes.**');
    expect(report).not.toContain('<details>');
  });

  it('gives each environment its own marker and keeps markers well-formed', () => {
    expect(commentMarker('staging')).toBe('<!-- thanos-gitops:staging -->');
    expect(commentMarker('prod')).not.toBe(commentMarker('staging'));
    expect(commentMarker('evil --> <b>x</b>')).toMatch(/^<!-- thanos-gitops:[^>]*-->$/);
  });

  it('fits a 500-object change under 65,536 characters with every risk listed', () => {
    const { diff } = bigChange();
    expect(diff.entries).toHaveLength(500);
    expect(diff.counts.modified).toBe(500);
    const risks = new Set(diff.risks.map((risk) => risk.id));
    expect(risks).toEqual(new Set(['immutable-field', 'image-change']));
    expect(diff.risks.length).toBeGreaterThan(100);
    expect(renderFullReport(diff, context).length).toBeGreaterThan(500_000);

    const report = renderReport(diff, context);
    expect(report.length).toBeLessThanOrEqual(60_000);
    expect(report).toContain('**500 objects change**');
    expect(report).toContain("the full report is in this workflow run's job summary".replace('the full', 'The full'));
    for (const risk of diff.risks) expect(report, `${risk.id} ${risk.object}`).toContain(risk.object);
    assertBalanced(report);
  });

  it('never exceeds the budget it is given, and keeps the summary and risks', () => {
    const { diff } = bigChange();
    for (const maxLength of [65_536, 30_000, 12_000]) {
      const report = renderReport(diff, { ...context, fullReportHint: 'the artifact `diff-report`' }, { maxLength });
      expect(report.length).toBeLessThanOrEqual(maxLength);
      expect(report).toContain('**500 objects change**');
      expect(report).toContain('the artifact `diff-report`');
      assertBalanced(report);
    }
    const tiny = renderReport(diff, context, { maxLength: 2_000 });
    expect(tiny.length).toBeLessThanOrEqual(2_000);
    expect(tiny).toContain('**500 objects change**');
  });

  it('cuts the longest diffs first and leaves the short ones whole', () => {
    const base = loadGolden('example');
    const head = structuredClone(base);
    const query = head.find((item) => item.file === 'thanos-query-deployment.yaml')!.object as Mutable;
    containers(query)[0]!.args.push(
      ...Array.from({ length: 2_000 }, (_, i) => `--endpoint=store-${i}.thanos.svc:10901`),
    );
    const store = head.find((item) => item.file === 'thanos-store-statefulSet.yaml')!.object as Mutable;
    store.spec.replicas = 2;
    const diff = diffManifestSets(base, head);
    const report = renderReport(diff, context);
    expect(report.length).toBeLessThanOrEqual(60_000);
    expect(report).toContain('shortened to fit');
    expect(report).toMatch(/\.\.\. \d+ more lines cut; see the full report/);
    expect(report).toContain('-  replicas: 1\n+  replicas: 2');
    expect(report).toContain('--endpoint=store-0.thanos.svc:10901');
    assertBalanced(report);
  });

  it('keeps fences balanced when a diff itself contains backticks', () => {
    const base: ManifestSet = [
      {
        file: 'cm.yaml',
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'notes', namespace: 'thanos' },
          data: { readme: 'x' },
        },
      },
    ];
    const head = structuredClone(base);
    (head[0]!.object as Mutable).data.readme = '```\ncode\n````\n';
    const report = renderReport(diffManifestSets(base, head), context);
    expect(report).toContain('`````diff');
    assertBalanced(report);
  });
});

describe('text a pull request author controls', () => {
  it('cannot inject HTML into the comment through hashring tenants', () => {
    const base = loadGolden('example');
    const head = structuredClone(base);
    const configMap = head.find((m) => m.object.kind === 'ConfigMap')!.object as Mutable;
    const rings = JSON.parse(configMap.data['hashrings.json']);
    rings[0].tenants = ['<!-- hide', '<img src=x onerror=alert(1)>'];
    configMap.data['hashrings.json'] = JSON.stringify(rings);
    const report = renderReport(diffManifestSets(base, head), context);
    const outsideCode = report.replace(/```[\s\S]*?```/g, '').replace(/`+[^`]*`+/g, '');
    expect(outsideCode).not.toMatch(/<!-- hide|<img/);
    expect(outsideCode.match(/<!--/g)).toHaveLength(1); // only the sticky marker
  });
});

describe('Secrets never reach a report', () => {
  const planted = 'planted-S3-secret-Zx81_qq';
  const plantedBase64 = Buffer.from(planted).toString('base64');
  const secret = (extra: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'thanos-objectstorage', namespace: 'thanos' },
    type: 'Opaque',
    ...extra,
  });

  it.each([
    [
      'stringData added',
      secret({ data: { 'thanos.yaml': Buffer.from('old').toString('base64') } }),
      secret({ stringData: { 'thanos.yaml': planted } }),
    ],
    [
      'data changed',
      secret({ data: { 'thanos.yaml': plantedBase64 } }),
      secret({ data: { 'thanos.yaml': Buffer.from('new').toString('base64') } }),
    ],
    ['Secret removed', secret({ data: { 'thanos.yaml': plantedBase64 } }), undefined],
    [
      'Secret added, value in last-applied',
      undefined,
      {
        ...secret({ data: { 'thanos.yaml': plantedBase64 } }),
        metadata: {
          name: 'thanos-objectstorage',
          namespace: 'thanos',
          annotations: {
            'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
              stringData: { 'thanos.yaml': planted },
            }),
          },
        },
      },
    ],
  ])('%s', (_name, before, after) => {
    const base: ManifestSet = before ? [{ file: 'secret.yaml', object: before as KubeObject }] : [];
    const head: ManifestSet = after ? [{ file: 'secret.yaml', object: after as KubeObject }] : [];
    const diff = diffManifestSets(base, head);
    expect(diff.entries[0]!.change).not.toBe('unchanged');
    for (const text of [
      renderReport(diff, context),
      renderFullReport(diff, context),
      renderReport(diff, context, { maxLength: 1_500 }),
      JSON.stringify(diff),
    ]) {
      expect(text).not.toContain(planted);
      expect(text).not.toContain(plantedBase64);
      expect(text).toMatch(/hmac-sha256:[0-9a-f]{10}(?! \()/);
    }
  });
});

describe('escapeMarkdown and codeText', () => {
  it('turns every Markdown and HTML syntax character into a character reference and line breaks into spaces', () => {
    expect(escapeMarkdown('<a href="x">ok</a> [t](u) `c` *b* _i_ ~s~ | \\ ! $m$ \'q\' &amp;\nnext')).toBe(
      '&#60;a href=&#34;x&#34;&#62;ok&#60;/a&#62; &#91;t&#93;(u) &#96;c&#96; &#42;b&#42; &#95;i&#95; &#126;s&#126; &#124; &#92; &#33; &#36;m&#36; &#39;q&#39; &#38;amp; next',
    );
    expect(escapeMarkdown('thanos/thanos-store-0.svc:10901')).toBe('thanos/thanos-store-0.svc:10901');
  });

  it('keeps a backtick span for plain text and uses an escaped <code> element otherwise, whatever the backtick runs', () => {
    expect(codeText('ConfigMap thanos/hashring-config')).toBe('`ConfigMap thanos/hashring-config`');
    expect(codeText('x\n# heading')).toBe('`x # heading`');
    for (const text of ['a`b', '``', '`` x ```', '<b>x</b>']) {
      const shown = codeText(text);
      expect(shown.startsWith('<code>') && shown.endsWith('</code>')).toBe(true);
      expect(shown.slice(6, -7)).not.toMatch(/[`<>\n]/);
    }
  });
});
