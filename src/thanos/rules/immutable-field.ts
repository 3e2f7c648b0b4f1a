import { isDeepStrictEqual } from 'node:util';
import { ALL_VERSIONS, type RiskRule } from '../rule.js';
import { kubernetesSource } from '../source.js';
import { valueAt } from '../../model/json.js';

const STATEFULSET_SOURCE = kubernetesSource(
  'StatefulSets: limitations and updates',
  'https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/',
);

/** Fields the API server refuses to change in place, so apply fails. */
export const immutableField: RiskRule = {
  id: 'immutable-field',
  severity: 'high',
  versions: ALL_VERSIONS,
  source: STATEFULSET_SOURCE,
  summary: 'a StatefulSet, Deployment selector or Service clusterIP change the API server rejects',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      const changed = (...path: string[]) => !isDeepStrictEqual(valueAt(before, ...path), valueAt(after, ...path));
      if (before.kind === 'StatefulSet' && after.kind === 'StatefulSet') {
        const fields = ['selector', 'serviceName', 'volumeClaimTemplates', 'podManagementPolicy'].filter((field) =>
          changed('spec', field),
        );
        if (fields.length === 0) return [];
        return [
          {
            object: name,
            message: `changes immutable ${fields.map((field) => `spec.${field}`).join(', ')}: the API server rejects the update, so apply fails`,
            action:
              'delete the StatefulSet with `kubectl delete --cascade=orphan` (pods and PVCs stay) and let the next apply recreate it, or revert the field',
          },
        ];
      }
      if (before.kind === 'Deployment' && after.kind === 'Deployment' && changed('spec', 'selector')) {
        return [
          {
            object: name,
            message: 'changes immutable spec.selector: the API server rejects the update, so apply fails',
            action: 'revert the selector, or delete the Deployment and let the next apply recreate it (pods restart)',
            source: kubernetesSource(
              'Deployments: label selector updates',
              'https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#label-selector-updates',
            ),
          },
        ];
      }
      if (before.kind === 'Service' && after.kind === 'Service') {
        const was = valueAt(before, 'spec', 'clusterIP');
        const now = valueAt(after, 'spec', 'clusterIP');
        if (typeof was === 'string' && was !== '' && now !== undefined && was !== now) {
          return [
            {
              object: name,
              message: `changes spec.clusterIP from \`${was}\` to \`${String(now)}\`: clusterIP is immutable once set, so apply fails`,
              action:
                'drop clusterIP from the manifest, or delete the Service and let the next apply recreate it (clients see a new address)',
              source: kubernetesSource(
                'Service: choosing your own IP address',
                'https://kubernetes.io/docs/concepts/services-networking/service/#choosing-your-own-ip-address',
              ),
            },
          ];
        }
      }
      return [];
    });
  },
};
