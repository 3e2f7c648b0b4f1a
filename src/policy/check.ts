// The apply policy as a judgement over a whole manifest set: it needs the set (which ServiceAccounts exist) as well as
// each object, and runs before anything talks to a cluster.
import { apiGroup, describeObject, isRecord, type KubeObject, type ManifestSet } from '../model/objects.js';
import { BASELINE_CHECKS, podSecurityFindings } from './pod-security.js';
import { formatKind, qualifiedKind } from './policy.js';
import type { ApplyPolicy } from './policy-file.js';
import { ThanosGitopsError } from '../model/errors.js';
import { valueAt } from '../model/json.js';

export interface PolicyViolation {
  /** `Deployment thanos/thanos-query (thanos-query-deployment.yaml)` */
  object: string;
  /** Field path from the object's root, e.g. `.spec.template.spec.hostPID`. */
  path: string;
  problem: string;
  fix: string;
  /** The policy field that refused it, e.g. `podSecurity.restricted.runAsNonRoot`, `kinds`. */
  rule: string;
}

/** A set the policy refuses; nothing was written. */
export class PolicyViolationError extends ThanosGitopsError {
  override name = 'PolicyViolationError';
  constructor(
    readonly violations: PolicyViolation[],
    readonly policySource: string,
  ) {
    super(formatViolations(violations, policySource));
  }
}

export function formatViolations(violations: readonly PolicyViolation[], policySource: string): string {
  const shown = violations.slice(0, 30).map((v) => `  ${v.object}: ${v.path}: ${v.problem} [${v.rule}]; fix: ${v.fix}`);
  const more = violations.length > 30 ? [`  ... and ${violations.length - 30} more`] : [];
  return `the apply policy (${policySource}) refuses ${violations.length} field(s), nothing was written:\n${[...shown, ...more].join('\n')}`;
}

/** Where each workload kind keeps its pod spec; other kinds with `spec.template.spec.containers` are checked too. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  'Pod.': ['spec'],
  'ReplicationController.': ['spec', 'template', 'spec'],
  'PodTemplate.': ['template', 'spec'],
  'Deployment.apps': ['spec', 'template', 'spec'],
  'StatefulSet.apps': ['spec', 'template', 'spec'],
  'DaemonSet.apps': ['spec', 'template', 'spec'],
  'ReplicaSet.apps': ['spec', 'template', 'spec'],
  'Job.batch': ['spec', 'template', 'spec'],
  'CronJob.batch': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The pod spec of an object and its path, if the object runs pods. */
export function podSpecOf(object: KubeObject): { spec: Record<string, unknown>; path: string[] } | undefined {
  const known = POD_SPEC_PATHS[`${object.kind}.${apiGroup(object.apiVersion)}`];
  const candidates = known
    ? [known]
    : [
        ['spec', 'template', 'spec'],
        ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
      ];
  for (const path of candidates) {
    const spec = valueAt(object, ...path);
    if (isRecord(spec) && (known || Array.isArray(spec.containers))) return { spec, path };
  }
  return undefined;
}

export interface PolicyCheckOptions {
  /** The namespace objects without one land in (the ApplySet's namespace). */
  defaultNamespace?: string;
}

/** Every field of the set the policy refuses, in set order. An empty list means the set may be applied. */
export function checkApplyPolicy(
  set: ManifestSet,
  policy: ApplyPolicy,
  options: PolicyCheckOptions = {},
): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  const allowedKinds = new Set(
    policy.kinds.map((entry) => {
      const { kind, group } = qualifiedKind(entry);
      return formatKind(kind, group);
    }),
  );
  const namespaceOf = (object: KubeObject) => object.metadata.namespace ?? options.defaultNamespace ?? '';
  const serviceAccounts = new Set(
    set
      .filter((m) => m.object.kind === 'ServiceAccount' && apiGroup(m.object.apiVersion) === '')
      .map((m) => `${namespaceOf(m.object)}/${m.object.metadata.name}`),
  );
  const skip = new Set(policy.podSecurity.skip);

  for (const { file, object } of set) {
    const name = `${describeObject(object)}${file ? ` (${file})` : ''}`;
    const add = (path: string, problem: string, fix: string, rule: string) =>
      violations.push({ object: name, path, problem, fix, rule });
    const group = apiGroup(object.apiVersion);
    const groupKind = formatKind(object.kind, group);
    if (!allowedKinds.has(groupKind)) {
      add(
        '.apiVersion/.kind',
        `${groupKind} (apiVersion ${object.apiVersion}) is not an allowed kind`,
        `remove the object, or add ${groupKind} to the policy's kinds (allowed: ${[...allowedKinds].join(', ')})`,
        'kinds',
      );
      continue;
    }

    const pod = podSpecOf(object);
    if (pod) {
      const prefix = `.${pod.path.join('.')}`;
      for (const finding of podSecurityFindings(pod.spec, policy.podSecurity.profile, skip, prefix)) {
        const level = (BASELINE_CHECKS as readonly string[]).includes(finding.check) ? 'baseline' : 'restricted';
        add(finding.path, finding.problem, finding.fix, `podSecurity.${level}.${finding.check}`);
      }
      if (policy.serviceAccounts === 'inSet') {
        for (const field of ['serviceAccountName', 'serviceAccount'] as const) {
          const account = pod.spec[field];
          if (account === undefined || account === '') continue;
          if (!serviceAccounts.has(`${namespaceOf(object)}/${String(account)}`)) {
            add(
              `${prefix}.${field}`,
              `ServiceAccount "${String(account)}" is not defined in this set (namespace ${namespaceOf(object) || '(default)'}): the pod would run with another identity's permissions`,
              `add a ServiceAccount ${String(account)} to the set, or name one of ${
                [...serviceAccounts]
                  .filter((sa) => sa.startsWith(`${namespaceOf(object)}/`))
                  .map((sa) => sa.split('/')[1])
                  .join(', ') || '(none defined)'
              }`,
              'serviceAccounts',
            );
          }
        }
      }
    }

    if (object.kind === 'Service' && group === '') {
      const spec = isRecord(object.spec) ? object.spec : {};
      const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
      if (!(policy.serviceTypes as string[]).includes(type)) {
        add(
          '.spec.type',
          `Service type ${type} is not allowed (allowed: ${policy.serviceTypes.join(', ')})`,
          `remove .spec.type (a ClusterIP Service; set .spec.clusterIP: None for a headless one), or add ${type} to the policy's serviceTypes`,
          'serviceTypes',
        );
      }
      if (!policy.allowExternalIPs && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0) {
        add(
          '.spec.externalIPs',
          'the Service claims external IPs: it could intercept traffic the cluster sends to those addresses',
          'remove .spec.externalIPs, or set allowExternalIPs: true in the policy',
          'allowExternalIPs',
        );
      }
    }

    if (object.kind === 'Secret' && group === '' && object.type === 'kubernetes.io/service-account-token') {
      add(
        '.type',
        'a kubernetes.io/service-account-token Secret makes the cluster mint a long-lived token for a ServiceAccount',
        'remove the Secret; pods get short-lived projected tokens without it',
        'secrets.serviceAccountToken',
      );
    }
  }
  return violations;
}
