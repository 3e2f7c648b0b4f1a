import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { replicas } from '../stack.js';

/** The receive router scaled to zero: nothing accepts remote writes. */
export const routerReplicasZero: RiskRule = {
  id: 'router-replicas-zero',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.receiveDocs,
  summary: 'receive router replicas set to 0',
  check(change) {
    return change.head
      .routers()
      .filter((router) => replicas(router.object) === 0 && change.changeOf(router.object) !== 'unchanged')
      .filter((router) => {
        const before = change.base.objects.get(change.changes.find((item) => item.after === router.object)!.id);
        return before === undefined || replicas(before) !== 0;
      })
      .map((router) => ({
        object: router.name,
        message:
          'scales the receive router to 0 replicas: its Service has no endpoints, so every remote-write request fails until a router is back',
        action:
          'keep routerReplicas at 2 or more (one can restart while the other serves); remove the router section instead if remote write is moving elsewhere',
      }));
  },
};
