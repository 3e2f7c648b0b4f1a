import type { ComponentParams } from '../../config/schema.js';
import {
  antiAffinity,
  commonLabels,
  containerPorts,
  extraEnv,
  HOST_IP_ENV,
  httpProbe,
  kubeObject,
  metadata,
  need,
  NODE_SELECTOR,
  podSecurityContext,
  port,
  resources,
  secretEnv,
  service,
  serviceAccount,
  serviceMonitor,
  servicePorts,
  shardsServiceMonitor,
  tlsSecretMounts,
  tlsSecretVolumes,
  tracingArgs,
  volumeClaimTemplates,
  withoutVersion,
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
export function renderCompact(config: ComponentParams, options: CompactOptions = { where: 'compact' }): ComponentObjects {
  const { where } = options;
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const labels = { ...commonLabels('thanos-compact', name, need(config, 'version', where), 'database-compactor'), ...options.extraLabels };
  const selector = withoutVersion(labels);
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

  const container = {
    name: 'thanos-compact',
    image: need(config, 'image', where),
    imagePullPolicy: need(config, 'imagePullPolicy', where),
    args,
    env: [secretEnv('OBJSTORE_CONFIG', objstore), HOST_IP_ENV, ...extraEnv(config)],
    ports: containerPorts(config),
    livenessProbe: httpProbe(http, '/-/healthy', { failureThreshold: 4, periodSeconds: 30 }),
    readinessProbe: httpProbe(http, '/-/ready', { failureThreshold: 20, periodSeconds: 5 }),
    resources: resources(config),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [{ name: 'data', mountPath: '/var/thanos/compact', readOnly: false }, ...tlsSecretMounts(objstore)],
  };

  return {
    service: service(name, namespace, labels, selector, servicePorts(config), true),
    serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
    statefulSet: kubeObject('apps/v1', 'StatefulSet', {
      metadata: metadata(name, namespace, labels),
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        serviceName: name,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: options.serviceAccountName ?? name,
            securityContext: podSecurityContext(config),
            containers: [container],
            volumes: tlsSecretVolumes(objstore),
            terminationGracePeriodSeconds: 120,
            nodeSelector: NODE_SELECTOR,
            affinity: antiAffinity(
              namespace,
              [
                ['app.kubernetes.io/name', 'thanos-compact'],
                ['app.kubernetes.io/instance', name],
              ],
              ['kubernetes.io/hostname'],
            ),
          },
        },
        volumeClaimTemplates: volumeClaimTemplates(config, selector),
      },
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
  const labels = commonLabels('thanos-compact', name, need(config, 'version', where), 'database-compactor');
  const selector = withoutVersion(labels);
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
        ? shardsServiceMonitor(name, namespace, labels, selector, '__meta_kubernetes_service_label_compact_thanos_io_shard')
        : null,
    },
  };
}
