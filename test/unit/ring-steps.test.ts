// The ordered ring steps on real kube-thanos output: stacks rendered by the renderer that reproduces kube-thanos byte
// for byte, the live state one config and the release another, as a pull request changes receiveIngestor.replicas.
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseStackConfig } from '../../src/config/index.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';
import { renderStack } from '../../src/render/index.js';
import { formatRingSteps, planRingSteps, RingBelowReplicationFactorError } from '../../src/ring/ring-steps.js';
import { metricValue, ringConfigHash } from '../../src/thanos/ring-observation.js';
import { renderFullReport, renderJsonReport, renderUnifiedReport } from '../../src/diff/index.js';
import { analyzeManifestSets } from '../../src/thanos/index.js';
import { applyOrderFor } from '../../src/ring/index.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';

type Config = Record<string, any>;
const INGESTOR = 'thanos-receive-ingestor-default';
const endpoint = (i: number, sts = INGESTOR) => `${sts}-${i}.${sts}.thanos:10901`;

function stackConfig(options: {
  ingestors: number;
  rf?: number;
  flag?: 'ketama' | 'hashmod';
  ring?: number;
  regions?: boolean;
  storeReplicas?: number;
  ingestorOnly?: boolean;
}): Config {
  const rings = options.regions
    ? [
        { hashring: 'default', tenants: [] },
        { hashring: 'region-1', tenants: ['eu'] },
      ]
    : [{ hashring: 'default', tenants: [] }];
  return {
    apiVersion: 'thanos-gitops/v1alpha1',
    kind: 'ThanosStack',
    common: {
      namespace: 'thanos',
      version: 'v0.42.4',
      image: 'quay.io/thanos/thanos:v0.42.4',
      objectStorageConfig: { name: 'thanos-objectstorage', key: 'thanos.yaml' },
      hashringConfigMapName: 'hashring-config',
      volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } },
    },
    receiveIngestor: {
      replicas: options.ingestors,
      replicationFactor: options.rf ?? 2,
      hashrings: rings,
      ...(options.flag ? { hashringsAlgorithm: options.flag } : {}),
      ...(options.ingestorOnly ? { hashringConfigMapName: '' } : {}),
    },
    receiveRouter: {
      routerReplicas: 2,
      replicationFactor: options.rf ?? 2,
      objectStorageConfig: null,
      ...(options.flag ? { hashringsAlgorithm: options.flag } : {}),
      ...(options.ring !== undefined
        ? { endpoints: { default: Array.from({ length: options.ring }, (_, i) => endpoint(i)) } }
        : {}),
    },
    store: { replicas: options.storeReplicas ?? 1 },
    query: { replicas: 1, replicaLabels: ['replica'] },
  };
}

const render = (config: Config): ManifestSet => renderStack(parseStackConfig(stringify(config), 'thanos-stack.yaml'));
const kinds = (base: Config, head: Config) =>
  planRingSteps(render(base), render(head), 'thanos').steps.map((s) => s.kind);
const find = (set: ManifestSet, kind: string, name: string) =>
  set.find((m) => m.object.kind === kind && m.object.metadata.name === name)?.object as KubeObject;
const ringOf = (set: ManifestSet) =>
  JSON.parse(
    String((find(set, 'ConfigMap', 'hashring-config')['data'] as Record<string, string>)['hashrings.json']),
  ) as Array<{ hashring: string; endpoints: string[] }>;

