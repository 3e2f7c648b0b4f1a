/**
 * Helpers for JSON-shaped values read from manifests. Manifests are data: a key such as `__proto__` or
 * `constructor` is an ordinary key (a ConfigMap may hold one), and the API server receives it as such.
 */

/**
 * Sets `key` on a plain object as an own, enumerable data property. Plain assignment of `__proto__` would call the
 * inherited setter instead (changing the prototype and dropping the entry), so that key is defined explicitly.
 */
export function setEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
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
