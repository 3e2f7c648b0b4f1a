import { createTwoFilesPatch } from 'diff';
import { objectId, objectRef, type KubeObject, type Manifest, type ManifestSet } from '../manifests/types.js';
import { normalizeObject, toDiffYaml } from './normalize.js';
import type { ChangeType, DiffEntry, ManifestDiff } from './types.js';

const PATCH_OPTIONS = { context: 3, headerOptions: { includeIndex: false, includeUnderline: false, includeFileHeaders: true } };

interface Indexed {
  manifest: Manifest;
  normalized: KubeObject;
  yaml: string;
}

function index(set: ManifestSet, side: 'base' | 'head'): Map<string, Indexed> {
  const byId = new Map<string, Indexed>();
  for (const [position, manifest] of set.entries()) {
    const object = manifest.object;
    if (typeof object?.kind !== 'string' || typeof object.apiVersion !== 'string' || typeof object.metadata?.name !== 'string') {
      throw new Error(
        `${side} manifest ${manifest.file || `#${position}`}: object #${position} lacks apiVersion, kind or metadata.name; every object needs all three`,
      );
    }
    const id = objectId(object);
    const normalized = normalizeObject(object);
    const yaml = toDiffYaml(normalized);
    // kube-thanos's all.jsonnet writes some objects (ServiceMonitors and ServiceAccounts of sharded
    // components) into two files, sometimes with different content. Applying the directory leaves the
    // later file's version in the cluster, so the later definition is the one compared.
    byId.delete(id);
    byId.set(id, { manifest, normalized, yaml });
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
  const change: ChangeType = !base ? 'added' : !head ? 'removed' : base.yaml === head.yaml ? 'unchanged' : 'modified';
  const patch =
    change === 'unchanged'
      ? ''
      : createTwoFilesPatch(
          base ? `a/${base.manifest.file}` : '/dev/null',
          head ? `b/${head.manifest.file}` : '/dev/null',
          base?.yaml ?? '',
          head?.yaml ?? '',
          undefined,
          undefined,
          PATCH_OPTIONS,
        );
  const entry: DiffEntry = { id, kind: ref.kind, namespace: ref.namespace, name: ref.name, change, patch, ...countLines(patch) };
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
export function diffManifestSets(base: ManifestSet, head: ManifestSet): ManifestDiff {
  const baseById = index(base, 'base');
  const headById = index(head, 'head');
  const entries: DiffEntry[] = [];
  for (const [id, headItem] of headById) entries.push(entryFor(id, baseById.get(id), headItem));
  for (const [id, baseItem] of baseById) if (!headById.has(id)) entries.push(entryFor(id, baseItem, undefined));
  const counts = { added: 0, removed: 0, modified: 0, unchanged: 0 };
  for (const entry of entries) counts[entry.change]++;
  // Risks come from an analysis layer that knows what the objects run (src/thanos); the diff itself is generic.
  return { entries, risks: [], counts };
}
