import type { KubeObject, Manifest, ManifestSet } from '../model/objects.js';
import { describeObject } from '../model/objects.js';
import {
  objectStorageSchema,
  tlsSchema,
  type ObjectStorageInput,
  type ObjectStorageSettings,
  type TlsConfig,
  type TlsConfigInput,
} from '../config/security.js';
import { ThanosGitopsError } from '../model/errors.js';
import { podTemplate, thanosSubcommand } from '../model/workloads.js';

/**
 * Layers TLS flags, volumes, IRSA annotations and the objstore Secret over a kube-thanos-exact manifest set.
 * Everything is derived from the rendered objects themselves (labels, args, env), so it works for any layout the
 * renderer produces. With neither section set the set is returned unchanged (same array, same objects).
 */
export interface SecuritySettings {
  tls?: TlsConfig | TlsConfigInput;
  objectStorage?: ObjectStorageSettings | ObjectStorageInput;
  namespace: string;
}

/** A wiring problem in the stack config's tls/objectStorage sections, named by config path with the fix. */
export class SecurityConfigError extends ThanosGitopsError {
  override name = 'SecurityConfigError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** Where pods find the files; kubelet keeps Secret volumes in sync, Thanos re-reads leaf files on mtime change. */
export const MOUNTS = {
  remoteWrite: { volume: 'remote-write-tls', path: '/etc/thanos/tls/remote-write' },
  grpc: { volume: 'grpc-tls', path: '/etc/thanos/tls/grpc' },
  caBundle: { volume: 'tls-ca-bundle', path: '/etc/thanos/tls/ca' },
} as const;

/** Pod-template annotations patched by `rotate` (field manager thanos-gitops-rotation) to restart readers. */
export const CA_CHECKSUM_ANNOTATION = 'thanos-gitops.io/ca-bundle-checksum';
export const OBJSTORE_CHECKSUM_ANNOTATION = 'thanos-gitops.io/objstore-checksum';
export const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';

/**
 * query dials stores found via dnssrv+, which Thanos resolves to IP addresses, so it cannot verify a host name it
 * dialled; it verifies this fixed name instead, which every gRPC server certificate carries.
 */
export function grpcServerName(namespace: string): string {
  return `thanos-grpc.${namespace}.svc`;
}

const TENANT_FIELD_MIN_VERSION: [number, number, number] = [0, 27, 0];

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  [field: string]: unknown;
}

