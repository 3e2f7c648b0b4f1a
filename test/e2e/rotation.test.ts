// CA rotation and leaf renewal against the real kube-apiserver, with a router-like TLS server and a client that
// handshakes every ~20 ms the whole time. There is no kubelet: the fixture plays it (Secret -> files) and treats a
// change of the checksum annotation on the router Deployment as a pod restart, which is when it re-reads the CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { KubeClient } from '../../src/kube/client.js';
import { withLease } from '../../src/kube/lease.js';
import { applySecurity } from '../../src/render/tls-objstore-overlay.js';
import type { TlsConfigInput } from '../../src/config/tls-objstore-schema.js';
import { rotateTarget, formatRotateReport, type RotateOptions } from '../../src/rotation/rotate.js';
import { CA_STEPS, STATE_ANNOTATION } from '../../src/rotation/pki/index.js';
import { inspectCertificate, isIssuedBy, splitPemBundle } from '../../src/rotation/pki/x509.js';
import { ContinuousClient, goldenIn, handshake, RouterFixture } from './rotation-fixture.js';

let client: KubeClient;
let ns: string;
let tenantNs: string;
let fixture: RouterFixture;
let prometheus: ContinuousClient;
const logs: string[] = [];
const errors: string[] = [];
/** Every private key that ever existed in the test's Secrets: none may appear in any output. */
const privateKeys = new Set<string>();
let tlsConfig: TlsConfigInput;
let target: Parameters<typeof rotateTarget>[1];
let servername: string;

async function secret(namespace: string, name: string): Promise<Record<string, string>> {
  const object = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace, name });
  if (!object) throw new Error(`no Secret ${namespace}/${name}`);
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(object.data as Record<string, string>))
    data[k] = Buffer.from(v, 'base64').toString('utf8');
  return { ...data, __annotations: JSON.stringify(object.metadata.annotations ?? {}) };
}

async function harvestKeys(): Promise<void> {
  for (const namespace of [ns, tenantNs]) {
    for (const item of await client.list('v1', 'Secret', namespace)) {
      for (const [key, value] of Object.entries((item.data as Record<string, string>) ?? {})) {
        if (key === 'tls.key') privateKeys.add(Buffer.from(value, 'base64').toString('utf8'));
      }
    }
  }
}

async function currentCa(): Promise<string> {
  return (await secret(ns, 'thanos-gitops-ca'))['tls.crt']!;
}

function options(extra: Partial<RotateOptions> = {}): RotateOptions {
  return {
    log: (line) => logs.push(line),
    // The rollout is "done" when the fixture restarted with the new checksum (no kubelet, no controllers).
    awaitRollout: () => fixture.awaitRestarted(),
    // The fixture's kubelet syncs every 25 ms; a real one needs up to ~2 minutes (the default).
    propagationDelayMs: 200,
    confirmLeavesInUse: async () => {
      const ca = await currentCa();
      await fixture.awaitServerCertificateFrom(ca);
      await prometheus.awaitHandshakeFrom(ca);
    },
    ...extra,
  };
}

async function run(extra: Partial<RotateOptions> = {}) {
  try {
    const report = await rotateTarget(client, target, options(extra));
    logs.push(formatRotateReport(report));
    return report;
  } catch (error) {
    errors.push(error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error));
    throw error;
  } finally {
    await harvestKeys();
  }
}

beforeAll(async () => {
  const cluster = testCluster();
  client = KubeClient.fromFile(cluster.adminKubeconfig);
  ns = await createNamespace(uniqueNamespace('rotation'));
  tenantNs = await createNamespace(uniqueNamespace('rotation-tenants'));
  tlsConfig = {
    remoteWrite: { tenantCertificateField: 'organization' },
    certificates: { tenants: [{ id: 'team-a' }] },
    delivery: { namespace: tenantNs },
  };
  const set = applySecurity(goldenIn('example', ns), { namespace: ns, tls: tlsConfig });
  for (const manifest of set) await client.apply(manifest.object, { fieldManager: 'thanos-gitops', force: true });
  target = { set, namespace: ns, tls: tlsConfig };
  servername = `thanos-receive-router.${ns}.svc`;
  fixture = new RouterFixture(
    client,
    ns,
    'thanos-receive-router-tls',
    'thanos-gitops-ca-bundle',
    'thanos-receive-router',
  );
  prometheus = new ContinuousClient(client, tenantNs, 'thanos-remote-write-team-a', () => fixture.port, servername);
});

