import type { ManifestSet } from '../manifests/types.js';
import type { ObjectStorageSettings, TlsConfig } from '../config/security.js';

/**
 * Owned by the mTLS/objstore work (issue 6): layers TLS flags, volumes, IRSA annotations and the objstore
 * Secret over a kube-thanos-exact manifest set. With neither section set it must return the set unchanged.
 */
export function applySecurity(set: ManifestSet, _settings: { tls?: TlsConfig; objectStorage?: ObjectStorageSettings; namespace: string }): ManifestSet {
  return set;
}
