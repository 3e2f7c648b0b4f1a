import type { ComponentParams } from '../../config/schema.js';
import {
  labelsOf,
  need,
  service,
  serviceMonitor,
  servicePorts,
  withoutVersion,
  type ComponentObjects,
} from '../common.js';

/**
 * kube-thanos-sidecar.libsonnet: the sidecar runs inside the Prometheus pods (the Prometheus Operator injects it), so
 * kube-thanos only renders the Service that selects those pods and its ServiceMonitor.
 */
export function renderSidecar(config: ComponentParams): ComponentObjects {
  const where = 'sidecar';
  const name = need(config, 'name', where);
  const namespace = need(config, 'namespace', where);
  const labels = labelsOf(config, 'thanos-sidecar', 'prometheus-sidecar', where);
  return {
    service: service(name, namespace, labels, need(config, 'podLabelSelector', where), servicePorts(config), true),
    serviceMonitor: config.serviceMonitor
      ? serviceMonitor(name, namespace, labels, config.serviceLabelSelector ?? withoutVersion(labels))
      : null,
  };
}
