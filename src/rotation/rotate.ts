import type { ManifestSet } from '../model/objects.js';
import type { StackConfig } from '../config/schema.js';
import { renderStack } from '../render/stack.js';
import type { KubeClient } from '../kube/client.js';
import { uniqueHolder, withLease, type LeaseOptions } from '../kube/lease.js';
import type {
  ObjectStorageInput,
  ObjectStorageSettings,
  TlsConfig,
  TlsConfigInput,
} from '../config/tls-objstore-schema.js';
import { securityPlan, type SecurityPlan } from './security-plan.js';
import { reconcileCertificates } from './pki/certificates.js';
import type { PkiOptions, PkiReport } from './pki/context.js';
import { reconcileObjectStorage, type ObjstoreOptions, type ObjstoreReport } from './objstore/rotation.js';
import type { AccessKeyApi } from './objstore/access-keys.js';

/** What rotation works on: the rendered set (for SANs and the workloads to restart) and the two config sections. */
export interface RotationTarget {
  set: ManifestSet;
  namespace: string;
  tls?: TlsConfig | TlsConfigInput;
  objectStorage?: ObjectStorageSettings | ObjectStorageInput;
}

export interface RotateOptions
  extends Omit<PkiOptions, 'afterStep'>,
    Omit<ObjstoreOptions, 'afterStep' | 'accessKeys'> {
  /** IAM operations for accessKeys mode; the CLI and Lambda pass awsAccessKeyApi(...). */
  accessKeys?: AccessKeyApi;
  /** Called after each persisted step (CA, leaf, delivery and key steps); throwing here simulates a crash. */
  afterStep?: (step: string) => void | Promise<void>;
  holder?: string;
  lease?: LeaseOptions;
}

export interface RotateReport {
  dryRun: boolean;
  certificates: PkiReport;
  objectStorage: ObjstoreReport;
}

/**
 * One rotation pass: issue or renew certificates, resume or start a CA rotation, keep the objstore Secret equal to
 * the config and rotate its access key when due. Writes run under the namespace Lease (the one apply uses), so a
 * rotation never interleaves with an apply; a dry run only reads.
 */
export async function rotateTarget(
  client: KubeClient,
  target: RotationTarget,
  options: RotateOptions = {},
): Promise<RotateReport> {
  const plan: SecurityPlan = securityPlan(target.set, {
    namespace: target.namespace,
    ...(target.tls ? { tls: target.tls } : {}),
    ...(target.objectStorage ? { objectStorage: target.objectStorage } : {}),
  });
  const work = async (): Promise<RotateReport> => {
    const certificates = await reconcileCertificates(client, plan, options);
    const objectStorage = await reconcileObjectStorage(client, plan, options);
    return { dryRun: !!options.dryRun, certificates, objectStorage };
  };
  if (options.dryRun) return work();
  return withLease(client, target.namespace, options.holder ?? uniqueHolder('thanos-gitops-rotate'), work, {
    waitTimeoutMs: 60_000,
    ...options.lease,
  });
}

/** The one namespace the rendered stack lives in (where its Secrets, Lease and workloads are). */
export function stackNamespace(set: ManifestSet): string {
  const namespaces = new Set(set.map((m) => m.object.metadata.namespace).filter((ns): ns is string => !!ns));
  if (namespaces.size !== 1) {
    throw new Error(
      namespaces.size === 0
        ? 'the stack renders no namespaced objects: set common.namespace'
        : `the stack spans namespaces ${[...namespaces].sort().join(', ')}: rotation needs one (set common.namespace)`,
    );
  }
  return [...namespaces][0]!;
}

/** The rotation target a stack config describes: its rendered set, namespace and tls/objectStorage sections. */
export function rotationTargetFor(config: StackConfig): RotationTarget {
  const set = renderStack(config);
  return {
    set,
    namespace: stackNamespace(set),
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.objectStorage ? { objectStorage: config.objectStorage } : {}),
  };
}

/** `rotate(client, config, options)`: one rotation pass for a stack config (the CLI command and the Lambda's rotate event). */
export async function rotate(
  client: KubeClient,
  config: StackConfig,
  options: RotateOptions = {},
): Promise<RotateReport> {
  return rotateTarget(client, rotationTargetFor(config), options);
}

/** Human summary lines of a report (names, serials and fingerprints only: never keys). */
export function formatRotateReport(report: RotateReport): string {
  const lines = [...report.certificates.actions, ...report.objectStorage.actions];
  if (lines.length === 0) lines.push('nothing to do');
  return `${report.dryRun ? '(dry run) ' : ''}${lines.join(`\n${report.dryRun ? '(dry run) ' : ''}`)}\n`;
}
