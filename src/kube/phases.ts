import { apiGroup, type KubeObject } from '../model/objects.js';

/**
 * Apply order: what others depend on goes first. RBAC rides with service accounts so workloads never start without
 * their permissions; anything unknown goes last.
 */
export const PHASES = [
  'namespaces',
  'service-accounts',
  'config',
  'services',
  'workloads',
  'disruption-budgets',
  'monitors',
  'others',
] as const;
export type Phase = (typeof PHASES)[number];

const BY_KIND: Record<string, Phase> = {
  Namespace: 'namespaces',
  CustomResourceDefinition: 'namespaces',
  ServiceAccount: 'service-accounts',
  Role: 'service-accounts',
  ClusterRole: 'service-accounts',
  RoleBinding: 'service-accounts',
  ClusterRoleBinding: 'service-accounts',
  Secret: 'config',
  ConfigMap: 'config',
  Service: 'services',
  StatefulSet: 'workloads',
  Deployment: 'workloads',
  DaemonSet: 'workloads',
  Job: 'workloads',
  CronJob: 'workloads',
  PodDisruptionBudget: 'disruption-budgets',
  ServiceMonitor: 'monitors',
  PodMonitor: 'monitors',
  PrometheusRule: 'monitors',
};

export function phaseOf(object: KubeObject): Phase {
  const phase = BY_KIND[object.kind];
  if (!phase) return 'others';
  // Only the well-known groups: a CRD kind that happens to be called `Service` is not a core Service.
  const group = apiGroup(object.apiVersion);
  const expected = [
    '',
    'apps',
    'batch',
    'policy',
    'rbac.authorization.k8s.io',
    'apiextensions.k8s.io',
    'monitoring.coreos.com',
  ];
  return expected.includes(group) ? phase : 'others';
}

/**
 * The phases written together, in order: each step is one more round trip for the whole set. Config and Services
 * need neither each other nor anything after them, so they share a step; service accounts keep theirs, as a
 * service-account-token Secret needs its ServiceAccount to exist first.
 */
const STEPS: ReadonlyArray<readonly Phase[]> = [
  ['namespaces'],
  ['service-accounts'],
  ['config', 'services'],
  ['workloads'],
  ['disruption-budgets'],
  ['monitors'],
  ['others'],
];

export function byPhase<T extends { object: KubeObject }>(
  items: readonly T[],
): Array<{ phases: readonly Phase[]; items: T[] }> {
  return STEPS.map((phases) => ({
    phases,
    items: items.filter((item) => phases.includes(phaseOf(item.object))),
  })).filter((group) => group.items.length > 0);
}
