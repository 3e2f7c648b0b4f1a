// The plain-HTTP trap, shown on real Thanos and refused by the shipped CLI against the real kube-apiserver:
// `rotate` never publishes a CA bundle that is empty or unparsable (a corrupted CA Secret mid-rotation), and
// `apply` never writes a set whose bundle Secret is.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { buildTool } from '../helpers/thanos-tools.js';
import { KubeClient } from '../../src/kube/client.js';
import { createCa, issueLeaf } from '../../src/rotation/pki/x509.js';
import { STATE_ANNOTATION } from '../../src/rotation/pki/index.js';
import { cli, exampleConfig } from './thanos-fixture.js';

let dir: string;
let client: KubeClient;
// The bundled example's production profile renders kinds beyond the built-in default apply policy; its own policy allows them.
const EXAMPLE_POLICY = fileURLToPath(new URL('../../examples/stack/apply-policy.yaml', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ca-bundle-refusal-'));
  client = KubeClient.fromFile(testCluster().adminKubeconfig);
});
afterAll(async () => {
  client?.close();
  await rm(dir, { recursive: true, force: true });
});

async function secretData(namespace: string, name: string): Promise<Record<string, string> | undefined> {
  const secret = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace, name });
  if (!secret) return undefined;
  return Object.fromEntries(
    Object.entries((secret.data as Record<string, string>) ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString('utf8'),
    ]),
  );
}

/** Starts `thanos receive` with the given client-CA file content; resolves with what a client without TLS sees. */
async function receiveWithClientCa(
  caContent: string,
): Promise<{ plainHttpStatus: number | undefined; tlsWithoutCertificate: string; log: string }> {
  const thanos = await buildTool('thanos');
  const work = join(dir, `receive-${randomInt(1e9)}`);
  mkdirSync(work, { recursive: true });
  const ca = await createCa({ commonName: 'trap CA', validityMs: 3_600_000 });
  const server = await issueLeaf(ca, {
    subject: { commonName: 'receive' },
    dnsNames: ['receive'],
    usages: ['serverAuth'],
    validityMs: 3_600_000,
  });
  writeFileSync(join(work, 'tls.crt'), server.certificate);
  writeFileSync(join(work, 'tls.key'), server.privateKey);
  writeFileSync(join(work, 'ca.crt'), caContent);
  const ip = `127.${randomInt(16, 250)}.${randomInt(0, 250)}.${randomInt(2, 250)}`;
  const child = spawn(
    thanos,
    [
      'receive',
      `--remote-write.address=${ip}:19291`,
      `--http-address=${ip}:10902`,
      `--grpc-address=${ip}:10901`,
      `--receive.capnproto-address=${ip}:19391`,
      `--tsdb.path=${join(work, 'tsdb')}`,
      '--label=replica="trap"',
      `--remote-write.server-tls-cert=${join(work, 'tls.crt')}`,
      `--remote-write.server-tls-key=${join(work, 'tls.key')}`,
      `--remote-write.server-tls-client-ca=${join(work, 'ca.crt')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  try {
    for (let i = 0; i < 100 && !log.includes('msg="Serving') && !log.includes('Listening'); i++) await sleep(100);
    let plainHttpStatus: number | undefined;
    for (let i = 0; i < 50; i++) {
      try {
        const response = await fetch(`http://${ip}:19291/api/v1/receive`, { method: 'POST', body: '' });
        const text = await response.text();
        // Go's TLS server answers a plain request with 400 "Client sent an HTTP request to an HTTPS server".
        plainHttpStatus = text.includes('HTTPS server') ? -1 : response.status;
        break;
      } catch {
        await sleep(100);
      }
    }
    const tlsWithoutCertificate = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: ip, port: 19291, servername: 'receive', ca: ca.certificate }, () => {
        socket.write('POST /api/v1/receive HTTP/1.1\r\nHost: receive\r\nContent-Length: 0\r\n\r\n');
      });
      let answer = '';
      socket.on('data', (c: Buffer) => (answer += c.toString()));
      socket.on('error', (error) => resolve(`error: ${error.message}`));
      socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
      setTimeout(() => socket.destroy(), 3000);
    });
    return { plainHttpStatus, tlsWithoutCertificate, log };
  } finally {
    child.kill('SIGKILL');
  }
}

