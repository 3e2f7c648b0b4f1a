import { isDeepStrictEqual } from 'node:util';
import { describeObject, isRecord, type KubeObject } from '../manifests/types.js';
import type { DiffEntry, Risk, RiskSeverity } from './types.js';

// Thanos-aware checks over a diff's entries. Each check reads only the normalized objects, so it works the
// same on rendered manifests and on server-side dry-run results. The "why" of every message comes from the
// operations fact sheet's "changes that hurt" table; harmless edits (labels, resources, new components,
// unrelated flags) must not trip any of them.

interface Container {
  name: string;
  image: string | undefined;
  tokens: string[];
  env: unknown[];
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);
const THANOS_COMPONENTS = new Set(['receive', 'query', 'store', 'compact', 'rule', 'sidecar', 'query-frontend', 'bucket', 'tools']);

function get(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function podSpec(object: KubeObject): unknown {
  if (object.kind === 'Pod') return object['spec'];
  if (object.kind === 'CronJob') return get(object, 'spec', 'jobTemplate', 'spec', 'template', 'spec');
  if (WORKLOAD_KINDS.has(object.kind)) return get(object, 'spec', 'template', 'spec');
  return undefined;
}

function containers(object: KubeObject): Container[] {
  const list = get(podSpec(object), 'containers');
  if (!Array.isArray(list)) return [];
  return list.filter(isRecord).map((container) => ({
    name: typeof container['name'] === 'string' ? container['name'] : '',
    image: typeof container['image'] === 'string' ? container['image'] : undefined,
    tokens: [...strings(container['command']), ...strings(container['args'])],
    env: Array.isArray(container['env']) ? container['env'] : [],
  }));
}

/** The Thanos subcommand a workload runs (`receive`, `query`, ...), from the first container that runs one. */
function thanosComponent(object: KubeObject): string | undefined {
  for (const container of containers(object)) {
    const subcommand = container.tokens.find((token) => !token.startsWith('-') && !/(^|\/)thanos$/.test(token));
    if (subcommand && THANOS_COMPONENTS.has(subcommand)) return subcommand;
  }
  return undefined;
}

/** Values of `--flag=value` and `--flag value` across every container, in order. */
function flagValues(object: KubeObject, flag: string): string[] {
  const values: string[] = [];
  for (const container of containers(object)) {
    const tokens = container.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token.startsWith(`${flag}=`)) values.push(token.slice(flag.length + 1));
      else if (token === flag && i + 1 < tokens.length) values.push(tokens[++i]!);
    }
  }
  return values;
}

function replicas(object: KubeObject): number {
  const value = get(object, 'spec', 'replicas');
  return typeof value === 'number' ? value : 1;
}

function listed(items: string[], limit = 5): string {
  // Backticks inside a name would end the code span early; endpoint and tenant names never need them.
  const shown = items.slice(0, limit).map((item) => `\`${item.replace(/`/g, "'")}\``);
  return items.length > limit ? `${shown.join(', ')} and ${items.length - limit} more` : shown.join(', ');
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Prometheus duration (`30d`, `1h30m`) in milliseconds; 0 means "keep forever" for Thanos retention flags. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim().replace(/^"|"$/g, '');
  if (trimmed === '0') return 0;
  const pattern = /(\d+)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(pattern)) {
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
    consumed += match[0].length;
  }
  return consumed > 0 && consumed === trimmed.length ? total : undefined;
}

type RiskDraft = Omit<Risk, 'object'>;

