import { ConfigError } from '../config/errors.js';
import type { ComponentParams, EnvVar, ObjectStorageConfigRef } from '../config/schema.js';
import type { KubeObject } from '../model/objects.js';
import { manifestYamlDoc } from './yaml.js';

/**
 * Building blocks shared by the kube-thanos components, each mirroring a shape every kube-thanos-*.libsonnet
 * writes out by hand (labels, Service, ServiceAccount, ServiceMonitor, probes, anti-affinity, objstore env).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type Labels = Record<string, string>;

/** One kube-thanos component's output: resource name (`service`, `statefulSet`, ...) to object, null = skipped. */
export type ComponentObjects = Record<string, KubeObject | null>;

/** Reads a merged option that requirements.ts guarantees; a programmatic config that skipped parsing fails here. */
export function need<K extends keyof ComponentParams>(
  config: ComponentParams,
  key: K,
  where: string,
): NonNullable<ComponentParams[K]> {
  const value = config[key];
  if (value === undefined || value === null) {
    throw new ConfigError([
      {
        file: '<config>',
        line: 0,
        column: 0,
        path: `${where}.${String(key)}`,
        message: 'missing required option',
        fix: `set ${String(key)}`,
      },
    ]);
  }
  return value as NonNullable<ComponentParams[K]>;
}

export function port(config: ComponentParams, name: string, where: string): number {
  const value = config.ports?.[name];
  if (value === undefined) {
    throw new ConfigError([
      {
        file: '<config>',
        line: 0,
        column: 0,
        path: `${where}.ports.${name}`,
        message: 'missing port',
        fix: `add ${name} to ports`,
      },
    ]);
  }
  return value;
}

export function commonLabels(appName: string, instance: string, version: string, component: string): Labels {
  return {
    'app.kubernetes.io/name': appName,
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/version': version,
    'app.kubernetes.io/component': component,
  };
}

/** The commonLabels option when set (it replaces kube-thanos's four labels as a whole), else those four. */
export function labelsOf(config: ComponentParams, appName: string, component: string, where: string): Labels {
  if (config.commonLabels !== undefined) return { ...config.commonLabels };
  return commonLabels(appName, need(config, 'name', where), need(config, 'version', where), component);
}

/** The podLabelSelector option when set, else kube-thanos's default: the labels without the version. */
export function selectorOf(config: ComponentParams, labels: Labels): Labels {
  return config.podLabelSelector !== undefined ? { ...config.podLabelSelector } : withoutVersion(labels);
}

/** A label kube-thanos reads back from the workload's labels (anti-affinity); requirements.ts checks it is there. */
export function labelValue(labels: Labels, key: string, where: string): string {
  const value = labels[key];
  if (value === undefined) {
    throw new ConfigError([
      {
        file: '<config>',
        line: 0,
        column: 0,
        path: `${where}.commonLabels`,
        message: `missing label ${key}`,
        fix: `add ${key} to commonLabels`,
      },
    ]);
  }
  return value;
}

/** kube-thanos's podLabelSelector: the common labels minus the version (so upgrades keep selectors stable). */
export function withoutVersion(labels: Labels): Labels {
  const { 'app.kubernetes.io/version': _version, ...rest } = labels;
  return rest;
}

export function without(labels: Labels, key: string): Labels {
  return Object.fromEntries(Object.entries(labels).filter(([name]) => name !== key));
}

