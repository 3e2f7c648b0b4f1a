import { ruleNeedsReloader } from '../../config/requirements.js';
import type { ComponentParams } from '../../config/schema.js';
import {
  labelsOf,
  selectorOf,
  extraEnv,
  fieldEnv,
  HOST_IP_ENV,
  INSTANCE_RELABELING,
  instanceAntiAffinity,
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
  type ComponentObjects,
  type JsonObject,
} from '../common.js';

const WHERE = 'rule';

/** kube-thanos-rule.libsonnet */
export function renderRule(config: ComponentParams): ComponentObjects {
  const name = need(config, 'name', WHERE);
  const namespace = need(config, 'namespace', WHERE);
  const labels = labelsOf(config, 'thanos-rule', 'rule-evaluation-engine', WHERE);
  const selector = selectorOf(config, labels);
  const http = port(config, 'http', WHERE);
  const objstore = need(config, 'objectStorageConfig', WHERE);
  const rulesConfig = config.rulesConfig ?? [];
  const rulesDir = (ruleConfig: { name: string }) => `/etc/thanos/rules/${ruleConfig.name}`;
  const configDir = (file: { name: string }) => `/etc/thanos/config/${file.name}`;

  const args = [
    'rule',
    `--log.level=${need(config, 'logLevel', WHERE)}`,
    `--log.format=${need(config, 'logFormat', WHERE)}`,
    `--grpc-address=0.0.0.0:${port(config, 'grpc', WHERE)}`,
    `--http-address=0.0.0.0:${http}`,
    '--objstore.config=$(OBJSTORE_CONFIG)',
    '--data-dir=/var/thanos/rule',
    '--label=rule_replica="$(NAME)"',
    '--alert.label-drop=rule_replica',
    `--tsdb.retention=${need(config, 'retention', WHERE)}`,
    `--tsdb.block-duration=${need(config, 'blockDuration', WHERE)}`,
    ...(config.queriers ?? []).map((querier) => `--query=${querier}`),
    ...(config.ruleFiles ?? []).map((path) => `--rule-file=${path}`),
    ...(config.alertmanagersURLs ?? []).map((url) => `--alertmanagers.url=${url}`),
    ...(config.alertmanagerConfigFile
      ? [`--alertmanagers.config-file=${configDir(config.alertmanagerConfigFile)}/${config.alertmanagerConfigFile.key}`]
      : []),
    ...rulesConfig.map((ruleConfig) => `--rule-file=${rulesDir(ruleConfig)}/${ruleConfig.key}`),
    ...tracingArgs(config, 'thanos-rule'),
    ...(config.remoteWriteConfigFile
      ? [`--remote-write.config-file=${configDir(config.remoteWriteConfigFile)}/${config.remoteWriteConfigFile.key}`]
      : []),
  ];

  // kube-thanos orders each list differently; every list below follows kube-thanos-rule.libsonnet line for line.
  const ruleMounts: JsonObject[] = rulesConfig.map((ruleConfig) => ({
    name: ruleConfig.name,
    mountPath: rulesDir(ruleConfig),
  }));
  const amFile = config.alertmanagerConfigFile;
  const rwFile = config.remoteWriteConfigFile;
  const extraMounts: JsonObject[] = (config.extraVolumeMounts ?? []).map((mount) => ({
    name: mount.name,
    mountPath: mount.mountPath,
  }));
  const configMount = (file: { name: string } | undefined, readOnly: boolean): JsonObject[] =>
    file ? [{ name: file.name, mountPath: configDir(file), ...(readOnly ? { readOnly: true } : {}) }] : [];
  const configVolume = (file: { name: string } | undefined): JsonObject[] =>
    file ? [{ name: file.name, configMap: { name: file.name } }] : [];
  const servicePortList = servicePorts(config);

  const container = thanosContainer({
    name: 'thanos-rule',
    config,
    where: WHERE,
    args,
    env: [fieldEnv('NAME', 'metadata.name'), secretEnv('OBJSTORE_CONFIG', objstore), HOST_IP_ENV, ...extraEnv(config)],
    http,
    liveness: { failureThreshold: 24, periodSeconds: 5 },
    readiness: { failureThreshold: 18, periodSeconds: 5, initialDelaySeconds: 10 },
    securityContext: true,
    volumeMounts: [
      { name: 'data', mountPath: '/var/thanos/rule', readOnly: false },
      ...ruleMounts,
      ...configMount(amFile, true),
      ...extraMounts,
      ...tlsSecretMounts(objstore),
      ...configMount(rwFile, true),
    ],
  });

  const reloader = ruleNeedsReloader(config)
    ? [
        {
          name: 'configmap-reloader',
          image: need(config, 'reloaderImage', WHERE),
          imagePullPolicy: need(config, 'reloaderImagePullPolicy', WHERE),
          args: [
            `-webhook-url=http://localhost:${String(servicePortList[1]?.port)}/-/reload`,
            ...ruleMounts.map((mount) => `-volume-dir=${String(mount.mountPath)}`),
            ...configMount(amFile, false).map((mount) => `-volume-dir=${String(mount.mountPath)}`),
            ...extraMounts.map((mount) => `-volume-dir=${String(mount.mountPath)}`),
            ...configMount(rwFile, false).map((mount) => `-volume-dir=${String(mount.mountPath)}`),
          ],
          volumeMounts: [...ruleMounts, ...configMount(amFile, false), ...extraMounts, ...configMount(rwFile, false)],
        },
      ]
    : [];

  return {
    service: service(name, namespace, labels, selector, servicePorts(config), true),
    serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
    statefulSet: statefulSet({
      config,
      name,
      namespace,
      labels,
      selector,
      replicas: need(config, 'replicas', WHERE),
      pod: podSpec({
        config,
        serviceAccountName: name,
        containers: [container, ...reloader],
        volumes: [
          ...rulesConfig.map((ruleConfig) => ({ name: ruleConfig.name, configMap: { name: ruleConfig.name } })),
          ...configVolume(amFile),
          ...configVolume(rwFile),
          ...(config.extraVolumeMounts ?? []).map((mount) => ({ name: mount.name, configMap: { name: mount.name } })),
          ...tlsSecretVolumes(objstore),
        ],
        affinity: instanceAntiAffinity(namespace, labels, WHERE),
      }),
    }),
    serviceMonitor: config.serviceMonitor
      ? serviceMonitor(
          name,
          namespace,
          labels,
          selector,
          [INSTANCE_RELABELING],
          config.ports?.reloader !== undefined ? [{ port: 'reloader' }] : [],
        )
      : null,
  };
}
