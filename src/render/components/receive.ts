import type { ComponentParams, Hashring } from '../../config/schema.js';
import {
  antiAffinity,
  commonLabels,
  containerPorts,
  containerSecurityContext,
  extraEnv,
  fieldEnv,
  HOST_IP_ENV,
  httpProbe,
  INSTANCE_RELABELING,
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
  tlsSecretMounts,
  tlsSecretVolumes,
  tracingArgs,
  volumeClaimTemplates,
  without,
  withoutVersion,
  type ComponentObjects,
  type JsonObject,
  type Labels,
} from '../common.js';
import { jsonnetToString } from '../yaml.js';

const HASHRING_LABEL = 'controller.receive.thanos.io/hashring';
const CONTROLLER_LABEL = 'controller.receive.thanos.io';

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
export function renderReceive(config: ComponentParams, options: ReceiveOptions = { where: 'receive' }): ComponentObjects {
  const { where } = options;
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const labels = { ...commonLabels('thanos-receive', name, need(config, 'version', where), 'database-write-hashring'), ...options.extraLabels };
  const selector = withoutVersion(labels);
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
    ...(hashringConfigMap !== '' ? ['--receive.hashrings-file=/var/lib/thanos-receive/hashrings.json'] : []),
    ...(config.tenantLabelName != null ? [`--receive.tenant-label-name=${config.tenantLabelName}`] : []),
    ...(config.tenantHeader != null ? [`--receive.tenant-header=${config.tenantHeader}`] : []),
    ...tracingArgs(config, 'thanos-receive'),
    ...(config.receiveLimitsConfigFile
      ? [`--receive.limits-config-file=/etc/thanos/config/${config.receiveLimitsConfigFile.name}/${config.receiveLimitsConfigFile.key}`]
      : []),
  ];

  const container = {
    name: 'thanos-receive',
    image: need(config, 'image', where),
    imagePullPolicy: need(config, 'imagePullPolicy', where),
    args,
    env: [
      fieldEnv('NAME', 'metadata.name'),
      fieldEnv('NAMESPACE', 'metadata.namespace'),
      HOST_IP_ENV,
      ...(objstore ? [secretEnv('OBJSTORE_CONFIG', objstore)] : []),
      ...extraEnv(config),
      ...(options.extraEnv ?? []),
    ],
    ports: containerPorts(config),
    volumeMounts: [
      { name: 'data', mountPath: '/var/thanos/receive', readOnly: false },
      ...(hashringConfigMap !== '' ? [{ name: 'hashring-config', mountPath: '/var/lib/thanos-receive' }] : []),
      ...(limits ? [limits.volumeMount] : []),
      ...tlsSecretMounts(objstore),
    ],
    livenessProbe: httpProbe(http, '/-/healthy', { failureThreshold: 8, periodSeconds: 30 }),
    readinessProbe: httpProbe(http, '/-/ready', { failureThreshold: 20, periodSeconds: 5 }),
    resources: resources(config),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };

  const maxUnavailable = config.podDisruptionBudgetMaxUnavailable ?? 0;
  return {
    service: service(name, namespace, labels, selector, servicePorts(config), true),
    serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
    statefulSet: kubeObject('apps/v1', 'StatefulSet', {
      metadata: metadata(name, namespace, { ...labels, ...options.statefulSetLabels }),
      spec: {
        replicas: need(config, 'replicas', where),
        minReadySeconds: need(config, 'minReadySeconds', where),
        selector: { matchLabels: selector },
        serviceName: name,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: options.serviceAccountName ?? name,
            securityContext: podSecurityContext(config),
            containers: [container],
            volumes: [
              ...(hashringConfigMap !== '' ? [{ name: 'hashring-config', configMap: { name: hashringConfigMap } }] : []),
              ...(limits ? [limits.volume] : []),
              ...tlsSecretVolumes(objstore),
            ],
            terminationGracePeriodSeconds: 900,
            nodeSelector: NODE_SELECTOR,
            affinity: antiAffinity(
              namespace,
              [
                ['app.kubernetes.io/name', 'thanos-receive'],
                ['app.kubernetes.io/instance', name],
              ],
              ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'],
            ),
          },
        },
        volumeClaimTemplates: volumeClaimTemplates(config, selector),
      },
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
  const labels = commonLabels('thanos-receive', name, need(config, 'version', where), 'database-write-hashring');
  const selector = withoutVersion(labels);
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
  return renderReceiveHashrings({ ...config, name: `${need(config, 'name', 'receiveIngestor')}-ingestor` }, 'receiveIngestor');
}

