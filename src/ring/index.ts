export {
  applyOrderFor,
  formatRingSteps,
  planRingSteps,
  RingBelowReplicationFactorError,
  type PodRef,
  type ReplicaChange,
  type RingFileChange,
  type RingStep,
  type RingStepKind,
  type RingStepPlan,
} from './ring-steps.js';
export {
  applyInOrder,
  directPodObserver,
  podProxyObserver,
  OrderedStepTimeoutError,
  type ObservedPod,
  type OrderedApplyOptions,
  type OrderedApplyResult,
  type RingObserver,
  type StepTiming,
} from './ring-executor.js';
