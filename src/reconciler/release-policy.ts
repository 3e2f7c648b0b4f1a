// The policy every release must pass before the function touches the cluster.
import { describeKey, keyOf } from '../kube/client.js';
import { apiGroup, type KubeObject, type Manifest, type ManifestSet } from '../model/objects.js';
import {
  checkApplyPolicy,
  DEFAULT_APPLY_POLICY,
  formatViolations,
  qualifiedKind,
  type ApplyPolicy,
} from '../policy/index.js';
import { RefusedError } from './event.js';
import { MAX_PAYLOAD_BYTES, type ReleasePayload } from './release.js';

/** Kinds that are never namespaced in Kubernetes; discovery confirms at apply time. */
export const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'APIService',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'CertificateSigningRequest',
  'FlowSchema',
  'PriorityLevelConfiguration',
]);

export interface ReleasePolicy {
  /** Namespaces the function may write to; the first one holds the ApplySet parent, history and Lease. */
  namespaces: string[];
  /** `Kind.group` entries (`Kind` alone: the core group, or the group of a well-known built-in kind). */
  allowedKinds: string[];
  allowClusterScoped: boolean;
  /** The environment the function serves; a release for another one is refused. */
  environment?: string | undefined;
  /** Pod security, ServiceAccounts, Service types, Secret types; its `kinds` are replaced by allowedKinds. */
  apply?: ApplyPolicy | undefined;
  /** Where `apply` came from, for refusals: `built-in default` or `APPLY_POLICY`. */
  applySource?: string | undefined;
}

/** Kind and API group must both match: `Deployment` of `evil.example.com/v1` is not an apps Deployment. */
export function kindAllowed(object: Pick<KubeObject, 'apiVersion' | 'kind'>, allowed: readonly string[]): boolean {
  const group = apiGroup(object.apiVersion);
  return allowed.some((entry) => {
    const wanted = qualifiedKind(entry);
    return wanted.kind === object.kind && wanted.group === group;
  });
}

export function toManifestSet(manifests: ReleasePayload['manifests']): ManifestSet {
  return manifests.map((entry): Manifest => {
    if ('object' in entry && 'file' in entry && !('apiVersion' in entry)) {
      return { file: entry.file as string, object: entry.object as KubeObject };
    }
    const object = entry as KubeObject;
    return { file: `${object.metadata.name}-${object.kind.toLowerCase()}.yaml`, object };
  });
}

/**
 * The release checks that run before any cluster call: payload size, environment, namespaces, kinds and scope.
 * Returns the manifest set with every namespaced object's namespace filled in.
 */
export function checkRelease(release: ReleasePayload, policy: ReleasePolicy, payloadBytes?: number): ManifestSet {
  const bytes = payloadBytes ?? Buffer.byteLength(JSON.stringify(release));
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new RefusedError(
      `release of ${release.repository}@${release.commit} is ${bytes} bytes, over Lambda's ${MAX_PAYLOAD_BYTES}-byte synchronous payload limit; split the stack into environments or drop large embedded files`,
    );
  }
  if (policy.environment && release.environment !== policy.environment) {
    throw new RefusedError(
      `release is for environment '${release.environment}' but this function serves '${policy.environment}'; invoke that environment's function`,
    );
  }
  const home = policy.namespaces[0];
  if (!home)
    throw new RefusedError('the function has no TARGET_NAMESPACES configured; set it in the function environment');
  const problems: string[] = [];
  const set = toManifestSet(release.manifests);
  const seen = new Set<string>();
  const out: ManifestSet = [];
  for (const { file, object } of set) {
    const where = `${describeKey(keyOf(object))} (${file})`;
    if (!kindAllowed(object, policy.allowedKinds)) {
      const group = apiGroup(object.apiVersion);
      problems.push(
        `${where}: kind ${object.kind} is not allowed in ${group ? `group ${group}` : 'the core group'} (ALLOWED_KINDS: ${policy.allowedKinds.join(', ')}); fix: remove the object or add ${object.kind}${group ? `.${group}` : ''} to ALLOWED_KINDS`,
      );
      continue;
    }
    const clusterScoped = CLUSTER_SCOPED_KINDS.has(object.kind);
    if (clusterScoped) {
      if (!policy.allowClusterScoped) {
        problems.push(
          `${where}: cluster-scoped objects are not allowed (set ALLOW_CLUSTER_SCOPED=true to permit them)`,
        );
        continue;
      }
    } else {
      const namespace = object.metadata.namespace ?? home;
      if (!policy.namespaces.includes(namespace)) {
        problems.push(
          `${where}: namespace ${namespace} is not one of the target namespaces (${policy.namespaces.join(', ')})`,
        );
        continue;
      }
    }
    const key = `${apiGroup(object.apiVersion)}/${object.kind}/${object.metadata.namespace ?? (clusterScoped ? '' : home)}/${object.metadata.name}`;
    if (seen.has(key)) {
      problems.push(`${where}: appears twice in the release`);
      continue;
    }
    seen.add(key);
    out.push({
      file,
      object:
        clusterScoped || object.metadata.namespace
          ? object
          : { ...object, metadata: { ...object.metadata, namespace: home } },
    });
  }
  if (problems.length > 0) {
    const shown = problems
      .slice(0, 20)
      .map((p) => `  ${p}`)
      .join('\n');
    const more = problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : '';
    throw new RefusedError(
      `release ${release.repository}@${release.commit.slice(0, 12)} refused, nothing was applied:\n${shown}${more}`,
    );
  }
  // Kinds were checked above (with ALLOW_CLUSTER_SCOPED's scope rule); the policy judges the fields of what is left.
  checkFields(out, policy, home, `release ${release.repository}@${release.commit.slice(0, 12)}`);
  return out;
}

/**
 * Refuses a set whose fields the apply policy does not allow (with the policy's kinds replaced by the allowed kinds).
 * Also run on a rollback: a revision recorded under an older or looser policy must not bring back what today's refuses.
 */
export function checkFields(set: ManifestSet, policy: ReleasePolicy, defaultNamespace: string, what: string): void {
  const rules: ApplyPolicy = { ...(policy.apply ?? DEFAULT_APPLY_POLICY), kinds: policy.allowedKinds };
  const violations = checkApplyPolicy(set, rules, { defaultNamespace });
  if (violations.length > 0) {
    throw new RefusedError(
      `${what} refused, nothing was applied: ${formatViolations(violations, policy.applySource ?? 'built-in default')}`,
    );
  }
}
