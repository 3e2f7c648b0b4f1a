import type { ComponentKey, ComponentParams } from './schema.js';

/**
 * kube-thanos's per-component defaults (the `defaults` object of each kube-thanos-*.libsonnet), as of the
 * kube-thanos revision the goldens in shared/kube-thanos were built from. Options whose kube-thanos default is an
 * empty object meaning "not set" (caches, alertmanagerConfigFile, ...) are simply absent here.
 */

export const POD_SECURITY_CONTEXT = {
  fsGroup: 65534,
  runAsUser: 65534,
  runAsGroup: 65532,
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

const WORKLOAD_DEFAULTS = {
  imagePullPolicy: 'IfNotPresent',
  logLevel: 'info',
  logFormat: 'logfmt',
  resources: {},
  tracing: {},
  extraEnv: [],
  securityContext: POD_SECURITY_CONTEXT,
  serviceAccountAnnotations: {},
} satisfies ComponentParams;

const STORE_DEFAULTS = {
  ...WORKLOAD_DEFAULTS,
  name: 'thanos-store',
  ignoreDeletionMarksDelay: '24h',
  volumeClaimTemplate: {},
  serviceMonitor: false,
  ports: { grpc: 10901, http: 10902 },
  minTime: '',
  maxTime: '',
  livenessProbe: { failureThreshold: 8, periodSeconds: 30, timeoutSeconds: 1 },
  limits: { seriesTouched: 0, seriesSample: 0, downloadedBytes: 0 },
} satisfies ComponentParams;

const COMPACT_DEFAULTS = {
  ...WORKLOAD_DEFAULTS,
  name: 'thanos-compact',
  serviceMonitor: false,
  volumeClaimTemplate: {},
  retentionResolutionRaw: '0d',
  retentionResolution5m: '0d',
  retentionResolution1h: '0d',
  compactConcurrency: 1,
  deduplicationReplicaLabels: [],
  deleteDelay: '48h',
  disableDownsampling: false,
  downsampleConcurrency: 1,
  ports: { http: 10902 },
} satisfies ComponentParams;

const RECEIVE_DEFAULTS = {
  ...WORKLOAD_DEFAULTS,
  name: 'thanos-receive',
  minReadySeconds: 0,
  hashringConfigMapName: '',
  enableLocalEndpoint: true,
  volumeClaimTemplate: {},
  retention: '15d',
  serviceMonitor: false,
  ports: { grpc: 10901, http: 10902, 'remote-write': 19291 },
  labels: ['replica="$(NAME)"', 'receive="true"'],
  tenantLabelName: null,
  tenantHeader: null,
  storeLimits: {},
} satisfies ComponentParams;

const DEFAULT_HASHRINGS = [{ hashring: 'default', tenants: [] }];

export const COMPONENT_DEFAULTS: Record<ComponentKey, ComponentParams> = {
  query: {
    ...WORKLOAD_DEFAULTS,
    name: 'thanos-query',
    rules: [],
    externalPrefix: '',
    prefixHeader: '',
    queryUrl: '',
    autoDownsampling: true,
    useThanosEngine: false,
    queryTimeout: '',
    lookbackDelta: '',
    ports: { grpc: 10901, http: 9090 },
    serviceMonitor: false,
    telemetryDurationQuantiles: '',
    telemetrySamplesQuantiles: '',
    telemetrySeriesQuantiles: '',
  },
  queryFrontend: {
    ...WORKLOAD_DEFAULTS,
    name: 'thanos-query-frontend',
    splitInterval: '24h',
    maxRetries: 5,
    logQueriesLongerThan: '0',
    queryUrl: '',
    serviceMonitor: false,
    ports: { http: 9090 },
  },
  store: STORE_DEFAULTS,
  storeShards: { ...STORE_DEFAULTS, shards: 1 },
  compact: COMPACT_DEFAULTS,
  compactShards: { ...COMPACT_DEFAULTS, shards: 1 },
  receive: RECEIVE_DEFAULTS,
  receiveHashrings: { ...RECEIVE_DEFAULTS, hashrings: DEFAULT_HASHRINGS },
  receiveIngestor: { ...RECEIVE_DEFAULTS, hashrings: DEFAULT_HASHRINGS, hashringConfigMapName: 'hashring-config' },
  receiveRouter: {
    ...RECEIVE_DEFAULTS,
    hashrings: DEFAULT_HASHRINGS,
    hashringConfigMapName: 'hashring-config',
    routerReplicas: 1,
  },
  rule: {
    ...WORKLOAD_DEFAULTS,
    name: 'thanos-rule',
    ruleFiles: [],
    rulesConfig: [],
    alertmanagersURLs: [],
    queriers: [],
    serviceMonitor: false,
    ports: { grpc: 10901, http: 10902, reloader: 9533 },
    retention: '48h',
    blockDuration: '2h',
    volumeClaimTemplate: {},
    reloaderImagePullPolicy: 'IfNotPresent',
    extraVolumeMounts: [],
  },
  bucket: { ...WORKLOAD_DEFAULTS, name: 'thanos-bucket', ports: { http: 10902 } },
  bucketReplicate: {
    ...WORKLOAD_DEFAULTS,
    name: 'thanos-bucket-replicate',
    ports: { http: 10902 },
    minTime: '',
    maxTime: '',
    compactionLevels: [],
    resolutions: [],
  },
  sidecar: { name: 'thanos-sidecar', serviceMonitor: false, ports: { grpc: 10901, http: 10902 } },
};

/** The tracing service_name kube-thanos injects: always the component's default name, even when renamed. */
export function defaultName(key: ComponentKey): string {
  return COMPONENT_DEFAULTS[key].name as string;
}
