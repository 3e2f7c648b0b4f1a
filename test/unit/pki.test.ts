import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundleChecksum,
  createCa,
  inspectCertificate,
  isIssuedBy,
  issueLeaf,
  splitPemBundle,
  type CertificateAndKey,
} from '../../src/rotation/pki/x509.js';
import { leafProblem } from '../../src/rotation/pki/index.js';
import type { LeafRequest } from '../../src/rotation/security-plan.js';
import type { LiveSecret } from '../../src/rotation/secrets.js';

const HOUR = 3_600_000;
let dir: string;
let ca: CertificateAndKey;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pki-test-'));
  ca = await createCa({ commonName: 'thanos-gitops CA test', validityMs: 365 * 24 * HOUR });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Debian's openssl is the independent judge of every chain. */
function opensslVerify(caPem: string, leafPem: string, purpose?: 'sslserver' | 'sslclient'): string {
  const purposeArgs = purpose ? ['-purpose', purpose] : [];
  return execFileSync(
    'openssl',
    ['verify', '-x509_strict', ...purposeArgs, '-CAfile', file('ca.pem', caPem), file('leaf.pem', leafPem)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

function opensslText(pem: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-text', '-in', file('inspect.pem', pem)], { encoding: 'utf8' });
}

const router: LeafRequest = {
  id: 'remote-write',
  secretName: 'thanos-receive-router-tls',
  namespace: 'thanos',
  commonName: 'thanos-receive-router',
  dnsNames: ['thanos-receive-router', 'thanos-receive-router.thanos', 'thanos-receive-router.thanos.svc'],
  usages: ['serverAuth'],
};

describe('CA', () => {
  it('is a self-signed ECDSA P-256 CA that openssl accepts', () => {
    const text = opensslText(ca.certificate);
    expect(text).toMatch(/Public Key Algorithm: id-ecPublicKey/);
    expect(text).toMatch(/NIST CURVE: P-256/);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(opensslVerify(ca.certificate, ca.certificate)).toMatch(/OK/);
    expect(ca.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });
});

describe('leaves', () => {
  it('server certificate: exact SANs, serverAuth only, verified by openssl against the CA', async () => {
    const leaf = await issueLeaf(ca, {
      subject: { commonName: router.commonName },
      dnsNames: router.dnsNames,
      usages: ['serverAuth'],
      validityMs: 90 * 24 * HOUR,
    });
    expect(opensslVerify(ca.certificate, leaf.certificate, 'sslserver')).toMatch(/: OK/);
    expect(() => opensslVerify(ca.certificate, leaf.certificate, 'sslclient')).toThrow();
    const text = opensslText(leaf.certificate);
    expect(text).toMatch(/Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(inspectCertificate(leaf.certificate).dnsNames).toEqual(router.dnsNames);
    // Go (Thanos) and OpenSSL check host names against SANs, not the CN.
    const x509 = new X509Certificate(leaf.certificate);
    expect(x509.checkHost('thanos-receive-router.thanos.svc')).toBe('thanos-receive-router.thanos.svc');
    expect(x509.checkHost('thanos-receive-router.other.svc')).toBeUndefined();
  });

  it('wildcard SANs cover the short <pod>.<svc>.<ns> names', async () => {
    const leaf = await issueLeaf(ca, {
      subject: { commonName: 'grpc' },
      dnsNames: ['*.thanos-receive-ingestor-default.thanos'],
      usages: ['serverAuth', 'clientAuth'],
      validityMs: HOUR,
    });
    expect(
      new X509Certificate(leaf.certificate).checkHost(
        'thanos-receive-ingestor-default-7.thanos-receive-ingestor-default.thanos',
      ),
    ).toBeDefined();
    expect(opensslVerify(ca.certificate, leaf.certificate, 'sslserver')).toMatch(/OK/);
    expect(opensslVerify(ca.certificate, leaf.certificate, 'sslclient')).toMatch(/OK/);
  });

  it.each([
    [
      'organization',
      { commonName: 'thanos-tenant-team-a', organization: 'team-a' },
      /Subject: O = team-a, CN = thanos-tenant-team-a/,
    ],
    [
      'organizationalUnit',
      { commonName: 'thanos-tenant-team-a', organizationalUnit: 'team-a' },
      /Subject: OU = team-a, CN = thanos-tenant-team-a/,
    ],
    ['commonName', { commonName: 'team-a' }, /Subject: CN = team-a\n/],
  ] as const)('tenant certificate carries the tenant in %s, clientAuth only', async (_field, subject, pattern) => {
    const leaf = await issueLeaf(ca, { subject, dnsNames: [], usages: ['clientAuth'], validityMs: HOUR });
    expect(opensslVerify(ca.certificate, leaf.certificate, 'sslclient')).toMatch(/OK/);
    expect(() => opensslVerify(ca.certificate, leaf.certificate, 'sslserver')).toThrow();
    const text = opensslText(leaf.certificate);
    expect(text).toMatch(pattern);
    expect(text).toMatch(/Extended Key Usage: \n\s+TLS Web Client Authentication\n/);
    expect(text).not.toMatch(/Subject Alternative Name/);
  });

  it('every issuance has a fresh key and serial, and never outlives its CA', async () => {
    const a = await issueLeaf(ca, {
      subject: { commonName: 'x' },
      dnsNames: [],
      usages: ['clientAuth'],
      validityMs: HOUR,
    });
    const b = await issueLeaf(ca, {
      subject: { commonName: 'x' },
      dnsNames: [],
      usages: ['clientAuth'],
      validityMs: HOUR,
    });
    expect(a.privateKey).not.toBe(b.privateKey);
    expect(inspectCertificate(a.certificate).serialNumber).not.toBe(inspectCertificate(b.certificate).serialNumber);
    const long = await issueLeaf(ca, {
      subject: { commonName: 'x' },
      dnsNames: [],
      usages: ['clientAuth'],
      validityMs: 10 * 365 * 24 * HOUR,
    });
    expect(inspectCertificate(long.certificate).notAfter.getTime()).toBeLessThanOrEqual(
      inspectCertificate(ca.certificate).notAfter.getTime(),
    );
  });

  it('a leaf of another CA is not trusted (by us or by openssl)', async () => {
    const other = await createCa({ commonName: 'other', validityMs: HOUR });
    const leaf = await issueLeaf(other, {
      subject: { commonName: 'x' },
      dnsNames: ['x'],
      usages: ['serverAuth'],
      validityMs: HOUR,
    });
    expect(isIssuedBy(leaf.certificate, ca.certificate)).toBe(false);
    expect(isIssuedBy(leaf.certificate, other.certificate)).toBe(true);
    expect(() => opensslVerify(ca.certificate, leaf.certificate, 'sslserver')).toThrow();
    // A bundle of both CAs trusts it: that is the overlap window of a CA rotation.
    expect(opensslVerify(`${ca.certificate}${other.certificate}`, leaf.certificate, 'sslserver')).toMatch(/OK/);
  });
});

describe('renewal decisions', () => {
  async function secretFor(leaf: LeafRequest, issuer = ca, validityMs = 90 * 24 * HOUR): Promise<LiveSecret> {
    const issued = await issueLeaf(issuer, {
      subject: { commonName: leaf.commonName },
      dnsNames: leaf.dnsNames,
      usages: leaf.usages,
      validityMs,
    });
    return {
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': issued.certificate, 'tls.key': issued.privateKey, 'ca.crt': issuer.certificate },
      annotations: {},
      labels: {},
    };
  }
  const renewBefore = 30 * 24 * HOUR;

  it('keeps a fresh leaf', async () => {
    expect(leafProblem(await secretFor(router), router, ca.certificate, renewBefore, new Date())).toBeUndefined();
  });
  it('renews when less than renewBefore remains (default a third of the lifetime)', async () => {
    const secret = await secretFor(router);
    expect(leafProblem(secret, router, ca.certificate, renewBefore, new Date(Date.now() + 61 * 24 * HOUR))).toMatch(
      /^expires /,
    );
    expect(
      leafProblem(secret, router, ca.certificate, renewBefore, new Date(Date.now() + 59 * 24 * HOUR)),
    ).toBeUndefined();
  });
  it('re-issues when missing, from another CA, with a mismatched key, or with changed names', async () => {
    expect(leafProblem(undefined, router, ca.certificate, renewBefore, new Date())).toBe('missing');
    const other = await createCa({ commonName: 'other', validityMs: 365 * 24 * HOUR });
    expect(leafProblem(await secretFor(router, other), router, ca.certificate, renewBefore, new Date())).toBe(
      'issued by another CA',
    );
    const a = await secretFor(router);
    const b = await secretFor(router);
    expect(
      leafProblem(
        { ...a, data: { ...a.data, 'tls.key': b.data['tls.key']! } },
        router,
        ca.certificate,
        renewBefore,
        new Date(),
      ),
    ).toBe('key does not match certificate');
    expect(
      leafProblem(
        a,
        { ...router, dnsNames: [...router.dnsNames, 'metrics.example.com'] },
        ca.certificate,
        renewBefore,
        new Date(),
      ),
    ).toBe('DNS names changed');
  });
});

describe('bundles', () => {
  it('splits PEM bundles and checksums them by content', async () => {
    const other = await createCa({ commonName: 'other', validityMs: HOUR });
    const bundle = `${ca.certificate}${other.certificate}`;
    expect(splitPemBundle(bundle)).toHaveLength(2);
    expect(bundleChecksum(bundle)).toMatch(/^[0-9a-f]{32}$/);
    expect(bundleChecksum(bundle)).not.toBe(bundleChecksum(ca.certificate));
    expect(bundleChecksum(bundle)).toBe(bundleChecksum(bundle.replace(/\n/g, '\r\n')));
  });
});
