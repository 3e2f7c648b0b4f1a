import { stringify } from 'yaml';
import { componentOptions, type ComponentKey } from '../../src/config/schema.js';

/**
 * A seeded generator of valid stack configs for the differential suite: each config is written both as our YAML
 * and as a jsonnet entrypoint over kube-thanos (../shared/kube-thanos/src), and the two renders must match.
 *
 * Every option of every component is set to a non-default value with probability OPTION_RATE, alternately in the
 * component's section and in `common:` (kube-thanos's commonConfig). Values walk the branches the libsonnet takes
 * (cache types, TLS objstore, null objstore, empty/non-empty strings and lists, extra ports that move the probed
 * port, overridden labels and selectors).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface GeneratedStack {
  seed: number;
  common: JsonObject;
  components: Partial<Record<ComponentKey, JsonObject>>;
}

/** mulberry32: small, fast, and the same sequence on every platform for a seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPTION_RATE = 0.55;
// Small stacks: jsonnet's cost grows with every component, and the options vary within components.
const COMPONENT_RATE = 0.25;

class Dice {
  constructor(private readonly next: () => number) {}
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)] as T;
  }
  some<T>(values: readonly T[], min = 0): T[] {
    const out = values.filter(() => this.chance(0.5));
    while (out.length < min) out.push(this.pick(values));
    return out;
  }
}

const WORKLOAD_VALUES: Record<string, (d: Dice, key: ComponentKey) => Json> = {
  name: (d, key) => `${d.pick(['thanos', 'obs', 'metrics'])}-${key.toLowerCase()}`,
  namespace: (d) => d.pick(['monitoring', 'observability']),
  version: (d) => d.pick(['v0.42.4', 'v0.39.2']),
  image: (d) => d.pick(['quay.io/thanos/thanos:v0.42.4', 'registry.example.com/thanos:v0.39.2']),
  imagePullPolicy: (d) => d.pick(['Always', 'Never']),
  logLevel: (d) => d.pick(['debug', 'warn', 'error']),
  logFormat: () => 'json',
  resources: (d) =>
    d.pick<JsonObject>([
      { requests: { cpu: '100m', memory: '128Mi' } },
      { requests: { cpu: 0.25, memory: '1Gi' }, limits: { cpu: 1, memory: '2Gi' } },
      { limits: { memory: '4Gi' } },
    ]),
  tracing: (d) =>
    d.pick<JsonObject>([
      { type: 'JAEGER', config: { sampler_type: 'ratelimiting', sampler_param: 2 } },
      { type: 'OTLP', config: { client_type: 'grpc', endpoint: 'otel-collector:4317', insecure: true } },
      { type: 'JAEGER', config: { service_name: 'custom-name' } },
    ]),
  extraEnv: (d) =>
    d.pick<Json[]>([
      [{ name: 'GOGC', value: '50' }],
      [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'DEBUG_MODE', value: 'on' },
      ],
    ]),
  securityContext: (d) =>
    d.pick<JsonObject>([
      {
        fsGroup: 2000,
        runAsUser: 1000,
        runAsGroup: 3000,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      {
        runAsUser: 10001,
        runAsGroup: 10001,
        runAsNonRoot: true,
        seccompProfile: { type: 'Localhost', localhostProfile: 'thanos.json' },
      },
    ]),
  securityContextContainer: (d) =>
    d.pick<JsonObject>([
      {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
      },
      { readOnlyRootFilesystem: false },
    ]),
  serviceAccountAnnotations: (d) =>
    d.pick<JsonObject>([
      { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/thanos' },
      { team: 'observability', 'a.b/c': 'd' },
    ]),
  serviceMonitor: () => true,
  commonLabels: (d, key) => {
    const labels: JsonObject = {
      'app.kubernetes.io/name': `custom-${key.toLowerCase()}`,
      'app.kubernetes.io/instance': d.pick(['one', 'two']),
    };
    if (d.chance(0.5)) labels['app.kubernetes.io/version'] = 'v9';
    if (d.chance(0.5)) labels.team = 'observability';
    return labels;
  },
  podLabelSelector: (d, key) =>
    d.pick<JsonObject>([
      { 'app.kubernetes.io/name': `sel-${key.toLowerCase()}` },
      { team: 'observability', tier: 'backend' },
    ]),
  objectStorageConfig: (d) =>
    d.pick<JsonObject>([
      { name: 'objstore-alt', key: 'bucket.yaml' },
      { name: 'objstore', key: 'thanos.yaml', tlsSecretName: 'objstore-tls', tlsSecretMountPath: '/etc/objstore-tls' },
      { name: 'objstore', key: 'thanos.yaml', tlsSecretName: '', tlsSecretMountPath: '' },
    ]),
  volumeClaimTemplate: (d) =>
    d.pick<JsonObject>([
      { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } },
      {
        metadata: { labels: { backup: 'daily' }, annotations: { note: 'x' } },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '50Gi' } } },
      },
    ]),
};

function ports(base: Record<string, number>): (d: Dice) => Json {
  return (d) => {
    const out: JsonObject = {};
    const moved = d.pick(Object.keys(base));
    for (const [name, number] of Object.entries(base))
      out[name] = name === moved || d.chance(0.5) ? number + d.int(1, 50) : number;
    // A port whose name sorts first moves which port kube-thanos's query and rule read as `ports[1]`.
    if (d.chance(0.3)) out[d.pick(['admin', 'metrics', 'zz-extra'])] = 8000 + d.int(0, 99);
    return out;
  };
}

const memcached = (extra: JsonObject = {}): JsonObject => ({
  type: 'memcached',
  config: { addresses: ['dnssrv+_client._tcp.memcached.monitoring'], ...extra },
});

const RECEIVE_VALUES: Record<string, (d: Dice, key: ComponentKey) => Json> = {
  replicationFactor: (d) => d.pick([2, 3]),
  minReadySeconds: (d) => d.int(1, 60),
  podDisruptionBudgetMaxUnavailable: (d) => d.pick([0, 2]),
  enableLocalEndpoint: () => false,
  retention: (d) => d.pick(['1d', '6h']),
  labels: (d) => d.pick<Json[]>([[], ['replica="$(NAME)"', 'cluster="eu-1"']]),
  tenantLabelName: (d) => d.pick(['tenant', 'tenant_id']),
  tenantHeader: (d) => d.pick(['X-Tenant', 'THANOS-TENANT']),
  receiveLimitsConfigFile: () => ({ name: 'receive-limits', key: 'limits.yaml' }),
  storeLimits: (d) =>
    d.pick<JsonObject>([
      { requestSamples: 1000000 },
      { requestSeries: 5000 },
      { requestSamples: 0, requestSeries: 100 },
    ]),
  hashrings: (d) =>
    d.pick<Json[]>([
      [{ hashring: 'default', tenants: [], algorithm: 'ketama' }],
      [
        { hashring: 'tenant-a', tenants: ['a', 'b*'], tenant_matcher_type: 'glob' },
        { hashring: 'default', tenants: [], external_labels: { region: 'eu' } },
      ],
    ]),
  debug: () => '1',
  replicaLabels: (d) => d.pick<Json[]>([[], ['receive_replica', 'tenant_replica']]),
};

const OPTIONS: Record<ComponentKey, Record<string, (d: Dice, key: ComponentKey) => Json>> = {
  query: {
    ...WORKLOAD_VALUES,
    replicas: (d) => d.pick([0, 2, 3]),
    ports: ports({ grpc: 10901, http: 9090 }),
    replicaLabels: (d) => d.pick<Json[]>([[], ['prometheus_replica', 'rule_replica']]),
    stores: () => ['dnssrv+_grpc._tcp.thanos-store.monitoring.svc', 'thanos-sidecar:10901'],
    rules: () => ['dnssrv+_grpc._tcp.thanos-rule.monitoring.svc'],
    externalPrefix: () => '/thanos',
    prefixHeader: () => 'X-Forwarded-Prefix',
    queryUrl: () => 'https://thanos.example.com',
    autoDownsampling: () => false,
    useThanosEngine: () => true,
    queryTimeout: () => '5m',
    lookbackDelta: () => '15m',
    telemetryDurationQuantiles: () => '0.1, 0.25,0.75 , 1.25',
    telemetrySamplesQuantiles: () => '100,1000',
    telemetrySeriesQuantiles: () => '10',
  },
  queryFrontend: {
    ...WORKLOAD_VALUES,
    replicas: (d) => d.pick([0, 2, 3]),
    ports: ports({ http: 9090 }),
    downstreamURL: () => 'http://thanos-query.monitoring.svc:9090',
    splitInterval: () => '12h',
    maxRetries: (d) => d.pick([0, 10]),
    logQueriesLongerThan: () => '10s',
    queryUrl: () => 'https://thanos.example.com',
    queryRangeCache: (d) =>
      d.pick<JsonObject>([
        memcached(),
        memcached({ timeout: '1s', max_item_size: '2MiB' }),
        { type: 'IN-MEMORY', config: { max_size: '1GB' } },
        { type: 'in-memory' },
        { type: 'REDIS', config: { addr: 'redis:6379' } },
      ]),
    labelsCache: (d) =>
      d.pick<JsonObject>([
        memcached(),
        { type: 'in-memory', config: { validity: '1h' } },
        { type: 'redis', config: { addr: 'redis:6379' } },
      ]),
  },
  store: {
    ...WORKLOAD_VALUES,
    replicas: (d) => d.pick([0, 2, 3]),
    ports: ports({ grpc: 10901, http: 10902 }),
    ignoreDeletionMarksDelay: () => '48h',
    indexCache: (d) =>
      d.pick<JsonObject>([
        memcached(),
        memcached({ max_item_size: '4MiB' }),
        { type: 'IN-MEMORY', config: { max_size: '250MB' } },
        { type: 'REDIS', config: { addr: 'redis:6379' } },
      ]),
    bucketCache: (d) =>
      d.pick<JsonObject>([
        memcached(),
        { ...memcached(), chunk_subrange_size: 32000, metafile_max_size: '2MiB' },
        { type: 'IN-MEMORY', config: { max_size: '1GB' } },
      ]),
    minTime: () => '-6w',
    maxTime: () => '-2h',
    livenessProbe: (d) => ({
      failureThreshold: d.int(2, 10),
      periodSeconds: d.int(5, 60),
      timeoutSeconds: d.int(1, 5),
    }),
    limits: (d) => ({
      seriesTouched: d.pick([0, 100000]),
      seriesSample: d.pick([0, 5000000]),
      downloadedBytes: d.pick([0, 1073741824]),
    }),
  },
  storeShards: {},
  compact: {
    ...WORKLOAD_VALUES,
    ports: ports({ http: 10902 }),
    retentionResolutionRaw: () => '30d',
    retentionResolution5m: () => '90d',
    retentionResolution1h: () => '1y',
    compactConcurrency: (d) => d.int(2, 4),
    downsampleConcurrency: (d) => d.int(2, 4),
    deduplicationReplicaLabels: () => ['prometheus_replica', 'receive_replica'],
    deleteDelay: () => '24h',
    disableDownsampling: () => true,
  },
  compactShards: {},
  receive: {
    ...WORKLOAD_VALUES,
    ...RECEIVE_VALUES,
    objectStorageConfig: (d) =>
      d.chance(0.3)
        ? null
        : (WORKLOAD_VALUES.objectStorageConfig as (d: Dice, key: ComponentKey) => Json)(d, 'receive'),
    replicas: (d) => d.pick([0, 2, 3]),
    ports: ports({ grpc: 10901, http: 10902, 'remote-write': 19291 }),
    hashringConfigMapName: () => 'receive-hashrings',
  },
  receiveHashrings: {},
  receiveIngestor: {},
  receiveRouter: {},
  rule: {
    ...WORKLOAD_VALUES,
    replicas: (d) => d.pick([0, 2, 3]),
    ports: ports({ grpc: 10901, http: 10902, reloader: 9533 }),
    reloaderImage: () => 'ghcr.io/jimmidyson/configmap-reload:v0.14.0',
    reloaderImagePullPolicy: () => 'Always',
    ruleFiles: () => ['/etc/thanos/extra/a.yaml'],
    rulesConfig: (d) =>
      d.pick<Json[]>([
        [{ name: 'rules-a', key: 'a.yaml' }],
        [
          { name: 'rules-a', key: 'a.yaml' },
          { name: 'rules-b', key: 'b.yaml' },
        ],
      ]),
    alertmanagersURLs: () => ['http://alertmanager:9093'],
    alertmanagerConfigFile: () => ({ name: 'am-config', key: 'am.yaml' }),
    remoteWriteConfigFile: () => ({ name: 'rw-config', key: 'rw.yaml' }),
    extraVolumeMounts: () => [{ name: 'extra-rules', mountPath: '/etc/thanos/extra', type: 'configMap' }],
    queriers: () => ['dnssrv+_http._tcp.thanos-query.monitoring.svc'],
    retention: () => '12h',
    blockDuration: () => '1h',
  },
  bucket: {
    ...WORKLOAD_VALUES,
    ports: ports({ http: 10902 }),
    label: () => 'cluster',
    refresh: () => '5m',
  },
  bucketReplicate: {
    ...WORKLOAD_VALUES,
    ports: ports({ http: 10902 }),
    objectStorageToConfig: () => ({ name: 'objstore-dr', key: 'thanos.yaml' }),
    minTime: () => '-30d',
    maxTime: () => '-1d',
    compactionLevels: (d) => d.some([1, 2, 3, 4], 1),
    resolutions: (d) => d.some(['0s', '5m', '1h'], 1),
  },
  sidecar: {
    name: WORKLOAD_VALUES.name as (d: Dice, key: ComponentKey) => Json,
    namespace: WORKLOAD_VALUES.namespace as (d: Dice, key: ComponentKey) => Json,
    version: WORKLOAD_VALUES.version as (d: Dice, key: ComponentKey) => Json,
    serviceMonitor: () => true,
    ports: ports({ grpc: 10901, http: 10902 }),
    commonLabels: WORKLOAD_VALUES.commonLabels as (d: Dice, key: ComponentKey) => Json,
    podLabelSelector: (d) =>
      d.pick<JsonObject>([{ app: 'prometheus' }, { 'app.kubernetes.io/name': 'prometheus', prometheus: 'k8s' }]),
    serviceLabelSelector: () => ({ 'app.kubernetes.io/name': 'thanos-sidecar', team: 'observability' }),
  },
};
OPTIONS.storeShards = { ...OPTIONS.store, shards: (d) => d.int(2, 3) };
OPTIONS.compactShards = {
  ...OPTIONS.compact,
  shards: (d) => d.int(2, 3),
  sourceLabels: (d) => d.pick<Json[]>([['cluster'], ['cluster', 'region']]),
};
OPTIONS.receiveHashrings = { ...OPTIONS.receive };
OPTIONS.receiveIngestor = { ...OPTIONS.receive };
const {
  podLabelSelector: _routerSelector,
  storeLimits: _routerLimits,
  debug: _routerDebug,
  ...routerBase
} = OPTIONS.receive;
OPTIONS.receiveRouter = {
  ...routerBase,
  securityContextContainer: WORKLOAD_VALUES.securityContextContainer as (d: Dice, key: ComponentKey) => Json,
  routerReplicas: (d) => d.pick([0, 2, 3]),
};
delete OPTIONS.receiveRouter.replicas;
delete OPTIONS.receive.hashrings;
delete OPTIONS.receive.debug;
// Only what the component accepts: options kube-thanos ignores are refused (test/unit/option-parity.test.ts).
for (const [key, options] of Object.entries(OPTIONS) as [ComponentKey, Record<string, unknown>][]) {
  for (const option of Object.keys(options))
    if (!(componentOptions[key] as readonly string[]).includes(option)) delete options[option];
}

/** The options the generator varies, per component (the differential coverage report counts these). */
export const GENERATED_OPTIONS: Record<ComponentKey, string[]> = Object.fromEntries(
  Object.entries(OPTIONS).map(([key, options]) => [key, Object.keys(options).sort()]),
) as Record<ComponentKey, string[]>;

