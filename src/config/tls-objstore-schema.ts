import * as z from 'zod';
import { durationPattern, parseDuration, type DurationUnit } from '../model/duration.js';

// The `tls:` and `objectStorage:` sections of the stack config (issue 6). The stack schema imports both; the
// renderer hands the parsed values to applySecurity, and `thanos-gitops rotate` issues and rotates what they describe.
// No transforms here: the JSON Schema is generated from these with z.toJSONSchema.

/** Certificate and key lifetimes: the duration grammar in days, hours, minutes and seconds (`2160h`, `90d`, `1h30m`). */
const SETTING_DURATION_UNITS: readonly DurationUnit[] = ['d', 'h', 'm', 's'];
const DURATION_PATTERN = durationPattern(SETTING_DURATION_UNITS);

const duration = (what: string) =>
  z.string().regex(DURATION_PATTERN, { message: `${what} must be a duration such as 2160h, 90d or 1h30m` });

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const secretName = (what: string) =>
  z
    .string()
    .max(253)
    .regex(DNS_SUBDOMAIN, { message: `${what} must be a lowercase DNS subdomain (letters, digits, '-' and '.')` });

const tenantSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
        message: 'tenant id must start with a letter or digit and use only letters, digits, ".", "_" and "-"',
      })
      .describe(
        'Tenant id. Written into the client certificate subject field named by tls.remoteWrite.tenantCertificateField.',
      ),
    namespace: z
      .string()
      .regex(DNS_LABEL, { message: 'namespace must be a lowercase DNS label' })
      .optional()
      .describe('Namespace the tenant Secret is delivered to (overrides tls.delivery.namespace).'),
  })
  .strict();

export const remoteWriteTlsSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Serve remote-write (port 19291 of the receive router) over mTLS.'),
    secretName: secretName('tls.remoteWrite.secretName')
      .default('thanos-receive-router-tls')
      .describe('kubernetes.io/tls Secret holding the router server certificate (tls.crt, tls.key, ca.crt).'),
    clientCASecretName: secretName('tls.remoteWrite.clientCASecretName')
      .default('thanos-gitops-ca-bundle')
      .describe('Secret whose ca.crt is the trusted CA bundle (old and new CA during a CA rotation).'),
    tenantCertificateField: z
      .enum(['organization', 'organizationalUnit', 'commonName'])
      .optional()
      .describe(
        'Read the tenant from this client certificate field (--receive.tenant-certificate-field, Thanos >= v0.27.0).',
      ),
    minVersion: z
      .enum(['1.2', '1.3'])
      .optional()
      .describe(
        'Minimum TLS version of the remote-write server (--remote-write.server-tls-min-version); Thanos defaults to 1.3.',
      ),
    dnsNames: z
      .array(
        z.string().regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
          message: 'must be a DNS name',
        }),
      )
      .default([])
      .describe('Extra SANs for the router certificate, e.g. the load balancer name Prometheus dials from outside.'),
  })
  .strict();

export const grpcTlsSchema = z
  .object({
    enabled: z.boolean().default(false).describe('mTLS on gRPC: query -> store/receive/rule and router -> ingestors.'),
    secretName: secretName('tls.grpc.secretName')
      .default('thanos-grpc-tls')
      .describe('kubernetes.io/tls Secret with the shared gRPC certificate (server and client auth).'),
  })
  .strict();

export const certificatesSchema = z
  .object({
    caSecretName: secretName('tls.certificates.caSecretName')
      .default('thanos-gitops-ca')
      .describe('Secret holding the issuing CA key; also carries the rotation state. Never mounted by workloads.'),
    caDuration: duration('tls.certificates.caDuration').default('8760h').describe('Lifetime of the CA certificate.'),
    caRenewBefore: duration('tls.certificates.caRenewBefore')
      .optional()
      .describe('Start a CA rotation when less than this remains (default: a third of caDuration).'),
    duration: duration('tls.certificates.duration')
      .default('2160h')
      .describe('Lifetime of leaf certificates (default 90 days).'),
    renewBefore: duration('tls.certificates.renewBefore')
      .optional()
      .describe(
        'Re-issue a leaf (always with a fresh key) when less than this remains (default: a third of duration).',
      ),
    tenants: z
      .array(tenantSchema)
      .default([])
      .describe('One client certificate per tenant, stored as Secret thanos-tenant-<id>.'),
  })
  .strict();

export const deliverySchema = z
  .object({
    namespace: z
      .string()
      .regex(DNS_LABEL, { message: 'namespace must be a lowercase DNS label' })
      .optional()
      .describe('Copy every tenant Secret into this namespace (e.g. where Prometheus runs).'),
    secretName: z
      .string()
      .regex(/^[a-z0-9-]*\{tenant\}[a-z0-9-]*$/, {
        message: 'secretName must contain {tenant}, e.g. thanos-remote-write-{tenant}',
      })
      .default('thanos-remote-write-{tenant}')
      .describe('Name of the delivered Secret; {tenant} is replaced with the tenant id.'),
  })
  .strict();

