import { isDeepStrictEqual } from 'node:util';
import { cloneTree } from '../model/json.js';
import { apiGroup, type KubeObject } from '../model/objects.js';
import { InterruptedError } from './interrupt.js';

/** Runs fn over items with at most `limit` in flight; rejects with the first error after in-flight work settles. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}

/**
 * Like mapLimit but keeps going and returns every outcome; except when the run is interrupted: then no new item is
 * started and the InterruptedError is thrown once the items in flight have settled.
 */
export async function settleLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<Array<{ ok: true; value: R } | { ok: false; error: unknown }>> {
  return mapLimit(items, limit, async (item) => {
    try {
      return { ok: true as const, value: await fn(item) };
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      return { ok: false as const, error };
    }
  });
}

/** fn, reporting each item to `tick` (by its `name`, when it has one) once it has finished, however it ended. */
export function counted<T, R>(tick: (current?: string) => void, fn: (item: T) => Promise<R>): (item: T) => Promise<R> {
  return async (item) => {
    try {
      return await fn(item);
    } finally {
      const name =
        (item as { name?: unknown; prepared?: { name?: unknown } }).name ??
        (item as { prepared?: { name?: unknown } }).prepared?.name;
      tick(typeof name === 'string' ? name : undefined);
    }
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A copy the engine may change (labels, namespace) without touching the caller's set: shares nothing with it. */
export function clone<T>(value: T): T {
  return cloneTree(value);
}

/** Go's schema.GroupKind.String(): `Kind.group`, or `Kind` for the core group. */
export function groupKindString(apiVersion: string, kind: string): string {
  const group = apiGroup(apiVersion);
  return group ? `${kind}.${group}` : kind;
}

/** One entry of metadata.managedFields. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
  time?: string;
}

/**
 * Whether applying would change nothing: the server's dry-run result equals the live object, including who owns which
 * field (ignoring the ownership timestamps, which dry-run refreshes, and the order of the entries).
 */
export function sameObject(live: KubeObject, merged: KubeObject): boolean {
  const { managedFields: liveFields, ...liveMeta } = live.metadata as ObjectMetaWithFields;
  const { managedFields: mergedFields, ...mergedMeta } = merged.metadata as ObjectMetaWithFields;
  if (!isDeepStrictEqual({ ...live, metadata: liveMeta }, { ...merged, metadata: mergedMeta })) return false;
  // The server keeps entries ordered by time, and a dry-run refreshes our entry's time: after another manager applied
  // (a rotation's pod-template checksum), our entry would move behind it in every dry-run. Order carries no ownership.
  const untimed = (fields: ManagedFieldsEntry[] | undefined) =>
    (fields ?? []).map(({ time: _time, ...rest }) => JSON.stringify(rest)).sort();
  return isDeepStrictEqual(untimed(liveFields), untimed(mergedFields));
}

type ObjectMetaWithFields = KubeObject['metadata'] & { managedFields?: ManagedFieldsEntry[] };
