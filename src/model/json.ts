/**
 * Helpers for JSON-shaped values read from manifests. Manifests are data: a key such as `__proto__` or
 * `constructor` is an ordinary key (a ConfigMap may hold one), and the API server receives it as such.
 */

import { isRecord } from './objects.js';

/** The value at `path` (mapping keys, list indexes), or undefined where the path leaves the value. */
export function valueAt(value: unknown, ...path: readonly (string | number)[]): unknown {
  let node = value;
  for (const key of path) {
    if (Array.isArray(node) ? typeof key !== 'number' : !isRecord(node)) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** What kind of JSON value this is, without echoing it (a value may be a secret pasted in the wrong place). */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** The strings of a list, in order; anything else has none. */
export function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * Sets `key` on a plain object as an own, enumerable data property. Plain assignment of `__proto__` would call the
 * inherited setter instead (changing the prototype and dropping the entry), so that key is defined explicitly.
 */
export function setEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * A deep copy of a parsed manifest value in which no two paths share a mapping or list. Renderers reuse one labels
 * mapping for metadata.labels, selectors and pod templates, and YAML aliases do the same; structuredClone keeps that
 * sharing, so a label added at one path would appear at all of them (in an immutable selector, say). Keys such as
 * `__proto__` are copied as data. A value that contains itself (a recursive YAML alias) is refused.
 */
export function cloneTree<T>(value: T): T {
  const ancestors = new Set<object>();
  const copy = (node: unknown): unknown => {
    if (typeof node !== 'object' || node === null) return node;
    if (ancestors.has(node)) throw new TypeError('cannot copy a value that contains itself (a recursive YAML alias?)');
    ancestors.add(node);
    let result: unknown;
    if (Array.isArray(node)) result = node.map(copy);
    else {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) setEntry(out, key, copy(child));
      result = out;
    }
    ancestors.delete(node);
    return result;
  };
  return copy(value) as T;
}

/** Deep copy with every mapping's keys in code-point order, so equal objects serialize identically. */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => sortKeysDeep(item)) as T;
  if (!isRecord(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const item = value[key];
    if (item !== undefined) setEntry(sorted, key, sortKeysDeep(item));
  }
  return sorted as T;
}
