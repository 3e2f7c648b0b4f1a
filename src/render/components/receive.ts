import type { ComponentParams, Hashring } from '../../config/schema.js';
import {
  labelsOf,
  selectorOf,
  deployment,
  extraEnv,
  fieldEnv,
  HOST_IP_ENV,
  INSTANCE_RELABELING,
  instanceAntiAffinity,
  kubeObject,
  metadata,
  need,
  podSpec,
  port,
  secretEnv,
  service,
  serviceAccount,
  serviceMonitor,
  servicePorts,
  statefulSet,
  thanosContainer,
  tlsSecretMounts,
  tlsSecretVolumes,
  tracingArgs,
  without,
  withoutVersion,
  type ComponentObjects,
  type JsonObject,
  type Labels,
} from '../common.js';
import { jsonnetToString } from '../yaml.js';

const HASHRING_LABEL = 'controller.receive.thanos.io/hashring';
const CONTROLLER_LABEL = 'controller.receive.thanos.io';
/** kube-thanos gives both receive containers a liveness failure threshold of 8 (the other components have 4). */
const RECEIVE_LIVENESS = { failureThreshold: 8, periodSeconds: 30 };

/**
 * Our extension: kube-thanos cannot set --receive.hashrings-algorithm. Rendered only when set, so stacks without
 * it stay byte-identical to kube-thanos.
 */
function hashringsAlgorithmArgs(config: ComponentParams): string[] {
  return [
    ...(config.hashringsAlgorithm != null ? [`--receive.hashrings-algorithm=${config.hashringsAlgorithm}`] : []),
    // Also an extension: after the first ConfigMap update Thanos v0.42.4 sees the file only at this interval
    // (pkg/receive/config.go: the fsnotify watch is not re-added once kubelet's symlink swap removed its target).
    ...(config.hashringsFileRefreshInterval != null
      ? [`--receive.hashrings-file-refresh-interval=${config.hashringsFileRefreshInterval}`]
      : []),
  ];
}

interface ReceiveOptions {
  where: string;
  extraLabels?: Labels;
  /** Labels only on the StatefulSet itself (the receive controller finds its StatefulSets by them). */
  statefulSetLabels?: Labels;
  serviceAccountName?: string;
  extraEnv?: JsonObject[];
}

function configMapMount(name: string): { volumeMount: JsonObject; volume: JsonObject } {
  return {
    volumeMount: { name, mountPath: `/etc/thanos/config/${name}`, readOnly: true },
    volume: { name, configMap: { name } },
  };
}

