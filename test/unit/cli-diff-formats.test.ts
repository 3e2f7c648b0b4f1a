// `diff --format markdown|json|unified` (and `--json`) and stack validation in `validate`, on the bundled example.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonReport } from '../../src/diff/index.js';
import { runCli as cli } from '../helpers/cli.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bundledExample = join(repoRoot, 'examples', 'stack', 'thanos-stack.yaml');
const bundledNext = join(repoRoot, 'examples', 'stack', 'thanos-stack.next.yaml');
// The Thanos analysis is pinned on the examples without their production profile (one ingestor StatefulSet, a
// ring of 3 growing to 4), so the numbers below stay those of kube-thanos's own layout, and with its ingestors as
// router-ingestors with the ketama flag (kube-thanos's default: they read the ring file), where the membership and
// algorithm rules have something to say.
let example: string;
let next: string;
const withoutProfile = (text: string) =>
  text
    .slice(0, text.indexOf('\n# Production profile') + 1)
    .replace(/^ {2}hashringConfigMapName: ''\n/m, '  hashringsAlgorithm: ketama\n');
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tg-formats-'));
  example = join(work, 'thanos-stack.yaml');
  next = join(work, 'thanos-stack.next.yaml');
  await writeFile(example, withoutProfile(await readFile(bundledExample, 'utf8')));
  const grown = withoutProfile(await readFile(bundledNext, 'utf8')).replace(/^ {2}replicas: 6 .*$/m, '  replicas: 4');
  if (!grown.includes('  replicas: 4\n'))
    throw new Error('thanos-stack.next.yaml no longer sets receiveIngestor.replicas: 6');
  await writeFile(next, grown);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('thanos-gitops diff --format', () => {
  it('json: objects, risks with source, forecast and capacity; --json is the same', async () => {
    const result = await cli('diff', '--base-config', example, '--config', next, '--format', 'json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.schemaVersion).toBe(1);
    expect(report.counts).toMatchObject({ modified: 3 });
    expect(
      report.objects
        .filter((object) => object.change === 'modified')
        .map((object) => `${object.kind}/${object.name}`)
        .sort(),
    ).toEqual(['ConfigMap/hashring-config', 'Deployment/thanos-query', 'StatefulSet/thanos-receive-ingestor-default']);
    // The example runs ketama with the flag: growing the ring moves few series and flushes no head.
    const membership = report.risks.find((risk) => risk.id === 'hashring-membership')!;
    expect(membership).toMatchObject({ severity: 'medium', object: 'ConfigMap thanos/hashring-config' });
    expect(membership.message).toContain('ketama moves only the series of the 1 changed endpoint (ring of 3 -> 4)');
    expect(membership.message).toContain('keep their heads');
    expect(membership.source).toEqual({
      label: 'Thanos v0.42.4, pkg/receive/hashring.go (lines 696-711)',
      url: 'https://github.com/thanos-io/thanos/blob/v0.42.4/pkg/receive/hashring.go#L696-L711',
    });
    expect(report.forecast).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          object: 'StatefulSet thanos/thanos-receive-ingestor-default',
          effect: 'scaled',
          pods: { base: 3, head: 4 },
        }),
        expect.objectContaining({ object: 'StatefulSet thanos/thanos-receive-ingestor-default', effect: 'reloads' }),
        expect.objectContaining({ object: 'Deployment thanos/thanos-receive-router', effect: 'reloads' }),
        expect.objectContaining({
          object: 'Deployment thanos/thanos-query',
          effect: 'scaled',
          order: '2 → 3',
          pods: { base: 2, head: 3 },
        }),
      ]),
    );
    const ingestors = report.capacity.find((item) => item.component === 'receive ingestor')!;
    expect(ingestors.base).toEqual({
      cpuMillis: 3000,
      memoryBytes: 3 * 4 * 2 ** 30,
      storageBytes: 3 * 50 * 2 ** 30,
      pods: 3,
    });
    expect(ingestors.head).toEqual({
      cpuMillis: 4000,
      memoryBytes: 4 * 4 * 2 ** 30,
      storageBytes: 4 * 50 * 2 ** 30,
      pods: 4,
    });
    expect(report.issues).toEqual([]);

    const shorthand = await cli('diff', '--base-config', example, '--config', next, '--json');
    expect(JSON.parse(shorthand.stdout)).toEqual(report);
  });

  it('markdown (default) shows sources, the restart impact and the capacity tables', async () => {
    const result = await cli('diff', '--base-config', example, '--config', next);
    expect(result.stdout).toContain(
      '> **Source:** [Thanos v0.42.4, pkg/receive/hashring.go (lines 696-711)](https://github.com/thanos-io/thanos/blob/v0.42.4/pkg/receive/hashring.go#L696-L711)',
    );
    expect(result.stdout).toContain('#### Restart impact');
    expect(result.stdout).toContain('| Deployment thanos/thanos-query | 2 → 3 | scaled | 2 → 3 |');
    expect(result.stdout).toContain('#### Requested capacity');
    expect(result.stdout).toContain(
      '| receive ingestor | 3 → 4 (+1) | 3 → 4 (+1) | 12Gi → 16Gi (+4Gi) | 150Gi → 200Gi (+50Gi) |',
    );
  });

  it('unified: a plain diff with # comment lines, no Markdown or HTML', async () => {
    const result = await cli('diff', '--base-config', example, '--config', next, '--format', 'unified');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^# thanos-gitops diff for default: 0 added, 0 removed, 3 modified, \d+ unchanged; \d+ risks?$/,
    );
    expect(lines).toContain('--- a/thanos-receive-ingestor-default-statefulSet.yaml');
    expect(lines).toContain('+++ b/thanos-receive-ingestor-default-statefulSet.yaml');
    expect(result.stdout).toMatch(/^# \[medium\] hashring-membership ConfigMap thanos\/hashring-config: /m);
    expect(result.stdout).not.toMatch(/<details>|\*\*|^\|/m);
    for (const line of lines.filter(Boolean)) expect(line).toMatch(/^(#|---|\+\+\+|@@|[ +-])/);
  });

  it('refuses unknown formats and --max-length outside markdown', async () => {
    expect((await cli('diff', '--base-config', example, '--config', next, '--format', 'html')).code).toBe(2);
    expect((await cli('diff', '--base-config', example, '--config', next, '--json', '--format', 'unified')).code).toBe(
      2,
    );
    expect((await cli('diff', '--base-config', example, '--config', next, '--json', '--max-length', '5000')).code).toBe(
      2,
    );
  });
});

