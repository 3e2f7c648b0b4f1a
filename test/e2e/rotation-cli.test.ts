// `thanos-gitops rotate` as a real process against the real kube-apiserver, with the stack rendered from a stack
// config by the real renderer. No controllers run here, so a background loop plays the Deployment controller
// (status subresource) and the CLI's default rollout wait sees the restart finish.
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { KubeClient } from '../../src/kube/client.js';
import { parseStackConfig } from '../../src/config/index.js';
import { renderStack } from '../../src/render/index.js';
import { CA_CHECKSUM_ANNOTATION } from '../../src/render/tls-objstore-overlay.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';

const ROOT = join(import.meta.dirname, '../..');
let client: KubeClient;
let ns: string;
let tenantNs: string;
let dir: string;
let configFile: string;
let set: ManifestSet;
let kubeconfig: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, KUBECONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function caSecret(): Promise<Record<string, string>> {
  const secret = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'thanos-gitops-ca' });
  return Object.fromEntries(
    Object.entries((secret?.data as Record<string, string>) ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString(),
    ]),
  );
}

type Workload = KubeObject & {
  spec: { replicas?: number; template: { metadata: { annotations?: Record<string, string> } } };
  metadata: KubeObject['metadata'] & { generation?: number; managedFields?: { manager: string; fieldsV1?: unknown }[] };
};

