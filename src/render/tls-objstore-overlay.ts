import type { KubeObject, Manifest, ManifestSet } from '../model/objects.js';
import { describeObject } from '../model/objects.js';
import {
  objectStorageSchema,
  tlsSchema,
  type ObjectStorageInput,
  type ObjectStorageSettings,
  type TlsConfig,
  type TlsConfigInput,
} from '../config/tls-objstore-schema.js';
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
      return args.some((a) => a.startsWith('--receive.hashrings-file')) &&
        !object.metadata.labels?.['controller.receive.thanos.io/hashring']
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
    found.push({
      manifest,
      role: roleOf(manifest.object, container),
      container: index,
      ...(ref ? { objstore: { name: ref.name, key: ref.key } } : {}),
    });
  }
  return found;
}

/** The object storage the config describes, with the Secret and key the workloads read it from. */
export type ObjectStorageTarget = ObjectStorageSettings & { secretName: string; key: string };

/**
 * Who serves and who reads what, derived from the rendered set and the two config sections: the overlay wires it,
 * and rotation issues certificates for it and restarts its readers.
 */
export interface SecurityWiring {
  namespace: string;
  tls?: TlsConfig;
  objectStorage?: ObjectStorageTarget;
  /** Where clients send remote-write (the routers, or a single receive); empty unless remote-write TLS is on. */
  frontDoors: WorkloadInfo[];
  /** The gRPC servers (receive, ingestors, store, rule); empty unless gRPC TLS is on. */
  grpcServers: WorkloadInfo[];
  /**
   * Workloads that read the CA bundle file: restarted when the bundle changes. Thanos v0.42.4 reads CA files once, when
   * it builds its TLS config (pkg/tls/options.go NewServerConfig/NewClientConfig); only cert and key are re-read when
   * their mtime changes.
   */
  caReaders: KubeObject[];
  /** Workloads that read the objstore Secret via env (resolved when the container starts): restarted when it changes. */
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

export function securityWiring(set: ManifestSet, settings: SecuritySettings): SecurityWiring {
  const namespace = settings.namespace;
  const tls = settings.tls === undefined ? undefined : tlsSchema.parse(settings.tls);
  const store = settings.objectStorage === undefined ? undefined : objectStorageSchema.parse(settings.objectStorage);
  const infos = workloads(set);
  const wiring: SecurityWiring = { namespace, frontDoors: [], grpcServers: [], caReaders: [], objstoreConsumers: [] };
  if (store) {
    wiring.objectStorage = { ...store, ...objstoreSecretRef(infos, store) };
    wiring.objstoreConsumers = infos.filter((i) => i.objstore).map((i) => i.manifest.object);
  }
  if (!tls) return wiring;
  wiring.tls = tls;

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
    wiring.frontDoors = frontDoors;
    for (const f of frontDoors) caReaders.add(f.manifest.object);
  }
  if (tls.grpc.enabled) {
    wiring.grpcServers = infos.filter((i) => ['receive', 'ingestor', 'store', 'rule'].includes(i.role));
    for (const i of infos)
      if (['router', 'receive', 'ingestor', 'store', 'rule', 'query'].includes(i.role))
        caReaders.add(i.manifest.object);
  }
  wiring.caReaders = [...caReaders];
  return wiring;
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
  if (!container.volumeMounts.some((m) => m.name === name))
    container.volumeMounts.push({ mountPath, name, readOnly: true });
}

function secretVolume(name: string, secretName: string): Record<string, unknown> {
  // 0440 with kube-thanos's fsGroup 65534: readable by the Thanos user, not world-readable.
  return { name, secret: { defaultMode: 0o440, secretName } };
}

