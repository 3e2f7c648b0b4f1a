// The plain-HTTP trap: Thanos serves plain HTTP when its client-CA file holds no certificate. `validate` refuses a
// config or manifest set that would mount such a bundle (tried on the shipped dist/cli).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { caBundleProblem, caBundleRefusals } from '../../src/thanos/ca-bundle.js';
import { createCa } from '../../src/rotation/pki/x509.js';
import { parseStackConfig, ConfigError } from '../../src/config/index.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/index.js');
let dir: string;
let ca: string;

function cli(args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function example(extra: Record<string, unknown>): string {
  const config = parse(readFileSync(join(ROOT, 'examples/stack/thanos-stack.yaml'), 'utf8')) as Record<string, unknown>;
  const file = join(dir, `stack-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ ...config, ...extra }));
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ca-bundle-'));
  ca = (await createCa({ commonName: 'test CA', validityMs: 3_600_000 })).certificate;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('caBundleProblem', () => {
  it('accepts one or more parseable certificates', () => {
    expect(caBundleProblem(ca)).toBeUndefined();
    expect(caBundleProblem(`${ca}${ca}`)).toBeUndefined();
  });

  it('refuses what makes Thanos serve plain HTTP, and bundles that trust less than they say', () => {
    expect(caBundleProblem('')).toBe('it is empty');
    expect(caBundleProblem('  \n')).toBe('it is empty');
    expect(caBundleProblem('type: S3\nconfig: {}\n')).toBe('it holds no PEM block');
    expect(caBundleProblem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toBe(
      'PEM block 1 is not a parseable X.509 certificate',
    );
    expect(caBundleProblem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toBe(
      'PEM block 1 is a PRIVATE KEY, not a CERTIFICATE',
    );
    expect(caBundleProblem(`garbage\n${ca}`)).toMatch(/^it has text outside its PEM blocks/);
  });
});

describe('validate refuses a config or set that would publish an unusable CA bundle (dist/cli)', () => {
  it('refuses an objstore Secret that takes the place of the client-CA bundle', () => {
    // The rendered objstore Secret is then mounted as the router's client CA: YAML, not PEM.
    const file = example({
      tls: { remoteWrite: { tenantCertificateField: 'organization' }, certificates: { tenants: [{ id: 'team-a' }] } },
      common: {
        ...(parse(readFileSync(join(ROOT, 'examples/stack/thanos-stack.yaml'), 'utf8')) as { common: object }).common,
        objectStorageConfig: { name: 'thanos-gitops-ca-bundle', key: 'ca.crt' },
      },
      objectStorage: { type: 'S3', bucket: 'b', endpoint: 's3.eu-west-1.amazonaws.com', region: 'eu-west-1' },
    });
    const run = cli(['validate', '--config', file]);
    expect(run.stderr).toContain('Secret thanos/thanos-gitops-ca-bundle key ca.crt: it holds no PEM block');
    expect(run.stderr).toContain('--remote-write.server-tls-client-ca');
    expect(run.stderr).toContain('plain HTTP');
    expect(run.code).toBe(1);
  });

  it('refuses a manifest directory whose bundle Secret is empty', () => {
    const rendered = join(dir, 'rendered');
    const file = example({ tls: { certificates: { tenants: [{ id: 'team-a' }] } } });
    expect(cli(['render', '--config', file, '--out', rendered]).code).toBe(0);
    writeFileSync(
      join(rendered, 'bundle-secret.yaml'),
      stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'thanos-gitops-ca-bundle', namespace: 'thanos' },
        data: { 'ca.crt': '' },
      }),
    );
    const run = cli(['validate', '--dir', rendered]);
    expect(run.stderr).toContain('Secret thanos/thanos-gitops-ca-bundle key ca.crt: it is empty');
    expect(run.code).toBe(1);
    // The same set with a real bundle validates.
    writeFileSync(
      join(rendered, 'bundle-secret.yaml'),
      stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'thanos-gitops-ca-bundle', namespace: 'thanos' },
        data: { 'ca.crt': Buffer.from(ca).toString('base64') },
      }),
    );
    expect(cli(['validate', '--dir', rendered]).code).toBe(0);
  });

  it('finds the bundle through volume items and ConfigMaps too', () => {
    const set = [
      {
        file: 'd.yaml',
        object: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'r', namespace: 'n' },
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'thanos',
                    args: ['receive', '--grpc-server-tls-client-ca=/ca/bundle.pem'],
                    volumeMounts: [{ name: 'ca', mountPath: '/ca' }],
                  },
                ],
                volumes: [{ name: 'ca', configMap: { name: 'cas', items: [{ key: 'root', path: 'bundle.pem' }] } }],
              },
            },
          },
        },
      },
      {
        file: 'c.yaml',
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'cas', namespace: 'n' },
          data: { root: 'not pem' },
        },
      },
    ];
    expect(caBundleRefusals(set)).toEqual([
      {
        object: 'ConfigMap n/cas',
        key: 'root',
        reader: 'Deployment n/r',
        flag: '--grpc-server-tls-client-ca',
        problem: 'it holds no PEM block',
      },
    ]);
  });

  it('refuses a clientCASecretName shared with a Secret rotation writes other keys to', () => {
    for (const clash of [
      { certificates: { caSecretName: 'shared' } },
      { remoteWrite: { secretName: 'shared' } },
      { grpc: { enabled: true, secretName: 'shared' } },
    ]) {
      const tls = {
        ...clash,
        remoteWrite: { ...(clash as { remoteWrite?: object }).remoteWrite, clientCASecretName: 'shared' },
      };
      const text = stringify({
        ...(parse(readFileSync(join(ROOT, 'examples/stack/thanos-stack.yaml'), 'utf8')) as object),
        tls,
      });
      expect(() => parseStackConfig(text, 'stack.yaml'), JSON.stringify(clash)).toThrow(ConfigError);
      expect(() => parseStackConfig(text, 'stack.yaml')).toThrow(/clientCASecretName 'shared' is also/);
    }
  });
});
