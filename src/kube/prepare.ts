import { objectProblem } from '../model/object-problem.js';
import {
  apiGroup,
  describeObject,
  objectId,
  type KubeObject,
  type Manifest,
  type ManifestSet,
} from '../model/objects.js';
import { APPLYSET_PART_OF_LABEL, ApplySet, applySetParentName } from './applyset.js';
import type { KubeClient, ResourceInfo } from './client.js';
import { MissingKindsError } from './errors.js';
import { clone, mapLimit } from './util.js';

/**
 * A check of a whole set before anything is read from or written to the cluster, returning one line per problem.
 * Knowledge the generic machinery does not have (what a Thanos component does with a CA bundle) comes in this way.
 */
export type SetCheck = (set: ManifestSet) => string[];

export interface PrepareOptions {
  /** Names the ApplySet parent (`thanos-gitops-<environment>`). */
  environment: string;
  /** Where the ApplySet parent lives; also the namespace of objects that name none. */
  namespace: string;
  /** Kinds the server does not serve: fail before writing (default) or skip their objects with a warning. */
  missingKinds?: 'fail' | 'skip' | undefined;
  /** Checks the set must pass besides the shape of each object. */
  checks?: readonly SetCheck[] | undefined;
}

/** An object of the set, resolved against discovery and labelled as a member. */
export interface PreparedObject {
  manifest: Manifest;
  object: KubeObject;
  id: string;
  name: string;
  resource?: ResourceInfo;
}

export interface Prepared {
  objects: PreparedObject[];
  skipped: PreparedObject[];
  warnings: string[];
  applySet: ApplySet;
}

const MEMBER_KIND_NOT_SERVED = Symbol('not-served');

/** Checks shape, fills namespaces, adds the part-of label, and checks every kind against discovery. */
export async function prepareSet(client: KubeClient, set: ManifestSet, options: PrepareOptions): Promise<Prepared> {
  const applySet = new ApplySet(client, applySetParentName(options.environment), options.namespace);
  const problems: string[] = [];
  const seen = new Map<string, PreparedObject>();
  let objects: PreparedObject[] = [];
  for (const [index, manifest] of set.entries()) {
    const where = `${manifest.file || `object #${index + 1}`}`;
    // Sets built in code (a Lambda release, a rollback) reach here without a source's checks: the same rule applies.
    const problem = objectProblem(manifest.object);
    if (problem) {
      problems.push(`${where}: ${problem}`);
      continue;
    }
    const object = clone(manifest.object);
    object.metadata.labels ??= {};
    const labels = object.metadata.labels;
    const existing = labels[APPLYSET_PART_OF_LABEL];
    if (existing !== undefined && existing !== applySet.id) {
      problems.push(
        `${where}: .metadata.labels["${APPLYSET_PART_OF_LABEL}"] is "${existing}", which belongs to another ApplySet; fix: remove the label, thanos-gitops sets it`,
      );
    }
    labels[APPLYSET_PART_OF_LABEL] = applySet.id;
    objects.push({ manifest, object, id: '', name: '' });
  }
  for (const check of options.checks ?? []) problems.push(...check(set));
  if (problems.length) throw new Error(`invalid manifest set:\n  ${problems.join('\n  ')}`);

  const kinds = new Map<string, Promise<ResourceInfo | typeof MEMBER_KIND_NOT_SERVED>>();
  // Kinds whose CustomResourceDefinition is part of this set are served once the first phase has run.
  const crdKinds = new Set(
    set.filter((m) => m.object.kind === 'CustomResourceDefinition').map((m) => definedKind(m.object)),
  );
  const definedHere = (object: KubeObject) => crdKinds.has(`${object.kind}.${apiGroup(object.apiVersion)}`);
  await mapLimit(objects, 8, async (prepared) => {
    const { apiVersion, kind } = prepared.object;
    const cacheKey = `${apiVersion}/${kind}`;
    let lookup = kinds.get(cacheKey);
    if (!lookup) {
      lookup = client.resource(apiVersion, kind).catch((error: unknown) => {
        if (error instanceof Error && /does not serve/.test(error.message)) return MEMBER_KIND_NOT_SERVED;
        throw error;
      });
      kinds.set(cacheKey, lookup);
    }
    const info = await lookup;
    if (info !== MEMBER_KIND_NOT_SERVED) {
      prepared.resource = info;
      if (info.namespaced) prepared.object.metadata.namespace ??= options.namespace;
      else delete prepared.object.metadata.namespace;
    } else {
      prepared.object.metadata.namespace ??= options.namespace;
    }
    prepared.id = objectId(prepared.object);
    prepared.name = describeObject(prepared.object);
  });

  // An object defined more than once (kube-thanos's own all.jsonnet does this for shared ServiceAccounts and
  // ServiceMonitors) is applied once, from its last definition: what `kubectl apply -f` does, and what the diff
  // shows. The sources warn when the definitions differ.
  for (const prepared of objects) seen.set(prepared.id, prepared);
  objects = objects.filter((prepared) => seen.get(prepared.id) === prepared);

  const missing = new Map<string, string[]>();
  const served: PreparedObject[] = [];
  const skipped: PreparedObject[] = [];
  for (const prepared of objects) {
    if (prepared.resource || definedHere(prepared.object)) served.push(prepared);
    else {
      const key = `${prepared.object.kind} (${prepared.object.apiVersion})`;
      missing.set(key, [...(missing.get(key) ?? []), prepared.name]);
      skipped.push(prepared);
    }
  }
  const warnings: string[] = [];
  if (missing.size) {
    const list = [...missing].map(([kind, names]) => ({ kind, objects: names }));
    if ((options.missingKinds ?? 'fail') === 'fail') throw new MissingKindsError(list);
    for (const entry of list)
      warnings.push(`skipped ${entry.objects.length} ${entry.kind} object(s): the API server does not serve this kind`);
  }
  return { objects: served, skipped, warnings, applySet };
}

export function isCrd(object: KubeObject): boolean {
  return object.kind === 'CustomResourceDefinition' && apiGroup(object.apiVersion) === 'apiextensions.k8s.io';
}

/** `Kind.group` of the kind a CustomResourceDefinition defines. */
function definedKind(crd: KubeObject): string {
  const spec = (crd.spec ?? {}) as { group?: string; names?: { kind?: string } };
  return `${spec.names?.kind}.${spec.group}`;
}

/** Objects of the set whose kind is not served yet because its CustomResourceDefinition is in the set, with that CRD. */
export function deferredObjects(prepared: Prepared): Array<{ object: string; crd: string }> {
  const definitions = new Map<string, string>();
  for (const p of prepared.objects) if (isCrd(p.object)) definitions.set(definedKind(p.object), p.object.metadata.name);
  return prepared.objects
    .filter((p) => !p.resource)
    .map((p) => ({
      object: p.name,
      crd: definitions.get(`${p.object.kind}.${apiGroup(p.object.apiVersion)}`) ?? '(unknown)',
    }));
}
