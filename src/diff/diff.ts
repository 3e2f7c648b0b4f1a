import { createTwoFilesPatch } from 'diff';
import { objectId, objectRef, type KubeObject, type Manifest, type ManifestSet } from '../model/objects.js';
import { normalizeObject, toDiffYaml, withFingerprintKey } from './normalize.js';
import type { ChangeType, DiffEntry, ManifestDiff } from './types.js';
import { progressCounter, type ProgressListener } from '../model/progress.js';

export interface DiffOptions {
  progress?: ProgressListener;
}

const PATCH_OPTIONS = {
  context: 3,
  headerOptions: { includeIndex: false, includeUnderline: false, includeFileHeaders: true },
};

interface Indexed {
  manifest: Manifest;
  normalized: KubeObject;
  /** JSON of the normalized (key-sorted) object: equal JSON means equal YAML, and it is ten times cheaper to make. */
  json: string;
  /** The diff YAML, made only for objects that are added, removed or whose JSON differs. */
  yaml?: string;
}

function yamlOf(item: Indexed): string {
  item.yaml ??= toDiffYaml(item.normalized);
  return item.yaml;
}

function index(set: ManifestSet, side: 'base' | 'head', normalized: (current: string) => void): Map<string, Indexed> {
  const byId = new Map<string, Indexed>();
  for (const [position, manifest] of set.entries()) {
    const object = manifest.object;
    if (
      typeof object?.kind !== 'string' ||
      typeof object.apiVersion !== 'string' ||
      typeof object.metadata?.name !== 'string'
    ) {
      throw new Error(
        `${side} manifest ${manifest.file || `#${position}`}: object #${position} lacks apiVersion, kind or metadata.name; every object needs all three`,
      );
    }
    const id = objectId(object);
    const normalizedObject = normalizeObject(object);
    // kube-thanos's all.jsonnet writes some objects (ServiceMonitors and ServiceAccounts of sharded
    // components) into two files, sometimes with different content. Applying the directory leaves the
    // later file's version in the cluster, so the later definition is the one compared.
    byId.delete(id);
    byId.set(id, { manifest, normalized: normalizedObject, json: JSON.stringify(normalizedObject) });
    normalized(manifest.file);
  }
  return byId;
}

function countLines(patch: string): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const line of patch.split('\n')) {
    if (line.startsWith('+++ ') || line.startsWith('--- ')) continue;
    if (line.startsWith('+')) additions++;
    else if (line.startsWith('-')) deletions++;
  }
  return { additions, deletions };
}

function entryFor(id: string, base: Indexed | undefined, head: Indexed | undefined): DiffEntry {
  const object = (head ?? base)!.normalized;
  const ref = objectRef(object);
  const change: ChangeType = !base
    ? 'added'
    : !head
      ? 'removed'
      : base.json === head.json || yamlOf(base) === yamlOf(head)
        ? 'unchanged'
        : 'modified';
  const patch =
    change === 'unchanged'
      ? ''
      : createTwoFilesPatch(
          base ? `a/${base.manifest.file}` : '/dev/null',
          head ? `b/${head.manifest.file}` : '/dev/null',
          base ? yamlOf(base) : '',
          head ? yamlOf(head) : '',
          undefined,
          undefined,
          PATCH_OPTIONS,
        );
  const entry: DiffEntry = {
    id,
    kind: ref.kind,
    namespace: ref.namespace,
    name: ref.name,
    change,
    patch,
    ...countLines(patch),
  };
  if (base) entry.before = base.normalized;
  if (head) entry.after = head.normalized;
  return entry;
}

/**
 * Matches objects by group, kind, namespace and name and diffs their normalized YAML. Entries follow the
 * head set's order, with removed objects after them in the base set's order. Both sides may be rendered
 * manifests, live objects or server-side dry-run results (status, server metadata and Secret values are
 * normalized away on both).
 */
export function diffManifestSets(base: ManifestSet, head: ManifestSet, options: DiffOptions = {}): ManifestDiff {
  // Both sides under one fingerprint key (the caller's run, or this diff's own).
  return withFingerprintKey(() => diffSets(base, head, options));
}

function diffSets(base: ManifestSet, head: ManifestSet, options: DiffOptions): ManifestDiff {
  const normalized = progressCounter(options.progress, 'normalize', base.length + head.length);
  const baseById = index(base, 'base', normalized);
  const headById = index(head, 'head', normalized);
  const entries: DiffEntry[] = [];
  const compared = progressCounter(options.progress, 'diff', new Set([...headById.keys(), ...baseById.keys()]).size);
  for (const [id, headItem] of headById) {
    entries.push(entryFor(id, baseById.get(id), headItem));
    compared(id);
  }
  for (const [id, baseItem] of baseById) {
    if (headById.has(id)) continue;
    entries.push(entryFor(id, baseItem, undefined));
    compared(id);
  }
  const counts = { added: 0, removed: 0, modified: 0, unchanged: 0 };
  for (const entry of entries) counts[entry.change]++;
  // Risks come from an analysis layer that knows what the objects run (src/thanos); the diff itself is generic.
  return { entries, risks: [], counts };
}