// Options that must take one value across the stack (the router writes the ConfigMap the ingestors mount; ingestors
// may instead mount none, set at the end of generateStack).
const SHARED_IN_COMMON = new Set(['hashringConfigMapName']);
// Options every component section needs for kube-thanos to render (its `error 'must provide'` fields and asserts).
const COMMON_BASE: JsonObject = {
  namespace: 'thanos',
  version: 'v0.42.4',
  image: 'quay.io/thanos/thanos:v0.42.4',
  objectStorageConfig: { name: 'thanos-objectstorage', key: 'thanos.yaml' },
};

const FAMILIES: ComponentKey[][] = [
  ['query'],
  ['queryFrontend'],
  ['store', 'storeShards'],
  ['compact', 'compactShards'],
  ['receive', 'receiveHashrings', 'receiveIngestor'],
  ['receiveRouter'],
  ['rule'],
  ['bucket'],
  ['bucketReplicate'],
  ['sidecar'],
];

export function generateStack(seed: number): GeneratedStack {
  const d = new Dice(random(seed));
  const common: JsonObject = { ...COMMON_BASE };
  const components: Partial<Record<ComponentKey, JsonObject>> = {};
  for (const family of FAMILIES) {
    for (const key of family) if (d.chance(COMPONENT_RATE)) components[key] = {};
  }
  if (Object.keys(components).length === 0) components.query = {};
  // The router's hashrings and endpoints come from the ingestors when both are present, as in example.jsonnet.
  const routerWithoutIngestor = components.receiveRouter !== undefined && components.receiveIngestor === undefined;

  for (const [key, params] of Object.entries(components) as [ComponentKey, JsonObject][]) {
    requiredFor(key, params, d);
    for (const [option, value] of Object.entries(OPTIONS[key])) {
      if (!d.chance(OPTION_RATE)) continue;
      if (option === 'commonLabels' && !needsNoLabelReadBack(key) && d.chance(0.5)) {
        params[option] = { team: 'observability', 'app.kubernetes.io/name': `bare-${key.toLowerCase()}` };
        continue;
      }
      const generated = value(d, key);
      if (SHARED_IN_COMMON.has(option) || (d.chance(0.15) && safeInCommon(option, common))) common[option] = generated;
      else params[option] = generated;
    }
    if (key === 'rule') completeRule(params, common);
  }
  if (routerWithoutIngestor) {
    const router = components.receiveRouter as JsonObject;
    const rings = (router.hashrings as { hashring: string }[] | undefined) ?? [{ hashring: 'default' }];
    router.endpoints = Object.fromEntries(
      rings.map((ring, i) => [ring.hashring, [`ingestor-${i}.thanos.svc:10901`, `ingestor-${i + 1}.thanos.svc:10901`]]),
    );
  }
  if (components.receiveRouter && components.receiveIngestor) delete (components.receiveRouter as JsonObject).hashrings;
  if (components.receiveRouter && components.receiveIngestor && d.chance(0.3)) {
    // The router may also name the ingestors itself.
    (components.receiveRouter as JsonObject).endpoints = { default: ['a:10901'], 'tenant-a': ['b:10901'] };
    (components.receiveRouter as JsonObject).hashrings = [
      { hashring: 'default', tenants: [] },
      { hashring: 'tenant-a', tenants: ['a'] },
    ];
  }
  // Ingestors without the hashrings file (kube-thanos renders neither the flag nor the mount): ingestor-only receivers.
  if (components.receiveIngestor && d.chance(components.receiveRouter ? 0.7 : 0.3))
    (components.receiveIngestor as JsonObject).hashringConfigMapName = '';
  return { seed, common, components };
}

