import type { ResolvedComponent, ResolvedStack } from './resolve.js';
import type { ComponentKey, ComponentParams, OptionName } from './schema.js';

/** A problem found after merging, located by the config path that should change. */
export interface RequirementIssue {
  /** YAML path to point at: the option when it is set, else the component section (or `common`). */
  at: (string | number)[];
  /** Dotted config path shown to the user, e.g. `store.replicas`. */
  path: string;
  message: string;
  fix: string;
}

const WORKLOADS: ComponentKey[] = [
  'query',
  'queryFrontend',
  'receiveRouter',
  'receiveIngestor',
  'receive',
  'receiveHashrings',
  'store',
  'storeShards',
  'compact',
  'compactShards',
  'rule',
  'bucket',
  'bucketReplicate',
];

// kube-thanos hard-codes one compactor and sizes the router with routerReplicas.
const NEEDS_REPLICAS: ComponentKey[] = WORKLOADS.filter(
  (key) => key !== 'compact' && key !== 'compactShards' && key !== 'receiveRouter',
);

const NEEDS_OBJSTORE: ComponentKey[] = [
  'store',
  'storeShards',
  'compact',
  'compactShards',
  'rule',
  'bucket',
  'bucketReplicate',
];
const RECEIVE_FAMILY: ComponentKey[] = ['receive', 'receiveHashrings', 'receiveIngestor', 'receiveRouter'];
// The router is a Deployment of its own (kube-thanos-receive-router.libsonnet) that never reads objectStorageConfig.
const RECEIVE_STATEFULSETS: ComponentKey[] = ['receive', 'receiveHashrings', 'receiveIngestor'];
const WITH_PVC: ComponentKey[] = ['store', 'storeShards', 'compact', 'compactShards', 'rule', ...RECEIVE_FAMILY];
/** Components whose pods may reach object storage: the ones that need its config, and receive's StatefulSets. */
export const OBJSTORE_COMPONENTS: readonly ComponentKey[] = [...NEEDS_OBJSTORE, ...RECEIVE_STATEFULSETS];

const PORTS: Partial<Record<ComponentKey, string[]>> = {
  query: ['grpc', 'http'],
  queryFrontend: ['http'],
  store: ['grpc', 'http'],
  storeShards: ['grpc', 'http'],
  compact: ['http'],
  compactShards: ['http'],
  receive: ['grpc', 'http', 'remote-write'],
  receiveHashrings: ['grpc', 'http', 'remote-write'],
  receiveIngestor: ['grpc', 'http', 'remote-write'],
  receiveRouter: ['grpc', 'http', 'remote-write'],
  rule: ['grpc', 'http'],
  bucket: ['http'],
  bucketReplicate: ['http'],
};

/** Whether the ruler gets the configmap-reload sidecar (and so needs reloaderImage and the reloader port). */
export function ruleNeedsReloader(rule: ComponentParams): boolean {
  return (
    (rule.rulesConfig ?? []).length > 0 ||
    (rule.extraVolumeMounts ?? []).length > 0 ||
    rule.alertmanagerConfigFile !== undefined ||
    rule.remoteWriteConfigFile !== undefined
  );
}

/**
 * kube-thanos's `error 'must provide ...'` fields and its asserts, checked on the merged config. Like jsonnet's lazy
 * errors, a field is only required when the component actually uses it (a ruler without mounted ConfigMaps needs no
 * reloader image).
 */
