import { ConfigError, type ConfigIssue } from '../config/errors.js';
import { configSource } from '../config/parse.js';
import { checkRequirements, type RequirementIssue } from '../config/requirements.js';
import { resolveStack, type ResolvedStack } from '../config/resolve.js';
import type { ComponentKey, ComponentParams, StackConfig } from '../config/schema.js';
import type { ManifestSet } from '../model/objects.js';
import type { ComponentObjects } from './common.js';
import { renderBucket, renderBucketReplicate } from './components/bucket.js';
import { renderCompact, renderCompactShards } from './components/compact.js';
import { renderQueryFrontend } from './components/query-frontend.js';
import { renderQuery } from './components/query.js';
import {
  renderReceive,
  renderReceiveHashrings,
  renderReceiveIngestor,
  renderReceiveRouter,
  type HashringObjects,
} from './components/receive.js';
import { renderRule } from './components/rule.js';
import { renderSidecar } from './components/sidecar.js';
import { renderStore, renderStoreShards, type ShardedObjects } from './components/store.js';
import { applyProduction, productionProblems, type OwnedManifest } from './production.js';
import { applySecurity, SecurityConfigError } from './tls-objstore-overlay.js';

/** The file-name prefix of each component, as kube-thanos's example.jsonnet and all.jsonnet name their outputs. */
const PREFIX: Record<ComponentKey, string> = {
  query: 'thanos-query',
  queryFrontend: 'thanos-query-frontend',
  receiveRouter: 'thanos-receive-router',
  receiveIngestor: 'thanos-receive-ingestor',
  receive: 'thanos-receive',
  receiveHashrings: 'thanos-receive',
  store: 'thanos-store',
  storeShards: 'thanos-store',
  compact: 'thanos-compact',
  compactShards: 'thanos-compact',
  rule: 'thanos-rule',
  bucket: 'thanos-bucket',
  bucketReplicate: 'thanos-bucket-replicate',
  sidecar: 'thanos-sidecar',
};

interface Rendered {
  key: ComponentKey;
  /** file stem -> object (null objects are dropped, as all.jsonnet filters them). */
  files: [string, ComponentObjects][];
}

function plain(key: ComponentKey, objects: ComponentObjects): Rendered {
  return { key, files: [[PREFIX[key], objects]] };
}

function sharded(key: ComponentKey, objects: ShardedObjects): Rendered {
  return {
    key,
    files: [
      ...objects.shards.map(({ shard, objects: shardObjects }): [string, ComponentObjects] => [
        `${PREFIX[key]}-shard${shard}`,
        shardObjects,
      ]),
      [`${PREFIX[key]}-shards`, objects.shared],
    ],
  };
}

function hashringed(key: ComponentKey, sharedStem: string, objects: HashringObjects): Rendered {
  return {
    key,
    files: [
      ...objects.hashrings.map(({ hashring, objects: ringObjects }): [string, ComponentObjects] => [
        `${PREFIX[key]}-${hashring}`,
        ringObjects,
      ]),
      [sharedStem, objects.shared],
    ],
  };
}

const RENDERERS: Record<ComponentKey, (config: ComponentParams) => Rendered> = {
  query: (config) => plain('query', renderQuery(config)),
  queryFrontend: (config) => plain('queryFrontend', renderQueryFrontend(config)),
  receiveRouter: (config) => plain('receiveRouter', renderReceiveRouter(config)),
  receiveIngestor: (config) => hashringed('receiveIngestor', PREFIX.receiveIngestor, renderReceiveIngestor(config)),
  receive: (config) => plain('receive', renderReceive(config)),
  receiveHashrings: (config) =>
    hashringed('receiveHashrings', 'thanos-receive-hashrings', renderReceiveHashrings(config)),
  store: (config) => plain('store', renderStore(config)),
  storeShards: (config) => sharded('storeShards', renderStoreShards(config)),
  compact: (config) => plain('compact', renderCompact(config)),
  compactShards: (config) => sharded('compactShards', renderCompactShards(config)),
  rule: (config) => plain('rule', renderRule(config)),
  bucket: (config) => plain('bucket', renderBucket(config)),
  bucketReplicate: (config) => plain('bucketReplicate', renderBucketReplicate(config)),
  sidecar: (config) => plain('sidecar', renderSidecar(config)),
};

/** Byte order of file names, the order `jsonnet -m` writes an object's fields in. */
function compareFiles(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Renders the stack the way kube-thanos would: every object under the file name kube-thanos's example/all
 * entrypoints give it, sorted by file name, then hands the set to applySecurity for the tls/objectStorage sections.
 */
export function renderStack(config: StackConfig): ManifestSet {
  const resolved = resolveStack(config);
  const problems = checkRequirements(resolved);
  if (problems.length > 0) throw located(config, problems);

  const set: OwnedManifest[] = [];
  const owners = new Map<string, ComponentKey>();
  const collisions: RequirementIssue[] = [];
  for (const component of Object.values(resolved)) {
    if (!component) continue;
    const rendered = RENDERERS[component.key](component.config);
    for (const [stem, objects] of rendered.files) {
      for (const [resource, object] of Object.entries(objects)) {
        if (object === null) continue;
        const file = `${stem}-${resource}.yaml`;
        const owner = owners.get(file);
        if (owner !== undefined) {
          collisions.push({
            at: [component.key],
            path: component.key,
            message: `renders ${file}, which ${owner} renders too`,
            fix: 'rename a hashring or a component (`name:`) so every file name is unique',
          });
          continue;
        }
        owners.set(file, component.key);
        set.push({ file, object, component: component.key });
      }
    }
  }
  if (collisions.length > 0) throw located(config, collisions);
  set.sort((a, b) => compareFiles(a.file, b.file));
  const productionIssues = config.production ? productionProblems(config.production, resolved) : [];
  if (productionIssues.length > 0) throw located(config, productionIssues);
  const configs = Object.fromEntries(
    Object.values(resolved).flatMap((component) => (component ? [[component.key, component.config]] : [])),
  );
  const layered: ManifestSet = config.production
    ? applyProduction(set, config.production, { namespace: stackNamespace(resolved), configs })
    : set.map(({ file, object }) => ({ file, object }));

  try {
    return applySecurity(layered, {
      tls: config.tls,
      objectStorage: config.objectStorage,
      namespace: stackNamespace(resolved),
    });
  } catch (error) {
    if (error instanceof SecurityConfigError) {
      const path = error.path.split('.');
      throw located(config, [
        { at: path, path: error.path, message: error.message.replace(`${error.path}: `, ''), fix: '' },
      ]);
    }
    throw error;
  }
}

function stackNamespace(resolved: ResolvedStack): string {
  for (const component of Object.values(resolved)) {
    if (component?.config.namespace) return component.config.namespace;
  }
  return 'default';
}

function located(config: StackConfig, problems: RequirementIssue[]): ConfigError {
  const source = configSource(config);
  const issues: ConfigIssue[] = problems.map((problem) => {
    const where = source ? source.locate(problem.at) : { line: 0, column: 0 };
    return {
      file: source?.file ?? '<config>',
      ...where,
      path: problem.path,
      message: problem.message,
      ...(problem.fix ? { fix: problem.fix } : {}),
    };
  });
  return new ConfigError(issues);
}
