import type { KubeObject } from '../../model/objects.js';
import type { ObjectChange } from '../rule.js';
import { algorithmFlag, parseHashrings, type Hashring, type StackView } from '../stack.js';
import { isRecord } from '../../model/objects.js';

/** Hashring files of a ConfigMap by key. */
export function hashringsOf(object: KubeObject | undefined): Map<string, Hashring[]> {
  const found = new Map<string, Hashring[]>();
  if (object?.kind !== 'ConfigMap' || !isRecord(object['data'])) return found;
  for (const [key, value] of Object.entries(object['data'])) {
    const rings = parseHashrings(value);
    if (rings) found.set(key, rings);
  }
  return found;
}

/** ConfigMaps on either side that hold a hashrings file. */
export function hashringChanges(changes: ObjectChange[]): ObjectChange[] {
  return changes.filter(
    (item) => item.change !== 'unchanged' && (hashringsOf(item.before).size > 0 || hashringsOf(item.after).size > 0),
  );
}

/** Ingestors that read `configMap` and the --receive.hashrings-algorithm each runs with. */
export function ingestorsReading(
  view: StackView,
  configMap: KubeObject,
): Array<{ name: string; pods: number; algorithm: string }> {
  return view
    .ingestors()
    .filter((workload) => view.hashringFileOf(workload.object)?.configMap.metadata.name === configMap.metadata.name)
    .map((workload) => ({
      name: workload.name,
      pods:
        typeof (workload.object['spec'] as { replicas?: unknown } | undefined)?.replicas === 'number'
          ? (workload.object['spec'] as { replicas: number }).replicas
          : 1,
      algorithm: algorithmFlag(workload.object),
    }));
}