/** kube-thanos-receive-router.libsonnet: the routing Deployment and the hashrings.json ConfigMap it reads. */
export function renderReceiveRouter(config: ComponentParams): ComponentObjects {
  const where = 'receiveRouter';
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const routerName = `${name}-router`;
  const labels = { ...commonLabels('thanos-receive', name, need(config, 'version', where), 'database-write-hashring'), 'app.kubernetes.io/component': routerName };
  const selector = withoutVersion(labels);
  const http = port(config, 'http', where);
  const endpoints = need(config, 'endpoints', where);
  const configMapName = need(config, 'hashringConfigMapName', where);
  const hashringsJson = jsonnetToString(need(config, 'hashrings', where).map((ring: Hashring) => ({ ...ring, endpoints: endpoints[ring.hashring] ?? [] })));

  const args = [
    'receive',
    `--log.level=${need(config, 'logLevel', where)}`,
    `--log.format=${need(config, 'logFormat', where)}`,
    `--grpc-address=0.0.0.0:${port(config, 'grpc', where)}`,
    `--http-address=0.0.0.0:${http}`,
    `--remote-write.address=0.0.0.0:${port(config, 'remote-write', where)}`,
    `--receive.replication-factor=${need(config, 'replicationFactor', where)}`,
    '--receive.hashrings-file=/var/lib/thanos-receive/hashrings.json',
    ...(config.labels ?? []).map((label) => `--label=${label}`),
    ...(config.tenantLabelName != null ? [`--receive.tenant-label-name=${config.tenantLabelName}`] : []),
    ...tracingArgs(config, 'thanos-receive'),
  ];

  const container = {
    name: 'thanos-receive',
    image: need(config, 'image', where),
    imagePullPolicy: need(config, 'imagePullPolicy', where),
    args,
    env: [fieldEnv('NAME', 'metadata.name'), fieldEnv('NAMESPACE', 'metadata.namespace'), HOST_IP_ENV, ...extraEnv(config)],
    ports: containerPorts(config),
    volumeMounts: [{ name: 'hashring-config', mountPath: '/var/lib/thanos-receive' }],
    livenessProbe: httpProbe(http, '/-/healthy', { failureThreshold: 8, periodSeconds: 30 }),
    readinessProbe: httpProbe(http, '/-/ready', { failureThreshold: 20, periodSeconds: 5 }),
    resources: resources(config),
    securityContext: containerSecurityContext(config),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };

  return {
    service: service(routerName, namespace, labels, labels, servicePorts(config), false),
    serviceAccount: serviceAccount(routerName, namespace, labels, config.serviceAccountAnnotations ?? {}),
    configmap: kubeObject('v1', 'ConfigMap', {
      metadata: metadata(configMapName, namespace),
      data: { 'hashrings.json': hashringsJson },
    }),
    deployment: kubeObject('apps/v1', 'Deployment', {
      metadata: metadata(routerName, namespace, labels),
      spec: {
        replicas: need(config, 'routerReplicas', where),
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: routerName,
            securityContext: podSecurityContext(config),
            containers: [container],
            volumes: [{ name: 'hashring-config', configMap: { name: configMapName } }],
            terminationGracePeriodSeconds: 30,
            nodeSelector: NODE_SELECTOR,
          },
        },
      },
    }),
  };
}