/** Options a section must have for kube-thanos to render (its error fields and asserts). */
function requiredFor(key: ComponentKey, params: JsonObject, d: Dice): void {
  if (
    [
      'query',
      'queryFrontend',
      'store',
      'storeShards',
      'receive',
      'receiveHashrings',
      'receiveIngestor',
      'rule',
    ].includes(key)
  )
    params.replicas = d.int(1, 3);
  if (['compact', 'compactShards', 'bucket', 'bucketReplicate'].includes(key)) params.replicas = 1;
  if (key === 'query') params.replicaLabels = ['prometheus_replica'];
  if (key.startsWith('receive')) params.replicationFactor = 1;
  if (['receive', 'receiveHashrings', 'receiveIngestor'].includes(key)) params.replicaLabels = ['receive_replica'];
  if (key === 'queryFrontend') params.downstreamURL = 'http://thanos-query.thanos.svc:9090';
  if (key === 'bucketReplicate') params.objectStorageToConfig = { name: 'thanos-objectstorage-dr', key: 'thanos.yaml' };
  if (key === 'compactShards') params.sourceLabels = ['cluster'];
  if (key === 'sidecar') params.podLabelSelector = { app: 'prometheus' };
  // kube-thanos-rule.libsonnet asserts volumeClaimTemplate is an object but has no default for it.
  if (key === 'rule') params.volumeClaimTemplate = {};
}

