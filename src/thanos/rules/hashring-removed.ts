import type { RiskRule } from '../rule.js';
import { kubernetesSource, SOURCES } from '../source.js';
import { listed } from '../stack.js';
import { hashringChanges, hashringsOf } from './hashring-common.js';

const CONFIGMAP_VOLUME = kubernetesSource(
  'ConfigMaps: using ConfigMaps as files from a Pod',
  'https://kubernetes.io/docs/concepts/configuration/configmap/#using-configmaps-as-files-from-a-pod',
);

/**
 * A hashrings file removed. Running receivers keep the ring they loaded (the watcher logs the read error and keeps
 * the last good configuration); the damage comes at the next restart, when the pod cannot mount the ConfigMap.
 */
export const hashringRemoved: RiskRule = {
  id: 'hashring-removed',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.keepLastGoodFile,
  summary: 'a hashrings file or its ConfigMap removed',
  check(change) {
    return hashringChanges(change.changes).flatMap(({ before, after, name }) => {
      const headFiles = hashringsOf(after);
      return [...hashringsOf(before)]
        .filter(([key]) => !headFiles.has(key))
        .map(([key, rings]) => {
          const readers = change.head
            .byComponent('receive')
            .filter(
              (workload) =>
                change.head.hashringFileOf(workload.object) === undefined &&
                change.base.hashringFileOf(workload.object)?.key === key &&
                change.base.hashringFileOf(workload.object)?.configMap.metadata.name === before!.metadata.name,
            );
          return {
            object: name,
            message: `removes hashring file ${key} (${listed(rings.map((ring) => ring.name))})${
              readers.length > 0
                ? `, which ${readers.map((reader) => reader.name).join(', ')} still mount: running receivers keep the ring they loaded, but any pod that restarts cannot mount the ConfigMap and stays in ContainerCreating, so receivers go down one restart at a time`
                : ': running receivers keep the ring they loaded until they restart'
            }`,
            action:
              'keep the hashring ConfigMap while any receiver mounts it; point routers and ingestors at the new hashring file first, then remove the old one',
            source: readers.length > 0 ? CONFIGMAP_VOLUME : SOURCES.keepLastGoodFile,
          };
        });
    });
  },
};