/** Service and container ports in std.objectFields order (sorted by name). */
export function sortedPorts(config: ComponentParams): [string, number][] {
  return Object.entries(config.ports ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function servicePorts(config: ComponentParams): JsonObject[] {
  return sortedPorts(config).map(([name, number]) => ({ name, port: number, targetPort: number }));
}

export function containerPorts(config: ComponentParams): JsonObject[] {
  return sortedPorts(config).map(([name, number]) => ({ name, containerPort: number }));
}

export function metadata(name: string, namespace: string, labels?: Labels): JsonObject {
  return labels ? { name, namespace, labels } : { name, namespace };
}

export function kubeObject(apiVersion: string, kind: string, body: JsonObject): KubeObject {
  return { apiVersion, kind, ...body } as unknown as KubeObject;
}

export function service(
  name: string,
  namespace: string,
  labels: Labels,
  selector: Labels,
  ports: JsonObject[],
  headless: boolean,
): KubeObject {
  const spec: JsonObject = { ports, selector };
  if (headless) spec.clusterIP = 'None';
  return kubeObject('v1', 'Service', { metadata: metadata(name, namespace, labels), spec });
}

export function serviceAccount(
  name: string,
  namespace: string,
  labels: Labels,
  annotations: Record<string, string>,
): KubeObject {
  return kubeObject('v1', 'ServiceAccount', { metadata: { ...metadata(name, namespace, labels), annotations } });
}

export const INSTANCE_RELABELING: JsonObject = {
  action: 'replace',
  sourceLabels: ['namespace', 'pod'],
  separator: '/',
  targetLabel: 'instance',
};

export function serviceMonitor(
  name: string,
  namespace: string,
  labels: Labels,
  selector: Labels,
  relabelings: JsonObject[] = [INSTANCE_RELABELING],
  extraEndpoints: JsonObject[] = [],
): KubeObject {
  return kubeObject('monitoring.coreos.com/v1', 'ServiceMonitor', {
    metadata: metadata(name, namespace, labels),
    spec: {
      selector: { matchLabels: selector },
      endpoints: [{ port: 'http', relabelings }, ...extraEndpoints],
    },
  });
}

/** The ServiceMonitor that the sharded variants share: selects every shard and turns the shard label into `shard`. */
export function shardsServiceMonitor(
  name: string,
  namespace: string,
  labels: Labels,
  selector: Labels,
  shardLabelMeta: string,
): KubeObject {
  return serviceMonitor(name, namespace, labels, without(selector, 'app.kubernetes.io/instance'), [
    INSTANCE_RELABELING,
    {
      action: 'replace',
      sourceLabels: [shardLabelMeta],
      regex: 'shard\\-(\\d+)',
      replacement: '$1',
      targetLabel: 'shard',
    },
  ]);
}

export function httpProbe(portNumber: number, path: string, timings: JsonObject): JsonObject {
  return { ...timings, httpGet: { scheme: 'HTTP', port: portNumber, path } };
}

export const HOST_IP_ENV: JsonObject = {
  // kube-thanos injects the node IP so tracing agents on the node are easy to reach.
  name: 'HOST_IP_ADDRESS',
  valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } },
};