function immutableFieldRisks(before: KubeObject, after: KubeObject): RiskDraft[] {
  const changed = (...path: string[]) => !isDeepStrictEqual(get(before, ...path), get(after, ...path));
  if (before.kind === 'StatefulSet' && after.kind === 'StatefulSet') {
    const fields = ['selector', 'serviceName', 'volumeClaimTemplates', 'podManagementPolicy'].filter((field) => changed('spec', field));
    if (fields.length === 0) return [];
    return [{
      id: 'immutable-field',
      severity: 'high',
      message: `changes immutable ${fields.map((field) => `spec.${field}`).join(', ')}: the API server rejects the update, so apply fails`,
      action: 'delete the StatefulSet with `kubectl delete --cascade=orphan` (pods and PVCs stay) and let the next apply recreate it, or revert the field',
    }];
  }
  if (before.kind === 'Deployment' && after.kind === 'Deployment' && changed('spec', 'selector')) {
    return [{
      id: 'immutable-field',
      severity: 'high',
      message: 'changes immutable spec.selector: the API server rejects the update, so apply fails',
      action: 'revert the selector, or delete the Deployment and let the next apply recreate it (pods restart)',
    }];
  }
  if (before.kind === 'Service' && after.kind === 'Service') {
    const was = get(before, 'spec', 'clusterIP');
    const now = get(after, 'spec', 'clusterIP');
    if (typeof was === 'string' && was !== '' && now !== undefined && was !== now) {
      return [{
        id: 'immutable-field',
        severity: 'high',
        message: `changes spec.clusterIP from \`${was}\` to \`${String(now)}\`: clusterIP is immutable once set, so apply fails`,
        action: 'drop clusterIP from the manifest, or delete the Service and let the next apply recreate it (clients see a new address)',
      }];
    }
  }
  return [];
}

function ingestorRisks(before: KubeObject, after: KubeObject): RiskDraft[] {
  if (after.kind !== 'StatefulSet' || (thanosComponent(after) !== 'receive' && thanosComponent(before) !== 'receive')) return [];
  const was = replicas(before);
  const now = replicas(after);
  if (now >= was) return [];
  return [{
    id: 'ingestor-scale-down',
    severity: 'high',
    message: `scales receive ingestors down from ${was} to ${now}: departing pods' unuploaded head data is lost and, with replication factor 1, a missing hashring member blocks writes`,
    action: 'remove the departing endpoints from the hashring first, let them flush and upload (long grace period, keep the PVCs), then lower replicas; keep replicas >= replication factor',
  }];
}

function replicationFactorRisks(before: KubeObject, after: KubeObject): RiskDraft[] {
  if (thanosComponent(after) !== 'receive') return [];
  const was = flagValues(before, '--receive.replication-factor')[0] ?? '1';
  const now = flagValues(after, '--receive.replication-factor')[0] ?? '1';
  if (was === now) return [];
  return [{
    id: 'replication-factor',
    severity: 'high',
    message: `changes --receive.replication-factor from ${was} to ${now}: the write quorum (floor(RF/2)+1) and series placement change, and ketama needs at least RF endpoints`,
    action: 'change routers and ingestors together, make sure every hashring has at least RF ready endpoints, and expect a burst of out-of-order writes',
  }];
}

function retentionRisks(before: KubeObject, after: KubeObject): RiskDraft[] {
  if (thanosComponent(after) !== 'compact') return [];
  const drafts: RiskDraft[] = [];
  for (const resolution of ['raw', '5m', '1h']) {
    const flag = `--retention.resolution-${resolution}`;
    const wasText = flagValues(before, flag)[0] ?? '0d';
    const nowText = flagValues(after, flag)[0] ?? '0d';
    const was = parseDuration(wasText);
    const now = parseDuration(nowText);
    if (was === undefined || now === undefined) continue;
    const lowered = now !== 0 && (was === 0 || now < was);
    if (!lowered) continue;
    drafts.push({
      id: 'retention-decrease',
      severity: 'high',
      message: `lowers ${flag} from ${was === 0 ? 'unlimited' : wasText} to ${nowText}: the compactor deletes older blocks for good`,
      action: 'confirm nobody needs the older data (or copy it away first); keep raw retention >= the downsampled ones you zoom into',
    });
  }
  return drafts;
}

const ENDPOINT_FLAGS = ['--endpoint', '--store', '--endpoint-strict', '--store.strict', '--endpoint-group', '--endpoint-group-strict'];

