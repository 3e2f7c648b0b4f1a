import { createHash } from 'node:crypto';
import type { KubeObject } from '../model/objects.js';
import { checkEnvironmentName } from '../model/environment.js';
import { KubeApiError, type KubeClient } from './client.js';
import { groupKindString, mapLimit } from './util.js';
import { TOOL_VERSION } from '../model/version.js';

// Label and annotation keys of the ApplySet specification (KEP-3659), as kubectl's applyset.go defines them.
export const APPLYSET_ID_LABEL = 'applyset.kubernetes.io/id';
export const APPLYSET_PART_OF_LABEL = 'applyset.kubernetes.io/part-of';
export const APPLYSET_TOOLING_ANNOTATION = 'applyset.kubernetes.io/tooling';
export const APPLYSET_GROUP_KINDS_ANNOTATION = 'applyset.kubernetes.io/contains-group-kinds';
export const APPLYSET_NAMESPACES_ANNOTATION = 'applyset.kubernetes.io/additional-namespaces';
export const TOOL_NAME = 'thanos-gitops';

/** applyset-<base64url(sha256(name.namespace.Kind.group))>-v1, exactly kubectl's ApplySet.ID(). */
export function applySetId(name: string, namespace: string, kind = 'Secret', group = ''): string {
  const digest = createHash('sha256').update([name, namespace, kind, group].join('.')).digest('base64url');
  return `applyset-${digest}-v1`;
}

export function applySetParentName(environment: string): string {
  return `thanos-gitops-${checkEnvironmentName(environment)}`;
}

/** A group-kind as written in contains-group-kinds, with the apiVersion we list it under. */
export interface MemberKind {
  groupKind: string;
  apiVersion: string;
  kind: string;
}

/** The parent Secret of an ApplySet and what it says the set spans. */
export class ApplySet {
  readonly id: string;
  /** Group-kinds and namespaces the live parent records (before this operation). */
  currentGroupKinds = new Set<string>();
  currentNamespaces = new Set<string>();
  exists = false;

  constructor(
    readonly client: KubeClient,
    readonly name: string,
    readonly namespace: string,
    readonly tooling = `${TOOL_NAME}/${TOOL_VERSION}`,
  ) {
    this.id = applySetId(name, namespace);
  }

  get description(): string {
    return `ApplySet parent Secret ${this.namespace}/${this.name}`;
  }

  get memberSelector(): string {
    return `${APPLYSET_PART_OF_LABEL}=${this.id}`;
  }

