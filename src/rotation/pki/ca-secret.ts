import { readSecret, writeSecret, type LiveSecret, type SecretContent } from '../secrets.js';
import { IDLE } from '../steps.js';
import type { PkiContext } from './context.js';
import type { CertificateAndKey } from './x509.js';

// The CA Secret holds the issuing CA (tls.crt, tls.key), the previous CA certificate while a rotation trusts both
// (previous.crt), and the CA rotation's recorded state. These names are what clusters store: never rename them.
export const STATE_ANNOTATION = 'rotation.thanos-gitops.io/ca-state';
export const STARTED_ANNOTATION = 'rotation.thanos-gitops.io/ca-rotation-started';
export const LEAVES_WRITTEN_ANNOTATION = 'rotation.thanos-gitops.io/leaves-written';
export const COMPLETED_ANNOTATION = 'rotation.thanos-gitops.io/last-ca-rotation';
export const PREVIOUS_CA_KEY = 'previous.crt';
const ROTATION_ANNOTATION_PREFIX = 'rotation.thanos-gitops.io/';

/** The CA Secret as the CA rotation reads and records it. */
export interface CaRecord {
  current: CertificateAndKey;
  previous?: string;
  state: string;
  annotations: Record<string, string>;
}

/** Reads a CA record from the Secret's decoded fields; undefined when the Secret holds no CA. */
export function caRecordOf(secret: LiveSecret): CaRecord | undefined {
  const certificate = secret.data['tls.crt'];
  const privateKey = secret.data['tls.key'];
  if (!certificate || !privateKey) return undefined;
  const previous = secret.data[PREVIOUS_CA_KEY];
  return {
    current: { certificate, privateKey },
    ...(previous ? { previous } : {}),
    state: secret.annotations[STATE_ANNOTATION] ?? IDLE,
    annotations: secret.annotations,
  };
}

/** The whole CA Secret for a record in a state: certificate, key, previous certificate and state in one object. */
export function caSecretContent(namespace: string, name: string, record: CaRecord, state: string): SecretContent {
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(record.annotations))
    if (key.startsWith(ROTATION_ANNOTATION_PREFIX)) annotations[key] = value;
  annotations[STATE_ANNOTATION] = state;
  return {
    namespace,
    name,
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': record.current.certificate,
      'tls.key': record.current.privateKey,
      ...(record.previous ? { [PREVIOUS_CA_KEY]: record.previous } : {}),
    },
    labels: { 'thanos-gitops.io/role': 'ca' },
    annotations,
  };
}

/** The CA Secret's `namespace/name`. */
export function caSecretRef(context: PkiContext): string {
  return `${context.plan.namespace}/${context.tls.certificates.caSecretName}`;
}

export async function readCa(context: PkiContext): Promise<CaRecord | undefined> {
  const secret = await readSecret(context.client, context.plan.namespace, context.tls.certificates.caSecretName);
  if (!secret) return undefined;
  const record = caRecordOf(secret);
  if (!record) {
    throw new Error(
      `Secret ${caSecretRef(context)} has no tls.crt/tls.key: it is not a thanos-gitops CA; delete it or set tls.certificates.caSecretName to another name`,
    );
  }
  return record;
}

/** Writes the record in a state (one write, so a crash cannot split them) and returns it as stored. */
export async function recordCa(context: PkiContext, record: CaRecord, state: string): Promise<CaRecord> {
  const content = caSecretContent(context.plan.namespace, context.tls.certificates.caSecretName, record, state);
  await writeSecret(context.client, content);
  return { ...record, state, annotations: content.annotations! };
}
