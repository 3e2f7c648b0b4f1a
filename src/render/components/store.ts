import type { ComponentParams } from '../../config/schema.js';
import {
  labelsOf,
  selectorOf,
  extraEnv,
  HOST_IP_ENV,
  instanceAntiAffinity,
  isType,
  mergeMemcached,
  need,
  podSpec,
  port,
  secretEnv,
  service,
  serviceAccount,
  serviceMonitor,
  servicePorts,
  shardsServiceMonitor,
  statefulSet,
  thanosContainer,
  tlsSecretMounts,
  tlsSecretVolumes,
  tracingArgs,
  type ComponentObjects,
  type JsonObject,
  type Labels,
} from '../common.js';
import { jsonnetToString, manifestYamlDoc } from '../yaml.js';

const MEMCACHED_CONFIG_DEFAULTS = {
  timeout: '500ms',
  max_idle_connections: 100,
  max_async_concurrency: 20,
  max_async_buffer_size: 10000,
  max_item_size: '1MiB',
  max_get_multi_concurrency: 100,
  max_get_multi_batch_size: 0,
  dns_provider_update_interval: '10s',
};

const BUCKET_CACHE_MEMCACHED_DEFAULTS = {
  chunk_subrange_size: 16000,
  max_chunks_get_range_requests: 3,
  chunk_object_attrs_ttl: '24h',
  chunk_subrange_ttl: '24h',
  blocks_iter_ttl: '5m',
  metafile_exists_ttl: '2h',
  metafile_doesnt_exist_ttl: '15m',
  metafile_content_ttl: '24h',
  metafile_max_size: '1MiB',
};

interface StoreOptions {
  where: string;
  /** Extra labels (the shard label) merged into the common labels. */
  extraLabels?: Labels;
  /** ServiceAccount the pods run as (shards share one). */
  serviceAccountName?: string;
  extraArgs?: string[];
}

/** kube-thanos-store.libsonnet */
export function renderStore(config: ComponentParams, options: StoreOptions = { where: 'store' }): ComponentObjects {
  const { where } = options;
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const labels = { ...labelsOf(config, 'thanos-store', 'object-store-gateway', where), ...options.extraLabels };
  const selector = selectorOf(config, labels);
  const limits = need(config, 'limits', where);
  const http = port(config, 'http', where);
  const objstore = need(config, 'objectStorageConfig', where);
  const indexCache = isType(config.indexCache, 'MEMCACHED')
    ? mergeMemcached(config.indexCache as Record<string, unknown>, {}, MEMCACHED_CONFIG_DEFAULTS)
    : ((config.indexCache ?? {}) as Record<string, unknown>);
  const bucketCache = isType(config.bucketCache, 'MEMCACHED')
    ? mergeMemcached(
        config.bucketCache as Record<string, unknown>,
        BUCKET_CACHE_MEMCACHED_DEFAULTS,
        MEMCACHED_CONFIG_DEFAULTS,
      )
    : ((config.bucketCache ?? {}) as Record<string, unknown>);

  const args = [
    'store',
    `--log.level=${need(config, 'logLevel', where)}`,
    `--log.format=${need(config, 'logFormat', where)}`,
    '--data-dir=/var/thanos/store',
    `--grpc-address=0.0.0.0:${port(config, 'grpc', where)}`,
    `--http-address=0.0.0.0:${http}`,
    '--objstore.config=$(OBJSTORE_CONFIG)',
    `--ignore-deletion-marks-delay=${need(config, 'ignoreDeletionMarksDelay', where)}`,
    ...(Object.keys(indexCache).length > 0 ? [`--index-cache.config=${manifestYamlDoc(indexCache)}`] : []),
    ...(Object.keys(bucketCache).length > 0 ? [`--store.caching-bucket.config=${manifestYamlDoc(bucketCache)}`] : []),
    ...(config.minTime ? [`--min-time=${config.minTime}`] : []),
    ...(limits.seriesTouched > 0 ? [`--store.grpc.touched-series-limit=${jsonnetToString(limits.seriesTouched)}`] : []),
    ...(limits.seriesSample > 0 ? [`--store.grpc.series-sample-limit=${jsonnetToString(limits.seriesSample)}`] : []),
    ...(limits.downloadedBytes > 0
      ? [`--store.grpc.downloaded-bytes-limit=${jsonnetToString(limits.downloadedBytes)}`]
      : []),
    ...(config.maxTime ? [`--max-time=${config.maxTime}`] : []),
    ...tracingArgs(config, 'thanos-store'),
    ...(options.extraArgs ?? []),
  ];

  const container = thanosContainer({
    name: 'thanos-store',
    config,
    where,
    args,
    env: [secretEnv('OBJSTORE_CONFIG', objstore), HOST_IP_ENV, ...extraEnv(config)],
    http,
    liveness: livenessTimings(need(config, 'livenessProbe', where)),
    securityContext: true,
    volumeMounts: [{ name: 'data', mountPath: '/var/thanos/store', readOnly: false }, ...tlsSecretMounts(objstore)],
  });

  return {
    service: service(name, namespace, labels, selector, servicePorts(config), true),
    serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
    statefulSet: statefulSet({
      config,
      name,
      namespace,
      labels,
      selector,
      replicas: need(config, 'replicas', where),
      pod: podSpec({
        config,
        serviceAccountName: options.serviceAccountName ?? name,
        containers: [container],
        volumes: tlsSecretVolumes(objstore),
        terminationGracePeriodSeconds: 120,
        affinity: instanceAntiAffinity(namespace, labels, where),
      }),
    }),
    serviceMonitor: config.serviceMonitor ? serviceMonitor(name, namespace, labels, selector) : null,
  };
}