describe('planRingSteps', () => {
  it('3 -> 4: grow, wait for the new pod, then publish the ring naming it and wait for every reader', () => {
    const plan = planRingSteps(render(stackConfig({ ingestors: 3 })), render(stackConfig({ ingestors: 4 })), 'thanos');
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'scale-up',
      'await-ready',
      'publish-ring',
      'await-ring-loaded',
      'apply-final',
    ]);
    expect(plan.replicaChanges).toEqual([{ namespace: 'thanos', name: INGESTOR, from: 3, to: 4 }]);
    expect(plan.steps[2]!.pods!.map((p) => p.name)).toEqual([`${INGESTOR}-3`]);
    expect(plan.ringChanges[0]!.added).toEqual([endpoint(3)]);
    expect(plan.ringChanges[0]!.removed).toEqual([]);
    // Readers: the router Deployment and the ingestors themselves (both mount the file).
    expect(plan.ringChanges[0]!.readers.map((r) => `${r.kind} ${r.name}`).sort()).toEqual([
      'Deployment thanos-receive-router',
      `StatefulSet ${INGESTOR}`,
    ]);
    // The pinned set keeps the live replicas and the live ring, everything else as committed.
    expect((find(plan.pinned, 'StatefulSet', INGESTOR)['spec'] as { replicas: number }).replicas).toBe(3);
    expect(ringOf(plan.pinned)[0]!.endpoints).toHaveLength(3);
    expect(plan.ringChanges[0]!.configHash).toBe(ringConfigHash(plan.ringChanges[0]!.content));
    expect(formatRingSteps(plan)[1]).toBe(`2. scale-up: grow StatefulSet thanos/${INGESTOR} 3 -> 4`);
  });

  it('4 -> 2: publish the ring without the departing endpoints, wait for readers and flushed heads, then shrink', () => {
    const plan = planRingSteps(render(stackConfig({ ingestors: 4 })), render(stackConfig({ ingestors: 2 })), 'thanos');
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'publish-ring',
      'await-ring-loaded',
      'await-heads-uploaded',
      'scale-down',
      'await-scaled-down',
      'apply-final',
    ]);
    expect(plan.ringChanges[0]!.removed).toEqual([endpoint(2), endpoint(3)]);
    expect(plan.steps.find((s) => s.kind === 'await-heads-uploaded')!.pods!.map((p) => p.name)).toEqual([
      `${INGESTOR}-2`,
      `${INGESTOR}-3`,
    ]);
    expect(plan.steps.find((s) => s.kind === 'scale-down')!.summary).toContain('PersistentVolumeClaims are kept');
    expect(plan.steps.find((s) => s.kind === 'await-scaled-down')!.summary).toContain('cmd/thanos/receive.go');
  });

  it('ingestors without the hashrings file (IngestorOnly): only the router is awaited, and departing ingestors upload on exit', () => {
    const grow = planRingSteps(
      render(stackConfig({ ingestors: 3, ingestorOnly: true })),
      render(stackConfig({ ingestors: 4, ingestorOnly: true })),
      'thanos',
    );
    expect(grow.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'scale-up',
      'await-ready',
      'publish-ring',
      'await-ring-loaded',
      'apply-final',
    ]);
    expect(grow.ringChanges[0]!.readers.map((r) => `${r.kind} ${r.name}`)).toEqual([
      'Deployment thanos-receive-router',
    ]);
    expect(grow.ringChanges[0]!.flushingReaders).toEqual([]);
    expect(grow.warnings.join('\n')).not.toContain(INGESTOR);
    // No ring change reaches the ingestors, so none flushes on it: the departing ones upload their head on exit.
    const shrink = planRingSteps(
      render(stackConfig({ ingestors: 4, ingestorOnly: true })),
      render(stackConfig({ ingestors: 2, ingestorOnly: true })),
      'thanos',
    );
    expect(shrink.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'publish-ring',
      'await-ring-loaded',
      'scale-down',
      'await-scaled-down',
      'apply-final',
    ]);
    expect(shrink.steps.find((s) => s.kind === 'await-ring-loaded')!.summary).toContain(
      'Deployment thanos/thanos-receive-router',
    );
    expect(shrink.steps.find((s) => s.kind === 'await-ring-loaded')!.summary).not.toContain(INGESTOR);
    expect(shrink.steps.find((s) => s.kind === 'await-scaled-down')!.pods!.map((p) => p.name)).toEqual([
      `${INGESTOR}-2`,
      `${INGESTOR}-3`,
    ]);
    // The RF check counts the readers of the ring: the router, at RF 2.
    expect(() =>
      planRingSteps(
        render(stackConfig({ ingestors: 2, ingestorOnly: true })),
        render(stackConfig({ ingestors: 1, ingestorOnly: true })),
        'thanos',
      ),
    ).toThrow(RingBelowReplicationFactorError);
  });

  it('2 -> 3 (the ring was at RF): grows before publishing', () => {
    expect(kinds(stackConfig({ ingestors: 2 }), stackConfig({ ingestors: 3 }))).toEqual([
      'apply-pinned',
      'scale-up',
      'await-ready',
      'publish-ring',
      'await-ring-loaded',
      'apply-final',
    ]);
  });

  it('a ring-only change (router endpoints listed by hand) publishes and waits, no scaling', () => {
    const plan = planRingSteps(
      render(stackConfig({ ingestors: 4, ring: 4 })),
      render(stackConfig({ ingestors: 4, ring: 3 })),
      'thanos',
    );
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'publish-ring',
      'await-ring-loaded',
      'await-heads-uploaded',
      'apply-final',
    ]);
    expect(plan.replicaChanges).toEqual([]);
    expect(plan.ringChanges[0]!.removed).toEqual([endpoint(3)]);
  });

  it('a replicas-only change (ring listed by hand and unchanged) scales without publishing; a shrink under a ring that still names the pods warns', () => {
    expect(kinds(stackConfig({ ingestors: 3, ring: 3 }), stackConfig({ ingestors: 4, ring: 3 }))).toEqual([
      'apply-pinned',
      'scale-up',
      'await-ready',
      'apply-final',
    ]);
    const down = planRingSteps(
      render(stackConfig({ ingestors: 4, ring: 4 })),
      render(stackConfig({ ingestors: 3, ring: 4 })),
      'thanos',
    );
    expect(down.steps.map((s) => s.kind)).toEqual(['apply-pinned', 'scale-down', 'await-scaled-down', 'apply-final']);
    expect(down.warnings.join('\n')).toContain(`the hashring still names ${endpoint(3)}`);
  });

  it('warns that readers without --receive.hashrings-file-refresh-interval may take 5m to load the ring; the option renders the flag', () => {
    const slow = planRingSteps(render(stackConfig({ ingestors: 3 })), render(stackConfig({ ingestors: 4 })), 'thanos');
    expect(slow.warnings.join('\n')).toContain(
      're-read the hashrings file only every 5m after its first ConfigMap update (Thanos v0.42.4 pkg/receive/config.go',
    );
    const fast = (ingestors: number) => {
      const config = stackConfig({ ingestors });
      config.receiveRouter.hashringsFileRefreshInterval = '15s';
      config.receiveIngestor.hashringsFileRefreshInterval = '15s';
      return render(config);
    };
    const set = fast(4);
    expect(
      (find(set, 'Deployment', 'thanos-receive-router')['spec'] as any).template.spec.containers[0].args,
    ).toContain('--receive.hashrings-file-refresh-interval=15s');
    expect((find(set, 'StatefulSet', INGESTOR)['spec'] as any).template.spec.containers[0].args).toContain(
      '--receive.hashrings-file-refresh-interval=15s',
    );
    expect(planRingSteps(fast(3), set, 'thanos').warnings).toEqual([]);
  });

  it('no ingestor or ring change: no steps (one apply as always)', () => {
    const plan = planRingSteps(
      render(stackConfig({ ingestors: 3 })),
      render(stackConfig({ ingestors: 3, storeReplicas: 2 })),
      'thanos',
    );
    expect(plan.steps).toEqual([]);
  });

  it('refuses a ring below the replication factor at any step, naming the ring, the step and the Thanos source', () => {
    const refuse = (base: Config, head: Config) => {
      try {
        planRingSteps(render(base), render(head), 'thanos');
      } catch (error) {
        return error as Error;
      }
      return undefined;
    };
    const down = refuse(stackConfig({ ingestors: 3 }), stackConfig({ ingestors: 1 }));
    expect(down).toBeInstanceOf(RingBelowReplicationFactorError);
    expect(down!.message).toContain(
      'after publishing the ring: ConfigMap thanos/hashring-config hashrings.json: hashring `default` would have 1 endpoint for replication factor 2',
    );
    expect(down!.message).toContain('Thanos v0.42.4, pkg/receive/hashring.go');
    // RF raised to 3 with a ring of 2: the live ring read with the new RF after the first step is already too small.
    const rf = refuse(stackConfig({ ingestors: 2, rf: 2 }), stackConfig({ ingestors: 3, rf: 3 }));
    expect(rf!.message).toContain('after applying the other objects');
    // A ring that already was that small live is not this release's doing: a release that fixes it is planned.
    expect(refuse(stackConfig({ ingestors: 1 }), stackConfig({ ingestors: 2 }))).toBeUndefined();
  });

  it('hashmod ingestors flush on the ring change (await-heads-uploaded); ketama ingestors do not and upload on exit', () => {
    const hashmod = planRingSteps(
      render(stackConfig({ ingestors: 4, flag: 'hashmod' })),
      render(stackConfig({ ingestors: 2, flag: 'hashmod' })),
      'thanos',
    );
    expect(hashmod.ringChanges[0]!.flushingReaders).toEqual([INGESTOR]);
    expect(hashmod.steps.find((s) => s.kind === 'publish-ring')!.summary).toContain(
      'flush their head on the change (Thanos v0.42.4, cmd/thanos/receive.go',
    );
    const ketama = planRingSteps(
      render(stackConfig({ ingestors: 4, flag: 'ketama' })),
      render(stackConfig({ ingestors: 2, flag: 'ketama' })),
      'thanos',
    );
    expect(ketama.ringChanges[0]!.flushingReaders).toEqual([]);
    expect(ketama.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'publish-ring',
      'await-ring-loaded',
      'scale-down',
      'await-scaled-down',
      'apply-final',
    ]);
  });

  it('multiple hashrings: each StatefulSet scales, one file is published once, departing pods of every ring are tracked', () => {
    const up = planRingSteps(
      render(stackConfig({ ingestors: 2, regions: true })),
      render(stackConfig({ ingestors: 3, regions: true })),
      'thanos',
    );
    expect(up.replicaChanges.map((c) => c.name).sort()).toEqual([INGESTOR, 'thanos-receive-ingestor-region-1']);
    expect(
      up.steps
        .find((s) => s.kind === 'await-ready')!
        .pods!.map((p) => p.name)
        .sort(),
    ).toEqual([`${INGESTOR}-2`, 'thanos-receive-ingestor-region-1-2']);
    expect(up.steps.filter((s) => s.kind === 'publish-ring')).toHaveLength(1);
    expect(up.ringChanges).toHaveLength(1);
    expect(up.ringChanges[0]!.added.sort()).toEqual([endpoint(2), endpoint(2, 'thanos-receive-ingestor-region-1')]);
    const down = planRingSteps(
      render(stackConfig({ ingestors: 3, regions: true })),
      render(stackConfig({ ingestors: 2, regions: true })),
      'thanos',
    );
    expect(
      down.steps
        .find((s) => s.kind === 'await-heads-uploaded')!
        .pods!.map((p) => p.name)
        .sort(),
    ).toEqual([`${INGESTOR}-2`, 'thanos-receive-ingestor-region-1-2']);
    expect(ringOf(down.pinned).map((r) => r.endpoints.length)).toEqual([3, 3]);
  });
});