function endpointRisks(before: KubeObject, after: KubeObject): RiskDraft[] {
  if (thanosComponent(after) !== 'query') return [];
  const endpoints = (object: KubeObject) => new Set(ENDPOINT_FLAGS.flatMap((flag) => flagValues(object, flag)));
  const now = endpoints(after);
  const removed = [...endpoints(before)].filter((endpoint) => !now.has(endpoint));
  if (removed.length === 0) return [];
  return [{
    id: 'store-endpoint-removed',
    severity: 'medium',
    message: `removes StoreAPI endpoint${removed.length > 1 ? 's' : ''} ${listed(removed)} from the querier: the data they serve disappears from queries`,
    action: 'make sure another endpoint serves that data (or it is no longer needed) before merging',
  }];
}

function objstoreRef(container: Container): string | undefined {
  for (const variable of container.env) {
    if (!isRecord(variable) || variable['name'] !== 'OBJSTORE_CONFIG') continue;
    const ref = get(variable, 'valueFrom', 'secretKeyRef');
    if (!isRecord(ref)) return undefined;
    return `${String(ref['name'])}/${String(ref['key'])}`;
  }
  return undefined;
}

function objstoreRisks(before: KubeObject, after: KubeObject): RiskDraft[] {
  const afterContainers = new Map(containers(after).map((container) => [container.name, container]));
  const drafts: RiskDraft[] = [];
  for (const container of containers(before)) {
    const was = objstoreRef(container);
    const counterpart = afterContainers.get(container.name);
    if (was === undefined || counterpart === undefined) continue;
    const now = objstoreRef(counterpart);
    if (was === now) continue;
    drafts.push({
      id: 'objstore-secret',
      severity: 'high',
      message: now === undefined
        ? `container ${container.name} no longer reads OBJSTORE_CONFIG from Secret key \`${was}\`: it stops reading or uploading blocks`
        : `container ${container.name} reads OBJSTORE_CONFIG from Secret key \`${now}\` instead of \`${was}\`: a wrong bucket or missing key loses uploads or hides blocks`,
      action: 'check the new Secret exists in the namespace with the same bucket (or a deliberate migration), and change every component together',
    });
  }
  return drafts;
}

function imageRisks(before: KubeObject, after: KubeObject): RiskDraft[] {
  const afterImages = new Map(containers(after).map((container) => [container.name, container.image]));
  const drafts: RiskDraft[] = [];
  for (const container of containers(before)) {
    const now = afterImages.get(container.name);
    if (container.image === undefined || now === undefined || now === container.image) continue;
    drafts.push({
      id: 'image-change',
      severity: 'low',
      message: `container ${container.name} image \`${container.image}\` -> \`${now}\`: every pod restarts on the new version`,
      action: 'read the release notes for flag and storage-format changes; roll receivers and stores one at a time',
    });
  }
  return drafts;
}

function compactorRisks(before: KubeObject | undefined, after: KubeObject): RiskDraft[] {
  if (thanosComponent(after) !== 'compact' || !WORKLOAD_KINDS.has(after.kind) || after.kind === 'Job') return [];
  const now = replicas(after);
  if (now <= 1 || (before !== undefined && replicas(before) === now)) return [];
  return [{
    id: 'compactor-replicas',
    severity: 'high',
    message: `runs ${now} compactor replicas: two compactors on one block stream write overlapping blocks and halt`,
    action: 'keep replicas at 1; to scale, shard the compactor by external labels (one StatefulSet per shard)',
  }];
}

function externalLabelRisks(before: KubeObject, after: KubeObject): RiskDraft[] {
  const component = thanosComponent(after);
  const flag = component === 'receive' || component === 'rule' ? '--label' : component === 'compact' ? '--deduplication.replica-label' : undefined;
  if (!flag) return [];
  const was = flagValues(before, flag);
  const now = flagValues(after, flag);
  if (isDeepStrictEqual([...was].sort(), [...now].sort())) return [];
  const change = [...now.filter((label) => !was.includes(label)).map((label) => `+${label}`), ...was.filter((label) => !now.includes(label)).map((label) => `-${label}`)];
  return [{
    id: component === 'compact' ? 'replica-labels' : 'external-labels',
    severity: 'medium',
    message: component === 'compact'
      ? `changes the compactor's ${flag} (${listed(change)}): deduplication groups blocks differently from now on`
      : `changes ${component}'s external labels (${listed(change)}): new blocks start a new stream that overlaps the old one`,
    action: 'change external and replica labels only together with the compactor and querier settings, and expect overlapping blocks until the old stream ages out',
  }];
}

