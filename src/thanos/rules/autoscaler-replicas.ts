import { isDeepStrictEqual } from 'node:util';
import type { RiskFinding, RiskRule } from '../rule.js';
import { ALL_VERSIONS } from '../rule.js';
import { kubernetesSource } from '../source.js';
import { WORKLOAD_KINDS } from '../../model/workloads.js';
import { describeObject } from '../../model/objects.js';
import { valueAt } from '../../model/json.js';

/** An autoscaler and a replica count in Git fight over the same field on every apply. */
export const autoscalerReplicas: RiskRule = {
  id: 'autoscaler-replicas',
  severity: 'medium',
  versions: ALL_VERSIONS,
  source: kubernetesSource(
    'Horizontal Pod Autoscaling: migrating Deployments and StatefulSets to horizontal autoscaling',
    'https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#migrating-deployments-and-statefulsets-to-horizontal-autoscaling',
  ),
  summary: 'spec.replicas set on a workload an autoscaler scales',
  check(change) {
    const byTarget = new Map(
      change.changes
        .filter((item) => item.after && WORKLOAD_KINDS.has(item.after.kind))
        .map((item) => [
          `${item.after!.kind}/${item.after!.metadata.namespace ?? ''}/${item.after!.metadata.name}`,
          item,
        ]),
    );
    const findings: RiskFinding[] = [];
    for (const item of change.changes) {
      const hpa = item.after;
      if (hpa?.kind !== 'HorizontalPodAutoscaler') continue;
      const target = byTarget.get(
        `${String(valueAt(hpa, 'spec', 'scaleTargetRef', 'kind'))}/${hpa.metadata.namespace ?? ''}/${String(valueAt(hpa, 'spec', 'scaleTargetRef', 'name'))}`,
      );
      if (!target?.after || typeof valueAt(target.after, 'spec', 'replicas') !== 'number') continue;
      const replicasChanged =
        target.change === 'added' ||
        !isDeepStrictEqual(valueAt(target.before, 'spec', 'replicas'), valueAt(target.after, 'spec', 'replicas'));
      if (item.change !== 'added' && !replicasChanged) continue;
      findings.push({
        object: describeObject(target.after),
        message: `sets spec.replicas while ${describeObject(hpa)} scales it: every apply resets the autoscaler's choice`,
        action: 'drop spec.replicas from the manifest (or stop owning the field) for workloads an autoscaler manages',
      });
    }
    return findings;
  },
};
