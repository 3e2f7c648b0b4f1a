import type { ComponentParams } from '../../config/schema.js';
import {
  commonLabels,
  containerPorts,
  containerSecurityContext,
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
  servicePorts,
  tlsSecretMounts,
  tlsSecretVolumes,
  tracingArgs,
  withoutVersion,
  type ComponentObjects,
  type JsonObject,
  type Labels,
} from '../common.js';

function deployment(config: ComponentParams, name: string, namespace: string, labels: Labels, container: JsonObject, volumes: JsonObject[], where: string) {
  return kubeObject('apps/v1', 'Deployment', {
    metadata: metadata(name, namespace, labels),
    spec: {
      replicas: need(config, 'replicas', where),
      selector: { matchLabels: withoutVersion(labels) },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          securityContext: podSecurityContext(config),
          containers: [container],
          volumes,
          terminationGracePeriodSeconds: 120,
          nodeSelector: NODE_SELECTOR,
        },
      },
    },
  });
}

/** kube-thanos-bucket.libsonnet: the bucket inspection web UI. */
export function renderBucket(config: ComponentParams): ComponentObjects {
  const where = 'bucket';
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const labels = commonLabels('thanos-bucket', name, need(config, 'version', where), 'object-store-bucket-debugging');
  const http = port(config, 'http', where);
  const objstore = need(config, 'objectStorageConfig', where);
  const container: JsonObject = {
    name: 'thanos-bucket',
    image: need(config, 'image', where),
    imagePullPolicy: need(config, 'imagePullPolicy', where),
    args: [
      'tools',
      'bucket',
      'web',
      `--log.level=${need(config, 'logLevel', where)}`,
      `--log.format=${need(config, 'logFormat', where)}`,
      '--objstore.config=$(OBJSTORE_CONFIG)',
      ...tracingArgs(config, 'thanos-bucket'),
      ...(config.label !== undefined ? [`--label=${config.label}`] : []),
      ...(config.refresh !== undefined ? [`--refresh=${config.refresh}`] : []),
    ],
    env: [secretEnv('OBJSTORE_CONFIG', objstore), HOST_IP_ENV, ...extraEnv(config)],
    ports: containerPorts(config),
    livenessProbe: httpProbe(http, '/-/healthy', { failureThreshold: 4, periodSeconds: 30 }),
    readinessProbe: httpProbe(http, '/-/ready', { failureThreshold: 20, periodSeconds: 5 }),
    resources: resources(config),
    securityContext: containerSecurityContext(config),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: tlsSecretMounts(objstore),
  };
  return {
    service: service(name, namespace, labels, withoutVersion(labels), servicePorts(config), false),
    serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
    deployment: deployment(config, name, namespace, labels, container, tlsSecretVolumes(objstore), where),
  };
}

/** kube-thanos-bucket-replicate.libsonnet: copies blocks to a second bucket. */
export function renderBucketReplicate(config: ComponentParams): ComponentObjects {
  const where = 'bucketReplicate';
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const labels = commonLabels('thanos-bucket-replicate', name, need(config, 'version', where), 'object-store-bucket-replicate');
  const http = port(config, 'http', where);
  const objstore = need(config, 'objectStorageConfig', where);
  const container: JsonObject = {
    name: 'thanos-bucket-replicate',
    image: need(config, 'image', where),
    imagePullPolicy: need(config, 'imagePullPolicy', where),
    args: [
      'tools',
      'bucket',
      'replicate',
      `--log.level=${need(config, 'logLevel', where)}`,
      `--log.format=${need(config, 'logFormat', where)}`,
      '--objstore.config=$(OBJSTORE_CONFIG)',
      '--objstore-to.config=$(OBJSTORE_TO_CONFIG)',
      ...tracingArgs(config, 'thanos-bucket-replicate'),
      ...(config.minTime ? [`--min-time=${config.minTime}`] : []),
      ...(config.maxTime ? [`--max-time=${config.maxTime}`] : []),
      ...(config.compactionLevels ?? []).map((level) => `--compaction=${level}`),
      ...(config.resolutions ?? []).map((resolution) => `--resolution=${resolution}`),
    ],
    env: [
      secretEnv('OBJSTORE_CONFIG', objstore),
      secretEnv('OBJSTORE_TO_CONFIG', need(config, 'objectStorageToConfig', where)),
      HOST_IP_ENV,
      ...extraEnv(config),
    ],
    ports: containerPorts(config),
    livenessProbe: httpProbe(http, '/-/healthy', { failureThreshold: 4, periodSeconds: 30 }),
    readinessProbe: httpProbe(http, '/-/ready', { failureThreshold: 20, periodSeconds: 5 }),
    resources: resources(config),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: tlsSecretMounts(objstore),
  };
  return {
    service: service(name, namespace, labels, withoutVersion(labels), servicePorts(config), false),
    serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
    deployment: deployment(config, name, namespace, labels, container, tlsSecretVolumes(objstore), where),
  };
}