const STORE_SHARD_FLAGS = ['--selector.relabel-config', '--selector.relabel-config-file', '--min-time', '--max-time'];

function storeShardRisks(before: KubeObject, after: KubeObject): RiskDraft[] {
  if (thanosComponent(after) !== 'store') return [];
  const changed = STORE_SHARD_FLAGS.filter((flag) => !isDeepStrictEqual(flagValues(before, flag), flagValues(after, flag)));
  if (changed.length === 0) return [];
  return [{
    id: 'store-sharding',
    severity: 'medium',
    message: `changes ${changed.join(', ')}: blocks move between store shards, which take hours to load them, and non-overlapping ranges leave gaps`,
    action: 'roll one shard at a time and check that the shards together still cover every block and time range',
  }];
}

/**
 * Cross-object: stores must stop reading a block well before the compactor deletes it, so
 * --ignore-deletion-marks-delay has to stay below --delete-delay (Thanos suggests about half).
 */
function deletionDelayRisks(entries: DiffEntry[]): Risk[] {
  const relevant = entries.filter((entry) => entry.after && (thanosComponent(entry.after) === 'compact' || thanosComponent(entry.after) === 'store'));
  const touched = relevant.some((entry) => entry.change === 'added' || (entry.change === 'modified' && entry.before && (
    !isDeepStrictEqual(flagValues(entry.before, '--delete-delay'), flagValues(entry.after!, '--delete-delay')) ||
    !isDeepStrictEqual(flagValues(entry.before, '--ignore-deletion-marks-delay'), flagValues(entry.after!, '--ignore-deletion-marks-delay')))));
  if (!touched) return [];
  const compactors = relevant.filter((entry) => thanosComponent(entry.after!) === 'compact');
  const stores = relevant.filter((entry) => thanosComponent(entry.after!) === 'store');
  const risks: Risk[] = [];
  for (const compactor of compactors) {
    const deleteText = flagValues(compactor.after!, '--delete-delay')[0] ?? '48h';
    const deleteDelay = parseDuration(deleteText);
    if (deleteDelay === undefined) continue;
    for (const store of stores) {
      const ignoreText = flagValues(store.after!, '--ignore-deletion-marks-delay')[0] ?? '24h';
      const ignoreDelay = parseDuration(ignoreText);
      if (ignoreDelay === undefined || ignoreDelay < deleteDelay) continue;
      risks.push({
        id: 'deletion-delay',
        severity: 'high',
        object: describeObject(store.after!),
        message: `--ignore-deletion-marks-delay=${ignoreText} is not below the compactor's --delete-delay=${deleteText} (${describeObject(compactor.after!)}): queries fail on blocks deleted under the store`,
        action: 'keep the store delay at about half the compactor delete delay (kube-thanos: 24h and 48h)',
      });
    }
  }
  return risks;
}

/** Cross-object: an autoscaler and a replica count in Git fight over the same field on every apply. */
function autoscalerRisks(entries: DiffEntry[]): Risk[] {
  const byTarget = new Map<string, DiffEntry>();
  for (const entry of entries) {
    if (entry.after && WORKLOAD_KINDS.has(entry.after.kind)) byTarget.set(`${entry.after.kind}/${entry.namespace}/${entry.name}`, entry);
  }
  const risks: Risk[] = [];
  for (const entry of entries) {
    const hpa = entry.after;
    if (hpa?.kind !== 'HorizontalPodAutoscaler') continue;
    const kind = get(hpa, 'spec', 'scaleTargetRef', 'kind');
    const name = get(hpa, 'spec', 'scaleTargetRef', 'name');
    const target = byTarget.get(`${String(kind)}/${entry.namespace}/${String(name)}`);
    if (!target?.after || typeof get(target.after, 'spec', 'replicas') !== 'number') continue;
    const replicasChanged = target.change === 'added' || !isDeepStrictEqual(get(target.before, 'spec', 'replicas'), get(target.after, 'spec', 'replicas'));
    if (entry.change !== 'added' && !replicasChanged) continue;
    risks.push({
      id: 'autoscaler-replicas',
      severity: 'medium',
      object: describeObject(target.after),
      message: `sets spec.replicas while ${describeObject(hpa)} scales it: every apply resets the autoscaler's choice`,
      action: 'drop spec.replicas from the manifest (or stop owning the field) for workloads an autoscaler manages',
    });
  }
  return risks;
}

