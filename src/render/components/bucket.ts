import type { ComponentParams } from '../../config/schema.js';
import {
  labelsOf,
  selectorOf,
  deployment,
  extraEnv,
  HOST_IP_ENV,
  need,
  podSpec,
  port,
  secretEnv,
  service,
  serviceAccount,
  servicePorts,
  thanosContainer,
  tlsSecretMounts,
  tlsSecretVolumes,
  tracingArgs,
  type ComponentObjects,
  type JsonObject,
  type Labels,
} from '../common.js';

/** The bucket tools' Deployment: one container, no anti-affinity. */
function bucketDeployment(
  config: ComponentParams,
  name: string,
  namespace: string,
  labels: Labels,
  container: JsonObject,
  volumes: JsonObject[],
  where: string,
) {
  const pod = podSpec({
    config,
    serviceAccountName: name,
    containers: [container],
    volumes,
    terminationGracePeriodSeconds: 120,
  });
  // kube-thanos asserts replicas >= 0 but always runs one bucket pod.
  need(config, 'replicas', where);
  return deployment(name, namespace, labels, selectorOf(config, labels), 1, pod);
}

/** kube-thanos-bucket.libsonnet: the bucket inspection web UI. */
export function renderBucket(config: ComponentParams): ComponentObjects {
  const where = 'bucket';
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const labels = labelsOf(config, 'thanos-bucket', 'object-store-bucket-debugging', where);
  const http = port(config, 'http', where);
  const objstore = need(config, 'objectStorageConfig', where);
  const container = thanosContainer({
    name: 'thanos-bucket',
    config,
    where,
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
    http,
    securityContext: true,
    volumeMounts: tlsSecretMounts(objstore),
  });
  return {
    service: service(name, namespace, labels, selectorOf(config, labels), servicePorts(config), false),
    serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
    deployment: bucketDeployment(config, name, namespace, labels, container, tlsSecretVolumes(objstore), where),
  };
}

/** kube-thanos-bucket-replicate.libsonnet: copies blocks to a second bucket. */
export function renderBucketReplicate(config: ComponentParams): ComponentObjects {
  const where = 'bucketReplicate';
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const labels = labelsOf(config, 'thanos-bucket-replicate', 'object-store-bucket-replicate', where);
  const http = port(config, 'http', where);
  const objstore = need(config, 'objectStorageConfig', where);
  const container = thanosContainer({
    name: 'thanos-bucket-replicate',
    config,
    where,
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
    http,
    securityContext: false,
    volumeMounts: tlsSecretMounts(objstore),
  });
  return {
    service: service(name, namespace, labels, selectorOf(config, labels), servicePorts(config), false),
    serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
    deployment: bucketDeployment(config, name, namespace, labels, container, tlsSecretVolumes(objstore), where),
  };
}
