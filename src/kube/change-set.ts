// What the resource manager did or would do to each object, as one list: the plan, apply, prune and rollout wait of
// a set all report in these terms.

/** `deleted`: pruned from the ApplySet; `skipped`: its kind is not served and missing kinds are skipped. */
export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'recreated' | 'skipped' | 'deleted';

export interface ChangeSetEntry {
  /** objectId of the object. */
  id: string;
  /** describeObject of the object, e.g. `StatefulSet thanos/thanos-store`. */
  object: string;
  /** The manifest file the object came from (`(live)` for members that are only on the cluster). */
  file: string;
  action: ChangeAction;
}

export type ChangeSet = ChangeSetEntry[];