function livenessTimings(probe: {
  failureThreshold: number;
  periodSeconds: number;
  timeoutSeconds: number;
}): JsonObject {
  return {
    failureThreshold: probe.failureThreshold,
    periodSeconds: probe.periodSeconds,
    timeoutSeconds: probe.timeoutSeconds,
  };
}

/** The `--selector.relabel-config` text kube-thanos's shard variants append (a `|||` block, so it ends with \n). */
export function shardRelabelConfig(sourceLabels: string, modulus: number, shard: number): string {
  return [
    '--selector.relabel-config=',
    '  - action: hashmod',
    `    source_labels: ${sourceLabels}`,
    '    target_label: shard',
    `    modulus: ${modulus}`,
    '  - action: keep',
    '    source_labels: ["shard"]',
    `    regex: ${shard}`,
    '',
  ].join('\n');
}

export interface ShardedObjects {
  shards: { shard: number; objects: ComponentObjects }[];
  shared: ComponentObjects;
}

/** kube-thanos-store-shards.libsonnet: one StatefulSet + Service per shard, one ServiceAccount and ServiceMonitor. */
export function renderStoreShards(config: ComponentParams): ShardedObjects {
  const where = 'storeShards';
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const count = need(config, 'shards', where);
  const labels = labelsOf(config, 'thanos-store', 'object-store-gateway', where);
  const selector = selectorOf(config, labels);
  const shards = Array.from({ length: count }, (_, shard) => {
    const objects = renderStore(
      { ...config, name: `${name}-${shard}` },
      {
        where,
        extraLabels: { 'store.thanos.io/shard': `shard-${shard}` },
        serviceAccountName: name,
        extraArgs: [shardRelabelConfig('["__block_id"]', count, shard)],
      },
    );
    return { shard, objects: { ...objects, serviceAccount: null, serviceMonitor: null } };
  });
  return {
    shards,
    shared: {
      serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
      serviceMonitor: config.serviceMonitor
        ? shardsServiceMonitor(
            name,
            namespace,
            labels,
            selector,
            '__meta_kubernetes_service_label_store_thanos_io_shard',
          )
        : null,
    },
  };
}
