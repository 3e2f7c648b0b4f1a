import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { ConfigError, parseStackConfig } from '../../src/config/index.js';
import { renderStack } from '../../src/render/index.js';

const EXAMPLE = readFileSync(join(import.meta.dirname, '../../../shared/kube-thanos/example.yaml'), 'utf8');
let dir: string;

function stack(extra: string, base = EXAMPLE): string {
  const path = join(dir, `stack-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, `${base}\n${extra}\n`);
  return path;
}

const cli = (args: string[]) => runCli(...args);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'security-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TLS = `tls:
  remoteWrite:
    tenantCertificateField: organization
  certificates:
    tenants: [{id: team-a}, {id: team-b, namespace: team-b}]
  delivery:
    namespace: monitoring`;

describe('stack config sections through the real config parser and renderer', () => {
  it('renders the TLS wiring and the objstore Secret from a stack config', () => {
    const config = parseStackConfig(
      `${EXAMPLE}\n${TLS}\nobjectStorage: {type: S3, bucket: b, endpoint: s3.eu-west-1.amazonaws.com, region: eu-west-1, irsaRoleArn: 'arn:aws:iam::123456789012:role/t'}\n`,
      'stack.yaml',
    );
    const set = renderStack(config);
    const router = set.find((m) => m.file === 'thanos-receive-router-deployment.yaml')!.object;
    expect(JSON.stringify(router)).toContain('--receive.tenant-certificate-field=organization');
    expect(set.map((m) => m.file)).toContain('thanos-objectstorage-secret.yaml');
    expect(set.find((m) => m.file === 'thanos-store-serviceAccount.yaml')!.object.metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/t',
    });
  });

  it('names file, line and path when Thanos is too old for the tenant certificate field', () => {
    const old = EXAMPLE.replaceAll('v0.31.0', 'v0.26.0');
    const attempt = () => renderStack(parseStackConfig(`${old}\n${TLS}\n`, 'stack.yaml'));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/stack\.yaml:\d+:\d+.*tls\.remoteWrite\.tenantCertificateField/s);
    expect(attempt).toThrow(/v0\.27\.0 or later/);
  });

  it('names the path of a schema error in the tls section', () => {
    expect(() => parseStackConfig(`${EXAMPLE}\ntls:\n  certificates:\n    duration: 90 days\n`, 'stack.yaml')).toThrow(
      /stack\.yaml:\d+:\d+.*tls\.certificates\.duration/s,
    );
    expect(() =>
      parseStackConfig(
        `${EXAMPLE}\nobjectStorage: {type: S3, bucket: b, endpoint: e, region: r, mode: accessKeys}\n`,
        'stack.yaml',
      ),
    ).toThrow(/objectStorage\.iamUserName.*needs iamUserName/s);
  });
});

describe('thanos-gitops tenant-config', () => {
  it('prints the remote_write block with the delivered Secret paths (tenant from the certificate)', async () => {
    const result = await cli(['tenant-config', 'team-a', '--config', stack(TLS)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^# Tenant team-a: the router reads the tenant from the client certificate's organization\.\n# Mount Secret monitoring\/thanos-remote-write-team-a/,
    );
    expect(parse(result.stdout)).toEqual({
      remote_write: [
        {
          url: 'https://thanos-receive-router.thanos.svc:19291/api/v1/receive',
          tls_config: {
            cert_file: '/etc/prometheus/secrets/thanos-remote-write-team-a/tls.crt',
            key_file: '/etc/prometheus/secrets/thanos-remote-write-team-a/tls.key',
            ca_file: '/etc/prometheus/secrets/thanos-remote-write-team-a/ca.crt',
          },
        },
      ],
    });
  });

  it('uses the tenant namespace override, --url and --cert-dir, and the tenant header without a certificate field', async () => {
    const tls = `tls:\n  certificates:\n    tenants: [{id: team-b, namespace: team-b}]`;
    const result = await cli([
      'tenant-config',
      'team-b',
      '--config',
      stack(tls),
      '--url',
      'https://metrics.example.com/api/v1/receive',
      '--cert-dir',
      '/certs/',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/# Mount Secret team-b\/thanos-remote-write-team-b/);
    expect(parse(result.stdout).remote_write[0]).toEqual({
      url: 'https://metrics.example.com/api/v1/receive',
      tls_config: { cert_file: '/certs/tls.crt', key_file: '/certs/tls.key', ca_file: '/certs/ca.crt' },
      headers: { 'THANOS-TENANT': 'team-b' },
    });
  });

  it('fails clearly for an unknown tenant, a config without tls, and missing arguments', async () => {
    const unknown = await cli(['tenant-config', 'team-z', '--config', stack(TLS)]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/has no tenant 'team-z' \(tenants: team-a, team-b\); add \{id: team-z\}/);
    const noTls = await cli(['tenant-config', 'team-a', '--config', stack('')]);
    expect(noTls.code).toBe(1);
    expect(noTls.stderr).toMatch(/has no tls: section/);
    expect((await cli(['tenant-config', '--config', stack(TLS)])).code).toBe(2);
    expect((await cli(['tenant-config', 'team-a'])).stderr).toMatch(/--config <stack.yaml> is required/);
  });
});

describe('thanos-gitops rotate (arguments)', () => {
  it('requires --config, refuses a config with nothing to rotate and a mismatched --namespace', async () => {
    expect((await cli(['rotate'])).code).toBe(2);
    const nothing = await cli(['rotate', '--config', stack('')]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/neither a tls: nor an objectStorage: section/);
    const mismatch = await cli(['rotate', '--config', stack(TLS), '--namespace', 'other']);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/--namespace other does not match the config, which renders into namespace thanos/);
  });

  it('is listed in --help', async () => {
    const help = await cli(['--help']);
    expect(help.stdout).toMatch(/rotate\s+Issue, renew and rotate/);
    expect(help.stdout).toMatch(/tenant-config\s+Print a tenant's Prometheus remote_write block/);
  });
});
