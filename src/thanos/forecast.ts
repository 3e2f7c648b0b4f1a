import { isDeepStrictEqual } from 'node:util';
import type { ForecastItem, SourceLink } from '../diff/types.js';
import { describeObject, isRecord, type KubeObject } from '../model/objects.js';
import type { StackChange } from './rule.js';
import { kubernetesSource, SOURCES } from './source.js';
import { podSpec } from '../model/workloads.js';
import {
  algorithmFlag,
  containers,
  gracePeriodSeconds,
  parseHashrings,
  replicas,
  thanosComponent,
  type StackView,
} from './stack.js';
import { valueAt } from '../model/json.js';

const STATEFULSET_UPDATES = kubernetesSource(
  'StatefulSets: rolling updates',
  'https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates',
);
const DEPLOYMENT_UPDATES = kubernetesSource(
  'Deployments: rolling update deployment',
  'https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment',
);
const ROLLABLE = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** maxSurge / maxUnavailable of a Deployment as pod counts (25% each by default; surge rounds up, unavailable down). */
function deploymentBudget(object: KubeObject, pods: number): { surge: number; unavailable: number } {
  const value = (field: string): number => {
    const raw = valueAt(object, 'spec', 'strategy', 'rollingUpdate', field) ?? '25%';
    if (typeof raw === 'number') return raw;
    const percent = /^(\d+)%$/.exec(String(raw));
    if (!percent) return Number(raw) || 0;
    const exact = (Number(percent[1]) * pods) / 100;
    return field === 'maxSurge' ? Math.ceil(exact) : Math.floor(exact);
  };
  return { surge: value('maxSurge'), unavailable: value('maxUnavailable') };
}

function rollOrder(object: KubeObject, pods: number): { order: string; source: SourceLink } {
  if (object.kind === 'StatefulSet') {
    if (valueAt(object, 'spec', 'updateStrategy', 'type') === 'OnDelete') {
      return { order: 'OnDelete: no pod restarts until you delete it', source: STATEFULSET_UPDATES };
    }
    const partition = Number(valueAt(object, 'spec', 'updateStrategy', 'rollingUpdate', 'partition') ?? 0);
    const ordinals = [];
    for (let i = pods - 1; i >= partition; i--) ordinals.push(i);
    const parallel = valueAt(object, 'spec', 'podManagementPolicy') === 'Parallel';
    return {
      order:
        ordinals.length === 0
          ? 'none (partition covers every ordinal)'
          : `ordinal ${ordinals.join(', ')}, one at a time, each after the previous is Ready${parallel ? ' (Parallel pod management does not change update order)' : ''}`,
      source: STATEFULSET_UPDATES,
    };
  }
  if (object.kind === 'Deployment') {
    if (valueAt(object, 'spec', 'strategy', 'type') === 'Recreate')
      return { order: `Recreate: all ${pods} stop, then ${pods} start`, source: DEPLOYMENT_UPDATES };
    const { surge, unavailable } = deploymentBudget(object, pods);
    return {
      order: `rolling: up to ${surge} new pod${surge === 1 ? '' : 's'} above ${pods} at a time, at most ${unavailable} of ${pods} unavailable`,
      source: DEPLOYMENT_UPDATES,
    };
  }
  return {
    order: 'one node at a time (DaemonSet rolling update)',
    source: kubernetesSource(
      'DaemonSet rolling update',
      'https://kubernetes.io/docs/tasks/manage-daemon/update-daemon-set/',
    ),
  };
}

/** The pod-template fields that differ, e.g. `image, args`. */
function templateChanges(before: KubeObject, after: KubeObject): string[] {
  const fields = new Set<string>();
  const beforeContainers = new Map(containers(before).map((item) => [item.name, item]));
  const rawBefore = valueAt(podSpec(before), 'containers');
  const rawAfter = valueAt(podSpec(after), 'containers');
  const byName = (list: unknown) =>
    new Map((Array.isArray(list) ? list.filter(isRecord) : []).map((item) => [String(item['name']), item]));
  const oldContainers = byName(rawBefore);
  for (const [name, container] of byName(rawAfter)) {
    const old = oldContainers.get(name);
    if (!old || !beforeContainers.has(name)) {
      fields.add(`container ${name} added`);
      continue;
    }
    for (const key of new Set([...Object.keys(old), ...Object.keys(container)]))
      if (!isDeepStrictEqual(old[key], container[key])) fields.add(key);
  }
  for (const name of oldContainers.keys()) if (!byName(rawAfter).has(name)) fields.add(`container ${name} removed`);
  const specBefore = podSpec(before) ?? {};
  const specAfter = podSpec(after) ?? {};
  for (const key of new Set([...Object.keys(specBefore), ...Object.keys(specAfter)])) {
    if (key !== 'containers' && !isDeepStrictEqual(specBefore[key], specAfter[key])) fields.add(key);
  }
  if (
    !isDeepStrictEqual(valueAt(before, 'spec', 'template', 'metadata'), valueAt(after, 'spec', 'template', 'metadata'))
  )
    fields.add('pod labels/annotations');
  return [...fields];
}