afterAll(async () => {
  await prometheus?.stop();
  await fixture?.stop();
  client?.close();
});

describe('rotation against the real control plane', () => {
  let oldTenant: { cert: string; key: string; ca: string };

  it('bootstraps the CA, the router certificate and the delivered tenant Secret; the handshakes start', async () => {
    const report = await run();
    expect(report.certificates.issued.sort()).toEqual(['remote-write', 'tenant:team-a']);
    expect(report.certificates.delivered).toEqual(['tenant:team-a']);
    const router = await secret(ns, 'thanos-receive-router-tls');
    const tenant = await secret(tenantNs, 'thanos-remote-write-team-a');
    expect(tenant['tls.crt']).toBe((await secret(ns, 'thanos-tenant-team-a'))['tls.crt']);
    expect(inspectCertificate(router['tls.crt']!).dnsNames).toEqual([
      'thanos-receive-router',
      `thanos-receive-router.${ns}`,
      `thanos-receive-router.${ns}.svc`,
      `thanos-receive-router.${ns}.svc.cluster.local`,
    ]);
    await fixture.start();
    prometheus.start();
    await prometheus.awaitHandshakeFrom(await currentCa());
    oldTenant = { cert: tenant['tls.crt']!, key: tenant['tls.key']!, ca: tenant['ca.crt']! };
    expect(fixture.tenants.at(-1)).toBe('team-a');
    // A second run with nothing due writes nothing.
    const again = await run();
    expect(again.certificates.issued).toEqual([]);
    expect(again.certificates.rolled).toEqual([]);
  });

  it('renews leaves without restarting anything (Thanos reloads cert/key files), full CA rotation in between, zero failed handshakes', async () => {
    const restartsBefore = fixture.restarts;
    const firstCa = await currentCa();

    const renewal1 = await run({ forceLeafRenewal: true });
    expect(renewal1.certificates.issued.sort()).toEqual(['remote-write', 'tenant:team-a']);
    expect(renewal1.certificates.rolled).toEqual([]);
    await prometheus.awaitHandshakeFrom(firstCa);
    expect(fixture.restarts).toBe(restartsBefore);

    const rotation = await run({ forceCaRotation: true });
    expect(rotation.certificates.caRotation).toEqual({ completed: true });
    expect(rotation.certificates.rolled).toEqual([
      `Deployment ${ns}/thanos-receive-router`,
      `Deployment ${ns}/thanos-receive-router`,
    ]);
    const secondCa = await currentCa();
    expect(secondCa).not.toBe(firstCa);
    expect(fixture.restarts).toBe(restartsBefore + 2);

    const renewal2 = await run({ forceLeafRenewal: true });
    expect(renewal2.certificates.issued.sort()).toEqual(['remote-write', 'tenant:team-a']);
    await prometheus.awaitHandshakeFrom(secondCa);
    expect(fixture.restarts).toBe(restartsBefore + 2);

    expect(prometheus.failures).toEqual([]);
    expect(prometheus.results.length).toBeGreaterThan(20);
    expect(new Set(fixture.tenants)).toEqual(new Set(['team-a']));

    // Steady state: one CA everywhere, no previous CA kept, state idle.
    const ca = await secret(ns, 'thanos-gitops-ca');
    expect(ca['previous.crt']).toBeUndefined();
    expect(JSON.parse(ca.__annotations!)[STATE_ANNOTATION]).toBe('idle');
    expect(splitPemBundle((await secret(ns, 'thanos-gitops-ca-bundle'))['ca.crt']!)).toHaveLength(1);
    for (const [namespace, name] of [
      [ns, 'thanos-receive-router-tls'],
      [ns, 'thanos-tenant-team-a'],
      [tenantNs, 'thanos-remote-write-team-a'],
    ] as const) {
      const data = await secret(namespace, name);
      expect(isIssuedBy(data['tls.crt']!, secondCa)).toBe(true);
      expect(data['ca.crt']).toBe(secondCa);
    }
  });

  it('refuses a client that still holds a certificate from the dropped CA', async () => {
    expect(isIssuedBy(oldTenant.cert, await currentCa())).toBe(false);
    const current = await secret(tenantNs, 'thanos-remote-write-team-a');
    const refused = await handshake(fixture.port, servername, { ...oldTenant, ca: current['ca.crt']! });
    expect(refused.ok).toBe(false);
    const accepted = await handshake(fixture.port, servername, {
      cert: current['tls.crt']!,
      key: current['tls.key']!,
      ca: current['ca.crt']!,
    });
    expect(accepted.ok).toBe(true);
  });

  it('openssl accepts every issued chain with the right purpose', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotation-openssl-'));
    try {
      const bundle = (await secret(ns, 'thanos-gitops-ca-bundle'))['ca.crt']!;
      writeFileSync(join(dir, 'ca.pem'), bundle);
      for (const [name, purpose] of [
        ['thanos-receive-router-tls', 'sslserver'],
        ['thanos-tenant-team-a', 'sslclient'],
      ] as const) {
        writeFileSync(join(dir, `${name}.pem`), (await secret(ns, name))['tls.crt']!);
        const out = execFileSync(
          'openssl',
          ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', join(dir, 'ca.pem'), join(dir, `${name}.pem`)],
          { encoding: 'utf8' },
        );
        expect(out).toMatch(/: OK/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a crash after every step of a CA rotation (and of a leaf renewal) resumes and converges with no failed handshake', async () => {
    const before = await currentCa();
    const failuresBefore = prometheus.failures.length;
    for (const [index, step] of CA_STEPS.entries()) {
      await expect(
        run({
          forceCaRotation: index === 0,
          afterStep: (done) => {
            if (done === step) throw new Error(`injected crash after ${done}`);
          },
        }),
      ).rejects.toThrow(`injected crash after ${step}`);
      const state = JSON.parse((await secret(ns, 'thanos-gitops-ca')).__annotations!)[STATE_ANNOTATION];
      expect(state).toBe(
        index === CA_STEPS.length - 1
          ? 'idle'
          : ['generated', 'bundle-published', 'trust-rolled', 'leaves-reissued', 'leaves-in-use', 'old-dropped'][index],
      );
    }
    await expect(
      run({
        forceLeafRenewal: true,
        afterStep: (done) => {
          if (done === 'leaf:remote-write') throw new Error('injected crash after leaf:remote-write');
        },
      }),
    ).rejects.toThrow(/injected crash/);
    const converged = await run();
    expect(converged.certificates.caRotation).toBeUndefined();
    const after = await currentCa();
    expect(after).not.toBe(before);
    await prometheus.awaitHandshakeFrom(after);
    expect(prometheus.failures.slice(failuresBefore)).toEqual([]);
    for (const name of ['thanos-receive-router-tls', 'thanos-tenant-team-a'])
      expect(isIssuedBy((await secret(ns, name))['tls.crt']!, after)).toBe(true);
    expect(splitPemBundle((await secret(ns, 'thanos-gitops-ca-bundle'))['ca.crt']!)).toHaveLength(1);
  });

  it('a dry run reports and writes nothing', async () => {
    const versions = async () =>
      (await client.list('v1', 'Secret', ns))
        .map((s) => `${s.metadata.name}@${String(s.metadata.resourceVersion)}`)
        .sort();
    const before = await versions();
    const report = await run({ dryRun: true, forceCaRotation: true });
    expect(formatRotateReport(report)).toMatch(/\(dry run\) would rotate the CA \(forced\)/);
    expect(await versions()).toEqual(before);
  });

  it('issues and delivers a new tenant, and removes the Secrets of a tenant dropped from the config', async () => {
    const withB: TlsConfigInput = { ...tlsConfig, certificates: { tenants: [{ id: 'team-a' }, { id: 'team-b' }] } };
    const original = target;
    target = { ...original, tls: withB };
    const added = await run();
    expect(added.certificates.issued).toEqual(['tenant:team-b']);
    expect(added.certificates.delivered).toEqual(['tenant:team-b']);
    const teamB = await secret(tenantNs, 'thanos-remote-write-team-b');
    // The tenant of this connection (the fixture's other clients handshake concurrently, so the last one seen may be theirs).
    expect(
      await handshake(fixture.port, servername, {
        cert: teamB['tls.crt']!,
        key: teamB['tls.key']!,
        ca: teamB['ca.crt']!,
      }),
    ).toMatchObject({ ok: true, tenant: 'team-b' });

    target = original;
    const preview = await run({ dryRun: true });
    expect(preview.certificates.actions).toEqual([
      `would remove tenant:team-b (no longer in tls.certificates.tenants): Secret ${ns}/thanos-tenant-team-b`,
    ]);
    const removed = await run();
    expect(removed.certificates.actions.join('\n')).toMatch(
      new RegExp(
        `removed tenant:team-b .*deleted Secret ${ns}/thanos-tenant-team-b and ${tenantNs}/thanos-remote-write-team-b; its certificate stays valid until .*: run rotate --force-ca-rotation to revoke it now`,
      ),
    );
    for (const [namespace, name] of [
      [ns, 'thanos-tenant-team-b'],
      [tenantNs, 'thanos-remote-write-team-b'],
    ] as const) {
      expect(await client.get({ apiVersion: 'v1', kind: 'Secret', namespace, name })).toBeUndefined();
    }
    expect(
      await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: tenantNs, name: 'thanos-remote-write-team-a' }),
    ).toBeDefined();
  });

  it('starts a CA rotation by itself once less than caRenewBefore (a third of caDuration) remains', async () => {
    const before = await currentCa();
    const notAfter = inspectCertificate(before).notAfter.getTime();
    const early = await run({ now: () => new Date(notAfter - 130 * 86_400_000) });
    expect(early.certificates.caRotation).toBeUndefined();
    const due = await run({ now: () => new Date(notAfter - 100 * 86_400_000) });
    expect(due.certificates.caRotation).toEqual({ completed: true });
    expect(due.certificates.actions[0]).toMatch(/^CA rotation: CA expires /);
    expect(await currentCa()).not.toBe(before);
    expect(prometheus.failures).toEqual([]);
  });

  it('never interleaves with an apply: it waits for the namespace Lease and fails naming the holder', async () => {
    let acquired!: () => void;
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (acquired = resolve));
    const done = new Promise<void>((resolve) => (release = resolve));
    const apply = withLease(client, ns, 'thanos-gitops-apply/test-holder', async () => {
      acquired();
      await done;
    });
    await holding;
    await expect(run({ lease: { waitTimeoutMs: 300, pollIntervalMs: 50 } })).rejects.toThrow(
      /another thanos-gitops run holds Lease .* \(holder "thanos-gitops-apply\/test-holder"/,
    );
    release();
    await apply;
    await expect(run()).resolves.toMatchObject({ dryRun: false });
  });

  it('never prints a private key (plain or base64) in logs or errors', async () => {
    await prometheus.stop();
    expect(prometheus.failures).toEqual([]);
    expect(privateKeys.size).toBeGreaterThan(6);
    const output = [...logs, ...errors].join('\n');
    expect(output.length).toBeGreaterThan(0);
    for (const key of privateKeys) {
      const body = key.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
      expect(output).not.toContain(body.slice(0, 40));
      expect(output).not.toContain(Buffer.from(key).toString('base64').slice(0, 40));
    }
    expect(output).not.toMatch(/PRIVATE KEY/);
  });
});
