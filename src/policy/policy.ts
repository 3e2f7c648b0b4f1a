// The apply policy as data: what a manifest set may contain before anything is written. The Lambda and the CLI read
// the same document (a YAML or JSON file with the shape in policy-file.ts), and both default to DEFAULT_APPLY_POLICY.
import type { ApplyPolicy } from './policy-file.js';

/**
 * What the Lambda enforces unless configured otherwise, and what `thanos-gitops apply` enforces without `--policy`.
 * It accepts kube-thanos's own output: kube-thanos's receive ingestor container sets no container securityContext
 * (no `allowPrivilegeEscalation: false`, no `capabilities.drop: [ALL]`), so those two restricted checks are skipped;
 * an explicit `allowPrivilegeEscalation: true` is still refused.
 */
export const DEFAULT_APPLY_POLICY: ApplyPolicy = {
  kinds: [
    'ServiceAccount',
    'Service',
    'ConfigMap',
    'Secret',
    'StatefulSet.apps',
    'Deployment.apps',
    'PodDisruptionBudget.policy',
    'ServiceMonitor.monitoring.coreos.com',
  ],
  podSecurity: { profile: 'restricted', skip: ['allowPrivilegeEscalation', 'capabilitiesDropAll'] },
  serviceTypes: ['ClusterIP'],
  allowExternalIPs: false,
  serviceAccounts: 'inSet',
};

/** Built-in kinds outside the core group that a bare `Kind` entry means; any other bare entry is a core kind. */
const WELL_KNOWN_GROUPS: Readonly<Record<string, string>> = {
  Deployment: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  ReplicaSet: 'apps',
  ControllerRevision: 'apps',
  Job: 'batch',
  CronJob: 'batch',
  PodDisruptionBudget: 'policy',
  Role: 'rbac.authorization.k8s.io',
  RoleBinding: 'rbac.authorization.k8s.io',
  ClusterRole: 'rbac.authorization.k8s.io',
  ClusterRoleBinding: 'rbac.authorization.k8s.io',
  Ingress: 'networking.k8s.io',
  IngressClass: 'networking.k8s.io',
  NetworkPolicy: 'networking.k8s.io',
  HorizontalPodAutoscaler: 'autoscaling',
  Lease: 'coordination.k8s.io',
  CustomResourceDefinition: 'apiextensions.k8s.io',
  // prometheus-operator's kinds, which kube-thanos renders.
  ServiceMonitor: 'monitoring.coreos.com',
  PodMonitor: 'monitoring.coreos.com',
  PrometheusRule: 'monitoring.coreos.com',
};

/** `Kind.group` for a policy entry: `Deployment` is `Deployment.apps`, `ConfigMap` (or `ConfigMap.core`) the core one. */
export function qualifiedKind(entry: string): { kind: string; group: string } {
  const dot = entry.indexOf('.');
  if (dot >= 0) {
    const group = entry.slice(dot + 1);
    return { kind: entry.slice(0, dot), group: group === 'core' ? '' : group };
  }
  return { kind: entry, group: WELL_KNOWN_GROUPS[entry] ?? '' };
}

export function formatKind(kind: string, group: string): string {
  return group ? `${kind}.${group}` : kind;
}
