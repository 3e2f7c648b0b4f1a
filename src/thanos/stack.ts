import { parseDuration } from '../model/duration.js';
import { describeObject, isRecord, objectId, type KubeObject } from '../model/objects.js';
import { podContainers, podSpec, thanosSubcommand, WORKLOAD_KINDS } from '../model/workloads.js';
import { valueAt, stringsOf } from '../model/json.js';

// A read-only view of a rendered Thanos stack: which objects run which Thanos component with which flags, the
// hashrings they read, their external labels and the bucket they use. Risk rules, validation, the restart
// forecast and the capacity delta all read stacks through it, so each reads a flag the same way.

export interface Container {
  name: string;
  image: string | undefined;
  tokens: string[];
  env: unknown[];
}

export function containers(object: KubeObject): Container[] {
  return podContainers(object).map((container) => ({
    name: typeof container['name'] === 'string' ? container['name'] : '',
    image: typeof container['image'] === 'string' ? container['image'] : undefined,
    tokens: [...stringsOf(container['command']), ...stringsOf(container['args'])],
    env: Array.isArray(container['env']) ? container['env'] : [],
  }));
}

/** The Thanos subcommand a workload runs (`receive`, `query`, ...), from the first container that runs one. */
export function thanosComponent(object: KubeObject | undefined): string | undefined {
  if (!object) return undefined;
  for (const container of podContainers(object)) {
    const subcommand = thanosSubcommand(container);
    if (subcommand !== undefined) return subcommand;
  }
  return undefined;
}

/** Values of `--flag=value` and `--flag value` across every container, in order. */
export function flagValues(object: KubeObject | undefined, flag: string): string[] {
  if (!object) return [];
  const values: string[] = [];
  for (const container of containers(object)) {
    const tokens = container.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token.startsWith(`${flag}=`)) values.push(token.slice(flag.length + 1));
      else if (token === flag && i + 1 < tokens.length && !tokens[i + 1]!.startsWith('--')) values.push(tokens[++i]!);
    }
  }
  return values;
}

/** Whether a boolean flag is on (`--flag`, `--flag=true`). */
export function flagSet(object: KubeObject | undefined, flag: string): boolean {
  if (!object) return false;
  return containers(object).some((container) =>
    container.tokens.some((token) => token === flag || token === `${flag}=true`),
  );
}

export function replicas(object: KubeObject | undefined): number {
  const value = valueAt(object, 'spec', 'replicas');
  return typeof value === 'number' ? value : 1;
}

export function listed(items: string[], limit = 5): string {
  // Backticks inside a name would end the code span early; endpoint and tenant names never need them.
  const shown = items.slice(0, limit).map((item) => `\`${item.replace(/`/g, "'")}\``);
  return items.length > limit ? `${shown.join(', ')} and ${items.length - limit} more` : shown.join(', ');
}

/**
 * A duration flag's value (`30d`, `1h30m`) in milliseconds. Prometheus's ParseDuration also reads a bare `0`
 * (prometheus/common v0.67.5 model/time.go); for Thanos retention flags 0 means "keep forever".
 */
export function flagDuration(text: string): number | undefined {
  const trimmed = text.trim().replace(/^"|"$/g, '');
  return trimmed === '0' ? 0 : parseDuration(trimmed);
}

/** `40h`, `10d`: the shortest exact Prometheus form of a duration, for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return 'unlimited';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * The write quorum of a receiver at replication factor `rf`: floor(RF/2)+1, except 1 at RF 2 since v0.37.0
 * (pkg/receive/handler.go writeQuorum).
 */
export function writeQuorum(rf: number, version?: ThanosVersion): number {
  if (rf === 2 && (!version || compareVersions(version, { major: 0, minor: 37, patch: 0 }) >= 0)) return 1;
  return Math.floor(rf / 2) + 1;
}

export interface ThanosVersion {
  major: number;
  minor: number;
  patch: number;
}

/** The Thanos version of an image tag such as `quay.io/thanos/thanos:v0.42.4`, or undefined for other tags. */
export function imageVersion(image: string | undefined): ThanosVersion | undefined {
  const match = /:v?(\d+)\.(\d+)\.(\d+)(?:[-+@][^:]*)?$/.exec(image ?? '');
  return match ? { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) } : undefined;
}