describe("per-zone ingestor StatefulSets (the example's production profile)", () => {
  const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const shipped = (file: string) =>
    render(parse(readFileSync(join(repoRoot, 'examples/stack', file), 'utf8')) as Config);
  // The example's ingestors mount no hashrings file; these cases run them as router-ingestors (kube-thanos's default,
  // the ConfigMap named under common:), which read the ring too, with the router's ketama flag.
  const routerIngestors = (text: string) =>
    text.replace(/^ {2}hashringConfigMapName: ''\n/m, '  hashringsAlgorithm: ketama\n');
  const example = (file: string, edit: (text: string) => string = (t) => t) =>
    render(parse(edit(routerIngestors(readFileSync(join(repoRoot, 'examples/stack', file), 'utf8')))) as Config);
  const zoned = (zone: string) => `${INGESTOR}-${zone}`;
  const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

  it('the example as shipped: its ingestors read no ring, so 3 -> 6 awaits only the router and 6 -> 3 the exits', () => {
    const grow = planRingSteps(shipped('thanos-stack.yaml'), shipped('thanos-stack.next.yaml'), 'thanos');
    expect(grow.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'scale-up',
      'await-ready',
      'publish-ring',
      'await-ring-loaded',
      'apply-final',
    ]);
    expect(grow.ringChanges[0]!.readers.map((r) => `${r.kind} ${r.name}`)).toEqual([
      'Deployment thanos-receive-router',
    ]);
    const shrink = planRingSteps(shipped('thanos-stack.next.yaml'), shipped('thanos-stack.yaml'), 'thanos');
    expect(shrink.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'publish-ring',
      'await-ring-loaded',
      'scale-down',
      'await-scaled-down',
      'apply-final',
    ]);
    expect(shrink.ringChanges[0]!.flushingReaders).toEqual([]);
  });

  it('3 -> 6 over three zones: every zone grows, all new pods are Ready before the one ring publish names them', () => {
    const plan = planRingSteps(example('thanos-stack.yaml'), example('thanos-stack.next.yaml'), 'thanos');
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'scale-up',
      'await-ready',
      'publish-ring',
      'await-ring-loaded',
      'apply-final',
    ]);
    expect(plan.replicaChanges).toEqual(
      zones.map((zone) => ({ namespace: 'thanos', name: zoned(zone), from: 1, to: 2 })),
    );
    expect(plan.steps[2]!.pods!.map((p) => p.name)).toEqual(zones.map((zone) => `${zoned(zone)}-1`));
    expect(plan.ringChanges[0]!.added).toEqual(zones.map((zone) => endpoint(1, zoned(zone))));
    expect(plan.ringChanges[0]!.readers.map((r) => r.name).sort()).toEqual([
      ...zones.map(zoned),
      'thanos-receive-router',
    ]);
  });

  it('6 -> 3: the ring drops one endpoint per zone, readers load it, then every zone shrinks (ketama: flushed on exit)', () => {
    const plan = planRingSteps(example('thanos-stack.next.yaml'), example('thanos-stack.yaml'), 'thanos');
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'publish-ring',
      'await-ring-loaded',
      'scale-down',
      'await-scaled-down',
      'apply-final',
    ]);
    expect(plan.ringChanges[0]!.removed).toEqual(zones.map((zone) => endpoint(1, zoned(zone))));
    expect(plan.steps.find((s) => s.kind === 'scale-down')!.pods!.map((p) => p.name)).toEqual(
      zones.map((zone) => `${zoned(zone)}-1`),
    );
  });

  it('a zone added with the release: its new StatefulSet is created at its replicas and Ready before the ring names it', () => {
    const fourZones = (text: string) =>
      text
        .replace(
          'ingestorZones: [eu-west-1a, eu-west-1b, eu-west-1c]',
          'ingestorZones: [eu-west-1a, eu-west-1b, eu-west-1c, eu-west-1d]',
        )
        .replace(/^ {2}replicas: 3 *$/m, '  replicas: 4');
    const plan = planRingSteps(example('thanos-stack.yaml'), example('thanos-stack.yaml', fourZones), 'thanos');
    expect(plan.replicaChanges).toEqual([]);
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'apply-pinned',
      'await-ready',
      'publish-ring',
      'await-ring-loaded',
      'apply-final',
    ]);
    expect(plan.steps[1]!.pods!.map((p) => p.name)).toEqual([`${zoned('eu-west-1d')}-0`]);
    expect(find(plan.pinned, 'StatefulSet', zoned('eu-west-1d'))).toBeDefined();
    expect(ringOf(plan.pinned)[0]!.endpoints).toHaveLength(3);
  });
});