export function checkRequirements(stack: ResolvedStack): RequirementIssue[] {
  const issues: RequirementIssue[] = [];
  for (const component of Object.values(stack)) {
    if (!component) continue;
    const { key, config } = component;
    const need = (option: OptionName, why: string, example: string) => {
      const value = config[option];
      if (value === undefined || value === null) issues.push(missing(component, option, why, example));
    };
    need('namespace', 'kube-thanos: must provide namespace', 'namespace: thanos');
    need('version', 'kube-thanos: must provide version', 'version: v0.31.0');
    if (WORKLOADS.includes(key))
      need('image', 'kube-thanos: must provide image', 'image: quay.io/thanos/thanos:v0.31.0');
    if (NEEDS_REPLICAS.includes(key)) need('replicas', 'kube-thanos: must provide replicas', 'replicas: 1');
    if (key === 'query')
      need(
        'replicaLabels',
        'kube-thanos: must provide replicaLabels',
        'replicaLabels: [prometheus_replica, rule_replica]',
      );
    if (key === 'queryFrontend')
      need(
        'downstreamURL',
        'kube-thanos: must provide downstreamURL',
        'downstreamURL: http://thanos-query.thanos:9090',
      );
    if (key === 'sidecar')
      need('podLabelSelector', 'kube-thanos: must provide podLabelSelector', 'podLabelSelector: {app: prometheus}');
    if (key === 'bucketReplicate') {
      need(
        'objectStorageToConfig',
        'kube-thanos: must provide objectStorageToConfig',
        'objectStorageToConfig: {name: thanos-objectstorage-dr, key: thanos.yaml}',
      );
    }
    if (key === 'compactShards')
      need('sourceLabels', 'kube-thanos: compactShards needs sourceLabels to shard by', 'sourceLabels: [cluster]');
    if (RECEIVE_FAMILY.includes(key)) {
      need('replicationFactor', 'kube-thanos: must provide replication factor', 'replicationFactor: 1');
    }
    // kube-thanos-receive.libsonnet also asserts std.isArray(replicaLabels), which it never writes out; a config
    // without it renders what kube-thanos renders with any list, so it is not demanded here.
    if (RECEIVE_STATEFULSETS.includes(key)) {
      if (!('objectStorageConfig' in config)) {
        issues.push(
          missing(
            component,
            'objectStorageConfig',
            'kube-thanos: must provide objectStorageConfig',
            'objectStorageConfig: {name: thanos-objectstorage, key: thanos.yaml} (or null to keep blocks local)',
          ),
        );
      }
    }
    if (NEEDS_OBJSTORE.includes(key)) {
      if (config.objectStorageConfig === undefined) {
        issues.push(
          missing(
            component,
            'objectStorageConfig',
            'kube-thanos: must provide objectStorageConfig',
            'objectStorageConfig: {name: thanos-objectstorage, key: thanos.yaml}',
          ),
        );
      } else if (config.objectStorageConfig === null) {
        issues.push({
          at: at(component, 'objectStorageConfig'),
          path: `${key}.objectStorageConfig`,
          message: `null is only allowed for receive components; ${key} reads blocks from object storage`,
          fix: 'set objectStorageConfig: {name: <secret>, key: <key>}',
        });
      }
    }
    if (key === 'rule' && ruleNeedsReloader(config)) {
      need(
        'reloaderImage',
        'kube-thanos: must provide reloader image (a ConfigMap is mounted, so configmap-reload runs beside the ruler)',
        'reloaderImage: jimmidyson/configmap-reload:v0.5.0',
      );
    }
    if (key === 'receiveRouter') {
      checkRouterReplicas(component, issues);
      checkRouterEndpoints(component, issues);
      checkRouterConfigMap(component, stack.receiveIngestor, issues);
    }
    checkOnePod(component, issues);
    checkDerivedSecurityContext(component, issues);
    checkLabelsReadBack(component, issues);
    checkPorts(component, issues);
    checkCaches(component, issues);
    if (WITH_PVC.includes(key)) checkVolumeClaimTemplate(component, issues);
  }
  return issues;
}

function at(component: ResolvedComponent, option: string): (string | number)[] {
  const source = component.source[option as OptionName];
  if (source === 'component') return [component.key, option];
  if (source === 'common') return ['common', option];
  return [component.key];
}

function missing(component: ResolvedComponent, option: OptionName, why: string, example: string): RequirementIssue {
  return {
    at: [component.key],
    path: `${component.key}.${option}`,
    message: `missing required option (${why})`,
    fix: `add \`${example}\` under \`${component.key}:\` or \`common:\``,
  };
}

/** kube-thanos hard-codes one pod for these and ignores any other replicas value. */
const ONE_POD: ComponentKey[] = ['compact', 'compactShards', 'bucket', 'bucketReplicate'];