interface Hashring {
  name: string;
  algorithm: string;
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
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((ring) => isRecord(ring) && Array.isArray(ring['endpoints']))) {
    return undefined;
  }
  return parsed.map((ring: Record<string, unknown>, position) => ({
    name: typeof ring['hashring'] === 'string' ? ring['hashring'] : `#${position}`,
    algorithm: typeof ring['algorithm'] === 'string' ? ring['algorithm'] : 'hashmod',
    endpoints: (ring['endpoints'] as unknown[]).map((endpoint) =>
      typeof endpoint === 'string' ? endpoint : String(get(endpoint, 'address') ?? JSON.stringify(endpoint))),
    tenants: strings(ring['tenants']),
  }));
}

function hashringsOf(object: KubeObject | undefined): Map<string, Hashring[]> {
  const found = new Map<string, Hashring[]>();
  if (object?.kind !== 'ConfigMap' || !isRecord(object['data'])) return found;
  for (const [key, value] of Object.entries(object['data'])) {
    const rings = parseHashrings(value);
    if (rings) found.set(key, rings);
  }
  return found;
}

function tenantOwners(rings: Hashring[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const ring of rings) for (const tenant of ring.tenants) if (!owners.has(tenant)) owners.set(tenant, ring.name);
  // A ring without tenants takes every tenant not listed elsewhere.
  const catchAll = rings.find((ring) => ring.tenants.length === 0);
  if (catchAll) owners.set('*', catchAll.name);
  return owners;
}