/** The objstore config file as Thanos parses it (strict keys; no access keys with IRSA). */
export function objstoreConfigYaml(
  store: ObjectStorageSettings,
  credentials?: { accessKeyId: string; secretAccessKey: string },
): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    'type: S3',
    'config:',
    `  bucket: ${q(store.bucket)}`,
    `  endpoint: ${q(store.endpoint)}`,
    `  region: ${q(store.region)}`,
  ];
  if (credentials)
    lines.push(`  access_key: ${q(credentials.accessKeyId)}`, `  secret_key: ${q(credentials.secretAccessKey)}`);
  lines.push(`prefix: ${q(store.prefix ?? '')}`);
  return `${lines.join('\n')}\n`;
}

export function applySecurity(set: ManifestSet, settings: SecuritySettings): ManifestSet {
  if (settings.tls === undefined && settings.objectStorage === undefined) return set;
  const wiring = securityWiring(set, settings);
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
  const tls = wiring.tls;
  const namespace = settings.namespace;

  if (tls) {
    const rwSecret = tls.remoteWrite.enabled ? tls.remoteWrite.secretName : undefined;
    const grpcSecret = tls.grpc.enabled ? tls.grpc.secretName : undefined;
    const ca = `${MOUNTS.caBundle.path}/ca.crt`;
    for (const info of infos) {
      const object = info.manifest.object;
      const template = podTemplate(object) as PodTemplate;
      const original = template.spec.containers[info.container]!;
      const frontDoor =
        rwSecret &&
        wiring.caReaders.includes(object) &&
        (info.role === 'router' || (info.role === 'receive' && !infos.some((i) => i.role === 'router')));
      const grpcServer = grpcSecret && ['receive', 'ingestor', 'store', 'rule'].includes(info.role);
      const grpcForwarder = grpcSecret && (info.role === 'router' || info.role === 'receive');
      const grpcQuery = grpcSecret && info.role === 'query';
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
      if (frontDoor && rwSecret) {
        addVolume(pod, secretVolume(MOUNTS.remoteWrite.volume, rwSecret));
        addMount(container, MOUNTS.remoteWrite.volume, MOUNTS.remoteWrite.path);
        newArgs.push(
          `--remote-write.server-tls-cert=${MOUNTS.remoteWrite.path}/tls.crt`,
          `--remote-write.server-tls-key=${MOUNTS.remoteWrite.path}/tls.key`,
          `--remote-write.server-tls-client-ca=${ca}`,
        );
        if (tls.remoteWrite.minVersion)
          newArgs.push(`--remote-write.server-tls-min-version=${tls.remoteWrite.minVersion}`);
        if (tls.remoteWrite.tenantCertificateField)
          newArgs.push(`--receive.tenant-certificate-field=${tls.remoteWrite.tenantCertificateField}`);
      }
      if (grpcSecret && (grpcServer || grpcForwarder || grpcQuery)) {
        addVolume(pod, secretVolume(MOUNTS.grpc.volume, grpcSecret));
        addMount(container, MOUNTS.grpc.volume, MOUNTS.grpc.path);
        const cert = `${MOUNTS.grpc.path}/tls.crt`;
        const key = `${MOUNTS.grpc.path}/tls.key`;
        if (grpcServer)
          newArgs.push(
            `--grpc-server-tls-cert=${cert}`,
            `--grpc-server-tls-key=${key}`,
            `--grpc-server-tls-client-ca=${ca}`,
          );
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
  const store = wiring.objectStorage;
  if (store && store.mode === 'irsa') {
    if (store.irsaRoleArn) {
      const accounts = new Set(
        infos
          .filter((i) => i.objstore)
          .map((i) => (podTemplate(i.manifest.object) as PodTemplate).spec.serviceAccountName ?? 'default'),
      );
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
    throw new SecurityConfigError(
      'objectStorage.secretName',
      `the rendered set already has a file named ${extra[0]!.file}: choose another objectStorage.secretName`,
    );
  }
  return [
    ...set.map((m) => (byOriginal.has(m.object) ? { file: m.file, object: byOriginal.get(m.object)! } : m)),
    ...extra,
  ];
}
