import { isDeepStrictEqual } from 'node:util';
import { isRecord, type KubeObject } from '../model/objects.js';
import type { ManagedFieldsEntry } from './util.js';

/**
 * Whether server-side applying `desired` as `fieldManager` would leave `live` exactly as it is, decided from the live
 * object alone. Server-side apply changes nothing when the manager's applied fields (its managedFields entry) are
 * exactly the fields of the new configuration and every one of them already holds the configured value: no field is
 * set, released or taken over. Only a yes is trusted; whenever the answer needs the schema (a value the server
 * normalizes, a list or map owned whole whose items it defaults, another manager's items in a list) this says no, and
 * the object is dry-run.
 */
export function appliedUnchanged(live: KubeObject, desired: KubeObject, fieldManager: string): boolean {
  if (live.apiVersion !== desired.apiVersion || live.kind !== desired.kind) return false;
  const entries = ((live.metadata.managedFields as ManagedFieldsEntry[] | undefined) ?? []).filter(
    (entry) => entry.manager === fieldManager && entry.operation === 'Apply' && entry.subresource === undefined,
  );
  const entry = entries[0];
  if (
    entries.length !== 1 ||
    !entry ||
    entry.apiVersion !== desired.apiVersion ||
    entry.fieldsType !== 'FieldsV1' ||
    !isRecord(entry.fieldsV1)
  )
    return false;
  // apiVersion, kind, name and namespace identify the object; managed fields never list them.
  const { apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = desired;
  const { name: _name, namespace: _namespace, ...fields } = metadata;
  return covers(entry.fieldsV1, { ...rest, metadata: fields }, live);
}

/** Whether the owned field set `owned` is exactly the fields of `desired`, each already holding its value in `live`. */
function covers(owned: Record<string, unknown>, desired: unknown, live: unknown): boolean {
  const children = Object.keys(owned).filter((key) => key !== '.');
  // Owned whole (a scalar, or a map or list of the schema's atomic kind): applying it again sets exactly this value.
  if (children.length === 0) return sameValue(desired, live) || (live === undefined && isZeroValue(desired));
  if (Array.isArray(desired)) {
    // An associative list, its items owned by key: the live list must hold exactly our items, in our order.
    if (
      !Array.isArray(live) ||
      live.length !== desired.length ||
      children.length !== desired.length ||
      !children.every((key) => key.startsWith('k:'))
    )
      return false;
    const items = children.map((key) => ({ key: JSON.parse(key.slice(2)) as unknown, node: owned[key] }));
    return desired.every((item, index) => {
      const liveItem: unknown = live[index];
      if (!isRecord(item) || !isRecord(liveItem)) return false;
      // Key fields the configuration leaves out (a port's protocol) are defaulted: the live item carries the key.
      const matches = items.filter(
        ({ key }) =>
          isRecord(key) &&
          Object.entries(key).every(
            ([field, value]) =>
              sameValue(liveItem[field], value) && (item[field] === undefined || sameValue(item[field], value)),
          ),
      );
      const match = matches[0];
      return matches.length === 1 && match !== undefined && isRecord(match.node) && covers(match.node, item, liveItem);
    });
  }
  if (!isRecord(desired) || !isRecord(live) || !children.every((key) => key.startsWith('f:'))) return false;
  const keys = Object.keys(desired);
  return (
    keys.length === children.length &&
    keys.every((key) => {
      const node = owned[`f:${key}`];
      return isRecord(node) && covers(node, desired[key], Object.hasOwn(live, key) ? live[key] : undefined);
    })
  );
}

/**
 * isDeepStrictEqual, answering two scalars (most of what covers compares) without its generic walk: for them it is
 * Object.is.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  return isDeepStrictEqual(a, b);
}

/**
 * A value the API server stores as absent: Kubernetes objects serialize zero values of omitempty fields (0, false,
 * "", empty maps and lists) by leaving them out, so a field we own that is absent live holds exactly such a value.
 */
function isZeroValue(value: unknown): boolean {
  return (
    value === 0 ||
    value === false ||
    value === '' ||
    value === null ||
    (Array.isArray(value) && value.length === 0) ||
    (isRecord(value) && Object.keys(value).length === 0)
  );
}
