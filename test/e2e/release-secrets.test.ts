// Release records against the real kube-apiserver, through the shipped CLI (dist/cli): a record keeps the key names and
// a salted digest of each Secret, never its values, and rollback/reconcile still restore the set correctly: the live
// values are re-applied when they are the recorded ones, and a rollback to values the record no longer has is refused.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { KubeClient, decodeRelease } from '../../src/kube/index.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/index.js');
const PLANTED_V1 = 'planted-release-secret-v1-Tq7';
const PLANTED_V2 = 'planted-release-secret-v2-Wz4';

const cluster = testCluster();
let admin: KubeClient;
let dir: string;

beforeAll(() => {
  admin = KubeClient.fromFile(cluster.adminKubeconfig);
  dir = mkdtempSync(join(tmpdir(), 'tg-release-secrets-'));
});
afterAll(() => {
  admin.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', HOME: dir } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function writeSet(namespace: string, secretValue: string, setting: string): void {
  writeFileSync(
    join(dir, 'secret.yaml'),
    stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'objstore', namespace },
      type: 'Opaque',
      stringData: { 'thanos.yaml': secretValue },
    }),
  );
  writeFileSync(
    join(dir, 'config.yaml'),
    stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace }, data: { setting } }),
  );
}

async function liveSecretValue(namespace: string): Promise<string> {
  const secret = await admin.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: 'objstore' });
  return Buffer.from((secret?.data as Record<string, string>)['thanos.yaml']!, 'base64').toString('utf8');
}

/** Every release record of the namespace, decoded (base64, gzip, JSON), as text. */
async function releaseRecords(namespace: string): Promise<string[]> {
  const secrets = await admin.list('v1', 'Secret', namespace, 'owner=thanos-gitops');
  return secrets
    .filter((secret) => secret.type === 'thanos-gitops.io/release.v1')
    .map((secret) => JSON.stringify(decodeRelease((secret.data as Record<string, string>)['release']!)));
}

describe('release records keep no Secret values (dist/cli against the kube-apiserver)', () => {
  it('records key names and a digest only, rolls back with the live values, and refuses a rollback to values it no longer has', async () => {
    const namespace = await createNamespace(uniqueNamespace('release-secrets'));
    const cluster_ = ['--kubeconfig', cluster.adminKubeconfig, '-n', namespace, '-e', 'test'];

    writeSet(namespace, PLANTED_V1, 'one');
    expect((await cli('apply', '--dir', dir, ...cluster_)).code).toBe(0);
    writeSet(namespace, PLANTED_V1, 'two');
    expect((await cli('apply', '--dir', dir, ...cluster_)).code).toBe(0);

    const records = await releaseRecords(namespace);
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record).not.toContain(PLANTED_V1);
      expect(record).not.toContain(Buffer.from(PLANTED_V1).toString('base64'));
      expect(record).toContain('"keys":["thanos.yaml"]');
    }

    // Nothing drifted: the Secret's live values are the recorded ones (a Secret applied without data would show drift).
    const drift = await cli('reconcile', '--dry-run', ...cluster_);
    expect(drift.stdout + drift.stderr).toMatch(/test: no drift \(2 objects match release revision 2\)/);
    expect(drift.code).toBe(0);

    // Rollback to revision 1: the ConfigMap goes back, the Secret keeps its (unchanged) value.
    const back = await cli('rollback', '1', ...cluster_);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/1 configured/);
    expect(await liveSecretValue(namespace)).toBe(PLANTED_V1);
    const settings = await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'settings' });
    expect((settings?.data as Record<string, string>)['setting']).toBe('one');

    // The Secret changes: revision 1's value is gone from every record, so rolling back to it is refused, untouched.
    writeSet(namespace, PLANTED_V2, 'three');
    expect((await cli('apply', '--dir', dir, ...cluster_)).code).toBe(0);
    const refused = await cli('rollback', '1', ...cluster_);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `cannot restore revision 1: Secret ${namespace}/objstore has other values than that revision, and release records keep no Secret values (only key names: thanos.yaml); deploy the revision's source again instead`,
    );
    expect(await liveSecretValue(namespace)).toBe(PLANTED_V2);
    for (const text of [refused.stdout, refused.stderr, ...(await releaseRecords(namespace))]) {
      expect(text).not.toContain(PLANTED_V1);
      expect(text).not.toContain(PLANTED_V2);
    }

    // Changed out of band: drift names the Secret, and reconcile keeps its live value rather than wiping it.
    await admin.patchMerge(
      { apiVersion: 'v1', kind: 'Secret', namespace, name: 'objstore' },
      { data: { 'thanos.yaml': Buffer.from('out-of-band').toString('base64') } },
    );
    const drifted = await cli('reconcile', '--dry-run', ...cluster_);
    expect(drifted.code).toBe(3);
    expect(drifted.stdout).toContain(`Secret ${namespace}/objstore`);
    expect(drifted.stdout).not.toContain('out-of-band');
    const reconciled = await cli('reconcile', ...cluster_);
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(await liveSecretValue(namespace)).toBe('out-of-band');
  });
});