export function fieldEnv(name: string, fieldPath: string): JsonObject {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

export function secretEnv(name: string, ref: ObjectStorageConfigRef): JsonObject {
  return { name, valueFrom: { secretKeyRef: { key: ref.key, name: ref.name } } };
}

export function extraEnv(config: ComponentParams): JsonObject[] {
  return (config.extraEnv ?? []).map((env: EnvVar) => ({ ...env }) as JsonObject);
}

/** `--tracing.config=` + std.manifestYamlDoc({config+: {service_name}} + tracing), or nothing. */
export function tracingArgs(config: ComponentParams, serviceName: string): string[] {
  const tracing = config.tracing ?? {};
  if (Object.keys(tracing).length === 0) return [];
  const doc: Record<string, unknown> = { ...tracing, config: { service_name: serviceName, ...(tracing.config ?? {}) } };
  return [`--tracing.config=${manifestYamlDoc(doc)}`];
}

export function hasTlsSecret(
  ref: ObjectStorageConfigRef | null | undefined,
): ref is ObjectStorageConfigRef & { tlsSecretName: string } {
  return !!ref && typeof ref.tlsSecretName === 'string' && ref.tlsSecretName.length > 0;
}

export function tlsSecretMounts(ref: ObjectStorageConfigRef | null | undefined): JsonObject[] {
  return hasTlsSecret(ref) ? [{ name: 'tls-secret', mountPath: ref.tlsSecretMountPath ?? '' }] : [];
}

export function tlsSecretVolumes(ref: ObjectStorageConfigRef | null | undefined): JsonObject[] {
  return hasTlsSecret(ref) ? [{ name: 'tls-secret', secret: { secretName: ref.tlsSecretName } }] : [];
}

export function podSecurityContext(config: ComponentParams): JsonObject {
  return (config.securityContext ?? {}) as JsonObject;
}

/** kube-thanos derives the container securityContext from the (possibly overridden) pod securityContext. */
export function containerSecurityContext(config: ComponentParams): JsonObject {
  if (config.securityContextContainer !== undefined) return config.securityContextContainer as JsonObject;
  const pod = podSecurityContext(config);
  const derived: JsonObject = {};
  for (const key of ['runAsUser', 'runAsGroup', 'runAsNonRoot', 'seccompProfile']) {
    if (pod[key] !== undefined) derived[key] = pod[key] as Json;
  }
  return { ...derived, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
}

export function resources(config: ComponentParams): JsonObject {
  return (config.resources ?? {}) as JsonObject;
}

export const NODE_SELECTOR: JsonObject = { 'kubernetes.io/os': 'linux' };

export interface ThanosContainerOptions {
  /** The container name (`thanos-query`, ...). */
  name: string;
  config: ComponentParams;
  where: string;
  args: string[];
  env: JsonObject[];
  /** The http port both probes hit. */
  http: number;
  /** Probe timings; kube-thanos tunes the liveness thresholds per component. */
  liveness?: JsonObject;
  readiness?: JsonObject;
  /** kube-thanos leaves the container securityContext off compact and the receive StatefulSet. */
  securityContext: boolean;
  /** Omitted = no volumeMounts field (query, query-frontend); [] is written as an empty list. */
  volumeMounts?: JsonObject[];
}

/** The Thanos container every kube-thanos component writes out by hand: image, args, env, ports, probes, resources. */
export function thanosContainer(options: ThanosContainerOptions): JsonObject {
  const { config, where, http } = options;
  const container: JsonObject = {
    name: options.name,
    image: need(config, 'image', where),
    imagePullPolicy: need(config, 'imagePullPolicy', where),
    args: options.args,
    env: options.env,
    ports: containerPorts(config),
    livenessProbe: httpProbe(http, '/-/healthy', options.liveness ?? { failureThreshold: 4, periodSeconds: 30 }),
    readinessProbe: httpProbe(http, '/-/ready', options.readiness ?? { failureThreshold: 20, periodSeconds: 5 }),
    resources: resources(config),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  if (options.securityContext) container.securityContext = containerSecurityContext(config);
  if (options.volumeMounts) container.volumeMounts = options.volumeMounts;
  return container;
}

export interface PodSpecOptions {
  config: ComponentParams;
  serviceAccountName: string;
  containers: JsonObject[];
  /** Each omitted field is left out of the spec (kube-thanos does not write it for that component). */
  volumes?: JsonObject[];
  terminationGracePeriodSeconds?: number;
  affinity?: JsonObject;
}

/** The pod spec scaffolding shared by every kube-thanos workload: service account, securityContext, linux nodes. */
export function podSpec(options: PodSpecOptions): JsonObject {
  const spec: JsonObject = {
    serviceAccountName: options.serviceAccountName,
    securityContext: podSecurityContext(options.config),
    containers: options.containers,
    nodeSelector: NODE_SELECTOR,
  };
  if (options.volumes) spec.volumes = options.volumes;
  if (options.terminationGracePeriodSeconds !== undefined)
    spec.terminationGracePeriodSeconds = options.terminationGracePeriodSeconds;
  if (options.affinity) spec.affinity = options.affinity;
  return spec;
}

/** A Deployment running `pod`, labelled and templated with `labels`, selecting `selector`. */
export function deployment(
  name: string,
  namespace: string,
  labels: Labels,
  selector: Labels,
  replicas: number,
  pod: JsonObject,
): KubeObject {
  return kubeObject('apps/v1', 'Deployment', {
    metadata: metadata(name, namespace, labels),
    spec: { replicas, selector: { matchLabels: selector }, template: { metadata: { labels }, spec: pod } },
  });
}

export interface StatefulSetOptions {
  config: ComponentParams;
  name: string;
  namespace: string;
  /** The pod template's labels (and the StatefulSet's, unless metadataLabels is given). */
  labels: Labels;
  selector: Labels;
  replicas: number;
  pod: JsonObject;
  metadataLabels?: Labels;
  minReadySeconds?: number;
}

/** A StatefulSet governed by the Service of the same name, with the configured `data` PVC template. */
export function statefulSet(options: StatefulSetOptions): KubeObject {
  const { config, name, labels, selector } = options;
  const spec: JsonObject = {
    replicas: options.replicas,
    selector: { matchLabels: selector },
    serviceName: name,
    template: { metadata: { labels }, spec: options.pod },
    volumeClaimTemplates: volumeClaimTemplates(config, selector),
  };
  if (options.minReadySeconds !== undefined) spec.minReadySeconds = options.minReadySeconds;
  return kubeObject('apps/v1', 'StatefulSet', {
    metadata: metadata(name, options.namespace, options.metadataLabels ?? labels),
    spec,
  });
}

/** kube-thanos's per-instance anti-affinity: spread the pods of one `appName` instance over nodes (and zones). */
export function instanceAntiAffinity(
  namespace: string,
  labels: Labels,
  where: string,
  topologyKeys: string[] = ['kubernetes.io/hostname'],
): JsonObject {
  return antiAffinity(
    namespace,
    [
      ['app.kubernetes.io/name', labelValue(labels, 'app.kubernetes.io/name', where)],
      ['app.kubernetes.io/instance', labelValue(labels, 'app.kubernetes.io/instance', where)],
    ],
    topologyKeys,
  );
}

/** Preferred anti-affinity on the listed label values (kube-thanos spreads pods per node, ingestors per zone too). */
export function antiAffinity(namespace: string, match: [string, string][], topologyKeys: string[]): JsonObject {
  const labelSelector: JsonObject = {
    matchExpressions: match.map(([key, value]) => ({ key, operator: 'In', values: [value] })),
  };
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: topologyKeys.map((topologyKey) => ({
        podAffinityTerm: { namespaces: [namespace], topologyKey, labelSelector },
        weight: 100,
      })),
    },
  };
}

/** The `data` PVC template, labelled with the pod selector; [] when no template is configured. */
export function volumeClaimTemplates(config: ComponentParams, selector: Labels): JsonObject[] {
  const template = (config.volumeClaimTemplate ?? {}) as JsonObject;
  if (Object.keys(template).length === 0) return [];
  const meta = (template.metadata ?? {}) as JsonObject;
  const labels = { ...((meta.labels ?? {}) as JsonObject), ...selector };
  return [{ ...template, metadata: { ...meta, name: 'data', labels } }];
}

/** The memcached defaults merged under a cache of that type (kube-thanos `defaults.memcachedDefaults + params`). */
export function mergeMemcached(
  cache: Record<string, unknown>,
  topDefaults: Record<string, unknown>,
  configDefaults: Record<string, unknown>,
): Record<string, unknown> {
  const userConfig = (cache.config ?? {}) as Record<string, unknown>;
  return { ...topDefaults, ...cache, config: { ...configDefaults, ...userConfig } };
}

export function isType(cache: { type?: unknown } | undefined, type: string): boolean {
  return !!cache && typeof cache.type === 'string' && cache.type.toUpperCase() === type;
}

/** jsonnet's std.stripChars (kube-thanos trims the comma-separated telemetry quantiles with it). */
export function stripChars(value: string, chars: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && chars.includes(value[start] as string)) start++;
  while (end > start && chars.includes(value[end - 1] as string)) end--;
  return value.slice(start, end);
}
