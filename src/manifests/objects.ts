import { imageProblems, namespaceProblem, nameProblem } from '../model/object-rules.js';
import { apiGroup, isRecord } from './types.js';

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

/**
 * Why a parsed value is not a usable Kubernetes object, or undefined when it is one. Objects must carry
 * apiVersion, kind and metadata.name: diff, apply and prune identify objects by them.
 */
export function objectProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return `expected a Kubernetes object (a mapping), got ${kindOf(value)}`;
  const missing: string[] = [];
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') missing.push('apiVersion');
  if (typeof value.kind !== 'string' || value.kind === '') missing.push('kind');
  const metadata = value.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '') {
    if (isRecord(metadata) && typeof metadata.generateName === 'string') {
      return 'metadata.generateName is not supported: give the object a fixed metadata.name so it can be diffed and pruned';
    }
    missing.push('metadata.name');
  }
  if (missing.length > 0) {
    return `missing ${missing.join(', ')}: every object needs apiVersion, kind and metadata.name`;
  }
  if (metadata !== undefined && isRecord(metadata) && metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
    return 'metadata.namespace must be a string';
  }
  return apiServerProblem(value as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } });
}

/** What the API server would refuse for this kind (name, namespace) or what would fail later (image), if anything. */
function apiServerProblem(object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): string | undefined {
  const problem =
    nameProblem(apiGroup(object.apiVersion), object.kind, object.metadata.name) ??
    (object.metadata.namespace === undefined || object.metadata.namespace === '' ? undefined : namespaceProblem(object.metadata.namespace)) ??
    imageProblems(object)[0];
  return problem;
}

/** kubectl's rule: `v1/List` and any `*List` kind with an items array is a container whose items are the objects. */
export function isListObject(value: Record<string, unknown>): value is Record<string, unknown> & { items: unknown[] } {
  return typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
}

export { isRecord } from './types.js';