/** kube-thanos-receive.libsonnet: a receive StatefulSet (router and ingestor in one, or one hashring). */
export function renderReceive(
  config: ComponentParams,
  options: ReceiveOptions = { where: 'receive' },
): ComponentObjects {
  const { where } = options;
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const labels = { ...labelsOf(config, 'thanos-receive', 'database-write-hashring', where), ...options.extraLabels };
  const selector = selectorOf(config, labels);
  const storeLimits = config.storeLimits ?? {};
  const grpc = port(config, 'grpc', where);
  const http = port(config, 'http', where);
  const objstore = config.objectStorageConfig ?? null;
  const hashringConfigMap = config.hashringConfigMapName ?? '';
  const limits = config.receiveLimitsConfigFile ? configMapMount(config.receiveLimitsConfigFile.name) : undefined;

  const args = [
    'receive',
    `--log.level=${need(config, 'logLevel', where)}`,
    `--log.format=${need(config, 'logFormat', where)}`,
    `--grpc-address=0.0.0.0:${grpc}`,
    `--http-address=0.0.0.0:${http}`,
    `--remote-write.address=0.0.0.0:${port(config, 'remote-write', where)}`,
    `--receive.replication-factor=${need(config, 'replicationFactor', where)}`,
    '--tsdb.path=/var/thanos/receive',
    `--tsdb.retention=${need(config, 'retention', where)}`,
    ...(config.labels ?? []).map((label) => `--label=${label}`),
    ...(objstore ? ['--objstore.config=$(OBJSTORE_CONFIG)'] : []),
    ...(config.enableLocalEndpoint ? [`--receive.local-endpoint=$(NAME).${name}.$(NAMESPACE):${grpc}`] : []),
    ...(config.tenantLabelName != null ? [`--receive.tenant-label-name=${config.tenantLabelName}`] : []),
    ...(config.tenantHeader != null ? [`--receive.tenant-header=${config.tenantHeader}`] : []),
    ...(hashringConfigMap !== '' ? ['--receive.hashrings-file=/var/lib/thanos-receive/hashrings.json'] : []),
    ...hashringsAlgorithmArgs(config),
    ...(storeLimits.requestSamples !== undefined
      ? [`--store.limits.request-samples=${jsonnetToString(storeLimits.requestSamples)}`]
      : []),
    ...(storeLimits.requestSeries !== undefined
      ? [`--store.limits.request-series=${jsonnetToString(storeLimits.requestSeries)}`]
      : []),
    ...tracingArgs(config, 'thanos-receive'),
    ...(config.receiveLimitsConfigFile
      ? [
          `--receive.limits-config-file=/etc/thanos/config/${config.receiveLimitsConfigFile.name}/${config.receiveLimitsConfigFile.key}`,
        ]
      : []),
  ];

  const container = thanosContainer({
    name: 'thanos-receive',
    config,
    where,
    args,
    env: [
      fieldEnv('NAME', 'metadata.name'),
      fieldEnv('NAMESPACE', 'metadata.namespace'),
      HOST_IP_ENV,
      ...(objstore ? [secretEnv('OBJSTORE_CONFIG', objstore)] : []),
      ...extraEnv(config),
      ...(options.extraEnv ?? []),
    ],
    http,
    liveness: RECEIVE_LIVENESS,
    securityContext: false,
    volumeMounts: [
      { name: 'data', mountPath: '/var/thanos/receive', readOnly: false },
      ...(hashringConfigMap !== '' ? [{ name: 'hashring-config', mountPath: '/var/lib/thanos-receive' }] : []),
      ...tlsSecretMounts(objstore),
      ...(limits ? [limits.volumeMount] : []),
    ],
  });

  const maxUnavailable = config.podDisruptionBudgetMaxUnavailable ?? 0;
  return {
    service: service(name, namespace, labels, selector, servicePorts(config), true),
    serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
    statefulSet: statefulSet({
      config,
      name,
      namespace,
      labels,
      selector,
      metadataLabels: { ...labels, ...options.statefulSetLabels },
      replicas: need(config, 'replicas', where),
      minReadySeconds: need(config, 'minReadySeconds', where),
      pod: podSpec({
        config,
        serviceAccountName: options.serviceAccountName ?? name,
        containers: [container],
        volumes: [
          ...(hashringConfigMap !== '' ? [{ name: 'hashring-config', configMap: { name: hashringConfigMap } }] : []),
          ...tlsSecretVolumes(objstore),
          ...(limits ? [limits.volume] : []),
        ],
        terminationGracePeriodSeconds: 900,
        affinity: instanceAntiAffinity(namespace, labels, where, [
          'kubernetes.io/hostname',
          'topology.kubernetes.io/zone',
        ]),
      }),
    }),
    serviceMonitor: config.serviceMonitor ? serviceMonitor(name, namespace, labels, selector) : null,
    podDisruptionBudget:
      maxUnavailable >= 1
        ? kubeObject('policy/v1', 'PodDisruptionBudget', {
            metadata: metadata(name, namespace),
            spec: { maxUnavailable, selector: { matchLabels: selector } },
          })
        : null,
  };
}

export interface HashringObjects {
  hashrings: { hashring: string; objects: ComponentObjects }[];
  shared: ComponentObjects;
}