describe('the plain-HTTP trap on real Thanos', () => {
  it('an empty client-CA file makes receive serve plain HTTP without an error; a real bundle does not', {
    timeout: 120_000,
  }, async () => {
    const empty = await receiveWithClientCa('');
    expect(empty.plainHttpStatus, empty.log).toBeGreaterThan(0);
    const notPem = await receiveWithClientCa('type: S3\n');
    expect(notPem.plainHttpStatus, notPem.log).toBeGreaterThan(0);
    const real = await receiveWithClientCa(
      (await createCa({ commonName: 'client CA', validityMs: 3_600_000 })).certificate,
    );
    expect(real.plainHttpStatus, real.log).toBe(-1);
    // And with the real bundle a client without a certificate does not get an answer.
    expect(real.tlsWithoutCertificate).not.toMatch(/^HTTP\/1\.1 [2-5]/);
  });
});

describe('rotate and apply refuse an empty or unparsable CA bundle (dist/cli, real kube-apiserver)', () => {
  let ns: string;
  let configFile: string;
  const kubeconfig = () => testCluster().adminKubeconfig;

  beforeAll(async () => {
    ns = await createNamespace(uniqueNamespace('ca-bundle'));
    configFile = join(dir, 'stack.yaml');
    writeFileSync(
      configFile,
      stringify({
        ...exampleConfig(ns),
        tls: { remoteWrite: { tenantCertificateField: 'organization' }, certificates: { tenants: [{ id: 'team-a' }] } },
      }),
    );
    const bootstrap = await cli(['rotate', '--config', configFile, '--kubeconfig', kubeconfig()]);
    expect(bootstrap.code, bootstrap.stderr).toBe(0);
  });

  async function corruptCa(state: string, data: Record<string, string>): Promise<void> {
    const secret = (await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'thanos-gitops-ca' }))!;
    const encoded = { ...(secret.data as Record<string, string>) };
    for (const [key, value] of Object.entries(data)) encoded[key] = Buffer.from(value).toString('base64');
    await client.replace({
      ...secret,
      data: encoded,
      metadata: { ...secret.metadata, annotations: { ...secret.metadata.annotations, [STATE_ANNOTATION]: state } },
    });
  }

  it('rotate refuses to publish a bundle from a CA Secret whose certificate is not PEM (resumed at drop-old)', {
    timeout: 60_000,
  }, async () => {
    const before = await secretData(ns, 'thanos-gitops-ca-bundle');
    await corruptCa('leaves-in-use', { 'tls.crt': 'not a certificate\n' });
    const run = await cli([
      'rotate',
      '--config',
      configFile,
      '--kubeconfig',
      kubeconfig(),
      '--propagation-delay',
      '1s',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `refusing to write CA bundle ${ns}/thanos-gitops-ca-bundle ca.crt: it holds no PEM block`,
    );
    expect(run.stderr).toContain('plain HTTP');
    expect(await secretData(ns, 'thanos-gitops-ca-bundle')).toEqual(before);
  });

  it('rotate refuses a bundle with an unparsable previous CA (resumed at publish-bundle)', {
    timeout: 60_000,
  }, async () => {
    const ca = await createCa({ commonName: 'restored', validityMs: 3_600_000 });
    const before = await secretData(ns, 'thanos-gitops-ca-bundle');
    await corruptCa('generated', {
      'tls.crt': ca.certificate,
      'tls.key': ca.privateKey,
      'previous.crt': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    });
    const run = await cli(['rotate', '--config', configFile, '--kubeconfig', kubeconfig()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('PEM block 1 is not a parseable X.509 certificate');
    expect(await secretData(ns, 'thanos-gitops-ca-bundle')).toEqual(before);
  });

  it('apply refuses a set whose client-CA bundle Secret is empty, before writing anything', {
    timeout: 60_000,
  }, async () => {
    const applyNs = await createNamespace(uniqueNamespace('ca-bundle-apply'));
    const file = join(dir, 'apply.yaml');
    writeFileSync(
      file,
      stringify({ ...exampleConfig(applyNs), tls: { certificates: { tenants: [{ id: 'team-a' }] } } }),
    );
    const rendered = join(dir, 'rendered');
    expect((await cli(['render', '--config', file, '--out', rendered])).code).toBe(0);
    writeFileSync(
      join(rendered, 'thanos-gitops-ca-bundle-secret.yaml'),
      stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'thanos-gitops-ca-bundle', namespace: applyNs },
        data: { 'ca.crt': '' },
      }),
    );
    const run = await cli([
      'apply',
      '--dir',
      rendered,
      '--kubeconfig',
      kubeconfig(),
      '--namespace',
      applyNs,
      '--policy',
      EXAMPLE_POLICY,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Secret ${applyNs}/thanos-gitops-ca-bundle key ca.crt: it is empty`);
    expect(
      await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: applyNs, name: 'thanos-gitops-ca-bundle' }),
    ).toBeUndefined();
    expect(await client.list('apps/v1', 'Deployment', applyNs)).toEqual([]);
  });
});