/** Plays the Deployment controller: reports every generation of every Deployment in the namespace as rolled out. */
function driveRolloutStatus(): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const live of (await client.list('apps/v1', 'Deployment', ns)) as Workload[]) {
        const replicas = live.spec.replicas ?? 1;
        if (
          (live.status as { observedGeneration?: number } | undefined)?.observedGeneration !== live.metadata.generation
        ) {
          await client
            .replaceStatus({
              ...live,
              status: {
                observedGeneration: live.metadata.generation,
                replicas,
                updatedReplicas: replicas,
                readyReplicas: replicas,
                availableReplicas: replicas,
              },
            })
            .catch(() => undefined);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

beforeAll(async () => {
  const cluster = testCluster();
  kubeconfig = cluster.adminKubeconfig;
  client = KubeClient.fromFile(kubeconfig);
  ns = await createNamespace(uniqueNamespace('rotation-cli'));
  tenantNs = await createNamespace(uniqueNamespace('rotation-cli-tenants'));
  dir = mkdtempSync(join(tmpdir(), 'rotation-cli-'));
  const example = readFileSync(join(ROOT, '../shared/kube-thanos/example.yaml'), 'utf8').replace(
    'namespace: thanos',
    `namespace: ${ns}`,
  );
  const text = `${example}\ntls:\n  remoteWrite: {tenantCertificateField: organization}\n  grpc: {enabled: true}\n  certificates:\n    tenants: [{id: team-a}]\n  delivery: {namespace: ${tenantNs}}\n`;
  configFile = join(dir, 'stack.yaml');
  writeFileSync(configFile, text);
  set = renderStack(parseStackConfig(text, configFile));
  for (const manifest of set) await client.apply(manifest.object, { fieldManager: 'thanos-gitops', force: true });
});

afterAll(() => {
  client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('thanos-gitops rotate (real process)', () => {
  it('bootstraps every certificate of the config', async () => {
    const result = await cli(['rotate', '--config', configFile, '--kubeconfig', kubeconfig]);
    expect(result.stderr).toMatch(/created CA in Secret/);
    expect(result.code).toBe(0);
    for (const id of ['remote-write', 'grpc', 'tenant:team-a'])
      expect(result.stdout).toContain(`issued ${id} into Secret ${ns}/`);
    expect(result.stdout).toContain(`delivered tenant:team-a to Secret ${tenantNs}/thanos-remote-write-team-a`);
    expect(result.stdout + result.stderr).not.toMatch(/PRIVATE KEY/);
  });

  it('the gRPC certificate works as server and client for the names the router and query dial', async () => {
    const grpc = Object.fromEntries(
      Object.entries(
        (await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'thanos-grpc-tls' }))!
          .data as Record<string, string>,
      ).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    // The router dials the hashring endpoint <pod>.<svc>.<ns>:10901; query verifies the fixed server name.
    for (const servername of [
      `thanos-receive-ingestor-default-0.thanos-receive-ingestor-default.${ns}`,
      `thanos-grpc.${ns}.svc`,
    ]) {
      const server = tls.createServer(
        {
          cert: grpc['tls.crt'],
          key: grpc['tls.key'],
          ca: grpc['ca.crt'],
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.3',
        },
        (socket) => socket.end(`ok ${String(socket.getPeerCertificate().subject?.CN)}\n`),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const answer = await new Promise<string>((resolve, reject) => {
          let data = '';
          const socket = tls.connect({
            host: '127.0.0.1',
            port: (server.address() as AddressInfo).port,
            servername,
            cert: grpc['tls.crt'],
            key: grpc['tls.key'],
            ca: grpc['ca.crt'],
          });
          socket.on('data', (c: Buffer) => (data += c.toString()));
          socket.on('error', reject);
          socket.on('close', () => resolve(data));
        });
        expect(answer).toBe(`ok thanos-grpc.${ns}.svc\n`);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
    expect(
      tls.checkServerIdentity(`thanos-store-0.thanos-store.${ns}`, {
        subjectaltname: new X509Certificate(grpc['tls.crt']!).subjectAltName,
      } as tls.PeerCertificate),
    ).toBeUndefined();
  });

  it('--dry-run --force-ca-rotation says what it would do and writes nothing', async () => {
    const before = (await client.list('v1', 'Secret', ns))
      .map((s) => `${s.metadata.name}@${String(s.metadata.resourceVersion)}`)
      .sort();
    const result = await cli([
      'rotate',
      '--config',
      configFile,
      '--kubeconfig',
      kubeconfig,
      '--dry-run',
      '--force-ca-rotation',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\(dry run\) would rotate the CA \(forced\): ca:generate, ca:publish-bundle/);
    // Each line once: the report on stdout, not also as it happens on stderr.
    const lines = result.stdout.trimEnd().split('\n');
    expect(new Set(lines).size).toBe(lines.length);
    for (const line of lines) expect(result.stderr).not.toContain(line.replace('(dry run) ', ''));
    expect(
      (await client.list('v1', 'Secret', ns))
        .map((s) => `${s.metadata.name}@${String(s.metadata.resourceVersion)}`)
        .sort(),
    ).toEqual(before);
  });

  it('--force-ca-rotation restarts CA readers via an annotation that a later thanos-gitops apply neither reverts nor conflicts with', async () => {
    const before = await caSecret();
    const stop = driveRolloutStatus();
    let result;
    try {
      // With gRPC TLS the query Deployment and the ingestor and store StatefulSets read the bundle too.
      const stsStop = driveStatefulSets();
      try {
        result = await cli([
          'rotate',
          '--config',
          configFile,
          '--kubeconfig',
          kubeconfig,
          '--force-ca-rotation',
          '--propagation-delay',
          '500ms',
          '--rollout-timeout',
          '60s',
        ]);
      } finally {
        await stsStop();
      }
    } finally {
      await stop();
    }
    expect(result.stderr).toMatch(/CA rotation complete/);
    expect(result.code).toBe(0);
    const after = await caSecret();
    expect(after['tls.crt']).not.toBe(before['tls.crt']);
    expect(after['previous.crt']).toBeUndefined();

    const router = (await client.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: ns,
      name: 'thanos-receive-router',
    })) as Workload;
    const checksum = router.spec.template.metadata.annotations?.[CA_CHECKSUM_ANNOTATION];
    expect(checksum).toMatch(/^[0-9a-f]{32}$/);
    const owner = router.metadata.managedFields!.find((f) =>
      JSON.stringify(f.fieldsV1 ?? {}).includes(`f:${CA_CHECKSUM_ANNOTATION}`),
    );
    expect(owner?.manager).toBe('thanos-gitops-rotation');

    // What `thanos-gitops apply` sends: the rendered objects, server-side apply, manager thanos-gitops, no force.
    for (const manifest of set.filter((m) => ['Deployment', 'StatefulSet'].includes(m.object.kind))) {
      await client.apply(manifest.object, { fieldManager: 'thanos-gitops' });
    }
    const reapplied = (await client.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: ns,
      name: 'thanos-receive-router',
    })) as Workload;
    expect(reapplied.spec.template.metadata.annotations?.[CA_CHECKSUM_ANNOTATION]).toBe(checksum);
    expect(reapplied.metadata.generation).toBe(router.metadata.generation);
  });
});

/** Plays the StatefulSet controller for the workloads that read the CA bundle with gRPC TLS. */
function driveStatefulSets(): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const live of (await client.list('apps/v1', 'StatefulSet', ns)) as Workload[]) {
        const replicas = live.spec.replicas ?? 1;
        if (
          (live.status as { observedGeneration?: number } | undefined)?.observedGeneration !== live.metadata.generation
        ) {
          await client
            .replaceStatus({
              ...live,
              status: {
                observedGeneration: live.metadata.generation,
                replicas,
                updatedReplicas: replicas,
                readyReplicas: replicas,
                currentReplicas: replicas,
                availableReplicas: replicas,
              },
            })
            .catch(() => undefined);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}
