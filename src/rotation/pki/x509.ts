// reflect-metadata must load before @peculiar/x509: its ASN.1 schemas are declared with decorators.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, randomBytes, webcrypto, X509Certificate as NodeX509Certificate } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Certificates start a little in the past so nodes with a slightly slow clock accept them at once. */
const BACKDATE_MS = 5 * 60_000;

/** A certificate and its private key, both PEM. The key is PKCS#8 ("PRIVATE KEY"), which Go and OpenSSL load. */
export interface CertificateAndKey {
  certificate: string;
  privateKey: string;
}

export interface SubjectFields {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
}

export interface LeafOptions {
  subject: SubjectFields;
  dnsNames: string[];
  usages: ('serverAuth' | 'clientAuth')[];
  validityMs: number;
  now?: Date;
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive INTEGER
  if (bytes[0] === 0) bytes[0] = 1; // and no leading zero byte
  return bytes.toString('hex');
}

function jsonName(subject: SubjectFields): x509.JsonName {
  // Most significant first (O, OU, CN) as OpenSSL and Go print it; one RDN per attribute.
  const name: x509.JsonName = [];
  if (subject.organization) name.push({ O: [subject.organization] });
  if (subject.organizationalUnit) name.push({ OU: [subject.organizationalUnit] });
  name.push({ CN: [subject.commonName] });
  return name;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  let der: ArrayBuffer;
  try {
    der = x509.PemConverter.decodeFirst(pem);
  } catch {
    throw new Error(
      'the CA private key is not PEM: re-create the CA Secret (thanos-gitops rotate --force-ca-rotation)',
    );
  }
  return (await webcrypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign'])) as CryptoKey;
}

function pem(certificate: x509.X509Certificate): string {
  return `${certificate.toString('pem')}\n`;
}

/** A self-signed ECDSA P-256 CA (path length 0: it signs leaves only). */
export async function createCa(options: {
  commonName: string;
  validityMs: number;
  now?: Date;
}): Promise<CertificateAndKey> {
  const now = options.now ?? new Date();
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: jsonName({ commonName: options.commonName }),
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + options.validityMs),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate: pem(certificate), privateKey: await privateKeyPem(keys.privateKey) };
}

/** A leaf signed by the CA, always with a freshly generated key. */
export async function issueLeaf(ca: CertificateAndKey, options: LeafOptions): Promise<CertificateAndKey> {
  const now = options.now ?? new Date();
  const caCertificate = new x509.X509Certificate(ca.certificate);
  const signingKey = await importSigningKey(ca.privateKey);
  const keys = await generateKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(
      options.usages.map((u) => x509.ExtendedKeyUsage[u]),
      false,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCertificate),
  ];
  if (options.dnsNames.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(options.dnsNames.map((value) => ({ type: 'dns' as const, value }))),
    );
  }
  const notAfter = Math.min(now.getTime() + options.validityMs, caCertificate.notAfter.getTime());
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: jsonName(options.subject),
    issuer: caCertificate.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey,
    extensions,
  });
  return { certificate: pem(certificate), privateKey: await privateKeyPem(keys.privateKey) };
}

/** Splits a PEM bundle into its certificates (in order). */
export function splitPemBundle(bundle: string): string[] {
  return [...bundle.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

/** What rotation needs to know about a certificate. */
export interface CertificateInfo {
  notBefore: Date;
  notAfter: Date;
  subject: string;
  issuer: string;
  dnsNames: string[];
  /** SHA-256 of the DER, hex. */
  fingerprint: string;
  serialNumber: string;
  isCa: boolean;
}

export function inspectCertificate(certificatePem: string): CertificateInfo {
  const cert = new NodeX509Certificate(certificatePem);
  const dnsNames = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  return {
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    subject: cert.subject,
    issuer: cert.issuer,
    dnsNames,
    fingerprint: createHash('sha256').update(cert.raw).digest('hex'),
    serialNumber: cert.serialNumber,
    isCa: cert.ca,
  };
}

/** True when `certificatePem` was signed by the key of `caPem` (not merely a matching issuer name). */
export function isIssuedBy(certificatePem: string, caPem: string): boolean {
  try {
    const cert = new NodeX509Certificate(certificatePem);
    const ca = new NodeX509Certificate(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** A stable short digest of a PEM bundle, used as the pod-template checksum that restarts CA readers. */
export function bundleChecksum(bundle: string): string {
  const fingerprints = splitPemBundle(bundle).map((p) => inspectCertificate(p).fingerprint);
  return createHash('sha256').update(fingerprints.join(',')).digest('hex').slice(0, 32);
}
