// Ctrl-C and SIGTERM of the shipped CLI (dist/cli/index.js) in the middle of its work, against the real
// kube-apiserver: the run stops at the next request, records what it wrote as a failed revision, releases the Lease
// at once (not after its 30 s duration) and exits 130/143; the next run goes ahead without waiting and converges.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeClient, LEASE_NAME, ReleaseHistory, SecretReleaseStore, applyManifestSet } from '../../src/kube/index.js';
import type { ManifestSet } from '../../src/model/objects.js';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { runCliProcess, startCli } from '../helpers/cli-process.js';
import { runCli } from '../helpers/cli.js';

let admin: KubeClient;
let kubeconfig: string;
let scratch: string;

beforeAll(() => {
  kubeconfig = testCluster().adminKubeconfig;
  admin = KubeClient.fromFile(kubeconfig);
  scratch = mkdtempSync(join(tmpdir(), 'interrupt-'));
});

afterAll(() => {
  admin?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function writeSet(dir: string, namespace: string, configMaps: number, extra: object[] = []): void {
  mkdirSync(dir, { recursive: true });
  const objects: object[] = [];
  for (let i = 0; i < configMaps; i++)
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}`, namespace },
      data: { 'payload.txt': `${i}:${'x'.repeat(2000)}` },
    });
  objects.push(...extra);
  writeFileSync(join(dir, 'set.yaml'), objects.map((o) => stringify(o)).join('---\n'));
}

async function leaseHolder(namespace: string): Promise<string | undefined> {
  const lease = await admin.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name: LEASE_NAME });
  return (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
}

describe('interrupting the CLI', () => {
  it('SIGINT during apply: exits 130, releases the Lease at once, records one failed revision; the next apply converges without waiting', async () => {
    const ns = await createNamespace(uniqueNamespace('interrupt-apply'));
    const dir = join(scratch, 'apply');
    writeSet(dir, ns, 200);
    const run = startCli(['apply', '--dir', dir, '--kubeconfig', kubeconfig, '-n', ns]);
    await run.waitForStderr(/created ConfigMap/);
    run.child.kill('SIGINT');
    const exit = await run.exited;
    expect(exit.stderr).toMatch(/SIGINT received: stopping at the next safe point/);
    expect(exit.stderr).toMatch(/error: interrupted \(SIGINT\) before ConfigMap/);
    expect(exit.code, exit.stderr).toBe(130);

    // Released, not left for its duration: an empty holder.
    expect(await leaseHolder(ns)).toBe('');
    const history = await new ReleaseHistory(new SecretReleaseStore(admin, ns, 'default')).list();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ revision: 1, status: 'failed' });
    expect(history[0]?.description).toMatch(/interrupted \(SIGINT\)/);
    const written = (await admin.list('v1', 'ConfigMap', ns)).filter((cm) => cm.metadata.name.startsWith('cm-')).length;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(200);

    // --lock-timeout 0s: a Lease still held would fail this run at once.
    const next = await runCliProcess([
      'apply',
      '--dir',
      dir,
      '--kubeconfig',
      kubeconfig,
      '-n',
      ns,
      '--lock-timeout',
      '0s',
    ]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/release revision 2/);
    const again = await runCliProcess(['apply', '--dir', dir, '--kubeconfig', kubeconfig, '-n', ns, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { writes: number }).writes).toBe(0);
    const after = await new ReleaseHistory(new SecretReleaseStore(admin, ns, 'default')).list();
    expect(after.map((r) => `${r.revision}:${r.status}`)).toEqual(['1:failed', '2:deployed']);
  });

  it('SIGTERM during the rollout wait: exits 143 within seconds and releases the Lease', async () => {
    const ns = await createNamespace(uniqueNamespace('interrupt-wait'));
    const dir = join(scratch, 'wait');
    // No controller-manager runs here: the Deployment never rolls out, so apply --wait waits until stopped.
    writeSet(dir, ns, 1, [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'never-ready', namespace: ns },
        spec: {
          selector: { matchLabels: { app: 'never-ready' } },
          template: {
            metadata: { labels: { app: 'never-ready' } },
            spec: {
              securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [{ name: 'c', image: 'registry.invalid/none:1' }],
            },
          },
        },
      },
    ]);
    const run = startCli(['apply', '--dir', dir, '--kubeconfig', kubeconfig, '-n', ns, '--wait', '--timeout', '10m']);
    await run.waitForStderr(/created Deployment/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit.code, exit.stderr).toBe(143);
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(exit.stderr).toMatch(/interrupted \(SIGTERM\) before the rollout wait/);
    expect(await leaseHolder(ns)).toBe('');
    // Everything was written before the wait: that revision stands.
    const history = await new ReleaseHistory(new SecretReleaseStore(admin, ns, 'default')).list();
    expect(history.map((r) => `${r.revision}:${r.status}`)).toEqual(['1:deployed']);
  });

  it('a run stopped after its last write but before recording: the next apply writes no object and records the revision', async () => {
    const ns = await createNamespace(uniqueNamespace('interrupt-record'));
    const configMaps = (value: string): ManifestSet =>
      [0, 1, 2].map((i) => ({
        file: `cm-${i}.yaml`,
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: ns }, data: { value } },
      }));
    const options = { environment: 'default', namespace: ns };
    expect((await applyManifestSet(admin, configMaps('a'), options)).revision).toBe(1);
    // What a SIGKILL between the writes and the record leaves: the objects of the new set, the history of the old one.
    await applyManifestSet(admin, configMaps('b'), { ...options, release: false });
    const history = new ReleaseHistory(new SecretReleaseStore(admin, ns, 'default'));
    expect((await history.deployed())?.manifests.map((m) => m.object.data)).toEqual([
      { value: 'a' },
      { value: 'a' },
      { value: 'a' },
    ]);

    const next = await applyManifestSet(admin, configMaps('b'), options);
    expect(next.objects.every((o) => o.action === 'unchanged')).toBe(true);
    expect(next.revision).toBe(2);
    expect((await history.deployed())?.manifests.map((m) => m.object.data)).toEqual([
      { value: 'b' },
      { value: 'b' },
      { value: 'b' },
    ]);
    const again = await applyManifestSet(admin, configMaps('b'), options);
    expect(again).toMatchObject({ writes: 0 });
    expect(again.revision).toBeUndefined();
  });

  it('apply, reconcile, rollback and rotate document --lease-duration and what a signal does', async () => {
    for (const command of ['apply', 'reconcile', 'rollback', 'rotate']) {
      const help = await runCli(command, '--help');
      expect(help.stdout, command).toContain(
        '--lease-duration <d>      how long the Lease outlives a run killed without clean-up (SIGKILL)',
      );
      expect(help.stdout, command).not.toContain('${');
    }
    expect((await runCli('apply', '--help')).stdout).toContain('exits 130 (SIGINT) or 143 (SIGTERM)');
    expect((await runCli('rotate', '--config', 'x.yaml', '--lease-duration', '0s')).stderr).toMatch(
      /--lease-duration|x\.yaml/,
    );
  });
});
