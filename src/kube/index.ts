export { KubeClient, KubeApiError, KubeConnectionError, describeKey, keyOf } from './client.js';
export { InterruptedError, uninterruptible, abortReason } from './interrupt.js';
export type {
  ObjectKey,
  FieldConflict,
  StatusCause,
  KubeClientOptions,
  RetryOptions,
  RequestRecord,
  DeleteOptions,
  ApplyOptions,
  WriteOptions,
  ResourceInfo,
} from './client.js';
export {
  ResourceManager,
  FIELD_MANAGER,
  pruneCandidates,
  isImmutableFieldError,
  type ResourceManagerOptions,
  type DryRunResult,
  type DryRunVerdict,
  type DryRunOptions,
} from './manager.js';
export {
  prepareSet,
  deferredObjects,
  type Prepared,
  type PreparedObject,
  type PrepareOptions,
  type SetCheck,
} from './prepare.js';
export type { ChangeAction, ChangeSet, ChangeSetEntry } from './change-set.js';
export {
  ApplyConflictError,
  ApplyError,
  ImmutableFieldError,
  MissingKindsError,
  type ApplyResult,
  type Conflict,
} from './errors.js';
export { applyManifestSet, releaseHistory, type ApplySetOptions, type ReadSet, type ReleaseOptions } from './apply.js';
export { planManifestSet, type PlanOptions, type PlanResult } from './plan.js';
export { detectDrift, type DriftOptions, type DriftResult, type DriftedObject } from './drift.js';
export { reconcile, type ReconcileResult } from './reconcile.js';
export { rollback } from './rollback.js';
export { withLease, uniqueHolder, LeaseHeldError, LEASE_NAME, type LeaseOptions, type HeldLease } from './lease.js';
export {
  restoreSecretValues,
  withoutSecretValues,
  recordsManifests,
  type Release,
  type ReleaseInfo,
  type ReleaseStatus,
  type RestoredRelease,
  type SecretValueDigest,
} from './release/record.js';
export type { ReleaseStore } from './release/store.js';
export { SecretReleaseStore, releaseSecretName, encodeRelease, decodeRelease } from './release/secret-store.js';
export { MemoryReleaseStore } from './release/memory-store.js';
export { ReleaseHistory } from './release/history.js';
export { waitForRollout, rolloutState, RolloutTimeoutError, type RolloutState } from './rollout.js';
export {
  ApplySet,
  applySetId,
  applySetParentName,
  APPLYSET_ID_LABEL,
  APPLYSET_PART_OF_LABEL,
  APPLYSET_TOOLING_ANNOTATION,
  APPLYSET_GROUP_KINDS_ANNOTATION,
  APPLYSET_NAMESPACES_ANNOTATION,
} from './applyset.js';
export { PHASES, phaseOf, type Phase } from './phases.js';