describe('ring observation', () => {
  it('ringConfigHash is hashAsMetricValue of Thanos v0.42.4 (first 6 bytes of SHA-256, little-endian)', () => {
    // sha256("") = e3b0c44298fc...; bytes e3 b0 c4 42 98 fc little-endian.
    expect(ringConfigHash('')).toBe(0xfc9842c4b0e3);
  });

  it('metricValue reads a sample with or without labels and sums series', () => {
    const text =
      '# HELP thanos_receive_config_hash x\nthanos_receive_config_hash 1.2345e+06\nthanos_shipper_uploads_total{a="1"} 2\nthanos_shipper_uploads_total{a="2"} 3\nthanos_shipper_uploads_total_other 9\n';
    expect(metricValue(text, 'thanos_receive_config_hash')).toBe(1234500);
    expect(metricValue(text, 'thanos_shipper_uploads_total')).toBe(5);
    expect(metricValue(text, 'missing')).toBeUndefined();
  });
});

describe('the order in diff, plan and the PR report', () => {
  const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  it('diff of the example 3 -> 4 lists the ordered steps in markdown, json and unified', async () => {
    // The example without its production profile: one ingestor StatefulSet whose ring grows 3 -> 4.
    const work = mkdtempSync(join(tmpdir(), 'ring-steps-'));
    const withoutProfile = (file: string) =>
      readFileSync(join(repoRoot, 'examples/stack', file), 'utf8').split('\n# Production profile')[0]!;
    writeFileSync(join(work, 'base.yaml'), withoutProfile('thanos-stack.yaml'));
    writeFileSync(
      join(work, 'head.yaml'),
      withoutProfile('thanos-stack.next.yaml').replace(/^ {2}replicas: 6 .*$/m, '  replicas: 4'),
    );
    const args = ['diff', '--base-config', join(work, 'base.yaml'), '--config', join(work, 'head.yaml')];
    const markdown = await runCli(...args, '--format', 'markdown');
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).toContain('#### Order of the apply');
    expect(markdown.stdout).toContain(
      '2. scale-up: grow StatefulSet thanos/thanos-receive-ingestor-default 3 -&#62; 4',
    );
    expect(markdown.stdout.indexOf('3. await-ready')).toBeLessThan(markdown.stdout.indexOf('4. publish-ring'));
    const json = JSON.parse((await runCli(...args, '--format', 'json')).stdout) as { order: { steps: string[] } };
    expect(json.order.steps.map((s) => s.split(':')[0])).toEqual([
      '1. apply-pinned',
      '2. scale-up',
      '3. await-ready',
      '4. publish-ring',
      '5. await-ring-loaded',
      '6. apply-final',
    ]);
    expect((await runCli(...args, '--format', 'unified')).stdout).toContain(
      '# order: 4. publish-ring: publish ConfigMap thanos/hashring-config hashrings.json (+1 endpoint)',
    );
  });

  it('a refused order is a caution in the report; a hostile ring name is escaped', () => {
    // A directory source can carry any hashrings.json: the ring name is free text from the pull request.
    const hostile = (ingestors: number) =>
      render(stackConfig({ ingestors })).map((m) => {
        if (m.object.kind !== 'ConfigMap' || m.object.metadata.name !== 'hashring-config') return m;
        const data = m.object['data'] as Record<string, string>;
        return {
          ...m,
          object: {
            ...m.object,
            data: { 'hashrings.json': data['hashrings.json']!.replace('"default"', '"<!-- hide"') },
          },
        };
      });
    const base = hostile(3);
    const head = hostile(1);
    const diff = { ...analyzeManifestSets(base, head), order: applyOrderFor(base, head, 'thanos')! };
    expect(diff.order.refused).toContain('the ordered ring change is refused');
    const report = renderFullReport(diff, { environment: 'prod' });
    expect(report).toContain('> [!CAUTION]');
    // Inside a code span GitHub shows the text as it is: the comment cannot hide the rest of the report.
    const caution = report.split('\n').find((line) => line.startsWith('> the ordered ring change is refused'))!;
    expect(caution).toContain('hashring <code>&#60;&#33;-- hide</code> would have 1 endpoint');
    expect(caution.replace(/<\/?code>/g, '')).not.toContain('<');
    expect(JSON.parse(renderJsonReport(diff, { environment: 'prod' })).order.refused).toContain('<!-- hide');
    expect(renderUnifiedReport(diff, { environment: 'prod' })).toContain(
      '# order: refused: the ordered ring change is refused',
    );
  });
});
