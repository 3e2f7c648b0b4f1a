import type { ComponentParams } from '../../config/schema.js';
import {
  antiAffinity,
  labelsOf,
  labelValue,
  selectorOf,
  deployment,
  extraEnv,
  HOST_IP_ENV,
  isType,
  mergeMemcached,
  need,
  podSpec,
  port,
  service,
  serviceAccount,
  serviceMonitor,
  servicePorts,
  thanosContainer,
  tracingArgs,
  type ComponentObjects,
} from '../common.js';
import { manifestYamlDoc } from '../yaml.js';

const WHERE = 'queryFrontend';

const MEMCACHED_CONFIG_DEFAULTS = {
  timeout: '500ms',
  max_idle_connections: 100,
  max_async_concurrency: 20,
  max_async_buffer_size: 10000,
  max_get_multi_concurrency: 100,
  max_get_multi_batch_size: 0,
  dns_provider_update_interval: '10s',
};

const FIFO_CONFIG_DEFAULTS = {
  max_size: '0', // no limit on the item size
  max_size_items: 2048,
  validity: '6h',
};

/** memcached and in-memory caches get kube-thanos's defaults merged under them; other types pass through. */
function responseCache(cache: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!cache) return {};
  if (isType(cache, 'MEMCACHED')) return mergeMemcached(cache, {}, MEMCACHED_CONFIG_DEFAULTS);
  if (isType(cache, 'IN-MEMORY')) return mergeMemcached(cache, {}, FIFO_CONFIG_DEFAULTS);
  return cache;
}

/** kube-thanos-query-frontend.libsonnet */
export function renderQueryFrontend(config: ComponentParams): ComponentObjects {
  const name = need(config, 'name', WHERE);
  const namespace = need(config, 'namespace', WHERE);
  const labels = labelsOf(config, 'thanos-query-frontend', 'query-cache', WHERE);
  const selector = selectorOf(config, labels);
  const http = port(config, 'http', WHERE);
  const splitInterval = need(config, 'splitInterval', WHERE);
  const maxRetries = need(config, 'maxRetries', WHERE);
  const queryRangeCache = responseCache(config.queryRangeCache);
  const labelsCache = responseCache(config.labelsCache);

  const args = [
    'query-frontend',
    `--log.level=${need(config, 'logLevel', WHERE)}`,
    `--log.format=${need(config, 'logFormat', WHERE)}`,
    '--query-frontend.compress-responses',
    `--http-address=0.0.0.0:${http}`,
    `--query-frontend.downstream-url=${need(config, 'downstreamURL', WHERE)}`,
    `--query-range.split-interval=${splitInterval}`,
    `--labels.split-interval=${splitInterval}`,
    `--query-range.max-retries-per-request=${maxRetries}`,
    `--labels.max-retries-per-request=${maxRetries}`,
    `--query-frontend.log-queries-longer-than=${need(config, 'logQueriesLongerThan', WHERE)}`,
    ...(Object.keys(queryRangeCache).length > 0
      ? [`--query-range.response-cache-config=${manifestYamlDoc(queryRangeCache)}`]
      : []),
    ...(Object.keys(labelsCache).length > 0 ? [`--labels.response-cache-config=${manifestYamlDoc(labelsCache)}`] : []),
    ...tracingArgs(config, 'thanos-query-frontend'),
    ...(config.queryUrl ? [`--alert.query-url=${config.queryUrl}`] : []),
  ];

  const container = thanosContainer({
    name: 'thanos-query-frontend',
    config,
    where: WHERE,
    args,
    env: [HOST_IP_ENV, ...extraEnv(config)],
    http,
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
