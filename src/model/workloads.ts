import { stringsOf, valueAt } from './json.js';
import { isRecord, type KubeObject } from './objects.js';

/**
 * What a workload runs, read one way by everything that looks inside one: the render overlay that wires TLS and the
 * object-storage Secret into Thanos containers, and the Thanos analysis (risk rules, validation, the restart
 * forecast, capacity). Returned values are the object's own records, so the overlay edits the copy it reads.
 */

/** Kinds that run pods from a pod template at spec.template (a CronJob's is under spec.jobTemplate). */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
]);

/** The Thanos subcommands a container can run (`thanos <subcommand>`). */
const THANOS_SUBCOMMANDS = new Set([
  'receive',
  'query',
  'store',
  'compact',
  'rule',
  'sidecar',
  'query-frontend',
  'bucket',
  'tools',
]);

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown> & { containers: Record<string, unknown>[] };
}

function templateOf(object: KubeObject): unknown {
  if (object.kind === 'CronJob') return valueAt(object, 'spec', 'jobTemplate', 'spec', 'template');
  return WORKLOAD_KINDS.has(object.kind) ? valueAt(object, 'spec', 'template') : undefined;
}

/** The pod template of a workload, when it has one with a containers list. */
export function podTemplate(object: KubeObject): PodTemplate | undefined {
  const template = templateOf(object);
  return isRecord(template) && isRecord(template['spec']) && Array.isArray(template['spec']['containers'])
    ? (template as unknown as PodTemplate)
    : undefined;
}

/** The pod spec an object runs: a Pod's own, a workload's template's. */
export function podSpec(object: KubeObject): Record<string, unknown> | undefined {
  const holder = object.kind === 'Pod' ? object : templateOf(object);
  const spec = isRecord(holder) ? holder['spec'] : undefined;
  return isRecord(spec) ? spec : undefined;
}

/** The containers of an object's pod spec that are mappings, in order. */
export function podContainers(object: KubeObject): Record<string, unknown>[] {
  const list = podSpec(object)?.['containers'];
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

/**
 * The Thanos subcommand a container runs (`receive`, `query`, `tools`, ...): the first word of its command and
 * args that is neither a flag nor the thanos binary, when that word is a Thanos subcommand.
 */
export function thanosSubcommand(container: Record<string, unknown>): string | undefined {
  const tokens = [...stringsOf(container['command']), ...stringsOf(container['args'])];
  const word = tokens.find((token) => !token.startsWith('-') && !/(^|\/)thanos$/.test(token));
  return word !== undefined && THANOS_SUBCOMMANDS.has(word) ? word : undefined;
}