function checkOnePod(component: ResolvedComponent, issues: RequirementIssue[]): void {
  const { replicas } = component.config;
  if (!ONE_POD.includes(component.key) || replicas === undefined || replicas === 1) return;
  issues.push({
    at: at(component, 'replicas'),
    path: `${component.key}.replicas`,
    message: `kube-thanos always runs exactly one ${component.key} pod and ignores replicas (got ${String(replicas)})`,
    fix: component.key.startsWith('compact')
      ? 'set `replicas: 1`; to stop compaction remove the section'
      : 'set `replicas: 1`',
  });
}

/** Components whose container securityContext kube-thanos derives from the pod securityContext when not given. */
const DERIVES_CONTAINER_SECURITY: ComponentKey[] = [
  'query',
  'queryFrontend',
  'store',
  'storeShards',
  'rule',
  'receiveRouter',
  'bucket',
];
const DERIVED_SECURITY_FIELDS = ['runAsUser', 'runAsGroup', 'runAsNonRoot', 'seccompProfile'];

function checkDerivedSecurityContext(component: ResolvedComponent, issues: RequirementIssue[]): void {
  const { securityContext, securityContextContainer } = component.config;
  if (
    !DERIVES_CONTAINER_SECURITY.includes(component.key) ||
    securityContextContainer !== undefined ||
    component.source.securityContext === 'default'
  )
    return;
  const missingFields = DERIVED_SECURITY_FIELDS.filter((field) => securityContext?.[field] === undefined);
  if (missingFields.length === 0) return;
  issues.push({
    at: at(component, 'securityContext'),
    path: `${component.key}.securityContext`,
    message: `kube-thanos derives the container securityContext from ${DERIVED_SECURITY_FIELDS.join(', ')} of securityContext; missing ${missingFields.join(', ')}`,
    fix: `add ${missingFields.join(', ')} to securityContext, or set securityContextContainer`,
  });
}

/** Components whose anti-affinity kube-thanos builds from their own labels (name, and instance for some). */
const READS_NAME_LABEL: ComponentKey[] = [
  'query',
  'queryFrontend',
  'store',
  'storeShards',
  'compact',
  'compactShards',
  'rule',
  ...RECEIVE_STATEFULSETS,
];
const READS_INSTANCE_LABEL: ComponentKey[] = [
  'store',
  'storeShards',
  'compact',
  'compactShards',
  'rule',
  ...RECEIVE_STATEFULSETS,
];

function checkLabelsReadBack(component: ResolvedComponent, issues: RequirementIssue[]): void {
  const labels = component.config.commonLabels;
  if (labels === undefined) return;
  const needed = [
    ...(READS_NAME_LABEL.includes(component.key) ? ['app.kubernetes.io/name'] : []),
    ...(READS_INSTANCE_LABEL.includes(component.key) ? ['app.kubernetes.io/instance'] : []),
  ];
  for (const label of needed) {
    if (labels[label] !== undefined) continue;
    issues.push({
      at: at(component, 'commonLabels'),
      path: `${component.key}.commonLabels`,
      message: `missing label ${label}: kube-thanos builds the pod anti-affinity from it`,
      fix: `add \`${label}: <value>\` to commonLabels (it replaces the default labels as a whole)`,
    });
  }
}

function checkPorts(component: ResolvedComponent, issues: RequirementIssue[]): void {
  const required = [...(PORTS[component.key] ?? [])];
  if (component.key === 'rule' && ruleNeedsReloader(component.config)) required.push('reloader');
  const ports = component.config.ports ?? {};
  for (const name of required) {
    if (ports[name] === undefined) {
      issues.push({
        at: at(component, 'ports'),
        path: `${component.key}.ports.${name}`,
        message: `missing port \`${name}\` (ports replace the kube-thanos default as a whole)`,
        fix: `list every port, e.g. \`ports: {${required.map((p) => `${p.includes('-') ? `'${p}'` : p}: <number>`).join(', ')}}\``,
      });
    }
  }
}

