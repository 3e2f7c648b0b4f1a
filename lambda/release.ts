// The reconciler's input contract: events, the release payload and the policy every release must pass before the
// function touches the cluster. The Action imports the same schema to refuse a bad release before invoking.
import * as z from 'zod';
import { apiGroup, isRecord, type KubeObject, type Manifest, type ManifestSet } from '../src/model/objects.js';
import { checkApplyPolicy, DEFAULT_APPLY_POLICY, formatViolations, qualifiedKind, type ApplyPolicy } from '../src/policy/index.js';
import { ThanosGitopsError } from '../src/model/errors.js';
import { environmentNameProblem, isEnvironmentName } from '../src/model/environment.js';

/** Lambda's synchronous (RequestResponse) payload limit, request and response alike. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** What kube-thanos renders, plus the Secret/ConfigMap the objstore and hashring wiring add, group-qualified. */
export const DEFAULT_ALLOWED_KINDS = [...DEFAULT_APPLY_POLICY.kinds];

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

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const kubeObjectSchema = z
  .object({
    apiVersion: z.string().min(1, 'apiVersion is empty'),
    kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'kind must be a Kubernetes kind such as StatefulSet'),
    metadata: z
      .object({
        name: z.string().regex(NAME, 'metadata.name must be a DNS subdomain (lower case letters, digits, - and .)'),
        namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'metadata.namespace must be a DNS label').optional(),
      })
      .passthrough(),
  })
  .passthrough();

const manifestSchema = z.union([
  z.object({ file: z.string().min(1), object: kubeObjectSchema }).strict(),
  kubeObjectSchema,
]);

/** The non-secret stack-config sections rotation works from (the stack config's `tls:` and `objectStorage:`). */
export const securitySettingsSchema = z
  .object({
    tls: z.record(z.string(), z.unknown()).optional(),
    objectStorage: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const releaseSchema = z
  .object({
    repository: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'repository must be owner/name').describe('GitHub repository, owner/name'),
    commit: z.string().regex(/^[0-9a-f]{7,64}$/, 'commit must be a hex git sha').describe('The commit the manifests were rendered from'),
    actor: z.string().min(1).describe('Who caused the release (GitHub actor)'),
    environment: z.string().refine(isEnvironmentName, { error: (issue) => environmentNameProblem(String(issue.input)) }),
    manifests: z.array(manifestSchema).describe('KubeObjects, or {file, object} manifests as rendered'),
    settings: securitySettingsSchema.optional().describe('tls/objectStorage stack-config sections for scheduled rotation'),
  })
  .strict();

export type ReleasePayload = z.infer<typeof releaseSchema>;

const applyOptionsSchema = z
  .object({ force: z.boolean().optional(), recreate: z.boolean().optional(), prune: z.boolean().optional() })
  .strict();

export const reconcilerEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('plan'), release: releaseSchema }).strict(),
  z.object({ action: z.literal('apply'), release: releaseSchema, options: applyOptionsSchema.optional() }).strict(),
  z.object({ action: z.literal('reconcile') }).strict(),
  z.object({ action: z.literal('rotate'), forceCaRotation: z.boolean().optional(), forceKeyRotation: z.boolean().optional() }).strict(),
  z.object({ action: z.literal('rollback'), revision: z.number().int().positive(), actor: z.string().optional() }).strict(),
]);

export type ReconcilerEvent = z.infer<typeof reconcilerEventSchema>;
export type ReconcilerAction = ReconcilerEvent['action'];
export const WRITING_ACTIONS: ReadonlySet<ReconcilerAction> = new Set(['apply', 'reconcile', 'rotate', 'rollback']);

/** An event the function refuses, with the reason; nothing was read from or written to the cluster. */
export class RefusedError extends ThanosGitopsError {
  override name = 'RefusedError';
}

/**
 * Accepts the events the function is sent directly and the ones EventBridge delivers: a Scheduler target's fixed
 * JSON input is already `{"action": ...}`; an EventBridge rule (or Scheduler universal target) delivers an envelope
 * `{source, detail-type, detail: {action}}`.
 */
