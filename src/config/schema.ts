import * as z from 'zod';
import { productionSchema } from './production.js';
import { objectStorageSchema, tlsSchema } from './tls-objstore-schema.js';

/**
 * The typed stack config: one section per kube-thanos component, each taking kube-thanos's own option names.
 *
 * Every option is optional in the schema because `common:` may supply it; which options a component must end up
 * with (kube-thanos's `error 'must provide ...'` fields) is checked after merging, in requirements.ts. Defaults are
 * not applied here either: kube-thanos merges `defaults + common + params`, so a schema default would wrongly beat
 * `common:`. The renderer owns the defaults (src/render/defaults.ts).
 */

const KUBE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const kubeName = (what: string) =>
  z
    .string()
    .max(63)
    .regex(KUBE_NAME, { message: `${what} must be a lowercase DNS label (a-z, 0-9 and '-')` });

const quantity = z.union([z.string(), z.number()]);

const resourcesSchema = z
  .object({
    requests: z.record(z.string(), quantity).optional(),
    limits: z.record(z.string(), quantity).optional(),
  })
  .strict()
  .describe('Container resources (requests/limits), as in a Pod spec. Default {}.');

const portsSchema = z
  .record(
    z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'port names are lowercase DNS labels' }),
    z.number().int().min(1).max(65535),
  )
  .describe('Named ports; the object replaces the component default as a whole (kube-thanos `defaults + params`).');

const tracingSchema = z
  .object({
    type: z.string().optional().describe('Tracing provider, e.g. JAEGER, OTLP, ELASTIC_APM.'),
    config: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Provider config; `service_name` defaults to the component name.'),
  })
  .strict()
  .describe('Thanos tracing config passed as --tracing.config. Default {} (off).');