interface Mounts {
  configMaps: Set<string>;
  /** Secrets mounted as files. */
  secretVolumes: Set<string>;
  /** Secrets read into env at start. */
  secretEnv: Set<string>;
}

function mounts(object: KubeObject): Mounts {
  const spec = podSpec(object);
  const result: Mounts = { configMaps: new Set(), secretVolumes: new Set(), secretEnv: new Set() };
  const volumes = valueAt(spec, 'volumes');
  for (const volume of Array.isArray(volumes) ? volumes.filter(isRecord) : []) {
    const configMap = valueAt(volume, 'configMap', 'name');
    const secret = valueAt(volume, 'secret', 'secretName');
    if (typeof configMap === 'string') result.configMaps.add(configMap);
    if (typeof secret === 'string') result.secretVolumes.add(secret);
    const sources = valueAt(volume, 'projected', 'sources');
    for (const source of Array.isArray(sources) ? sources : []) {
      const projectedConfigMap = valueAt(source, 'configMap', 'name');
      const projectedSecret = valueAt(source, 'secret', 'name');
      if (typeof projectedConfigMap === 'string') result.configMaps.add(projectedConfigMap);
      if (typeof projectedSecret === 'string') result.secretVolumes.add(projectedSecret);
    }
  }
  for (const container of containers(object)) {
    for (const variable of container.env) {
      const name = valueAt(variable, 'valueFrom', 'secretKeyRef', 'name');
      if (typeof name === 'string') result.secretEnv.add(name);
    }
  }
  return result;
}

function changedKeys(before: KubeObject | undefined, after: KubeObject | undefined): string[] {
  const data = (object: KubeObject | undefined): Record<string, unknown> => ({
    ...(isRecord(object?.['data']) ? object['data'] : {}),
    ...(isRecord(object?.['stringData']) ? object['stringData'] : {}),
  });
  const was = data(before);
  const now = data(after);
  return [...new Set([...Object.keys(was), ...Object.keys(now)])].filter(
    (key) => !isDeepStrictEqual(was[key], now[key]),
  );
}

function ringsChanged(before: KubeObject | undefined, after: KubeObject | undefined, key: string): boolean {
  return !isDeepStrictEqual(parseHashrings(valueAt(before, 'data', key)), parseHashrings(valueAt(after, 'data', key)));
}

function namespaced(
  view: StackView,
  kind: string,
  namespace: string | undefined,
  name: string,
): KubeObject | undefined {
  return view.objects.get(`/${kind}/${namespace ?? ''}/${name}`);
}

/**
 * What applying the change does to each workload's pods: created, deleted, rolled (pod template changed, with the
 * order Kubernetes replaces them in), scaled, reloaded in place (hashring file, TLS leaf certificates, ruler rules),
 * receivers flushing their heads on a ring change, or config that only takes effect at the next restart.
 */