  /** Reads the parent and refuses one that another tool owns or that is not a parent at all. */
  async load(): Promise<void> {
    const parent = await this.client.get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: this.namespace,
      name: this.name,
    });
    if (!parent) {
      this.exists = false;
      return;
    }
    this.exists = true;
    const annotations = parent.metadata.annotations ?? {};
    const labels = parent.metadata.labels ?? {};
    const tooling = annotations[APPLYSET_TOOLING_ANNOTATION];
    if (tooling === undefined) {
      throw new Error(
        `${this.description} already exists and is missing the annotation ${APPLYSET_TOOLING_ANNOTATION}: it is not an ApplySet parent; choose another environment name or delete the Secret`,
      );
    }
    const toolName = tooling.includes('/') ? tooling.slice(0, tooling.lastIndexOf('/')) : tooling;
    if (toolName !== TOOL_NAME) {
      throw new Error(
        `${this.description} is managed by tooling "${toolName}" (${APPLYSET_TOOLING_ANNOTATION}=${tooling}), not ${TOOL_NAME}; refusing to change a set another tool owns`,
      );
    }
    if (labels[APPLYSET_ID_LABEL] !== this.id) {
      throw new Error(
        `${this.description} has label ${APPLYSET_ID_LABEL}=${labels[APPLYSET_ID_LABEL] ?? '(missing)'}, expected ${this.id}; the parent was copied or edited by hand`,
      );
    }
    const kinds = annotations[APPLYSET_GROUP_KINDS_ANNOTATION] ?? '';
    this.currentGroupKinds = new Set(kinds ? kinds.split(',') : []);
    const namespaces = annotations[APPLYSET_NAMESPACES_ANNOTATION] ?? '';
    this.currentNamespaces = new Set(namespaces ? namespaces.split(',') : []);
    this.currentNamespaces.add(this.namespace);
  }

  /** Server-side applies the parent's metadata (field manager `<tool>-applyset`, as kubectl names it). */
  async write(groupKinds: Iterable<string>, namespaces: Iterable<string>): Promise<void> {
    const parent: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { [APPLYSET_ID_LABEL]: this.id },
        annotations: {
          [APPLYSET_TOOLING_ANNOTATION]: this.tooling,
          [APPLYSET_GROUP_KINDS_ANNOTATION]: [...new Set(groupKinds)].sort().join(','),
          [APPLYSET_NAMESPACES_ANNOTATION]: [...new Set(namespaces)]
            .filter((ns) => ns && ns !== this.namespace)
            .sort()
            .join(','),
        },
      },
    };
    const fieldManager = `${TOOL_NAME}-applyset`;
    try {
      await this.client.apply(parent, { fieldManager });
    } catch (error) {
      // kubectl retries with force on conflict: the parent's metadata belongs to the set's tooling.
      if (error instanceof KubeApiError && error.status === 409)
        await this.client.apply(parent, { fieldManager, force: true });
      else throw error;
    }
    this.exists = true;
  }

  /** Record the superset of old and new group-kinds/namespaces before writing members, so an interrupted run leaks nothing. */
  async widen(members: readonly KubeObject[]): Promise<void> {
    const { groupKinds, namespaces } = spanOf(members);
    if (
      this.exists &&
      [...groupKinds].every((g) => this.currentGroupKinds.has(g)) &&
      [...namespaces].every((n) => this.currentNamespaces.has(n))
    )
      return;
    await this.write([...this.currentGroupKinds, ...groupKinds], [...this.currentNamespaces, ...namespaces]);
    for (const g of groupKinds) this.currentGroupKinds.add(g);
    for (const n of namespaces) this.currentNamespaces.add(n);
  }

  /** After a successful prune, shrink the parent to exactly this run's members. */
  async narrow(members: readonly KubeObject[]): Promise<void> {
    const { groupKinds, namespaces } = spanOf(members);
    const wanted = new Set([...namespaces, this.namespace]);
    const same =
      groupKinds.size === this.currentGroupKinds.size &&
      [...groupKinds].every((g) => this.currentGroupKinds.has(g)) &&
      wanted.size === this.currentNamespaces.size &&
      [...wanted].every((n) => this.currentNamespaces.has(n));
    if (!same) await this.write(groupKinds, namespaces);
    this.currentGroupKinds = groupKinds;
    this.currentNamespaces = new Set([...namespaces, this.namespace]);
  }

  /**
   * Live members: every object carrying this set's part-of label, listed per recorded group-kind and namespace.
   * Group-kinds whose API is no longer served are returned in `unlisted` (they cannot be pruned and are reported).
   */
  async listMembers(
    extraGroupKinds: Iterable<MemberKind> = [],
    skipGroupKinds: ReadonlySet<string> = new Set(),
  ): Promise<{ members: KubeObject[]; unlisted: string[] }> {
    const kinds = new Map<string, MemberKind>();
    for (const kind of extraGroupKinds) if (!skipGroupKinds.has(kind.groupKind)) kinds.set(kind.groupKind, kind);
    const unlisted: string[] = [];
    for (const groupKind of this.currentGroupKinds) {
      if (kinds.has(groupKind) || skipGroupKinds.has(groupKind)) continue;
      const resolved = await resolveGroupKind(this.client, groupKind);
      if (resolved) kinds.set(groupKind, resolved);
      else unlisted.push(groupKind);
    }
    const lists: Array<{ kind: MemberKind; namespace: string | undefined }> = [];
    for (const kind of kinds.values()) {
      const info = await this.client.resource(kind.apiVersion, kind.kind);
      for (const namespace of info.namespaced ? [...this.currentNamespaces] : [undefined])
        lists.push({ kind, namespace });
    }
    const pages = await mapLimit(lists, 8, ({ kind, namespace }) =>
      this.client.list(kind.apiVersion, kind.kind, namespace, this.memberSelector),
    );
    return { members: pages.flat(), unlisted };
  }
}

export function spanOf(members: readonly KubeObject[]): { groupKinds: Set<string>; namespaces: Set<string> } {
  const groupKinds = new Set<string>();
  const namespaces = new Set<string>();
  for (const member of members) {
    groupKinds.add(groupKindString(member.apiVersion, member.kind));
    if (member.metadata.namespace) namespaces.add(member.metadata.namespace);
  }
  return { groupKinds, namespaces };
}

/** Finds the preferred served version of `Kind.group` through discovery. */
async function resolveGroupKind(client: KubeClient, groupKind: string): Promise<MemberKind | undefined> {
  const dot = groupKind.indexOf('.');
  const kind = dot < 0 ? groupKind : groupKind.slice(0, dot);
  const group = dot < 0 ? '' : groupKind.slice(dot + 1);
  if (!group) return (await client.isServed('v1', kind)) ? { groupKind, apiVersion: 'v1', kind } : undefined;
  const versions = await client.preferredVersions(group);
  for (const version of versions) {
    const apiVersion = `${group}/${version}`;
    if (await client.isServed(apiVersion, kind)) return { groupKind, apiVersion, kind };
  }
  return undefined;
}