/** The router, bucket tools and sidecar never read their labels back, so any commonLabels work there. */
function needsNoLabelReadBack(key: ComponentKey): boolean {
  return !['receiveRouter', 'bucket', 'bucketReplicate', 'sidecar'].includes(key);
}

/** Options that would break another component if shared through common (kube-thanos asserts or reads them). */
function safeInCommon(option: string, common: JsonObject): boolean {
  if (option in common && !(option in COMMON_BASE)) return false;
  return ![
    'replicas',
    'ports',
    'name',
    'commonLabels',
    'podLabelSelector',
    'hashrings',
    'endpoints',
    'objectStorageConfig',
    'stores',
    'minTime',
    'maxTime',
  ].includes(option);
}

/** The ruler needs the reloader image and port once a ConfigMap is mounted. */
function completeRule(params: JsonObject, common: JsonObject): void {
  const mounts = ['rulesConfig', 'alertmanagerConfigFile', 'remoteWriteConfigFile', 'extraVolumeMounts'].some(
    (option) => option in params || option in common,
  );
  if (mounts && !('reloaderImage' in params) && !('reloaderImage' in common))
    params.reloaderImage = 'jimmidyson/configmap-reload:v0.5.0';
}

export function stackYaml(stack: GeneratedStack): string {
  return stringify(
    { apiVersion: 'thanos-gitops/v1alpha1', kind: 'ThanosStack', common: stack.common, ...stack.components },
    { lineWidth: 0 },
  );
}

