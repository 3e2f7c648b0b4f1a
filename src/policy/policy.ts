// The apply policy as data: what a manifest set may contain before anything is written. The Lambda and the CLI read
// the same document (a YAML or JSON file with the shape below), and both default to DEFAULT_APPLY_POLICY.
import * as z from 'zod';
import { parse as parseYaml } from 'yaml';

/** The Pod Security Standards checks of the `restricted` profile, by name, so a policy can skip single ones. */
export const RESTRICTED_CHECKS = [
  'volumeTypes',
  'allowPrivilegeEscalation',
  'runAsNonRoot',
  'runAsUser',
  'seccompProfile',
  'capabilitiesDropAll',
  'capabilitiesAdd',
] as const;
export type RestrictedCheck = (typeof RESTRICTED_CHECKS)[number];

/** The Pod Security Standards checks of the `baseline` profile, by name. */
export const BASELINE_CHECKS = [
  'privileged',
  'hostNamespaces',
  'hostPath',
  'hostPorts',
  'capabilitiesBaseline',
  'procMount',
  'seccompUnconfined',
  'seLinux',
  'appArmor',
  'sysctls',
  'hostProcess',
] as const;
export type BaselineCheck = (typeof BASELINE_CHECKS)[number];

const KIND_ENTRY = /^[A-Z][A-Za-z0-9]*(\.[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$/;

export const applyPolicySchema = z
  .object({
    kinds: z
      .array(
        z
          .string()
          .regex(
            KIND_ENTRY,
            'a kind is `Kind` (core group or a well-known built-in kind) or `Kind.group`, e.g. Deployment.apps',
          ),
      )
      .min(1)
      .describe('Kinds the set may contain, group-qualified: `Kind.group`, or `Kind` for the core group'),
    podSecurity: z
      .object({
        profile: z
          .enum(['privileged', 'baseline', 'restricted'])
          .describe('Pod Security Standards profile every pod template must meet; privileged checks nothing'),
        skip: z
          .array(z.enum(RESTRICTED_CHECKS))
          .default([])
          .describe('restricted checks not enforced (only meaningful with profile restricted)'),
      })
      .strict(),
    serviceTypes: z
      .array(z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']))
      .min(1)
      .describe('Service types the set may create; headless Services are ClusterIP'),
    allowExternalIPs: z
      .boolean()
      .default(false)
      .describe('Services may set spec.externalIPs (lets a Service intercept traffic to any IP)'),
    serviceAccounts: z
      .enum(['inSet', 'any'])
      .describe('inSet: a pod template may only name a ServiceAccount the set defines (same namespace)'),
  })
  .strict();

export type ApplyPolicy = z.infer<typeof applyPolicySchema>;

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

/** Reads a policy file's text (YAML or JSON); every problem names the file, the field and what to write. */
export function parseApplyPolicy(text: string, file: string): ApplyPolicy {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new Error(
      `${file}: not YAML or JSON: ${(error as Error).message.split('\n')[0]}; fix: write the policy as a YAML mapping (see the README's "Apply policy")`,
    );
  }
  const result = applyPolicySchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues
      .slice(0, 10)
      .map((issue) => `  ${issue.path.length ? `.${issue.path.join('.')}` : '(document)'}: ${issue.message}`);
    throw new Error(
      `${file}: invalid apply policy:\n${problems.join('\n')}\nfix: correct these fields (the README's "Apply policy" lists every field and the default)`,
    );
  }
  return result.data;
}