export function compareVersions(a: ThanosVersion, b: ThanosVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function formatVersion(version: ThanosVersion): string {
  return `v${version.major}.${version.minor}.${version.patch}`;
}

export function parseVersion(text: string): ThanosVersion {
  const version = imageVersion(`:${text}`);
  if (!version) throw new Error(`not a Thanos version: ${text}`);
  return version;
}

/** `replica="$(NAME)"` -> ['replica', '$(NAME)']; Thanos parses --label values as name="value". */
export function parseLabel(text: string): [string, string] | undefined {
  const match = /^([a-zA-Z_][a-zA-Z0-9_]*)=(?:"(.*)"|(.*))$/.exec(text.trim());
  return match ? [match[1]!, match[2] ?? match[3] ?? ''] : undefined;
}

export function externalLabels(object: KubeObject | undefined): Map<string, string> {
  const labels = new Map<string, string>();
  for (const value of flagValues(object, '--label')) {
    const parsed = parseLabel(value);
    if (parsed) labels.set(parsed[0], parsed[1]);
  }
  return labels;
}

/** External labels whose value differs per pod: they name a replica, so the querier must deduplicate on them. */
export function perPodLabels(object: KubeObject | undefined): string[] {
  return [...externalLabels(object)]
    .filter(([, value]) => /\$\((NAME|POD_NAME|HOSTNAME)\)|\$\{?HOSTNAME\}?/.test(value))
    .map(([name]) => name);
}

export interface Hashring {
  name: string;
  /** The `algorithm` field of the file, when set; the receiver's --receive.hashrings-algorithm applies otherwise. */
  algorithm: string | undefined;
  endpoints: string[];
  tenants: string[];
}

/** The hashrings in a hashrings.json value, or undefined when the value is not one. */
export function parseHashrings(text: unknown): Hashring[] | undefined {
  if (typeof text !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length === 0 ||
    !parsed.every((ring) => isRecord(ring) && Array.isArray(ring['endpoints']))
  ) {
    return undefined;
  }
  return parsed.map((ring: Record<string, unknown>, position) => ({
    name: typeof ring['hashring'] === 'string' ? ring['hashring'] : `#${position}`,
    algorithm: typeof ring['algorithm'] === 'string' && ring['algorithm'] !== '' ? ring['algorithm'] : undefined,
    endpoints: (ring['endpoints'] as unknown[]).map((endpoint) =>
      typeof endpoint === 'string' ? endpoint : String(valueAt(endpoint, 'address') ?? JSON.stringify(endpoint)),
    ),
    tenants: stringsOf(ring['tenants']),
  }));
}

export interface HashringFile {
  /** The ConfigMap holding it. */
  configMap: KubeObject;
  key: string;
  rings: Hashring[];
}

/** The workloads of one kind of Thanos role in a stack. */
export interface ThanosWorkload {
  object: KubeObject;
  /** As `describeObject` names it. */
  name: string;
  file: string | undefined;
  component: string;
}

export const DEFAULT_ALGORITHM = 'hashmod';

/**
 * A stack's objects indexed for Thanos questions. `file` is the manifest file an object came from, when known,
 * so validation can name it.
 */
export class StackView {
  readonly objects: Map<string, KubeObject>;
  readonly files: Map<string, string>;
  readonly workloads: ThanosWorkload[];

  constructor(items: Array<{ object: KubeObject; file?: string }>) {
    this.objects = new Map();
    this.files = new Map();
    for (const { object, file } of items) {
      if (typeof object?.kind !== 'string' || typeof object.metadata?.name !== 'string') continue;
      const id = objectId(object);
      // The later definition wins, as when the directory is applied.
      this.objects.delete(id);
      this.objects.set(id, object);
      if (file) this.files.set(id, file);
    }
    this.workloads = [...this.objects.values()]
      .filter((object) => WORKLOAD_KINDS.has(object.kind) && thanosComponent(object) !== undefined)
      .map((object) => ({
        object,
        name: describeObject(object),
        file: this.files.get(objectId(object)),
        component: thanosComponent(object)!,
      }));
  }

  fileOf(object: KubeObject): string | undefined {
    return this.files.get(objectId(object));
  }

  byComponent(component: string): ThanosWorkload[] {
    return this.workloads.filter((workload) => workload.component === component);
  }

  /** Receivers that store data: they know their own endpoint (kube-thanos ingestors and single receivers). */
  ingestors(): ThanosWorkload[] {
    return this.byComponent('receive').filter(
      (workload) => flagValues(workload.object, '--receive.local-endpoint').length > 0,
    );
  }

  /**
   * Ingestors that also route: they read a hashrings file (RouterIngestor in determineMode, Thanos v0.42.4
   * cmd/thanos/receive.go) and re-distribute what they receive by their own ring with their own replication factor
   * (Handler.RemoteWrite -> handleRequest, pkg/receive/handler.go). Ingestors without the file run IngestorOnly and
   * write every forwarded series locally, whatever their replication factor.
   */
  routingIngestors(): ThanosWorkload[] {
    return this.ingestors().filter((workload) => flagValues(workload.object, '--receive.hashrings-file').length > 0);
  }

  /** Receivers that only route: a hashring file and no local endpoint (RoutingOnly mode in cmd/thanos/receive.go). */
  routers(): ThanosWorkload[] {
    return this.byComponent('receive').filter(
      (workload) =>
        flagValues(workload.object, '--receive.local-endpoint').length === 0 &&
        flagValues(workload.object, '--receive.hashrings-file').length > 0,
    );
  }

  hashringFiles(): HashringFile[] {
    const files: HashringFile[] = [];
    for (const object of this.objects.values()) {
      if (object.kind !== 'ConfigMap' || !isRecord(object['data'])) continue;
      for (const [key, value] of Object.entries(object['data'])) {
        const rings = parseHashrings(value);
        if (rings) files.push({ configMap: object, key, rings });
      }
    }
    return files;
  }

  /** The hashring file a receiver reads: the ConfigMap mounted where its --receive.hashrings-file points. */
  hashringFileOf(workload: KubeObject): HashringFile | undefined {
    const path = flagValues(workload, '--receive.hashrings-file')[0];
    if (!path) return undefined;
    const spec = podSpec(workload);
    const volumes = Array.isArray(valueAt(spec, 'volumes'))
      ? (valueAt(spec, 'volumes') as unknown[]).filter(isRecord)
      : [];
    for (const container of Array.isArray(valueAt(spec, 'containers'))
      ? (valueAt(spec, 'containers') as unknown[]).filter(isRecord)
      : []) {
      for (const mount of Array.isArray(container['volumeMounts']) ? container['volumeMounts'].filter(isRecord) : []) {
        const mountPath = String(mount['mountPath'] ?? '').replace(/\/$/, '');
        if (!path.startsWith(`${mountPath}/`)) continue;
        const key = typeof mount['subPath'] === 'string' ? mount['subPath'] : path.slice(mountPath.length + 1);
        const volume = volumes.find((item) => item['name'] === mount['name']);
        const configMapName = valueAt(volume, 'configMap', 'name');
        if (typeof configMapName !== 'string') continue;
        return this.hashringFiles().find(
          (file) =>
            file.configMap.metadata.name === configMapName &&
            file.configMap.metadata.namespace === workload.metadata.namespace &&
            file.key === key,
        );
      }
    }
    return undefined;
  }

  /** The objstore Secret reference (name/key) a workload reads its bucket config from. */
  static objstoreRef(object: KubeObject): string | undefined {
    for (const container of containers(object)) {
      for (const variable of container.env) {
        if (!isRecord(variable) || variable['name'] !== 'OBJSTORE_CONFIG') continue;
        const ref = valueAt(variable, 'valueFrom', 'secretKeyRef');
        if (isRecord(ref)) return `${String(ref['name'])}/${String(ref['key'])}`;
      }
    }
    const inline = flagValues(object, '--objstore.config')[0];
    if (inline && !inline.includes('$(')) return `inline:${inline}`;
    const file = flagValues(object, '--objstore.config-file')[0];
    return file ? `file:${file}` : undefined;
  }

  /** The decoded objstore config text of a Secret reference `name/key` in the workload's namespace. */
  objstoreConfig(workload: KubeObject): string | undefined {
    const ref = StackView.objstoreRef(workload);
    if (!ref || ref.startsWith('file:')) return undefined;
    if (ref.startsWith('inline:')) return ref.slice('inline:'.length);
    const slash = ref.indexOf('/');
    const secret = this.objects.get(`/Secret/${workload.metadata.namespace ?? ''}/${ref.slice(0, slash)}`);
    return secretValue(secret, ref.slice(slash + 1));
  }

  /** The Thanos version the stack runs: the highest image version among its Thanos workloads. */
  version(): ThanosVersion | undefined {
    let best: ThanosVersion | undefined;
    for (const workload of this.workloads) {
      for (const container of containers(workload.object)) {
        const version = imageVersion(container.image);
        if (version && (!best || compareVersions(version, best) > 0)) best = version;
      }
    }
    return best;
  }
}

/** A Secret value as text, from stringData or base64 data; undefined when absent or masked. */
export function secretValue(secret: KubeObject | undefined, key: string): string | undefined {
  if (!secret) return undefined;
  const stringData = valueAt(secret, 'stringData', key);
  if (typeof stringData === 'string') return stringData;
  const data = valueAt(secret, 'data', key);
  if (typeof data !== 'string' || data.startsWith('hmac-sha256:')) return undefined;
  return Buffer.from(data, 'base64').toString('utf8');
}

/** Receiver replication factor (--receive.replication-factor, default 1 in cmd/thanos/receive.go). */
export function replicationFactor(object: KubeObject | undefined): number {
  const value = Number(flagValues(object, '--receive.replication-factor')[0] ?? '1');
  return Number.isInteger(value) && value > 0 ? value : 1;
}

/** --receive.hashrings-algorithm, default hashmod (cmd/thanos/receive.go). */
export function algorithmFlag(object: KubeObject | undefined): string {
  return flagValues(object, '--receive.hashrings-algorithm')[0] ?? DEFAULT_ALGORITHM;
}

/** The algorithm a receiver builds a ring with: the file's field wins over the flag (pkg/receive/hashring.go). */
export function effectiveAlgorithm(ring: Hashring, receiver: KubeObject | undefined): string {
  return ring.algorithm ?? algorithmFlag(receiver);
}

/** The ordinal of a StatefulSet pod an endpoint names (`<sts>-3.<svc>...`), or undefined. */
export function endpointOrdinal(endpoint: string, statefulSet: string): number | undefined {
  const match = new RegExp(`^${statefulSet.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)\\.`).exec(endpoint);
  return match ? Number(match[1]) : undefined;
}

export function gracePeriodSeconds(object: KubeObject): number {
  const value = valueAt(podSpec(object), 'terminationGracePeriodSeconds');
  return typeof value === 'number' ? value : 30;
}

/** A hashring as one group of receivers reads it, with the numbers that decide whether writes succeed. */
export interface RingUse {
  file: HashringFile;
  ring: Hashring;
  /** Receivers (routers and ingestors) whose --receive.hashrings-file is this file. */
  readers: ThanosWorkload[];
  replicationFactor: number;
  algorithm: string;
}

/** Every hashring of every file some receiver reads, with the highest RF among its readers. */
export function ringUses(view: StackView): RingUse[] {
  const uses: RingUse[] = [];
  const readersByFile = new Map<HashringFile, ThanosWorkload[]>();
  const files = view.hashringFiles();
  for (const workload of view.byComponent('receive')) {
    const file = view.hashringFileOf(workload.object);
    const match = file && files.find((item) => item.configMap === file.configMap && item.key === file.key);
    if (match) readersByFile.set(match, [...(readersByFile.get(match) ?? []), workload]);
  }
  for (const [file, readers] of readersByFile) {
    const rf = Math.max(...readers.map((reader) => replicationFactor(reader.object)));
    for (const ring of file.rings) {
      uses.push({
        file,
        ring,
        readers,
        replicationFactor: rf,
        algorithm: effectiveAlgorithm(ring, readers[0]?.object),
      });
    }
  }
  return uses;
}
