import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type { LeafRequest } from '../security-plan.js';
import { CERTIFICATE_ANNOTATION, readSecret, writeSecret, type LiveSecret, type SecretContent } from '../secrets.js';
import type { PkiContext } from './context.js';
import { assertBundle } from './trust-bundle.js';
import { inspectCertificate, isIssuedBy, issueLeaf, type CertificateAndKey } from './x509.js';

// Leaf certificates: when one must be re-issued, issuing it into its Secret, the ca.crt they carry, delivery of tenant
// Secrets to the namespaces that use them, and removal of tenants no longer configured.

const DELIVERED_ANNOTATION = 'thanos-gitops.io/delivered-to';

function expectedSubject(leaf: LeafRequest): string {
  const subject = { commonName: leaf.commonName, ...leaf.subject };
  return [
    subject.organization && `O=${subject.organization}`,
    subject.organizationalUnit && `OU=${subject.organizationalUnit}`,
    `CN=${subject.commonName}`,
  ]
    .filter(Boolean)
    .join('\n');
}

function keyMatches(certificate: string, privateKey: string): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey(privateKey)).export({ type: 'spki', format: 'der' });
    const fromCert = new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}

/** Why a leaf Secret must be re-issued, or undefined when it is fine. */
export function leafProblem(
  secret: LiveSecret | undefined,
  leaf: LeafRequest,
  caCertificate: string,
  renewBeforeMs: number,
  now: Date,
): string | undefined {
  const certificate = secret?.data['tls.crt'];
  const key = secret?.data['tls.key'];
  if (!certificate || !key) return 'missing';
  let info: ReturnType<typeof inspectCertificate>;
  try {
    info = inspectCertificate(certificate);
  } catch {
    return 'unreadable certificate';
  }
  if (!isIssuedBy(certificate, caCertificate)) return 'issued by another CA';
  if (!keyMatches(certificate, key)) return 'key does not match certificate';
  if (info.notAfter.getTime() - now.getTime() < renewBeforeMs) return `expires ${info.notAfter.toISOString()}`;
  const want = [...leaf.dnsNames].sort().join(',');
  if ([...info.dnsNames].sort().join(',') !== want) return 'DNS names changed';
  if (info.subject !== expectedSubject(leaf)) return 'subject changed';
  return undefined;
}

/** Why the leaf's Secret must be re-issued from the CA now (forced renewal included), or undefined. */
export async function leafDue(
  context: PkiContext,
  leaf: LeafRequest,
  caCertificate: string,
  now: Date,
): Promise<{ secret: LiveSecret | undefined; problem: string | undefined }> {
  const secret = await readSecret(context.client, leaf.namespace, leaf.secretName);
  return {
    secret,
    problem: context.options.forceLeafRenewal
      ? 'forced'
      : leafProblem(secret, leaf, caCertificate, context.lifetimes.leafRenewBefore, now),
  };
}

function leafSecretContent(
  leaf: LeafRequest,
  issued: CertificateAndKey,
  bundle: string,
  namespace = leaf.namespace,
  name = leaf.secretName,
): SecretContent {
  return {
    namespace,
    name,
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': issued.certificate, 'tls.key': issued.privateKey, 'ca.crt': bundle },
    labels: { 'thanos-gitops.io/role': leaf.tenant ? 'tenant' : 'server' },
    annotations: {
      [CERTIFICATE_ANNOTATION]: leaf.id,
      // Where the copy went, so removing the tenant from the config can remove the copy too.
      ...(leaf.tenant?.deliverTo
        ? { [DELIVERED_ANNOTATION]: `${leaf.tenant.deliverTo.namespace}/${leaf.tenant.deliverTo.secretName}` }
        : {}),
    },
  };
}

/** The leaf's Secret and, for a delivered tenant, its copy. */
function leafPlaces(leaf: LeafRequest): [string, string][] {
  const places: [string, string][] = [[leaf.namespace, leaf.secretName]];
  if (leaf.tenant?.deliverTo) places.push([leaf.tenant.deliverTo.namespace, leaf.tenant.deliverTo.secretName]);
  return places;
}

export async function issueLeafSecret(
  context: PkiContext,
  leaf: LeafRequest,
  ca: CertificateAndKey,
  bundle: string,
  reason: string,
): Promise<void> {
  assertBundle(context, bundle, `ca.crt of ${leaf.namespace}/${leaf.secretName}`);
  const issued = await issueLeaf(ca, {
    subject: { commonName: leaf.commonName, ...leaf.subject },
    dnsNames: leaf.dnsNames,
    usages: leaf.usages,
    validityMs: context.lifetimes.leaf,
    now: new Date(),
  });
  await writeSecret(context.client, leafSecretContent(leaf, issued, bundle));
  const info = inspectCertificate(issued.certificate);
  context.report.issued.push(leaf.id);
  context.log(
    `issued ${leaf.id} into Secret ${leaf.namespace}/${leaf.secretName} (${reason}; serial ${info.serialNumber}, valid until ${info.notAfter.toISOString()})`,
  );
}

