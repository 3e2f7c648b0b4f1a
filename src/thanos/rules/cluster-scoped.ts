import type { RiskFinding, RiskRule } from '../rule.js';
import { ALL_VERSIONS } from '../rule.js';
import { kubernetesSource } from '../source.js';

const RBAC_KINDS = new Set(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
const CLUSTER_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'StorageClass',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'PersistentVolume',
  'IngressClass',
  'RuntimeClass',
  'APIService',
]);

/** Namespaces, RBAC and other cluster-scoped objects added or pruned: their reach goes beyond this stack. */
export const clusterScoped: RiskRule = {
  id: 'cluster-scoped',
  severity: 'medium',
  versions: ALL_VERSIONS,
  source: kubernetesSource(
    'Namespaces',
    'https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/',
  ),
  summary: 'Namespace, RBAC or cluster-scoped objects added or removed',
  check(change) {
    const findings: RiskFinding[] = [];
    for (const { change: kind, before, after, name } of change.changes) {
      const object = after ?? before!;
      if (kind !== 'added' && kind !== 'removed') continue;
      if (object.kind === 'Namespace' && kind === 'removed') {
        findings.push({
          object: name,
          severity: 'high',
          message:
            'prunes a Namespace: Kubernetes deletes every object in it, including PVCs and Secrets this stack does not list',
          action:
            'remove the Namespace from the manifests only after moving or deleting its contents on purpose; otherwise keep it listed',
        });
        continue;
      }
      const isClusterScoped = CLUSTER_KINDS.has(object.kind);
      if (RBAC_KINDS.has(object.kind)) {
        findings.push({
          object: name,
          message: `${kind === 'added' ? 'grants' : 'revokes'} permissions (${object.kind}${object.kind.startsWith('Cluster') ? ', cluster-wide' : ''}): ${kind === 'added' ? 'review every rule it grants and to whom' : 'whatever relied on it loses access at the next request'}`,
          action:
            kind === 'added'
              ? 'check the verbs and resources are the least the workload needs'
              : 'check no running workload still needs it',
          source: kubernetesSource(
            'Using RBAC authorization',
            'https://kubernetes.io/docs/reference/access-authn-authz/rbac/',
          ),
        });
      } else if (isClusterScoped) {
        findings.push({
          object: name,
          message: `${kind === 'added' ? 'creates' : 'deletes'} a cluster-scoped ${object.kind}: it affects every namespace, not only this stack's`,
          action:
            kind === 'added'
              ? 'check no other team manages the same object'
              : 'check nothing outside this stack uses it',
        });
      }
    }
    return findings;
  },
};