export function parseEvent(raw: unknown): ReconcilerEvent {
  let candidate = raw;
  if (isRecord(raw) && typeof raw.source === 'string' && 'detail' in raw) {
    const detail = raw.detail;
    if (!isRecord(detail) || (detail.action !== 'reconcile' && detail.action !== 'rotate')) {
      throw new RefusedError(
        `scheduled event from ${raw.source} carries no detail.action 'reconcile' or 'rotate'; configure the schedule's input as {"action":"reconcile"} or {"action":"rotate"}`,
      );
    }
    candidate = detail;
  }
  const result = reconcilerEventSchema.safeParse(candidate);
  if (!result.success) throw new RefusedError(`invalid event: ${formatIssues(result.error)}`);
  return result.data;
}

export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(event)'}: ${issue.message}`)
    .join('; ');
}

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
    throw new RefusedError(`release of ${release.repository}@${release.commit} is ${bytes} bytes, over Lambda's ${MAX_PAYLOAD_BYTES}-byte synchronous payload limit; split the stack into environments or drop large embedded files`);
  }
  if (policy.environment && release.environment !== policy.environment) {
    throw new RefusedError(`release is for environment '${release.environment}' but this function serves '${policy.environment}'; invoke that environment's function`);
  }
  const home = policy.namespaces[0];
  if (!home) throw new RefusedError('the function has no TARGET_NAMESPACES configured; set it in the function environment');
  const problems: string[] = [];
  const set = toManifestSet(release.manifests);
  const seen = new Set<string>();
  const out: ManifestSet = [];
  for (const { file, object } of set) {
    const where = `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name} (${file})`;
    if (!kindAllowed(object, policy.allowedKinds)) {
      const group = apiGroup(object.apiVersion);
      problems.push(`${where}: kind ${object.kind} is not allowed in ${group ? `group ${group}` : 'the core group'} (ALLOWED_KINDS: ${policy.allowedKinds.join(', ')}); fix: remove the object or add ${object.kind}${group ? `.${group}` : ''} to ALLOWED_KINDS`);
      continue;
    }
    const clusterScoped = CLUSTER_SCOPED_KINDS.has(object.kind);
    if (clusterScoped) {
      if (!policy.allowClusterScoped) {
        problems.push(`${where}: cluster-scoped objects are not allowed (set ALLOW_CLUSTER_SCOPED=true to permit them)`);
        continue;
      }
    } else {
      const namespace = object.metadata.namespace ?? home;
      if (!policy.namespaces.includes(namespace)) {
        problems.push(`${where}: namespace ${namespace} is not one of the target namespaces (${policy.namespaces.join(', ')})`);
        continue;
      }
    }
    const key = `${apiGroup(object.apiVersion)}/${object.kind}/${object.metadata.namespace ?? (clusterScoped ? '' : home)}/${object.metadata.name}`;
    if (seen.has(key)) {
      problems.push(`${where}: appears twice in the release`);
      continue;
    }
    seen.add(key);
    out.push({ file, object: clusterScoped || object.metadata.namespace ? object : { ...object, metadata: { ...object.metadata, namespace: home } } });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).map((p) => `  ${p}`).join('\n');
    const more = problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : '';
    throw new RefusedError(`release ${release.repository}@${release.commit.slice(0, 12)} refused, nothing was applied:\n${shown}${more}`);
  }
  // Kinds were checked above (with ALLOW_CLUSTER_SCOPED's scope rule); the policy judges the fields of what is left.
  const rules: ApplyPolicy = { ...(policy.apply ?? DEFAULT_APPLY_POLICY), kinds: policy.allowedKinds };
  const violations = checkApplyPolicy(out, rules, { defaultNamespace: home });
  if (violations.length > 0) {
    throw new RefusedError(`release ${release.repository}@${release.commit.slice(0, 12)} refused, nothing was applied: ${formatViolations(violations, policy.applySource ?? 'built-in default')}`);
  }
  return out;
}
