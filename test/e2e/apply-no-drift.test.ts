// The first thing an operator does after `apply` is `reconcile --dry-run`: it must say "no drift", and applying the
// same source again must write nothing. Every bundled and golden stack config, and a manifests directory whose
// objects share labels through YAML anchors, go through the CLI against the real kube-apiserver.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { runCli } from '../helpers/cli.js';
import { main } from '../../src/cli/main.js';
import { APPLYSET_PART_OF_LABEL, KubeClient } from '../../src/kube/index.js';
import type { KubeObject } from '../../src/model/objects.js';

// The bundled example's production profile renders kinds beyond the built-in default apply policy; its own policy allows them.
const EXAMPLE_POLICY = fileURLToPath(new URL('../../examples/stack/apply-policy.yaml', import.meta.url));
const cluster = testCluster();
let admin: KubeClient;
let scratch: string;
beforeAll(async () => {
  admin = KubeClient.fromFile(cluster.adminKubeconfig);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'tg-no-drift-'));
});
afterAll(() => admin.close());

/** A copy of a stack config whose objects live in `namespace` instead of `thanos` (test files share the cluster). */
async function configIn(file: string, namespace: string): Promise<string> {
  const text = await readFile(file, 'utf8');
  const moved = text.replace(/^(\s+)namespace: thanos\b/m, `$1namespace: ${namespace}`);
  expect(moved, `${file} names the thanos namespace under common:`).not.toBe(text);
  const copy = path.join(scratch, `${namespace}.yaml`);
  await writeFile(copy, moved);
  return copy;
}

interface Applied {
  writes: number;
  revision?: number;
  objects: Array<{ object: string; action: string }>;
}

async function applyJson(namespace: string, source: string[]): Promise<Applied> {
  const run = await runCli(
    'apply',
    ...source,
    '--kubeconfig',
    cluster.adminKubeconfig,
    '-n',
    namespace,
    '-e',
    'test',
    '--json',
    '--policy',
    EXAMPLE_POLICY,
  );
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Applied;
}

/** Fields holding label selectors and pod template labels, where the ApplySet membership label must never appear. */
function selectorsAndTemplates(object: KubeObject): Array<[string, unknown]> {
  const spec = (object.spec ?? {}) as Record<
    string,
    { matchLabels?: unknown; metadata?: { labels?: unknown } } | Record<string, unknown> | undefined
  >;
  const found: Array<[string, unknown]> = [];
  if (object.kind === 'Service') found.push(['.spec.selector', spec.selector]);
  else {
    const selector = spec.selector as { matchLabels?: unknown } | undefined;
    if (selector) found.push(['.spec.selector.matchLabels', selector.matchLabels]);
    const template = spec.template as { metadata?: { labels?: unknown } } | undefined;
    if (template) found.push(['.spec.template.metadata.labels', template.metadata?.labels]);
  }
  return found;
}

async function expectConverged(namespace: string, source: string[]): Promise<void> {
  const first = await applyJson(namespace, source);
  expect(first.revision).toBe(1);
  expect(first.writes).toBeGreaterThan(0);

  // The membership label is on metadata.labels only: never in a selector or a pod template.
  for (const entry of first.objects) {
    const [kind, ref] = entry.object.split(' ') as [string, string];
    if (!['Deployment', 'StatefulSet', 'Service', 'DaemonSet'].includes(kind)) continue;
    const live = await admin.list(kind === 'Service' ? 'v1' : 'apps/v1', kind, namespace);
    const object = live.find((o) => `${o.metadata.namespace}/${o.metadata.name}` === ref);
    expect(object?.metadata.labels?.[APPLYSET_PART_OF_LABEL], entry.object).toBeDefined();
    for (const [field, labels] of selectorsAndTemplates(object as KubeObject)) {
      expect(Object.keys((labels ?? {}) as object), `${entry.object} ${field}`).not.toContain(APPLYSET_PART_OF_LABEL);
    }
  }

  const drift = await runCli(
    'reconcile',
    '--dry-run',
    '--kubeconfig',
    cluster.adminKubeconfig,
    '-n',
    namespace,
    '-e',
    'test',
  );
  expect(drift.stdout + drift.stderr).toMatch(/^test: no drift \(\d+ objects match release revision 1\)\n$/);
  expect(drift.code).toBe(0);

  const again = await applyJson(namespace, source);
  expect(again.writes).toBe(0);
  expect(again.revision).toBeUndefined();
  expect(again.objects.filter((o) => o.action !== 'unchanged')).toEqual([]);
}