interface PodSpec {
  containers: Container[];
  volumes?: Record<string, unknown>[];
  serviceAccountName?: string;
  [field: string]: unknown;
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export type WorkloadRole = 'router' | 'receive' | 'ingestor' | 'store' | 'rule' | 'query' | 'other';

export interface WorkloadInfo {
  manifest: Manifest;
  role: WorkloadRole;
  /** Index of the Thanos container in spec.template.spec.containers. */
  container: number;
  objstore?: { name: string; key: string };
}


function roleOf(object: KubeObject, container: Container): WorkloadRole {
  const component = object.metadata.labels?.['app.kubernetes.io/component'];
  const args = container.args ?? [];
  switch (thanosSubcommand(container)) {
    case 'receive':
      if (component === 'thanos-receive-router') return 'router';
      // kube-thanos's single `receive` routes and ingests in one pod; split ingestors never face clients.
      return args.some((a) => a.startsWith('--receive.hashrings-file')) && !object.metadata.labels?.['controller.receive.thanos.io/hashring']
        ? 'receive'
        : 'ingestor';
    case 'store':
      return 'store';
    case 'rule':
      return 'rule';
    case 'query':
      return 'query';
    default:
      return 'other';
  }
}

/** Thanos workloads of a set, with what they do and which objstore Secret they read. */
export function workloads(set: ManifestSet): WorkloadInfo[] {
  const found: WorkloadInfo[] = [];
  for (const manifest of set) {
    const template = podTemplate(manifest.object) as PodTemplate | undefined;
    if (!template) continue;
    const index = template.spec.containers.findIndex((container) => thanosSubcommand(container) !== undefined);
    if (index < 0) continue;
    const container = template.spec.containers[index]!;
    const ref = container.env?.find((e) => e.name === 'OBJSTORE_CONFIG')?.valueFrom?.secretKeyRef;
    found.push({ manifest, role: roleOf(manifest.object, container), container: index, ...(ref ? { objstore: { name: ref.name, key: ref.key } } : {}) });
  }
  return found;
}

function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function serviceNamesFor(set: ManifestSet, workload: KubeObject): string[] {
  const labels = podTemplate(workload)?.metadata?.labels;
  return set
    .filter((m) => m.object.kind === 'Service')
    .filter((m) => selectorMatches((m.object.spec as { selector?: Record<string, string> } | undefined)?.selector, labels))
    .map((m) => m.object.metadata.name);
}

function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

export interface LeafRequest {
  /** Stable identity of the leaf, e.g. `remote-write`, `grpc`, `tenant:team-a`. */
  id: string;
  secretName: string;
  namespace: string;
  commonName: string;
  dnsNames: string[];
  usages: ('serverAuth' | 'clientAuth')[];
  /** For tenant certificates: the subject field carrying the tenant id. */
  subject?: { commonName?: string; organization?: string; organizationalUnit?: string };
  tenant?: { id: string; deliverTo?: { namespace: string; secretName: string } };
}

export interface SecurityPlan {
  namespace: string;
  tls?: TlsConfig;
  objectStorage?: ObjectStorageSettings & { secretName: string; key: string };
  leaves: LeafRequest[];
  /** Workloads that read the CA bundle file: restarted when the bundle changes (Thanos never reloads CA files). */
  caReaders: KubeObject[];
  /** Workloads that read the objstore Secret via env: restarted when it changes (read only at start). */
  objstoreConsumers: KubeObject[];
}

function objstoreSecretRef(infos: WorkloadInfo[], store: ObjectStorageSettings): { secretName: string; key: string } {
  const refs = new Map<string, { name: string; key: string; users: string[] }>();
  for (const info of infos) {
    if (!info.objstore) continue;
    const id = `${info.objstore.name}/${info.objstore.key}`;
    const entry = refs.get(id) ?? { ...info.objstore, users: [] };
    entry.users.push(describeObject(info.manifest.object));
    refs.set(id, entry);
  }
  const referenced = [...refs.values()];
  const secretName = store.secretName ?? referenced[0]?.name ?? 'thanos-objectstorage';
  const key = store.key ?? referenced[0]?.key ?? 'thanos.yaml';
  const mismatch = referenced.find((r) => r.name !== secretName || r.key !== key);
  if (mismatch) {
    throw new SecurityConfigError(
      'objectStorage.secretName',
      `${mismatch.users.join(', ')} read${mismatch.users.length === 1 ? 's' : ''} objstore Secret '${mismatch.name}' key '${mismatch.key}', ` +
        `but objectStorage describes '${secretName}' key '${key}'. Make the components' objectStorageConfig {name, key} and ` +
        `objectStorage.secretName/key name the same Secret.`,
    );
  }
  return { secretName, key };
}

/** Everything rotation and wiring need to know, derived from the rendered set and the two config sections. */
export function securityPlan(set: ManifestSet, settings: SecuritySettings): SecurityPlan {
  const namespace = settings.namespace;
  const tls = settings.tls === undefined ? undefined : tlsSchema.parse(settings.tls);
  const store = settings.objectStorage === undefined ? undefined : objectStorageSchema.parse(settings.objectStorage);
  const infos = workloads(set);
  const plan: SecurityPlan = { namespace, leaves: [], caReaders: [], objstoreConsumers: [] };
  if (store) {
    plan.objectStorage = { ...store, ...objstoreSecretRef(infos, store) };
    plan.objstoreConsumers = infos.filter((i) => i.objstore).map((i) => i.manifest.object);
  }
  if (!tls) return plan;
  plan.tls = tls;

  const routers = infos.filter((i) => i.role === 'router');
  const frontDoors = routers.length > 0 ? routers : infos.filter((i) => i.role === 'receive');
  const caReaders = new Set<KubeObject>();
  if (tls.remoteWrite.enabled) {
    if (frontDoors.length === 0) {
      throw new SecurityConfigError(
        'tls.remoteWrite.enabled',
        'the stack has no receive router (or single receive) to serve remote-write over TLS: add receiveRouter or receive, or set tls.remoteWrite.enabled: false',
      );
    }
    const services = [...new Set(frontDoors.flatMap((f) => serviceNamesFor(set, f.manifest.object)))].sort();
    const dnsNames = [...new Set([...services.flatMap((s) => serviceDnsNames(s, namespace)), ...tls.remoteWrite.dnsNames])];
    plan.leaves.push({
      id: 'remote-write',
      secretName: tls.remoteWrite.secretName,
      namespace,
      commonName: services[0] ?? frontDoors[0]!.manifest.object.metadata.name,
      dnsNames,
      usages: ['serverAuth'],
    });
    for (const f of frontDoors) caReaders.add(f.manifest.object);
  }
  if (tls.grpc.enabled) {
    const servers = infos.filter((i) => ['receive', 'ingestor', 'store', 'rule'].includes(i.role));
    const dnsNames = new Set<string>([grpcServerName(namespace)]);
    for (const s of servers) {
      for (const svc of serviceNamesFor(set, s.manifest.object)) for (const n of serviceDnsNames(svc, namespace)) dnsNames.add(n);
      const object = s.manifest.object;
      const spec = object.spec as { serviceName?: string; replicas?: number };
      if (object.kind === 'StatefulSet' && spec.serviceName) {
        // The hashring endpoints and --receive.local-endpoint use the short <pod>.<svc>.<ns> names.
        for (let i = 0; i < (spec.replicas ?? 1); i++) {
          dnsNames.add(`${object.metadata.name}-${i}.${spec.serviceName}.${namespace}`);
          dnsNames.add(`${object.metadata.name}-${i}.${spec.serviceName}.${namespace}.svc`);
        }
        // Scaling out adds pods; the wildcard covers them until the next renewal lists them by name.
        dnsNames.add(`*.${spec.serviceName}.${namespace}`);
        dnsNames.add(`*.${spec.serviceName}.${namespace}.svc`);
      }
    }
    plan.leaves.push({
      id: 'grpc',
      secretName: tls.grpc.secretName,
      namespace,
      commonName: grpcServerName(namespace),
      dnsNames: [...dnsNames],
      usages: ['serverAuth', 'clientAuth'],
    });
    for (const i of infos) if (['router', 'receive', 'ingestor', 'store', 'rule', 'query'].includes(i.role)) caReaders.add(i.manifest.object);
  }
  const field = tls.remoteWrite.tenantCertificateField ?? 'commonName';
  for (const tenant of tls.certificates.tenants) {
    const deliveryNamespace = tenant.namespace ?? tls.delivery.namespace;
    plan.leaves.push({
      id: `tenant:${tenant.id}`,
      secretName: `thanos-tenant-${tenant.id.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`,
      namespace,
      commonName: field === 'commonName' ? tenant.id : `thanos-tenant-${tenant.id}`,
      dnsNames: [],
      usages: ['clientAuth'],
      subject: { commonName: field === 'commonName' ? tenant.id : `thanos-tenant-${tenant.id}`, ...(field === 'organization' ? { organization: tenant.id } : {}), ...(field === 'organizationalUnit' ? { organizationalUnit: tenant.id } : {}) },
      tenant: {
        id: tenant.id,
        ...(deliveryNamespace
          ? { deliverTo: { namespace: deliveryNamespace, secretName: tls.delivery.secretName.replace('{tenant}', tenant.id.toLowerCase().replace(/[^a-z0-9-]/g, '-')) } }
          : {}),
      },
    });
  }
  plan.caReaders = [...caReaders];
  return plan;
}

function parseVersion(text: string | undefined): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text ?? '');
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function thanosVersion(object: KubeObject, container: Container): string | undefined {
  const label = object.metadata.labels?.['app.kubernetes.io/version'];
  if (parseVersion(label)) return label;
  const image = typeof container.image === 'string' ? container.image : '';
  const tag = /:([^:/@]+)(?:@.*)?$/.exec(image)?.[1];
  return tag ?? label;
}

