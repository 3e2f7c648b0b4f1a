// What thanos-gitops reads is what it renders, diffs, validates and sends: against the real kube-apiserver.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { runCli } from '../helpers/cli.js';
import { KubeClient } from '../../src/kube/index.js';
import { objectProblem } from '../../src/model/object-problem.js';
import type { KubeObject } from '../../src/model/objects.js';

const cluster = testCluster();
let admin: KubeClient;
beforeAll(() => {
  admin = KubeClient.fromFile(cluster.adminKubeconfig);
});
afterAll(() => admin.close());

describe('a `__proto__` key is data', () => {
  it('apply sends it, render and plan show it, and a re-apply, plan and reconcile --dry-run agree that nothing changed', async () => {
    const namespace = await createNamespace(uniqueNamespace('proto-key'));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'proto-key-'));
    await writeFile(
      path.join(dir, 'cm.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: ${namespace}}\ndata:\n  __proto__: planted\n  constructor: also-data\n`,
    );
    const cli = (...args: string[]) =>
      runCli(...args, '--kubeconfig', cluster.adminKubeconfig, '-n', namespace, '-e', 'test');

    const plan = await cli('plan', '--dir', dir);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^\+\s+__proto__: planted$/m);
    const applied = await cli('apply', '--dir', dir, '--json');
    expect(applied.code, applied.stderr).toBe(0);
    const live = await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'settings' });
    expect(Object.entries((live?.data ?? {}) as Record<string, string>)).toEqual([
      ['__proto__', 'planted'],
      ['constructor', 'also-data'],
    ]);

    const again = await cli('apply', '--dir', dir, '--json');
    expect((JSON.parse(again.stdout) as { writes: number }).writes).toBe(0);
    const replan = await cli('plan', '--dir', dir, '--json');
    expect(replan.code, replan.stderr).toBe(0);
    expect((JSON.parse(replan.stdout) as { diff: { counts: unknown } }).diff.counts).toEqual({
      added: 0,
      removed: 0,
      modified: 0,
      unchanged: 1,
    });
    const drift = await cli('reconcile', '--dry-run');
    expect(drift.stdout).toBe('test: no drift (1 objects match release revision 1)\n');
    expect(drift.code).toBe(0);
  });
});

describe('object names: validate refuses exactly what the API server refuses', () => {
  const podSpec = { containers: [{ name: 'c', image: 'quay.io/thanos/thanos:v0.42.4' }] };
  const objects = (name: string, namespace: string): KubeObject[] => [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { ports: [{ name: 'http', port: 9090 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: podSpec } },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name, namespace },
      spec: {
        serviceName: 's',
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: podSpec },
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, namespace },
      spec: { maxUnavailable: 1, selector: { matchLabels: { a: 'b' } } },
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules: [] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules: [] },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name, namespace },
      spec: { selector: {}, endpoints: [] },
    },
  ];
  const names = [
    'thanos-query',
    'thanos.query',
    'Thanos',
    '9-query',
    'query-',
    'system:thanos',
    'a%b',
    '..',
    '../secrets/x',
    'x'.repeat(63),
    'x'.repeat(64),
    `${'x'.repeat(63)}.${'y'.repeat(63)}`,
  ];

  it('for every kind thanos-gitops renders and a set of edge-case names', async () => {
    const namespace = await createNamespace(uniqueNamespace('names'));
    const verdicts: string[] = [];
    const expected: string[] = [];
    for (const name of names) {
      for (const object of objects(name, namespace)) {
        const ours = objectProblem(object) === undefined ? 'accepted' : 'refused';
        // Create (the name travels in the body, not the URL) as a server-side dry run: validated, never stored.
        const server = await admin.create(object, { dryRun: true }).then(
          () => 'accepted',
          (error: Error) => {
            if (!/\b(422|400|404)\b|invalid|Invalid|not found/.test(error.message)) throw error;
            return 'refused';
          },
        );
        verdicts.push(`${object.kind} ${JSON.stringify(name)}: ${ours}`);
        expected.push(`${object.kind} ${JSON.stringify(name)}: ${server}`);
      }
    }
    expect(verdicts).toEqual(expected);
  });

  it('a namespace name the API server refuses is refused', async () => {
    for (const namespace of ['thanos', 'Thanos', 'thanos.prod', '-thanos']) {
      const ours =
        objectProblem({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace } }) === undefined
          ? 'accepted'
          : 'refused';
      const server = await admin
        .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { dryRun: true })
        .then(
          () => 'accepted',
          () => 'refused',
        );
      expect(`${namespace}: ${ours}`).toBe(`${namespace}: ${server}`);
    }
  });
});