/** Rewrites ca.crt of an existing leaf Secret (and its delivered copy), keeping its certificate and key. */
export async function setLeafBundle(context: PkiContext, leaf: LeafRequest, bundle: string): Promise<void> {
  assertBundle(context, bundle, `ca.crt of ${leaf.namespace}/${leaf.secretName}`);
  for (const [namespace, name] of leafPlaces(leaf)) {
    const live = await readSecret(context.client, namespace, name);
    const certificate = live?.data['tls.crt'];
    const privateKey = live?.data['tls.key'];
    if (!certificate || !privateKey || live.data['ca.crt'] === bundle) continue;
    await writeSecret(context.client, leafSecretContent(leaf, { certificate, privateKey }, bundle, namespace, name));
    context.log(`updated ca.crt of Secret ${namespace}/${name}`);
  }
}

/** Copies a tenant Secret to its delivery namespace when the copy differs. Returns whether it wrote. */
export async function deliverLeaf(context: PkiContext, leaf: LeafRequest): Promise<boolean> {
  const target = leaf.tenant?.deliverTo;
  if (!target) return false;
  const source = await readSecret(context.client, leaf.namespace, leaf.secretName);
  const certificate = source?.data['tls.crt'];
  const privateKey = source?.data['tls.key'];
  if (!certificate || !privateKey)
    throw new Error(`Secret ${leaf.namespace}/${leaf.secretName} vanished before delivery: run rotate again`);
  const bundle = source.data['ca.crt'] ?? '';
  const copy = await readSecret(context.client, target.namespace, target.secretName);
  if (
    copy &&
    copy.data['tls.crt'] === certificate &&
    copy.data['tls.key'] === privateKey &&
    copy.data['ca.crt'] === bundle
  )
    return false;
  await writeSecret(
    context.client,
    leafSecretContent(leaf, { certificate, privateKey }, bundle, target.namespace, target.secretName),
  );
  context.report.delivered.push(leaf.id);
  context.log(`delivered ${leaf.id} to Secret ${target.namespace}/${target.secretName}`);
  return true;
}

/** The places (`namespace/name`) of leaves whose certificate is not from the given CA. */
export async function leavesNotIssuedBy(context: PkiContext, caCertificate: string): Promise<string[]> {
  const stale: string[] = [];
  for (const leaf of context.plan.leaves) {
    for (const [namespace, name] of leafPlaces(leaf)) {
      const certificate = (await readSecret(context.client, namespace, name))?.data['tls.crt'];
      if (!certificate || !isIssuedBy(certificate, caCertificate)) stale.push(`${namespace}/${name}`);
    }
  }
  return stale;
}

/** Tenant Secrets on the cluster whose tenant is no longer in the config. */
async function staleTenantSecrets(context: PkiContext) {
  const wanted = new Set(context.plan.leaves.map((l) => l.id));
  const secrets = await context.client.list('v1', 'Secret', context.plan.namespace, 'thanos-gitops.io/role=tenant');
  return secrets.flatMap((secret) => {
    const id = secret.metadata.annotations?.[CERTIFICATE_ANNOTATION];
    return id?.startsWith('tenant:') && !wanted.has(id) ? [{ id, secret }] : [];
  });
}

/** Deletes the Secrets (and delivered copies) of tenants no longer in the config. */
export async function removeStaleTenants(context: PkiContext, caCertificate: string): Promise<void> {
  const { client } = context;
  const { namespace } = context.plan;
  for (const { id, secret } of await staleTenantSecrets(context)) {
    const delivered = secret.metadata.annotations?.[DELIVERED_ANNOTATION];
    if (delivered) {
      const [copyNamespace, copyName] = delivered.split('/');
      if (copyNamespace && copyName)
        await client.delete({ apiVersion: 'v1', kind: 'Secret', namespace: copyNamespace, name: copyName });
    }
    await client.delete({ apiVersion: 'v1', kind: 'Secret', namespace, name: secret.metadata.name });
    const certificate = Buffer.from(
      (secret.data as Record<string, string> | undefined)?.['tls.crt'] ?? '',
      'base64',
    ).toString('utf8');
    const until =
      certificate && isIssuedBy(certificate, caCertificate)
        ? inspectCertificate(certificate).notAfter.toISOString()
        : undefined;
    context.log(
      `removed ${id} (no longer in tls.certificates.tenants): deleted Secret ${namespace}/${secret.metadata.name}${delivered ? ` and ${delivered}` : ''}` +
        (until ? `; its certificate stays valid until ${until}: run rotate --force-ca-rotation to revoke it now` : ''),
    );
  }
}

/** Dry run of removeStaleTenants. */
export async function describeStaleTenants(context: PkiContext): Promise<void> {
  for (const { id, secret } of await staleTenantSecrets(context)) {
    context.log(
      `would remove ${id} (no longer in tls.certificates.tenants): Secret ${context.plan.namespace}/${secret.metadata.name}`,
    );
  }
}