/**
 * jsonnet text for an option value. The YAML config's caches and tracing merge their `config` over kube-thanos's
 * defaults, which all.jsonnet writes as `config+:`; everything else is plain JSON (a shallow replace).
 */
function jsonnetValue(option: string, value: Json): string {
  if (
    ['indexCache', 'bucketCache', 'queryRangeCache', 'labelsCache', 'tracing'].includes(option) &&
    value &&
    typeof value === 'object' &&
    !Array.isArray(value)
  ) {
    const fields = Object.entries(value).map(
      ([field, inner]) => `${JSON.stringify(field)}${field === 'config' ? '+' : ''}: ${JSON.stringify(inner)}`,
    );
    return `{ ${fields.join(', ')} }`;
  }
  return JSON.stringify(value);
}

function jsonnetObject(params: JsonObject): string {
  return `{ ${Object.entries(params)
    .map(([option, value]) => `${JSON.stringify(option)}: ${jsonnetValue(option, value)}`)
    .join(', ')} }`;
}

/**
 * The jsonnet expression (using `t`, kube-thanos.libsonnet) for the stack: an object from our file stems
 * (`thanos-store-statefulSet`) to kube-thanos's objects, wired the way example.jsonnet/all.jsonnet wire them.
 */
export function stackJsonnet(stack: GeneratedStack): string {
  const { components } = stack;
  const lines: string[] = [`local common = ${jsonnetObject(stack.common)};`];
  const has = (key: ComponentKey) => components[key] !== undefined;
  const set = (key: ComponentKey, option: string) => option in (components[key] ?? {}) || option in stack.common;
  const make = (key: ComponentKey, variable: string, extra = '') =>
    lines.push(`local ${variable} = t.${key}(common + ${jsonnetObject(components[key] as JsonObject)}${extra});`);

  const variables: Partial<Record<ComponentKey, string>> = {
    query: 'q',
    queryFrontend: 'qf',
    store: 's',
    storeShards: 'ss',
    compact: 'c',
    compactShards: 'cs',
    receive: 're',
    receiveHashrings: 'rh',
    receiveIngestor: 'ri',
    receiveRouter: 'rr',
    rule: 'ru',
    bucket: 'b',
    bucketReplicate: 'br',
    sidecar: 'sc',
  };
  for (const key of Object.keys(variables) as ComponentKey[]) {
    if (!has(key) || key === 'query' || key === 'receiveRouter') continue;
    make(key, variables[key] as string);
  }
  if (has('receiveRouter')) {
    const wiring: string[] = [];
    if (has('receiveIngestor') && !set('receiveRouter', 'hashrings')) wiring.push('hashrings: ri.config.hashrings');
    if (has('receiveIngestor') && !set('receiveRouter', 'endpoints')) wiring.push('endpoints: ri.endpoints');
    make('receiveRouter', 'rr', wiring.length > 0 ? ` + { ${wiring.join(', ')} }` : '');
  }
  if (has('query')) {
    if (set('query', 'stores')) {
      make('query', 'q');
    } else {
      const grpc = (component: string, config: string) =>
        `'dnssrv+_grpc._tcp.%s.%s:%d' % [${component}.service.metadata.name, ${component}.service.metadata.namespace, ${config}.config.ports.grpc]`;
      const stores: string[] = [];
      if (has('store')) stores.push(`[${grpc('s', 's')}]`);
      if (has('storeShards'))
        stores.push(`[${grpc("ss.shards['shard%d' % i]", 'ss')} for i in std.range(0, ss.config.shards - 1)]`);
      if (has('receiveIngestor'))
        stores.push(`[${grpc('ri.ingestors[h.hashring]', 'ri')} for h in ri.config.hashrings]`);
      if (has('receive')) stores.push(`[${grpc('re', 're')}]`);
      if (has('receiveHashrings'))
        stores.push(`[${grpc('rh.hashrings[h.hashring]', 'rh')} for h in rh.config.hashrings]`);
      if (has('rule')) stores.push(`[${grpc('ru', 'ru')}]`);
      if (has('sidecar')) stores.push(`[${grpc('sc', 'sc')}]`);
      make('query', 'q', stores.length > 0 ? ` + { stores: ${stores.join(' + ')} }` : '');
    }
  }

  const parts: string[] = [];
  const plain = (variable: string, prefix: string) =>
    parts.push(
      `{ ['${prefix}-' + n]: ${variable}[n] for n in std.objectFields(${variable}) if ${variable}[n] != null }`,
    );
  const nested = (variable: string, field: string, prefix: string, key: string) =>
    parts.push(
      `{ ['${prefix}-' + ${key} + '-' + n]: ${variable}.${field}[k][n] for k in std.objectFields(${variable}.${field}) for n in std.objectFields(${variable}.${field}[k]) if ${variable}.${field}[k][n] != null }`,
    );
  const shared = (variable: string, field: string, prefix: string) =>
    parts.push(
      `{ ['${prefix}-' + n]: ${variable}[n] for n in std.objectFields(${variable}) if n != '${field}' && ${variable}[n] != null }`,
    );
  if (has('query')) plain('q', 'thanos-query');
  if (has('queryFrontend')) plain('qf', 'thanos-query-frontend');
  if (has('store')) plain('s', 'thanos-store');
  if (has('storeShards')) {
    nested('ss', 'shards', 'thanos-store', 'k');
    shared('ss', 'shards', 'thanos-store-shards');
  }
  if (has('compact')) plain('c', 'thanos-compact');
  if (has('compactShards')) {
    nested('cs', 'shards', 'thanos-compact', 'k');
    shared('cs', 'shards', 'thanos-compact-shards');
  }
  if (has('receive')) plain('re', 'thanos-receive');
  if (has('receiveHashrings')) {
    nested('rh', 'hashrings', 'thanos-receive', 'k');
    shared('rh', 'hashrings', 'thanos-receive-hashrings');
  }
  if (has('receiveIngestor')) {
    nested('ri', 'ingestors', 'thanos-receive-ingestor', 'k');
    shared('ri', 'ingestors', 'thanos-receive-ingestor');
  }
  if (has('receiveRouter')) plain('rr', 'thanos-receive-router');
  if (has('rule')) plain('ru', 'thanos-rule');
  if (has('bucket')) plain('b', 'thanos-bucket');
  if (has('bucketReplicate')) plain('br', 'thanos-bucket-replicate');
  if (has('sidecar')) plain('sc', 'thanos-sidecar');
  return `(\n${lines.map((line) => `  ${line}`).join('\n')}\n  ${parts.join(' +\n  ')}\n)`;
}

/** A whole jsonnet program evaluating many stacks at once (one process: jsonnet's start-up dominates small stacks). */
export function batchJsonnet(stacks: GeneratedStack[]): string {
  return [
    "local t = import 'kube-thanos/thanos.libsonnet';",
    '{',
    ...stacks.map(
      (stack) => `  ${JSON.stringify(String(stack.seed))}: ${stackJsonnet(stack).split('\n').join('\n  ')},`,
    ),
    '}',
    '',
  ].join('\n');
}