describe('thanos-gitops validate: Thanos stack checks', () => {
  it('the example validates with nothing on stderr', async () => {
    const result = await cli('validate', '--config', bundledExample);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('a ring smaller than RF is an error naming the file, the option, the fix and the source', async () => {
    const config = join(work, 'small-ring.yaml');
    await writeFile(
      config,
      (await readFile(example, 'utf8')).replace(
        '  replicas: 3\n  replicationFactor: 2',
        '  replicas: 1\n  replicationFactor: 2',
      ),
    );
    const result = await cli('validate', '--config', config);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `error: ${config} -> thanos-receive-router-configmap.yaml: receiveIngestor.replicas (or receiveRouter.endpoints) and receiveRouter.replicationFactor: ConfigMap thanos/hashring-config: hashring \`default\` has 1 endpoint but the replication factor is 2: ketama refuses to build a ring`,
    );
    expect(result.stderr).toContain('Fix: give the hashring at least 2 endpoints (receiveIngestor.replicas >= 2)');
    expect(result.stderr).toContain(
      '(Thanos v0.42.4, pkg/receive/hashring.go (lines 149-154), https://github.com/thanos-io/thanos/blob/v0.42.4/pkg/receive/hashring.go#L149-L154)',
    );
    expect(result.stderr).toMatch(/1 error; Thanos would refuse or lose writes with this stack\n$/);
  });

  it('apply refuses a stack with validation errors before it contacts any cluster, unless told to ignore them', async () => {
    const config = join(work, 'small-ring-apply.yaml');
    await writeFile(
      config,
      (await readFile(example, 'utf8')).replace(
        '  replicas: 3\n  replicationFactor: 2',
        '  replicas: 1\n  replicationFactor: 2',
      ),
    );
    const result = await cli(
      'apply',
      '--config',
      config,
      '--kubeconfig',
      join(work, 'no-such-kubeconfig'),
      '--environment',
      'prod',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: ');
    expect(result.stderr).toContain(
      'stack validation found 1 error (above); fix them, or pass --ignore-validation to apply anyway',
    );
    const ignored = await cli(
      'apply',
      '--config',
      config,
      '--kubeconfig',
      join(work, 'no-such-kubeconfig'),
      '--environment',
      'prod',
      '--ignore-validation',
    );
    expect(ignored.stderr).not.toContain('stack validation found');
  });

  it('the example without `replica` in the querier labels and without the flag gets two warnings, exit 0', async () => {
    const config = join(work, 'old-example.yaml');
    await writeFile(
      config,
      (await readFile(example, 'utf8'))
        .replace(
          'replicaLabels: [replica, prometheus_replica, receive_replica]',
          'replicaLabels: [prometheus_replica, receive_replica]',
        )
        .replace(/^ {2}hashringsAlgorithm: ketama.*$/gm, ''),
    );
    const result = await cli('validate', '--config', config);
    expect(result.code).toBe(0);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^warning: .*query\.replicaLabels: Deployment thanos\/thanos-query: .*RF 2 stores every series 2 times: queries return every copy/,
    );
    expect(lines[1]).toMatch(
      /^warning: .*receiveIngestor\.hashringsAlgorithm: .*runs --receive\.hashrings-algorithm=hashmod/,
    );
  });
});
