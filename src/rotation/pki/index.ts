export {
  createCa,
  issueLeaf,
  inspectCertificate,
  isIssuedBy,
  splitPemBundle,
  bundleChecksum,
  type CertificateAndKey,
  type CertificateInfo,
  type LeafOptions,
  type SubjectFields,
} from './x509.js';
export { reconcileCertificates } from './certificates.js';
export { CA_STEPS, CA_RECORDED_AFTER, type CaStep } from './ca-lifecycle.js';
export { STATE_ANNOTATION, caRecordOf, caSecretContent, type CaRecord } from './ca-secret.js';
export { leafProblem } from './leaves.js';
export type { PkiOptions, PkiReport } from './context.js';