export const tlsSchema = z
  .object({
    remoteWrite: remoteWriteTlsSchema.default(() => remoteWriteTlsSchema.parse({})),
    grpc: grpcTlsSchema.default(() => grpcTlsSchema.parse({})),
    certificates: certificatesSchema.default(() => certificatesSchema.parse({})),
    delivery: deliverySchema.default(() => deliverySchema.parse({})),
  })
  .strict()
  .superRefine((tls, ctx) => {
    const seen = new Set<string>();
    tls.certificates.tenants.forEach((tenant, index) => {
      if (seen.has(tenant.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['certificates', 'tenants', index, 'id'],
          message: `tenant '${tenant.id}' is listed twice: tenant ids must be unique`,
        });
      }
      seen.add(tenant.id);
    });
    // rotate writes each of these Secrets whole (server-side apply owning every key): a bundle Secret shared with
    // another loses its ca.crt or the other's keys on every write.
    const others: [string, string][] = [
      ['tls.certificates.caSecretName', tls.certificates.caSecretName],
      ['tls.remoteWrite.secretName', tls.remoteWrite.secretName],
      ...(tls.grpc.enabled ? ([['tls.grpc.secretName', tls.grpc.secretName]] as [string, string][]) : []),
    ];
    for (const [path, name] of others) {
      if (name === tls.remoteWrite.clientCASecretName) {
        ctx.addIssue({
          code: 'custom',
          path: ['remoteWrite', 'clientCASecretName'],
          message: `clientCASecretName '${name}' is also ${path}: the CA bundle needs a Secret of its own (Thanos serves plain HTTP when the bundle file holds no certificate); choose another name`,
        });
      }
    }
    if (tls.remoteWrite.tenantCertificateField && !tls.remoteWrite.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['remoteWrite', 'tenantCertificateField'],
        message:
          'tenantCertificateField needs remote-write TLS with a client CA: set tls.remoteWrite.enabled: true or remove tenantCertificateField',
      });
    }
  })
  .describe('mTLS for remote-write and gRPC, issued and rotated by `thanos-gitops rotate`.');

export const objectStorageSchema = z
  .object({
    type: z.literal('S3').describe('Object store type; only S3 is supported.'),
    bucket: z.string().min(1).describe('Bucket name.'),
    endpoint: z.string().min(1).describe('S3 endpoint host, e.g. s3.eu-west-1.amazonaws.com.'),
    region: z.string().min(1).describe('AWS region of the bucket.'),
    prefix: z.string().optional().describe('Key prefix inside the bucket.'),
    mode: z
      .enum(['irsa', 'accessKeys'])
      .default('irsa')
      .describe(
        'irsa: no keys in the Secret, pods assume irsaRoleArn; accessKeys: an IAM user key pair rotated by `thanos-gitops rotate`.',
      ),
    irsaRoleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
        message: 'irsaRoleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
      })
      .optional()
      .describe(
        'Role ARN set as eks.amazonaws.com/role-arn on the ServiceAccount of every component that reads object storage.',
      ),
    iamUserName: z.string().min(1).optional().describe('IAM user whose access keys are rotated (mode accessKeys).'),
    keyMaxAge: duration('objectStorage.keyMaxAge')
      .default('90d')
      .describe('Rotate the access key when it is older than this (mode accessKeys).'),
    secretName: secretName('objectStorage.secretName')
      .optional()
      .describe(
        'Name of the objstore Secret (default: the Secret the workloads reference, else thanos-objectstorage).',
      ),
    key: z
      .string()
      .min(1)
      .optional()
      .describe('Data key in the Secret (default: the key the workloads reference, else thanos.yaml).'),
  })
  .strict()
  .superRefine((store, ctx) => {
    if (store.mode === 'accessKeys' && !store.iamUserName) {
      ctx.addIssue({
        code: 'custom',
        path: ['iamUserName'],
        message: 'mode accessKeys needs iamUserName: the IAM user whose keys are rotated',
      });
    }
    if (store.mode === 'accessKeys' && store.irsaRoleArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['irsaRoleArn'],
        message: 'irsaRoleArn is only used with mode irsa: remove it or set mode: irsa',
      });
    }
    if (store.mode === 'irsa' && store.iamUserName) {
      ctx.addIssue({
        code: 'custom',
        path: ['iamUserName'],
        message: 'iamUserName is only used with mode accessKeys: remove it or set mode: accessKeys',
      });
    }
  })
  .describe('The S3 bucket Thanos uses; renders the objstore Secret and IRSA annotations.');

export type TlsConfig = z.infer<typeof tlsSchema>;
export type TlsConfigInput = z.input<typeof tlsSchema>;
export type ObjectStorageSettings = z.infer<typeof objectStorageSchema>;
export type ObjectStorageInput = z.input<typeof objectStorageSchema>;
export type TenantSpec = z.infer<typeof tenantSchema>;

/** A certificate or key lifetime from the stack config in milliseconds. */
export function parseSettingDuration(text: string): number {
  const ms = parseDuration(text, SETTING_DURATION_UNITS);
  if (ms === undefined) throw new Error(`invalid duration '${text}': use e.g. 2160h, 90d or 1h30m`);
  return ms;
}
