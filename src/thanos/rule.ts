import { isDeepStrictEqual } from 'node:util';
import type { ChangeType, RiskSeverity, SourceLink } from '../diff/types.js';
import { describeObject, objectId, type KubeObject } from '../model/objects.js';
import { compareVersions, parseVersion, type StackView, type ThanosVersion } from './stack.js';

/** One object present on either side of a change, with what happened to it. */
export interface ObjectChange {
  id: string;
  change: ChangeType;
  before: KubeObject | undefined;
  after: KubeObject | undefined;
  /** `describeObject` of the object. */
  name: string;
}

/** The two sides of a change, as a rule sees them. */
export class StackChange {
  readonly changes: ObjectChange[];

  constructor(
    readonly base: StackView,
    readonly head: StackView,
  ) {
    const changes: ObjectChange[] = [];
    for (const [id, after] of head.objects) {
      const before = base.objects.get(id);
      changes.push({
        id,
        before,
        after,
        name: describeObject(after),
        change: !before ? 'added' : isDeepStrictEqual(before, after) ? 'unchanged' : 'modified',
      });
    }
    for (const [id, before] of base.objects) {
      if (!head.objects.has(id))
        changes.push({ id, before, after: undefined, name: describeObject(before), change: 'removed' });
    }
    this.changes = changes;
  }

  modified(): Array<ObjectChange & { before: KubeObject; after: KubeObject }> {
    return this.changes.filter(
      (item): item is ObjectChange & { before: KubeObject; after: KubeObject } => item.change === 'modified',
    );
  }

  changeOf(object: KubeObject): ChangeType {
    return this.changes.find((item) => item.id === objectId(object))?.change ?? 'unchanged';
  }

  /** True when anything on either side changed. */
  get touched(): boolean {
    return this.changes.some((item) => item.change !== 'unchanged');
  }
}

export interface RiskFinding {
  /** The object the finding is about, as `describeObject` names it. */
  object: string;
  message: string;
  action: string;
  /** Overrides the rule's severity for this finding (e.g. high under hashmod, medium under ketama). */
  severity?: RiskSeverity;
  /** Overrides the rule's source when the finding rests on another file. */
  source?: SourceLink;
}

/**
 * Thanos releases a rule's statements hold for, inclusive. Every statement was read at the reference release
 * (v0.42.4); `from` is the oldest tag at which the same code or doc text was found. `until` open means "and later".
 */
export interface VersionRange {
  from: string;
  until?: string;
}

export interface RiskRule {
  id: string;
  severity: RiskSeverity;
  versions: VersionRange;
  source: SourceLink;
  /** One line: what the rule looks for. */
  summary: string;
  check(change: StackChange): RiskFinding[];
}

/** Any Thanos release: for rules about Kubernetes objects rather than Thanos behaviour. */
export const ALL_VERSIONS: VersionRange = { from: 'v0.0.0' };

export function holdsFor(range: VersionRange, version: ThanosVersion | undefined): boolean {
  if (!version) return true;
  if (compareVersions(version, parseVersion(range.from)) < 0) return false;
  return range.until === undefined || compareVersions(version, parseVersion(range.until)) <= 0;
}