describe('apply, then reconcile --dry-run reports no drift and a re-apply writes nothing', () => {
  const configs = {
    'examples/stack/thanos-stack.yaml': 'examples/stack/thanos-stack.yaml',
    'examples/stack/thanos-stack.next.yaml': 'examples/stack/thanos-stack.next.yaml',
    'kube-thanos example.yaml': '../shared/kube-thanos/example.yaml',
    'kube-thanos all.yaml': '../shared/kube-thanos/all.yaml',
  };
  for (const [name, file] of Object.entries(configs)) {
    it(`stack config ${name}`, async () => {
      const namespace = await createNamespace(uniqueNamespace(`nodrift-${path.basename(file, '.yaml')}`));
      await expectConverged(namespace, ['--config', await configIn(file, namespace)]);
    });
  }

  it('a manifests directory whose labels, selectors and pod templates share one mapping through YAML anchors', async () => {
    const namespace = await createNamespace(uniqueNamespace('nodrift-anchors'));
    const dir = await mkdtemp(path.join(scratch, 'anchors-'));
    await writeFile(
      path.join(dir, 'query.yaml'),
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: thanos-query
  namespace: ${namespace}
  labels: &labels
    app.kubernetes.io/name: thanos-query
    app.kubernetes.io/instance: thanos-query
spec:
  replicas: 1
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: thanos-query
          image: quay.io/thanos/thanos:v0.42.4
          args: [query]
---
apiVersion: v1
kind: Service
metadata:
  name: thanos-query
  namespace: ${namespace}
  labels: &service
    app.kubernetes.io/name: thanos-query
spec:
  selector: *service
  ports:
    - {name: http, port: 9090, targetPort: 9090}
`,
    );
    // A merge key copies the anchored mapping's entries; the pod template shares the mapping itself.
    await writeFile(
      path.join(dir, 'store.yaml'),
      `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: thanos-store
  namespace: ${namespace}
  labels: &store
    app.kubernetes.io/name: thanos-store
spec:
  replicas: 1
  serviceName: thanos-store
  selector:
    matchLabels:
      <<: *store
  template:
    metadata:
      labels: *store
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: thanos-store
          image: quay.io/thanos/thanos:v0.42.4
          args: [store]
`,
    );
    await expectConverged(namespace, ['--dir', dir]);

    // A later reconcile (not only its dry run) succeeds: the selector was never given the membership label.
    const reconciled = await runCli(
      'reconcile',
      '--kubeconfig',
      cluster.adminKubeconfig,
      '-n',
      namespace,
      '-e',
      'test',
    );
    expect(reconciled.stderr).toBe('');
    expect(reconciled.code).toBe(0);
  });
});

describe('progress of apply and plan', () => {
  it('reports every object dry-run and written, as JSON lines when stderr is not a terminal', async () => {
    const namespace = await createNamespace(uniqueNamespace('progress'));
    const config = await configIn('../shared/kube-thanos/example.yaml', namespace);
    const lines: string[] = [];
    const io = { stdout: () => undefined, stderr: (text: string) => lines.push(text), progress: 'json' as const };
    process.env.THANOS_GITOPS_PROGRESS = 'now';
    try {
      const cluster = ['--kubeconfig', testCluster().adminKubeconfig, '-n', namespace, '-e', 'test'];
      expect(await main(['plan', '--config', config, ...cluster], io)).toBe(0);
      expect(await main(['apply', '--config', config, ...cluster], io)).toBe(0);
    } finally {
      delete process.env.THANOS_GITOPS_PROGRESS;
    }
    const events = lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { progress: string; done: number; total: number; current?: string });
    const last = (phase: string) => events.filter((e) => e.progress === phase).at(-1);
    // plan: check + dry-run; apply: check + dry-run + apply (16 objects, all new).
    expect(events.filter((e) => e.progress === 'dry-run' && e.done === e.total && e.total === 16)).toHaveLength(2);
    expect(last('apply')).toMatchObject({ total: expect.any(Number) });
    expect(
      events.filter((e) => e.progress === 'apply' && e.done === e.total).reduce((sum, e) => sum + e.total, 0),
    ).toBe(16);
    expect(last('dry-run')?.current).toMatch(/^\w+ progress-[\w-]+\/thanos-/);
    // Other lines (what apply did) are whole lines, never mixed into a progress line.
    expect(lines.filter((line) => !line.startsWith('{')).every((line) => line.endsWith('\n'))).toBe(true);
  });
});