function atLeast(version: [number, number, number], min: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (version[i] !== min[i]) return version[i]! > min[i]!;
  return true;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function addVolume(pod: PodSpec, volume: Record<string, unknown>): void {
  pod.volumes ??= [];
  if (!pod.volumes.some((v) => v.name === volume.name)) pod.volumes.push(volume);
}

function addMount(container: Container, name: string, mountPath: string): void {
  container.volumeMounts ??= [];
  if (!container.volumeMounts.some((m) => m.name === name)) container.volumeMounts.push({ mountPath, name, readOnly: true });
}

function secretVolume(name: string, secretName: string): Record<string, unknown> {
  // 0440 with kube-thanos's fsGroup 65534: readable by the Thanos user, not world-readable.
  return { name, secret: { defaultMode: 0o440, secretName } };
}

/** The objstore config file as Thanos parses it (strict keys; no access keys with IRSA). */
export function objstoreConfigYaml(store: ObjectStorageSettings, credentials?: { accessKeyId: string; secretAccessKey: string }): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ['type: S3', 'config:', `  bucket: ${q(store.bucket)}`, `  endpoint: ${q(store.endpoint)}`, `  region: ${q(store.region)}`];
  if (credentials) lines.push(`  access_key: ${q(credentials.accessKeyId)}`, `  secret_key: ${q(credentials.secretAccessKey)}`);
  lines.push(`prefix: ${q(store.prefix ?? '')}`);
  return `${lines.join('\n')}\n`;
}

