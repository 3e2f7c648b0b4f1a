import type { ComponentParams } from '../../config/schema.js';
import {
  antiAffinity,
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
  service,
  serviceAccount,
  serviceMonitor,
  servicePorts,
  stripChars,
  tracingArgs,
  withoutVersion,
  type ComponentObjects,
} from '../common.js';

const WHERE = 'query';

/** kube-thanos-query.libsonnet */
export function renderQuery(config: ComponentParams): ComponentObjects {
  const name = need(config, 'name', WHERE);
  const namespace = need(config, 'namespace', WHERE);
  const labels = commonLabels('thanos-query', name, need(config, 'version', WHERE), 'query-layer');
  const selector = withoutVersion(labels);
  const http = port(config, 'http', WHERE);
  const quantiles = (flag: string, list: string | undefined) =>
    list ? list.split(',').map((quantile) => `--query.telemetry.${flag}=${stripChars(quantile, ' ')}`) : [];

  const args = [
    'query',
    `--grpc-address=0.0.0.0:${port(config, 'grpc', WHERE)}`,
    `--http-address=0.0.0.0:${http}`,
    `--log.level=${need(config, 'logLevel', WHERE)}`,
    `--log.format=${need(config, 'logFormat', WHERE)}`,
    ...need(config, 'replicaLabels', WHERE).map((label) => `--query.replica-label=${label}`),
    ...(config.stores ?? []).map((store) => `--endpoint=${store}`),
    ...(config.rules ?? []).map((rule) => `--rule=${rule}`),
    ...(config.externalPrefix ? [`--web.external-prefix=${config.externalPrefix}`] : []),
    ...(config.prefixHeader ? [`--web.prefix-header=${config.prefixHeader}`] : []),
    ...(config.queryTimeout ? [`--query.timeout=${config.queryTimeout}`] : []),
    ...(config.lookbackDelta ? [`--query.lookback-delta=${config.lookbackDelta}`] : []),
    ...tracingArgs(config, 'thanos-query'),
    ...(config.autoDownsampling ? ['--query.auto-downsampling'] : []),
    ...(config.useThanosEngine ? ['--query.promql-engine=thanos'] : []),
    ...quantiles('request-duration-seconds-quantiles', config.telemetryDurationQuantiles),
    ...quantiles('request-samples-quantiles', config.telemetrySamplesQuantiles),
    ...quantiles('request-series-seconds-quantiles', config.telemetrySeriesQuantiles),
    ...(config.queryUrl ? [`--alert.query-url=${config.queryUrl}`] : []),
  ];

  const container = {
    name: 'thanos-query',
    image: need(config, 'image', WHERE),
    imagePullPolicy: need(config, 'imagePullPolicy', WHERE),
    args,
    env: [HOST_IP_ENV, ...extraEnv(config)],
    ports: containerPorts(config),
    livenessProbe: httpProbe(http, '/-/healthy', { failureThreshold: 4, periodSeconds: 30 }),
    readinessProbe: httpProbe(http, '/-/ready', { failureThreshold: 20, periodSeconds: 5 }),
    resources: resources(config),
    securityContext: containerSecurityContext(config),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };

  return {
    service: service(name, namespace, labels, selector, servicePorts(config), false),
    serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
    deployment: kubeObject('apps/v1', 'Deployment', {
      metadata: metadata(name, namespace, labels),
      spec: {
        replicas: need(config, 'replicas', WHERE),
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            containers: [container],
            securityContext: podSecurityContext(config),
            serviceAccountName: name,
            terminationGracePeriodSeconds: 120,
            nodeSelector: NODE_SELECTOR,
            affinity: antiAffinity(namespace, [['app.kubernetes.io/name', 'thanos-query']], ['kubernetes.io/hostname']),
          },
        },
      },
    }),
    serviceMonitor: config.serviceMonitor ? serviceMonitor(name, namespace, labels, selector) : null,
  };
}
