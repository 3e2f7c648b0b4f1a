import type { RiskRule } from '../rule.js';
import { autoscalerReplicas } from './autoscaler-replicas.js';
import { clusterScoped } from './cluster-scoped.js';
import { compactorDedupLabels } from './compactor-dedup-labels.js';
import { compactorReplicas } from './compactor-replicas.js';
import { deletionDelay } from './deletion-delay.js';
import { downsamplingDisabled } from './downsampling-disabled.js';
import { externalLabelsChange } from './external-labels.js';
import { hashringAlgorithm } from './hashring-algorithm.js';
import { hashringMembership } from './hashring-membership.js';
import { hashringRemoved } from './hashring-removed.js';
import { hashringTenants } from './hashring-tenants.js';
import { hashringTooSmall } from './hashring-too-small.js';
import { imageChange } from './image-change.js';
import { imageDowngrade } from './image-downgrade.js';
import { immutableField } from './immutable-field.js';
import { ingestorRemoved } from './ingestor-removed.js';
import { ingestorScaleDown } from './ingestor-scale-down.js';
import { objstoreBucket } from './objstore-bucket.js';
import { objstoreSecret } from './objstore-secret.js';
import { queryDedupLabels } from './query-dedup-labels.js';
import { queryFrontendDownstream } from './query-frontend-downstream.js';
import { replicationFactorChange } from './replication-factor.js';
import { replicationFactorMismatch } from './replication-factor-mismatch.js';
import { retentionBelowDownsampling } from './retention-below-downsampling.js';
import { retentionDecrease } from './retention-decrease.js';
import { routerReplicasZero } from './router-replicas-zero.js';
import { rulerTargets } from './ruler-targets.js';
import { secondCompactor } from './second-compactor.js';
import { storeEndpointRemoved } from './store-endpoint-removed.js';
import { storeSharding } from './store-sharding.js';
import { tenantLabel } from './tenant-label.js';

/** Every risk rule, in the order their findings are listed within a severity. */
export const RISK_RULES: readonly RiskRule[] = [
  immutableField,
  hashringTooSmall,
  replicationFactorMismatch,
  hashringRemoved,
  hashringMembership,
  hashringAlgorithm,
  hashringTenants,
  ingestorScaleDown,
  ingestorRemoved,
  routerReplicasZero,
  replicationFactorChange,
  queryDedupLabels,
  externalLabelsChange,
  tenantLabel,
  objstoreSecret,
  objstoreBucket,
  secondCompactor,
  compactorReplicas,
  compactorDedupLabels,
  retentionDecrease,
  retentionBelowDownsampling,
  downsamplingDisabled,
  deletionDelay,
  storeEndpointRemoved,
  storeSharding,
  rulerTargets,
  queryFrontendDownstream,
  clusterScoped,
  autoscalerReplicas,
  imageDowngrade,
  imageChange,
];