export function forecastRestarts(change: StackChange): ForecastItem[] {
  const items: ForecastItem[] = [];
  for (const item of change.changes) {
    const object = item.after ?? item.before!;
    if (!ROLLABLE.has(object.kind)) continue;
    const pods = { base: item.before ? replicas(item.before) : 0, head: item.after ? replicas(item.after) : 0 };
    const name = describeObject(object);
    const receiver = thanosComponent(object) === 'receive';
    const ingestor =
      receiver &&
      [...change.head.ingestors(), ...change.base.ingestors()].some(
        (workload) => workload.object === item.after || workload.object === item.before,
      );
    if (item.change === 'added') {
      items.push({
        object: name,
        pods,
        effect: 'created',
        order:
          object.kind === 'StatefulSet' && valueAt(object, 'spec', 'podManagementPolicy') !== 'Parallel'
            ? `ordinal 0 to ${pods.head - 1}, each after the previous is Ready`
            : 'all at once',
        reason: 'new workload',
      });
      continue;
    }
    if (item.change === 'removed') {
      items.push({
        object: name,
        pods,
        effect: 'deleted',
        order: 'all at once',
        reason: ingestor
          ? `each pod flushes its head and uploads the last block on SIGTERM within ${gracePeriodSeconds(object)} s; PVCs stay`
          : 'workload removed',
        ...(ingestor ? { source: SOURCES.flushOnExit } : {}),
      });
      continue;
    }
    const before = item.before!;
    const after = item.after!;
    const template = item.change === 'modified' ? templateChanges(before, after) : [];
    if (template.length > 0) {
      const { order, source } = rollOrder(after, Math.max(pods.head, 0));
      items.push({
        object: name,
        pods,
        effect: 'rolls',
        order,
        reason: `pod template changes (${template.join(', ')})${ingestor ? `; each ingestor flushes its head and uploads it on SIGTERM (grace ${gracePeriodSeconds(after)} s) before its replacement starts` : ''}`,
        source,
      });
      continue;
    }
    if (pods.base !== pods.head) {
      const removedOrdinals =
        object.kind === 'StatefulSet' && pods.head < pods.base
          ? `, removing ordinal ${Array.from({ length: pods.base - pods.head }, (_, i) => pods.base - 1 - i).join(', ')} (highest first)`
          : '';
      items.push({
        object: name,
        pods,
        effect: 'scaled',
        order: `${pods.base} → ${pods.head}${removedOrdinals}`,
        reason: 'replicas change; other pods keep running',
        source: object.kind === 'StatefulSet' ? STATEFULSET_UPDATES : DEPLOYMENT_UPDATES,
      });
    }
    // Pods that do not roll may still react to the files and Secrets they read.
    const mounted = mounts(after);
    const namespace = after.metadata.namespace;
    const hashringFile = change.head.hashringFileOf(after);
    if (receiver && hashringFile) {
      const cm = hashringFile.configMap;
      const previous = namespaced(change.base, 'ConfigMap', namespace, cm.metadata.name);
      if (ringsChanged(previous, cm, hashringFile.key)) {
        const flushes = ingestor && algorithmFlag(after) !== 'ketama';
        items.push({
          object: name,
          pods,
          effect: flushes ? 'flushes' : 'reloads',
          order:
            'every pod once the kubelet updates the mounted file (up to a minute) or at the next --receive.hashrings-file-refresh-interval (5m)',
          reason: flushes
            ? `hashring ${cm.metadata.name} changes and the pods run --receive.hashrings-algorithm=${algorithmFlag(after)}: each flushes its head, uploads it and is not ready meanwhile`
            : `hashring ${cm.metadata.name} changes: the pods re-read it in place${ingestor ? ' and keep their heads (ketama)' : ''}`,
          source: flushes ? SOURCES.flushOnRingChange : SOURCES.keepLastGoodFile,
        });
      }
    }
    for (const configMap of mounted.configMaps) {
      if (hashringFile && configMap === hashringFile.configMap.metadata.name) continue;
      const keys = changedKeys(
        namespaced(change.base, 'ConfigMap', namespace, configMap),
        namespaced(change.head, 'ConfigMap', namespace, configMap),
      );
      if (keys.length === 0) continue;
      const ruler = thanosComponent(after) === 'rule';
      const reloader = containers(after).some((container) =>
        container.tokens.some((token) => token.includes('/-/reload')),
      );
      items.push({
        object: name,
        pods,
        effect: ruler && reloader ? 'reloads' : 'restart-needed',
        order: ruler && reloader ? 'every pod, when its reloader sees the new file' : 'at the next restart of each pod',
        reason:
          ruler && reloader
            ? `rule files in ${configMap} change: the configmap-reloader sidecar POSTs /-/reload and the ruler re-reads them`
            : `ConfigMap ${configMap} changes (${keys.join(', ')}); the pods read it at start`,
        ...(ruler && reloader ? { source: SOURCES.ruleReload } : {}),
      });
    }
    for (const secret of mounted.secretVolumes) {
      const keys = changedKeys(
        namespaced(change.base, 'Secret', namespace, secret),
        namespaced(change.head, 'Secret', namespace, secret),
      );
      if (keys.length === 0) continue;
      const caKeys = keys.filter((key) => /(^|[-_.])ca([-_.]|$)|ca\.crt$|bundle/i.test(key));
      items.push(
        caKeys.length > 0
          ? {
              object: name,
              pods,
              effect: 'restart-needed',
              order: 'at the next restart of each pod',
              reason: `Secret ${secret} changes CA bundle ${caKeys.join(', ')}: Thanos reads CA files once at start, so the new trust applies only after a restart`,
              source: SOURCES.tlsCaAtStart,
            }
          : {
              object: name,
              pods,
              effect: 'reloads',
              order: 'on the next TLS handshake of each pod',
              reason: `Secret ${secret} changes ${keys.join(', ')}: Thanos re-reads certificate and key files when their modification time changes`,
              source: SOURCES.tlsLeafReload,
            },
      );
    }
    for (const secret of mounted.secretEnv) {
      const keys = changedKeys(
        namespaced(change.base, 'Secret', namespace, secret),
        namespaced(change.head, 'Secret', namespace, secret),
      );
      if (keys.length === 0) continue;
      items.push({
        object: name,
        pods,
        effect: 'restart-needed',
        order: 'at the next restart of each pod',
        reason: `Secret ${secret} changes (${keys.join(', ')}) but reaches the pods as an environment variable, read once at start`,
        source: SOURCES.objstoreAtStart,
      });
    }
  }
  return items;
}