const envVarSchema = z
  .object({
    name: z.string().min(1),
    value: z.string().optional(),
    valueFrom: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const objectStorageConfigSchema = z
  .object({
    name: z.string().min(1).describe('Secret holding the Thanos objstore config.'),
    key: z.string().min(1).describe('Key of that Secret.'),
    tlsSecretName: z
      .string()
      .optional()
      .describe('Secret with TLS material for the object store client (mounted when non-empty).'),
    tlsSecretMountPath: z.string().optional().describe('Where that Secret is mounted.'),
  })
  .strict();

const configMapKeySchema = z
  .object({
    name: z.string().min(1).describe('ConfigMap name (also the volume name).'),
    key: z.string().min(1).describe('Key inside the ConfigMap.'),
  })
  .strict();

const volumeClaimTemplateSchema = z
  .object({
    metadata: z
      .object({
        labels: z.record(z.string(), z.string()).optional(),
        annotations: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .optional(),
    spec: z
      .object({
        accessModes: z.array(z.string()).optional(),
        storageClassName: z.string().optional(),
        volumeMode: z.string().optional(),
        volumeAttributesClassName: z.string().optional(),
        resources: z
          .object({
            requests: z.record(z.string(), quantity).optional(),
            limits: z.record(z.string(), quantity).optional(),
          })
          .strict()
          .optional(),
        selector: z.record(z.string(), z.unknown()).optional(),
        dataSource: z.record(z.string(), z.unknown()).optional(),
        dataSourceRef: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .describe('PersistentVolumeClaim template for the `data` volume (accessModes must be [ReadWriteOnce]). Default {}.');

const cacheConfigSchema = z
  .record(z.string(), z.unknown())
  .describe('Backend config; for memcached `addresses` is required.');

const responseCacheSchema = z
  .object({
    type: z.string().describe('memcached or in-memory (case-insensitive); defaults are merged for both.'),
    config: cacheConfigSchema.optional(),
  })
  .strict();

const indexCacheSchema = z
  .object({
    type: z.string().describe('MEMCACHED (defaults merged), IN-MEMORY or REDIS.'),
    config: cacheConfigSchema.optional(),
    enabled_items: z.array(z.string()).optional(),
    ttl: z.string().optional(),
  })
  .strict();

const bucketCacheSchema = z
  .object({
    type: z.string().describe('MEMCACHED (defaults merged), IN-MEMORY or REDIS.'),
    config: cacheConfigSchema.optional(),
    chunk_subrange_size: z.number().int().optional(),
    max_chunks_get_range_requests: z.number().int().optional(),
    chunk_object_attrs_ttl: z.string().optional(),
    chunk_subrange_ttl: z.string().optional(),
    blocks_iter_ttl: z.string().optional(),
    metafile_exists_ttl: z.string().optional(),
    metafile_doesnt_exist_ttl: z.string().optional(),
    metafile_content_ttl: z.string().optional(),
    metafile_max_size: z.string().optional(),
  })
  .strict();

const hashringSchema = z
  .object({
    hashring: kubeName('hashring'),
    tenants: z.array(z.string()).describe('Tenants routed to this hashring; [] makes it the default hashring.'),
    tenant_matcher_type: z.enum(['exact', 'glob']).optional(),
    algorithm: z.enum(['hashmod', 'ketama']).optional(),
    external_labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();

// kube-thanos-store.libsonnet reads exactly these three from livenessProbe (the object replaces the default whole).
const probeSchema = z
  .object({
    failureThreshold: z.number().int().min(1),
    periodSeconds: z.number().int().min(1),
    timeoutSeconds: z.number().int().min(1),
  })
  .strict();

/** Registers each option under its own JSON Schema definition name, so the generated schema lists it once. */
function named<T extends Record<string, z.ZodType>>(prefix: string, schemas: T): T {
  return Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [name, schema.meta({ id: `${prefix}.${name}` })]),
  ) as T;
}

/** Every kube-thanos option any component takes, by name: one schema per name, shared by all components. */
export const optionSchemas = named('option', {
  name: kubeName('name').describe('Object name prefix; also the app.kubernetes.io/instance label.'),
  namespace: kubeName('namespace').describe('Namespace of every object.'),
  version: z.string().min(1).describe('Thanos version; the app.kubernetes.io/version label.'),
  image: z.string().min(1).describe('Thanos container image.'),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).describe('Default IfNotPresent.'),
  replicas: z.number().int().min(0).describe('Pod replicas (kube-thanos requires it for workloads).'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).describe('Default info.'),
  logFormat: z.enum(['logfmt', 'json']).describe('Default logfmt.'),
  resources: resourcesSchema,
  serviceMonitor: z.boolean().describe('Also render a Prometheus Operator ServiceMonitor. Default false.'),
  ports: portsSchema,
  tracing: tracingSchema,
  extraEnv: z.array(envVarSchema).describe('Extra container env, appended after kube-thanos env. Default [].'),
  securityContext: z
    .record(z.string(), z.unknown())
    .describe('Pod securityContext (replaces the kube-thanos default).'),
  securityContextContainer: z
    .record(z.string(), z.unknown())
    .describe(
      'Container securityContext (replaces the kube-thanos default; query, query-frontend, store, rule, router, bucket).',
    ),
  serviceAccountAnnotations: z
    .record(z.string(), z.string())
    .describe('ServiceAccount annotations, e.g. eks.amazonaws.com/role-arn for IRSA. Default {}.'),
  objectStorageConfig: objectStorageConfigSchema
    .nullable()
    .describe('Secret reference for --objstore.config; null only for receive.'),
  volumeClaimTemplate: volumeClaimTemplateSchema,
  commonLabels: z
    .record(z.string(), z.string())
    .describe(
      'Labels of every object, replacing the kube-thanos default (app.kubernetes.io/name, instance, version, component) as a whole. ' +
        'Shards and hashrings still add their own label.',
    ),
  podLabelSelector: z
    .record(z.string(), z.string())
    .describe(
      'Selector of the Service, workload, PVCs and ServiceMonitor. Default: commonLabels without app.kubernetes.io/version. sidecar: selector of the Prometheus pods (required).',
    ),

  // query
  replicaLabels: z.array(z.string()).describe('Labels query deduplicates on (--query.replica-label).'),
  stores: z
    .array(z.string())
    .describe('Store API endpoints (--endpoint). Default: every store API component of this stack.'),
  rules: z.array(z.string()).describe('Rules API endpoints (--rule).'),
  externalPrefix: z.string().describe('--web.external-prefix. Default "".'),
  prefixHeader: z.string().describe('--web.prefix-header. Default "".'),
  queryUrl: z.string().describe('--alert.query-url (query, query-frontend). Default "".'),
  autoDownsampling: z.boolean().describe('--query.auto-downsampling. Default true.'),
  useThanosEngine: z.boolean().describe('--query.promql-engine=thanos. Default false.'),
  queryTimeout: z.string().describe('--query.timeout. Default "".'),
  lookbackDelta: z.string().describe('--query.lookback-delta. Default "".'),
  telemetryDurationQuantiles: z.string().describe('Comma-separated quantiles. Default "".'),
  telemetrySamplesQuantiles: z.string().describe('Comma-separated quantiles. Default "".'),
  telemetrySeriesQuantiles: z.string().describe('Comma-separated quantiles. Default "".'),

  // query-frontend
  downstreamURL: z.string().min(1).describe('Query endpoint the frontend forwards to.'),
  splitInterval: z.string().describe('Default 24h.'),
  maxRetries: z.number().int().min(0).describe('Default 5.'),
  logQueriesLongerThan: z.string().describe('Default "0".'),
  queryRangeCache: responseCacheSchema.describe('Response cache for range queries. Default {} (none).'),
  labelsCache: responseCacheSchema.describe('Response cache for label queries. Default {} (none).'),

  // store
  ignoreDeletionMarksDelay: z.string().describe('Default 24h.'),
  indexCache: indexCacheSchema.describe('--index-cache.config. Default {} (in-memory).'),
  bucketCache: bucketCacheSchema.describe('--store.caching-bucket.config. Default {} (off).'),
  minTime: z.string().describe('--min-time. Default "".'),
  maxTime: z.string().describe('--max-time. Default "".'),
  limits: z
    .object({
      seriesTouched: z.number().int().min(0).describe('--store.grpc.touched-series-limit when > 0.'),
      seriesSample: z.number().int().min(0).describe('--store.grpc.series-sample-limit when > 0.'),
      downloadedBytes: z.number().int().min(0).describe('--store.grpc.downloaded-bytes-limit when > 0.'),
    })
    .strict()
    .describe(
      'Store gRPC limits; the object replaces the default as a whole, so all three are required. Default all 0 (off).',
    ),
  livenessProbe: probeSchema.describe(
    'Store liveness probe timings, all three required. Default failureThreshold 8, periodSeconds 30, timeoutSeconds 1.',
  ),
  shards: z.number().int().min(0).describe('Number of shards (storeShards, compactShards). Default 1.'),

  // compact
  retentionResolutionRaw: z.string().describe('Default 0d (forever).'),
  retentionResolution5m: z.string().describe('Default 0d (forever).'),
  retentionResolution1h: z.string().describe('Default 0d (forever).'),
  compactConcurrency: z.number().int().min(1).describe('Default 1.'),
  downsampleConcurrency: z.number().int().min(1).describe('Default 1.'),
  deduplicationReplicaLabels: z.array(z.string()).describe('--deduplication.replica-label. Default [].'),
  deleteDelay: z.string().describe('Default 48h.'),
  disableDownsampling: z.boolean().describe('Default false.'),
  sourceLabels: z.array(z.string()).min(1).describe('compactShards: external labels hashed to pick a shard.'),

  // receive
  replicationFactor: z.number().int().min(1).describe('--receive.replication-factor.'),
  minReadySeconds: z.number().int().min(0).describe('Default 0.'),
  podDisruptionBudgetMaxUnavailable: z
    .number()
    .int()
    .min(0)
    .describe('Default floor(replicationFactor / 2); 0 renders no PDB.'),
  hashringConfigMapName: z
    .string()
    .describe(
      'ConfigMap with hashrings.json. Receive default "", router/ingestor "hashring-config". "" on receiveIngestor: the ingestors mount no hashrings file ' +
        'and Thanos runs them as ingestors only (they store what the router forwards and never re-route it).',
    ),
  enableLocalEndpoint: z.boolean().describe('--receive.local-endpoint. Default true.'),
  retention: z.string().describe('--tsdb.retention. Default 15d (receive), 48h (rule).'),
  labels: z.array(z.string()).describe('External labels (--label). Default replica="$(NAME)", receive="true".'),
  tenantLabelName: z.string().nullable().describe('--receive.tenant-label-name. Default null.'),
  tenantHeader: z.string().nullable().describe('--receive.tenant-header. Default null.'),
  hashringsAlgorithm: z
    .enum(['hashmod', 'ketama'])
    .nullable()
    .describe(
      'thanos-gitops extension (kube-thanos has no such option): --receive.hashrings-algorithm. Default null (flag not rendered: Thanos uses hashmod). ' +
        'Ingestors flush their head on every hashring change unless this is ketama, whatever the hashrings file says.',
    ),
  hashringsFileRefreshInterval: z
    .string()
    .regex(/^(\d+(ms|s|m|h))+$/, 'a duration such as 15s or 1m')
    .nullable()
    .describe(
      'thanos-gitops extension: --receive.hashrings-file-refresh-interval. Default null (not rendered: Thanos re-reads the file every 5m). ' +
        'Thanos v0.42.4 watches the hashrings file with fsnotify only until the first ConfigMap update replaces it; later updates are read at this interval, so it bounds how long a ring change takes to reach routers.',
    ),
  receiveLimitsConfigFile: configMapKeySchema.describe('ConfigMap with the receive limits file. Default {} (none).'),
  storeLimits: z
    .object({
      requestSamples: z.number().int().min(0).optional().describe('--store.limits.request-samples.'),
      requestSeries: z.number().int().min(0).optional().describe('--store.limits.request-series.'),
    })
    .strict()
    .describe('Store API limits of the receivers. Default {} (none).'),
  debug: z.string().describe('Sets env DEBUG on hashring receivers when non-empty.'),
  routerReplicas: z
    .number()
    .int()
    .min(0)
    .describe(
      'receiveRouter: router Deployment replicas (kube-thanos sizes the router with this, not `replicas`). Default 1.',
    ),
  hashrings: z
    .array(hashringSchema)
    .min(1)
    .describe('Hashrings: receiveHashrings/receiveIngestor default [{hashring: default, tenants: []}].'),
  endpoints: z
    .record(z.string(), z.array(z.string()))
    .describe('receiveRouter: hashring name -> ingestor endpoints. Default: the receiveIngestor endpoints.'),

  // rule
  reloaderImage: z.string().min(1).describe('configmap-reload image; required once a ConfigMap is mounted.'),
  reloaderImagePullPolicy: z
    .enum(['Always', 'IfNotPresent', 'Never'])
    .describe('Pull policy of the configmap-reload container. Default IfNotPresent.'),
  extraVolumeMounts: z
    .array(
      z
        .object({
          name: kubeName('extraVolumeMounts[].name').describe('ConfigMap name (also the volume name).'),
          mountPath: z
            .string()
            .min(1)
            .describe('Where it is mounted in the ruler and the reloader (which watches it).'),
          type: z
            .literal('configMap')
            .describe(
              'Only configMap: for any other type kube-thanos writes `secret: {name}`, which Kubernetes refuses (a secret volume needs secretName).',
            ),
        })
        .strict(),
    )
    .describe('Extra ConfigMaps mounted in the ruler and watched by the reloader. Default [].'),
  ruleFiles: z.array(z.string()).describe('--rule-file paths. Default [].'),
  rulesConfig: z.array(configMapKeySchema).describe('Rule ConfigMaps mounted under /etc/thanos/rules. Default [].'),
  alertmanagersURLs: z.array(z.string()).describe('--alertmanagers.url. Default [].'),
  alertmanagerConfigFile: configMapKeySchema.describe('--alertmanagers.config-file ConfigMap. Default {}.'),
  remoteWriteConfigFile: configMapKeySchema.describe(
    '--remote-write.config-file ConfigMap (stateless ruler). Default {}.',
  ),
  queriers: z.array(z.string()).describe('--query endpoints. Default [].'),
  blockDuration: z.string().describe('--tsdb.block-duration. Default 2h.'),

  // sidecar
  serviceLabelSelector: z
    .record(z.string(), z.string())
    .describe('sidecar: selector of the ServiceMonitor. Default: commonLabels without app.kubernetes.io/version.'),

  // bucket
  label: z.string().describe('bucket: --label.'),
  refresh: z.string().describe('bucket: --refresh.'),

  // bucket-replicate
  objectStorageToConfig: objectStorageConfigSchema.describe('Destination bucket secret (--objstore-to.config).'),
  compactionLevels: z.array(z.number().int().min(1)).describe('--compaction levels. Default [].'),
  resolutions: z.array(z.string()).describe('--resolution values. Default [].'),
} as const);

export type OptionName = keyof typeof optionSchemas;

const WORKLOAD = [
  'name',
  'namespace',
  'version',
  'image',
  'imagePullPolicy',
  'replicas',
  'logLevel',
  'logFormat',
  'resources',
  'ports',
  'tracing',
  'extraEnv',
  'securityContext',
  'serviceAccountAnnotations',
  'commonLabels',
  'podLabelSelector',
] as const satisfies readonly OptionName[];

const STORE = [
  ...WORKLOAD,
  'serviceMonitor',
  'securityContextContainer',
  'objectStorageConfig',
  'ignoreDeletionMarksDelay',
  'volumeClaimTemplate',
  'indexCache',
  'bucketCache',
  'minTime',
  'maxTime',
  'livenessProbe',
  'limits',
] as const satisfies readonly OptionName[];

const COMPACT = [
  ...WORKLOAD,
  'serviceMonitor',
  'objectStorageConfig',
  'volumeClaimTemplate',
  'retentionResolutionRaw',
  'retentionResolution5m',
  'retentionResolution1h',
  'compactConcurrency',
  'downsampleConcurrency',
  'deduplicationReplicaLabels',
  'deleteDelay',
  'disableDownsampling',
] as const satisfies readonly OptionName[];

const RECEIVE = [
  ...WORKLOAD,
  'serviceMonitor',
  'replicaLabels',
  'replicationFactor',
  'minReadySeconds',
  'objectStorageConfig',
  'podDisruptionBudgetMaxUnavailable',
  'hashringConfigMapName',
  'enableLocalEndpoint',
  'volumeClaimTemplate',
  'retention',
  'labels',
  'tenantLabelName',
  'tenantHeader',
  'receiveLimitsConfigFile',
  'storeLimits',
  'hashringsAlgorithm',
  'hashringsFileRefreshInterval',
] as const satisfies readonly OptionName[];

// kube-thanos's router reads neither podLabelSelector (it derives its own from the router labels) nor storeLimits.
const ROUTER = RECEIVE.filter((option) => option !== 'podLabelSelector' && option !== 'storeLimits');

/**
 * Options of ours that kube-thanos has no equivalent for. Off (null) by default, so that a stack without them renders
 * exactly what kube-thanos renders; the parity and differential tests leave them out for that reason.
 */
export const EXTENSION_OPTIONS: readonly OptionName[] = ['hashringsAlgorithm', 'hashringsFileRefreshInterval'];

/** Which options each component section accepts (the kube-thanos defaults object of that component). */
export const componentOptions = {
  query: [
    ...WORKLOAD,
    'serviceMonitor',
    'securityContextContainer',
    'replicaLabels',
    'stores',
    'rules',
    'externalPrefix',
    'prefixHeader',
    'queryUrl',
    'autoDownsampling',
    'useThanosEngine',
    'queryTimeout',
    'lookbackDelta',
    'telemetryDurationQuantiles',
    'telemetrySamplesQuantiles',
    'telemetrySeriesQuantiles',
  ],
  queryFrontend: [
    ...WORKLOAD,
    'serviceMonitor',
    'securityContextContainer',
    'downstreamURL',
    'splitInterval',
    'maxRetries',
    'logQueriesLongerThan',
    'queryRangeCache',
    'labelsCache',
    'queryUrl',
  ],
  receiveRouter: [...ROUTER, 'securityContextContainer', 'routerReplicas', 'hashrings', 'endpoints'],
  receiveIngestor: [...RECEIVE, 'hashrings', 'debug'],
  receive: [...RECEIVE],
  receiveHashrings: [...RECEIVE, 'hashrings', 'debug'],
  store: [...STORE],
  storeShards: [...STORE, 'shards'],
  compact: [...COMPACT],
  compactShards: [...COMPACT, 'shards', 'sourceLabels'],
  rule: [
    ...WORKLOAD,
    'serviceMonitor',
    'securityContextContainer',
    'objectStorageConfig',
    'volumeClaimTemplate',
    'reloaderImage',
    'reloaderImagePullPolicy',
    'ruleFiles',
    'rulesConfig',
    'alertmanagersURLs',
    'alertmanagerConfigFile',
    'remoteWriteConfigFile',
    'extraVolumeMounts',
    'queriers',
    'retention',
    'blockDuration',
  ],
  bucket: [...WORKLOAD, 'securityContextContainer', 'objectStorageConfig', 'label', 'refresh'],
  bucketReplicate: [
    ...WORKLOAD,
    'objectStorageConfig',
    'objectStorageToConfig',
    'minTime',
    'maxTime',
    'compactionLevels',
    'resolutions',
  ],
  sidecar: [
    'name',
    'namespace',
    'version',
    'serviceMonitor',
    'ports',
    'podLabelSelector',
    'commonLabels',
    'serviceLabelSelector',
  ],
} as const satisfies Record<string, readonly OptionName[]>;

/**
 * Options kube-thanos declares in a component's defaults but never reads for it (a value there changes nothing),
 * with the reason the parser gives instead of a bare "unknown option".
 */
export const IGNORED_OPTIONS: Partial<Record<ComponentKey, Partial<Record<OptionName, string>>>> = {
  compact: {
    securityContextContainer:
      'kube-thanos-compact.libsonnet writes no container securityContext; set securityContext (the pod one) instead',
  },
  compactShards: {
    securityContextContainer:
      'kube-thanos-compact.libsonnet writes no container securityContext; set securityContext (the pod one) instead',
  },
  receive: {
    securityContextContainer:
      'kube-thanos-receive.libsonnet writes no container securityContext; set securityContext (the pod one) instead',
  },
  receiveHashrings: {
    securityContextContainer:
      'kube-thanos-receive.libsonnet writes no container securityContext; set securityContext (the pod one) instead',
  },
  receiveIngestor: {
    securityContextContainer:
      'kube-thanos-receive.libsonnet writes no container securityContext; set securityContext (the pod one) instead',
    routerReplicas: 'only the receiveRouter Deployment reads routerReplicas; size the ingestors with replicas',
  },
  receiveRouter: {
    podLabelSelector:
      'kube-thanos-receive-router.libsonnet derives the router selector from commonLabels; set commonLabels instead',
    storeLimits: 'the router serves no Store API; set storeLimits on the ingestors',
  },
  bucketReplicate: {
    securityContextContainer:
      'kube-thanos-bucket-replicate.libsonnet writes no container securityContext; set securityContext (the pod one) instead',
  },
};

export type ComponentKey = keyof typeof componentOptions;
export const COMPONENT_KEYS = Object.keys(componentOptions) as ComponentKey[];

const COMPONENT_SUMMARY: Record<ComponentKey, string> = {
  query: 'Thanos Query (kube-thanos-query).',
  queryFrontend: 'Thanos Query Frontend (kube-thanos-query-frontend).',
  receiveRouter: 'Receive router Deployment + hashrings ConfigMap (kube-thanos-receive-router).',
  receiveIngestor: 'Receive ingestors, one StatefulSet per hashring (kube-thanos-receive-ingestor).',
  receive: 'Single receive StatefulSet acting as router and ingestor (kube-thanos-receive).',
  receiveHashrings: 'Receive StatefulSets per hashring (kube-thanos-receive-hashrings).',
  store: 'Store gateway (kube-thanos-store).',
  storeShards: 'Sharded store gateways (kube-thanos-store-shards).',
  compact: 'Compactor (kube-thanos-compact).',
  compactShards: 'Sharded compactors (kube-thanos-compact-shards).',
  rule: 'Ruler (kube-thanos-rule).',
  bucket: 'Bucket web UI (kube-thanos-bucket).',
  bucketReplicate: 'Bucket replicator (kube-thanos-bucket-replicate).',
  sidecar: 'Service and ServiceMonitor for Prometheus sidecars (kube-thanos-sidecar).',
};

function pickOptions<const K extends readonly OptionName[]>(keys: K) {
  const shape = Object.fromEntries(keys.map((key) => [key, optionSchemas[key].optional()])) as {
    [P in K[number]]: z.ZodOptional<(typeof optionSchemas)[P]>;
  };
  return z.object(shape).strict();
}

const componentSchemas = named('component', {
  query: pickOptions(componentOptions.query).describe(COMPONENT_SUMMARY.query),
  queryFrontend: pickOptions(componentOptions.queryFrontend).describe(COMPONENT_SUMMARY.queryFrontend),
  receiveRouter: pickOptions(componentOptions.receiveRouter).describe(COMPONENT_SUMMARY.receiveRouter),
  receiveIngestor: pickOptions(componentOptions.receiveIngestor).describe(COMPONENT_SUMMARY.receiveIngestor),
  receive: pickOptions(componentOptions.receive).describe(COMPONENT_SUMMARY.receive),
  receiveHashrings: pickOptions(componentOptions.receiveHashrings).describe(COMPONENT_SUMMARY.receiveHashrings),
  store: pickOptions(componentOptions.store).describe(COMPONENT_SUMMARY.store),
  storeShards: pickOptions(componentOptions.storeShards).describe(COMPONENT_SUMMARY.storeShards),
  compact: pickOptions(componentOptions.compact).describe(COMPONENT_SUMMARY.compact),
  compactShards: pickOptions(componentOptions.compactShards).describe(COMPONENT_SUMMARY.compactShards),
  rule: pickOptions(componentOptions.rule).describe(COMPONENT_SUMMARY.rule),
  bucket: pickOptions(componentOptions.bucket).describe(COMPONENT_SUMMARY.bucket),
  bucketReplicate: pickOptions(componentOptions.bucketReplicate).describe(COMPONENT_SUMMARY.bucketReplicate),
  sidecar: pickOptions(componentOptions.sidecar).describe(COMPONENT_SUMMARY.sidecar),
});

const ALL_OPTIONS = Object.keys(optionSchemas) as OptionName[];

export const commonSchema = pickOptions(ALL_OPTIONS as unknown as readonly OptionName[]).describe(
  'Merged under every component (kube-thanos commonConfig): a shallow merge where component keys win. ' +
    'A key here is used by the components that take it.',
);

export const API_VERSION = 'thanos-gitops/v1alpha1';
export const KIND = 'ThanosStack';

export const stackConfigSchema = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(KIND),
    common: commonSchema.optional(),
    ...(Object.fromEntries(COMPONENT_KEYS.map((key) => [key, componentSchemas[key].optional()])) as {
      [K in ComponentKey]: z.ZodOptional<(typeof componentSchemas)[K]>;
    }),
    tls: tlsSchema.optional(),
    objectStorage: objectStorageSchema.optional(),
    production: productionSchema.optional(),
  })
  .strict()
  .describe('thanos-gitops stack config: a kube-thanos deployment described with kube-thanos option names.');

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type CommonConfig = z.infer<typeof commonSchema>;
/** The options of one component section, all optional (before common and defaults are merged in). */
export type ComponentParams = Partial<{ [K in OptionName]: z.infer<(typeof optionSchemas)[K]> }>;
export type Hashring = z.infer<typeof hashringSchema>;
export type ObjectStorageConfigRef = z.infer<typeof objectStorageConfigSchema>;
export type EnvVar = z.infer<typeof envVarSchema>;