function checkCaches(component: ResolvedComponent, issues: RequirementIssue[]): void {
  const options: OptionName[] = ['indexCache', 'bucketCache', 'queryRangeCache', 'labelsCache'];
  for (const option of options) {
    const cache = component.config[option] as { type?: string; config?: Record<string, unknown> } | undefined;
    if (!cache || typeof cache.type !== 'string' || cache.type.toUpperCase() !== 'MEMCACHED') continue;
    if (!Array.isArray(cache.config?.addresses)) {
      issues.push({
        at: [...at(component, option)],
        path: `${component.key}.${option}.config.addresses`,
        message: 'missing required option (kube-thanos: must provide memcached addresses)',
        fix: "add `config: {addresses: ['dnssrv+_client._tcp.<memcached-service>.<namespace>']}`",
      });
    }
  }
}

function checkVolumeClaimTemplate(component: ResolvedComponent, issues: RequirementIssue[]): void {
  const modes = component.config.volumeClaimTemplate?.spec?.accessModes;
  if (component.config.volumeClaimTemplate?.spec === undefined) return;
  if (!Array.isArray(modes) || modes.length !== 1 || modes[0] !== 'ReadWriteOnce') {
    issues.push({
      at: [...at(component, 'volumeClaimTemplate')],
      path: `${component.key}.volumeClaimTemplate.spec.accessModes`,
      message: `kube-thanos: PVC accessMode can only be ReadWriteOnce (got ${JSON.stringify(modes ?? null)})`,
      fix: 'set `accessModes: [ReadWriteOnce]`',
    });
  }
}

function checkRouterEndpoints(component: ResolvedComponent, issues: RequirementIssue[]): void {
  const { config } = component;
  if (config.endpoints === undefined) {
    issues.push({
      at: [component.key],
      path: 'receiveRouter.endpoints',
      message: 'missing required option (kube-thanos: must provide ingestor endpoints object)',
      fix: 'add a `receiveIngestor:` section (its endpoints are wired in) or set `endpoints: {<hashring>: [<host:port>, ...]}`',
    });
    return;
  }
  for (const ring of config.hashrings ?? []) {
    if (config.endpoints[ring.hashring] === undefined) {
      issues.push({
        at: at(component, 'endpoints'),
        path: `receiveRouter.endpoints.${ring.hashring}`,
        message: `no endpoints for hashring \`${ring.hashring}\``,
        fix: `add \`${ring.hashring}: [<host:port>, ...]\` to receiveRouter.endpoints, or make receiveRouter.hashrings match the ingestors`,
      });
    }
  }
}

/**
 * Ingestors mount the ConfigMap the router writes; two different names leave the ingestors waiting for a volume.
 * Ingestors without one (`hashringConfigMapName: ''`, which kube-thanos renders without the file) are accepted: Thanos
 * v0.42.4 runs a receiver without a hashrings file as IngestorOnly (determineMode, cmd/thanos/receive.go), which
 * writes every series the router forwards to its own TSDB (Handler.RemoteWrite, pkg/receive/handler.go).
 */
function checkRouterConfigMap(
  router: ResolvedComponent,
  ingestor: ResolvedComponent | undefined,
  issues: RequirementIssue[],
): void {
  if (!ingestor) return;
  const routerName = router.config.hashringConfigMapName;
  const ingestorName = ingestor.config.hashringConfigMapName;
  if (routerName === ingestorName || ingestorName === '') return;
  issues.push({
    at: at(ingestor, 'hashringConfigMapName'),
    path: 'receiveIngestor.hashringConfigMapName',
    message: `the ingestors mount ConfigMap \`${String(ingestorName)}\` but the router writes \`${String(routerName)}\``,
    fix: "set hashringConfigMapName once under `common:` (as kube-thanos example.jsonnet does), or `hashringConfigMapName: ''` on receiveIngestor for ingestors that read no hashrings file",
  });
}

/** kube-thanos ignores `replicas` for the router; a differing value would silently not scale it. */
function checkRouterReplicas(router: ResolvedComponent, issues: RequirementIssue[]): void {
  const { replicas, routerReplicas } = router.config;
  if (router.source.replicas !== 'component' || replicas === routerReplicas) return;
  issues.push({
    at: at(router, 'replicas'),
    path: 'receiveRouter.replicas',
    message: `kube-thanos sizes the router Deployment with routerReplicas (${String(routerReplicas)}), not replicas (${String(replicas)})`,
    fix: `set \`routerReplicas: ${String(replicas)}\` (and drop replicas)`,
  });
}