export function applySecurity(set: ManifestSet, settings: SecuritySettings): ManifestSet {
  if (settings.tls === undefined && settings.objectStorage === undefined) return set;
  const plan = securityPlan(set, settings);
  const byOriginal = new Map<KubeObject, KubeObject>();
  const edit = (object: KubeObject): KubeObject => {
    let copy = byOriginal.get(object);
    if (!copy) {
      copy = clone(object);
      byOriginal.set(object, copy);
    }
    return copy;
  };
  const infos = workloads(set);
  const tls = plan.tls;
  const namespace = settings.namespace;

  if (tls) {
    const rwLeaf = plan.leaves.find((l) => l.id === 'remote-write');
    const grpcLeaf = plan.leaves.find((l) => l.id === 'grpc');
    const ca = `${MOUNTS.caBundle.path}/ca.crt`;
    for (const info of infos) {
      const object = info.manifest.object;
      const template = podTemplate(object) as PodTemplate;
      const original = template.spec.containers[info.container]!;
      const frontDoor = rwLeaf && plan.caReaders.includes(object) && (info.role === 'router' || (info.role === 'receive' && !infos.some((i) => i.role === 'router')));
      const grpcServer = grpcLeaf && ['receive', 'ingestor', 'store', 'rule'].includes(info.role);
      const grpcForwarder = grpcLeaf && (info.role === 'router' || info.role === 'receive');
      const grpcQuery = grpcLeaf && info.role === 'query';
      if (!frontDoor && !grpcServer && !grpcForwarder && !grpcQuery) continue;

      const args = original.args ?? [];
      if (grpcForwarder && args.includes('--receive.replication-protocol=capnproto')) {
        throw new SecurityConfigError(
          'tls.grpc.enabled',
          `${describeObject(object)} replicates with capnproto, which dials plain TCP: keep the protobuf replication protocol with gRPC TLS, or set tls.grpc.enabled: false`,
        );
      }
      if (frontDoor && tls.remoteWrite.tenantCertificateField) {
        const version = thanosVersion(object, original);
        const parsed = parseVersion(version);
        if (!parsed || !atLeast(parsed, TENANT_FIELD_MIN_VERSION)) {
          throw new SecurityConfigError(
            'tls.remoteWrite.tenantCertificateField',
            `--receive.tenant-certificate-field needs Thanos v0.27.0 or later, but ${describeObject(object)} runs '${version ?? 'unknown'}': ` +
              `set the component's version/image to v0.27.0 or later, or remove tenantCertificateField`,
          );
        }
      }

      const copy = edit(object);
      const pod = (podTemplate(copy) as PodTemplate).spec;
      const container = pod.containers[info.container]!;
      const newArgs = [...(container.args ?? [])];
      addVolume(pod, secretVolume(MOUNTS.caBundle.volume, tls.remoteWrite.clientCASecretName));
      addMount(container, MOUNTS.caBundle.volume, MOUNTS.caBundle.path);
      if (frontDoor && rwLeaf) {
        addVolume(pod, secretVolume(MOUNTS.remoteWrite.volume, rwLeaf.secretName));
        addMount(container, MOUNTS.remoteWrite.volume, MOUNTS.remoteWrite.path);
        newArgs.push(
          `--remote-write.server-tls-cert=${MOUNTS.remoteWrite.path}/tls.crt`,
          `--remote-write.server-tls-key=${MOUNTS.remoteWrite.path}/tls.key`,
          `--remote-write.server-tls-client-ca=${ca}`,
        );
        if (tls.remoteWrite.minVersion) newArgs.push(`--remote-write.server-tls-min-version=${tls.remoteWrite.minVersion}`);
        if (tls.remoteWrite.tenantCertificateField) newArgs.push(`--receive.tenant-certificate-field=${tls.remoteWrite.tenantCertificateField}`);
      }
      if (grpcLeaf && (grpcServer || grpcForwarder || grpcQuery)) {
        addVolume(pod, secretVolume(MOUNTS.grpc.volume, grpcLeaf.secretName));
        addMount(container, MOUNTS.grpc.volume, MOUNTS.grpc.path);
        const cert = `${MOUNTS.grpc.path}/tls.crt`;
        const key = `${MOUNTS.grpc.path}/tls.key`;
        if (grpcServer) newArgs.push(`--grpc-server-tls-cert=${cert}`, `--grpc-server-tls-key=${key}`, `--grpc-server-tls-client-ca=${ca}`);
        if (grpcForwarder) {
          newArgs.push(
            '--remote-write.client-tls-secure',
            `--remote-write.client-tls-cert=${cert}`,
            `--remote-write.client-tls-key=${key}`,
            `--remote-write.client-tls-ca=${ca}`,
          );
        }
        if (grpcQuery) {
          newArgs.push(
            '--grpc-client-tls-secure',
            `--grpc-client-tls-cert=${cert}`,
            `--grpc-client-tls-key=${key}`,
            `--grpc-client-tls-ca=${ca}`,
            `--grpc-client-server-name=${grpcServerName(namespace)}`,
          );
        }
      }
      container.args = newArgs;
    }
  }

  const extra: Manifest[] = [];
  const store = plan.objectStorage;
  if (store && store.mode === 'irsa') {
    if (store.irsaRoleArn) {
      const accounts = new Set(infos.filter((i) => i.objstore).map((i) => (podTemplate(i.manifest.object) as PodTemplate).spec.serviceAccountName ?? 'default'));
      for (const manifest of set) {
        if (manifest.object.kind !== 'ServiceAccount' || !accounts.has(manifest.object.metadata.name)) continue;
        const existing = manifest.object.metadata.annotations?.[IRSA_ANNOTATION];
        if (existing !== undefined && existing !== store.irsaRoleArn) {
          throw new SecurityConfigError(
            'objectStorage.irsaRoleArn',
            `${describeObject(manifest.object)} already has ${IRSA_ANNOTATION}: ${existing} from serviceAccountAnnotations; ` +
              `remove it there or make it equal to objectStorage.irsaRoleArn`,
          );
        }
        const copy = edit(manifest.object);
        copy.metadata.annotations = { ...copy.metadata.annotations, [IRSA_ANNOTATION]: store.irsaRoleArn };
      }
    }
    // With access keys the Secret holds credentials: `rotate` writes it, so it never lands in git or release history.
    extra.push({
      file: `${store.secretName}-secret.yaml`,
      object: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: store.secretName, namespace },
        type: 'Opaque',
        data: { [store.key]: Buffer.from(objstoreConfigYaml(store)).toString('base64') },
      },
    });
  }
  if (extra.some((e) => set.some((m) => m.file === e.file))) {
    throw new SecurityConfigError('objectStorage.secretName', `the rendered set already has a file named ${extra[0]!.file}: choose another objectStorage.secretName`);
  }
  return [...set.map((m) => (byOriginal.has(m.object) ? { file: m.file, object: byOriginal.get(m.object)! } : m)), ...extra];
}
