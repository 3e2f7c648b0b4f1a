/** A Kubernetes object as it appears in a manifest: only the fields every object has are typed. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** One object of a manifest set and the file it is written to (kube-thanos's naming for rendered sets). */
export interface Manifest {
  file: string;
  object: KubeObject;
}

/** An ordered list of manifests: the single currency between sources, diff, apply and reports. */
export type ManifestSet = Manifest[];

export interface ObjectRef {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

/** A JSON mapping (not null, not a list): the shape every Kubernetes object and its nested objects have. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The API group of an apiVersion: "apps" for "apps/v1", "" for the core group's "v1". */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function objectRef(object: KubeObject): ObjectRef {
  const slash = object.apiVersion.indexOf('/');
  return {
    group: apiGroup(object.apiVersion),
    version: slash < 0 ? object.apiVersion : object.apiVersion.slice(slash + 1),
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
  };
}

/** The identity objects are matched by across sets: group, kind, namespace and name (not version). */
export function objectId(object: KubeObject): string {
  const ref = objectRef(object);
  return `${ref.group}/${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** A human name such as `StatefulSet thanos/thanos-store`. */
export function describeObject(object: KubeObject): string {
  const ns = object.metadata.namespace;
  return `${object.kind} ${ns ? `${ns}/` : ''}${object.metadata.name}`;
}
