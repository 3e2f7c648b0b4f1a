export { createCa, issueLeaf, inspectCertificate, isIssuedBy, splitPemBundle, bundleChecksum, type CertificateAndKey, type CertificateInfo, type LeafOptions, type SubjectFields } from './x509.js';
export { reconcileCertificates, leafProblem, CA_STEPS, STATE_ANNOTATION, type CaStep, type PkiOptions, type PkiReport } from './rotation.js';
export { rotate, rotateTarget, rotationTargetFor, stackNamespace, formatRotateReport, type RotateOptions, type RotateReport, type RotationTarget } from '../rotate.js';
export { ROTATION_MANAGER } from '../secrets.js';
export { rollWorkloads, type RollOptions } from '../roll.js';
