import type { ComponentParams } from '../../config/schema.js';
import {
  labelsOf,
  selectorOf,
  extraEnv,
  HOST_IP_ENV,
  instanceAntiAffinity,
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
  type Labels,
} from '../common.js';
import { jsonnetToString } from '../yaml.js';
import { shardRelabelConfig, type ShardedObjects } from './store.js';

interface CompactOptions {
  where: string;
  extraLabels?: Labels;
  serviceAccountName?: string;
  extraArgs?: string[];
}

/** kube-thanos-compact.libsonnet (kube-thanos runs exactly one compactor: replicas is always 1). */
export function renderCompact(
  config: ComponentParams,
  options: CompactOptions = { where: 'compact' },
): ComponentObjects {
  const { where } = options;
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const labels = { ...labelsOf(config, 'thanos-compact', 'database-compactor', where), ...options.extraLabels };
  const selector = selectorOf(config, labels);
  const http = port(config, 'http', where);
  const objstore = need(config, 'objectStorageConfig', where);

  const args = [
    'compact',
    '--wait',
    `--log.level=${need(config, 'logLevel', where)}`,
    `--log.format=${need(config, 'logFormat', where)}`,
    '--objstore.config=$(OBJSTORE_CONFIG)',
    '--data-dir=/var/thanos/compact',
    '--debug.accept-malformed-index',
    `--retention.resolution-raw=${need(config, 'retentionResolutionRaw', where)}`,
    `--retention.resolution-5m=${need(config, 'retentionResolution5m', where)}`,
    `--retention.resolution-1h=${need(config, 'retentionResolution1h', where)}`,
    `--delete-delay=${need(config, 'deleteDelay', where)}`,
    `--compact.concurrency=${need(config, 'compactConcurrency', where)}`,
    `--downsample.concurrency=${need(config, 'downsampleConcurrency', where)}`,
    ...(config.disableDownsampling ? ['--downsampling.disable'] : []),
    ...(config.deduplicationReplicaLabels ?? []).map((label) => `--deduplication.replica-label=${label}`),
    ...tracingArgs(config, 'thanos-compact'),
    ...(options.extraArgs ?? []),
  ];

  const container = thanosContainer({
    name: 'thanos-compact',
    config,
    where,
    args,
    env: [secretEnv('OBJSTORE_CONFIG', objstore), HOST_IP_ENV, ...extraEnv(config)],
    http,
    securityContext: false,
    volumeMounts: [{ name: 'data', mountPath: '/var/thanos/compact', readOnly: false }, ...tlsSecretMounts(objstore)],
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
      replicas: 1,
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

/** kube-thanos-compact-shards.libsonnet: shards split the bucket by a hash of `sourceLabels`. */
export function renderCompactShards(config: ComponentParams): ShardedObjects {
  const where = 'compactShards';
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const count = need(config, 'shards', where);
  const sourceLabels = jsonnetToString(need(config, 'sourceLabels', where));
  const labels = labelsOf(config, 'thanos-compact', 'database-compactor', where);
  const selector = selectorOf(config, labels);
  const shards = Array.from({ length: count }, (_, shard) => {
    const objects = renderCompact(
      { ...config, name: `${name}-${shard}` },
      {
        where,
        extraLabels: { 'compact.thanos.io/shard': `shard-${shard}` },
        serviceAccountName: name,
        extraArgs: [shardRelabelConfig(sourceLabels, count, shard)],
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
            '__meta_kubernetes_service_label_compact_thanos_io_shard',
          )
        : null,
    },
  };
}