/** kube-thanos-receive-hashrings.libsonnet: one receive StatefulSet per hashring, one ServiceAccount. */
export function renderReceiveHashrings(config: ComponentParams, where = 'receiveHashrings'): HashringObjects {
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const labels = labelsOf(config, 'thanos-receive', 'database-write-hashring', where);
  const selector = selectorOf(config, labels);
  const hashrings = need(config, 'hashrings', where).map((ring: Hashring) => {
    const objects = renderReceive(
      { ...config, name: `${name}-${ring.hashring}` },
      {
        where,
        extraLabels: { [HASHRING_LABEL]: ring.hashring },
        statefulSetLabels: { [CONTROLLER_LABEL]: 'thanos-receive-controller' },
        serviceAccountName: name,
        extraEnv: config.debug ? [{ name: 'DEBUG', value: config.debug }] : [],
      },
    );
    return { hashring: ring.hashring, objects: { ...objects, serviceAccount: null, serviceMonitor: null } };
  });
  return {
    hashrings,
    shared: {
      serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
      serviceMonitor: config.serviceMonitor
        ? serviceMonitor(name, namespace, labels, without(selector, 'app.kubernetes.io/instance'), [
            INSTANCE_RELABELING,
            {
              action: 'replace',
              sourceLabels: ['__meta_kubernetes_service_label_controller_receive_thanos_io_shard'],
              targetLabel: 'hashring',
            },
          ])
        : null,
    },
  };
}

/** kube-thanos-receive-ingestor.libsonnet: the hashrings under `<name>-ingestor`. */
export function renderReceiveIngestor(config: ComponentParams): HashringObjects {
  return renderReceiveHashrings(
    { ...config, name: `${need(config, 'name', 'receiveIngestor')}-ingestor` },
    'receiveIngestor',
  );
}

/** kube-thanos-receive-router.libsonnet: the routing Deployment and the hashrings.json ConfigMap it reads. */
export function renderReceiveRouter(config: ComponentParams): ComponentObjects {
  const where = 'receiveRouter';
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const routerName = `${name}-router`;
  const labels = {
    ...labelsOf(config, 'thanos-receive', 'database-write-hashring', where),
    'app.kubernetes.io/component': routerName,
  };
  const selector = withoutVersion(labels);
  const http = port(config, 'http', where);
  const endpoints = need(config, 'endpoints', where);
  const configMapName = need(config, 'hashringConfigMapName', where);
  const hashringsJson = jsonnetToString(
    need(config, 'hashrings', where).map((ring: Hashring) => ({ ...ring, endpoints: endpoints[ring.hashring] ?? [] })),
  );

  const args = [
    'receive',
    `--log.level=${need(config, 'logLevel', where)}`,
    `--log.format=${need(config, 'logFormat', where)}`,
    `--grpc-address=0.0.0.0:${port(config, 'grpc', where)}`,
    `--http-address=0.0.0.0:${http}`,
    `--remote-write.address=0.0.0.0:${port(config, 'remote-write', where)}`,
    `--receive.replication-factor=${need(config, 'replicationFactor', where)}`,
    '--receive.hashrings-file=/var/lib/thanos-receive/hashrings.json',
    ...hashringsAlgorithmArgs(config),
    ...(config.labels ?? []).map((label) => `--label=${label}`),
    ...(config.tenantLabelName != null ? [`--receive.tenant-label-name=${config.tenantLabelName}`] : []),
    ...tracingArgs(config, 'thanos-receive'),
  ];

  const container = thanosContainer({
    name: 'thanos-receive',
    config,
    where,
    args,
    env: [
      fieldEnv('NAME', 'metadata.name'),
      fieldEnv('NAMESPACE', 'metadata.namespace'),
      HOST_IP_ENV,
      ...extraEnv(config),
    ],
    http,
    liveness: RECEIVE_LIVENESS,
    securityContext: true,
    volumeMounts: [{ name: 'hashring-config', mountPath: '/var/lib/thanos-receive' }],
  });

  return {
    service: service(routerName, namespace, labels, labels, servicePorts(config), false),
    serviceAccount: serviceAccount(routerName, namespace, labels, config.serviceAccountAnnotations ?? {}),
    configmap: kubeObject('v1', 'ConfigMap', {
      metadata: metadata(configMapName, namespace),
      data: { 'hashrings.json': hashringsJson },
    }),
    deployment: deployment(
      routerName,
      namespace,
      labels,
      selector,
      need(config, 'routerReplicas', where),
      podSpec({
        config,
        serviceAccountName: routerName,
        containers: [container],
        volumes: [{ name: 'hashring-config', configMap: { name: configMapName } }],
        terminationGracePeriodSeconds: 30,
      }),
    ),
  };
}