function hashringRisks(before: KubeObject | undefined, after: KubeObject | undefined): RiskDraft[] {
  const baseFiles = hashringsOf(before);
  const headFiles = hashringsOf(after);
  const drafts: RiskDraft[] = [];
  for (const [key, baseRings] of baseFiles) {
    const headRings = headFiles.get(key);
    if (!headRings) {
      drafts.push({
        id: 'hashring-removed',
        severity: 'high',
        message: `removes hashring file ${key} (${listed(baseRings.map((ring) => ring.name))}): routers lose their hashring and reject remote writes`,
        action: 'keep the hashring ConfigMap while any router mounts it; move routers to the new hashring first',
      });
      continue;
    }
    const headByName = new Map(headRings.map((ring) => [ring.name, ring]));
    const baseByName = new Map(baseRings.map((ring) => [ring.name, ring]));
    for (const ring of baseRings) {
      const next = headByName.get(ring.name);
      if (!next) {
        drafts.push({
          id: 'hashring-membership',
          severity: 'high',
          message: `${key}: removes hashring \`${ring.name}\` (endpoints ${listed(ring.endpoints)}): its tenants are routed elsewhere and its series reshuffle`,
          action: 'drain writers off the hashring first; keep its ingestors until their data is uploaded',
        });
        continue;
      }
      if (ring.algorithm !== next.algorithm) {
        drafts.push({
          id: 'hashring-algorithm',
          severity: 'high',
          message: `${key}: hashring \`${ring.name}\` switches ${ring.algorithm} -> ${next.algorithm}: every series is reshuffled across ingestors`,
          action: 'introduce the new algorithm as a new hashring (new ingestor pool) and move tenants over instead of switching in place',
        });
      }
      const added = next.endpoints.filter((endpoint) => !ring.endpoints.includes(endpoint));
      const removed = ring.endpoints.filter((endpoint) => !next.endpoints.includes(endpoint));
      if (added.length > 0 || removed.length > 0) {
        const moves = [added.length ? `adds ${listed(added)}` : '', removed.length ? `removes ${listed(removed)}` : ''].filter(Boolean).join('; ');
        const hashmod = next.algorithm === 'hashmod';
        drafts.push({
          id: 'hashring-membership',
          severity: hashmod ? 'high' : 'medium',
          message: `${key}: hashring \`${ring.name}\` ${moves}` + (hashmod
            ? ': under hashmod every receiver flushes its head and is not ready for minutes (out-of-bounds samples)'
            : ': ketama moves about 1/N of the series; the ConfigMap takes a kubelet sync to reach every router'),
          action: removed.length > 0
            ? 'remove departing endpoints from the ring before scaling their pods down, and let them flush and upload'
            : 'add endpoints only once their pods are ready; prefer ketama to avoid head flushes',
        });
      }
    }
    for (const ring of headRings) {
      if (baseByName.has(ring.name)) continue;
      drafts.push({
        id: 'hashring-membership',
        severity: 'medium',
        message: `${key}: adds hashring \`${ring.name}\` (${ring.tenants.length ? `tenants ${listed(ring.tenants)}` : 'catch-all'}): matching tenants' writes move to it`,
        action: 'make sure its endpoints are ready before merging; moved tenants start new series on the new ingestors',
      });
    }
    const wasOwners = tenantOwners(baseRings);
    const nowOwners = tenantOwners(headRings);
    const moved: string[] = [];
    for (const [tenant, owner] of nowOwners) {
      const previous = wasOwners.get(tenant) ?? wasOwners.get('*');
      if (tenant !== '*' && previous !== undefined && previous !== owner) moved.push(`${tenant} (${previous} -> ${owner})`);
    }
    for (const [tenant, owner] of wasOwners) {
      if (tenant === '*' || nowOwners.has(tenant)) continue;
      const next = nowOwners.get('*');
      if (next !== owner) moved.push(`${tenant} (${owner} -> ${next ?? 'no hashring'})`);
    }
    if (moved.length > 0) {
      drafts.push({
        id: 'hashring-tenants',
        severity: 'medium',
        message: `${key}: tenants move between hashrings: ${listed(moved)}; their series start over on other ingestors`,
        action: 'expect a gap-free but duplicated head for moved tenants until the old ingestors upload; do not scale the old ring down before that',
      });
    }
  }
  return drafts;
}

function risksForEntry(entry: DiffEntry): RiskDraft[] {
  const { before, after } = entry;
  if (entry.change === 'removed' && before) {
    const drafts = hashringRisks(before, undefined);
    if (before.kind === 'StatefulSet' && thanosComponent(before) === 'receive') {
      drafts.push({
        id: 'ingestor-removed',
        severity: 'high',
        message: `deletes a receive ingestor StatefulSet (${replicas(before)} replicas): unuploaded head data is lost and hashring members disappear`,
        action: 'take its endpoints out of every hashring first, wait for the pods to flush and upload, then remove it (keep the PVCs until then)',
      });
    }
    return drafts;
  }
  if (entry.change === 'added' && after) return compactorRisks(undefined, after);
  if (entry.change !== 'modified' || !before || !after) return [];
  return [
    ...immutableFieldRisks(before, after),
    ...hashringRisks(before, after),
    ...ingestorRisks(before, after),
    ...replicationFactorRisks(before, after),
    ...retentionRisks(before, after),
    ...endpointRisks(before, after),
    ...externalLabelRisks(before, after),
    ...storeShardRisks(before, after),
    ...objstoreRisks(before, after),
    ...compactorRisks(before, after),
    ...imageRisks(before, after),
  ];
}

const SEVERITY_ORDER: Record<RiskSeverity, number> = { high: 0, medium: 1, low: 2 };

/** Every risk in the diff, most severe first (stable within a severity). */
export function detectRisks(entries: DiffEntry[]): Risk[] {
  const risks: Risk[] = [];
  for (const entry of entries) {
    const object = describeObject((entry.after ?? entry.before)!);
    for (const draft of risksForEntry(entry)) risks.push({ ...draft, object });
  }
  risks.push(...deletionDelayRisks(entries), ...autoscalerRisks(entries));
  return risks.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
