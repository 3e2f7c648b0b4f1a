import type { ComponentParams } from '../../config/schema.js';
import {
  antiAffinity,
  labelsOf,
  labelValue,
  selectorOf,
  deployment,
  extraEnv,
  HOST_IP_ENV,
  need,
  podSpec,
  port,
  service,
  serviceAccount,
  serviceMonitor,
  servicePorts,
  stripChars,
  thanosContainer,
  tracingArgs,
  type ComponentObjects,
} from '../common.js';

const WHERE = 'query';

/** kube-thanos-query.libsonnet */
export function renderQuery(config: ComponentParams): ComponentObjects {
  const name = need(config, 'name', WHERE);
  const namespace = need(config, 'namespace', WHERE);
  const labels = labelsOf(config, 'thanos-query', 'query-layer', WHERE);
  const selector = selectorOf(config, labels);
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

  const container = thanosContainer({
    name: 'thanos-query',
    config,
    where: WHERE,
    args,
    env: [HOST_IP_ENV, ...extraEnv(config)],
    // kube-thanos probes the second Service port (by name order), which is `http` with the default port names.
    http: Number(servicePorts(config)[1]?.port),
    securityContext: true,
  });

  return {
    service: service(name, namespace, labels, selector, servicePorts(config), false),
    serviceAccount: serviceAccount(name, namespace, labels, config.serviceAccountAnnotations ?? {}),
    deployment: deployment(
      name,
      namespace,
      labels,
      selector,
      need(config, 'replicas', WHERE),
      podSpec({
        config,
        serviceAccountName: name,
        containers: [container],
        terminationGracePeriodSeconds: 120,
        affinity: antiAffinity(
          namespace,
          [['app.kubernetes.io/name', labelValue(labels, 'app.kubernetes.io/name', WHERE)]],
          ['kubernetes.io/hostname'],
        ),
      }),
    ),
    serviceMonitor: config.serviceMonitor ? serviceMonitor(name, namespace, labels, selector) : null,
  };
}
