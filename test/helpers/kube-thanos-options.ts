import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ComponentKey } from '../../src/config/schema.js';

/**
 * Measures kube-thanos's option set per component straight from the libsonnet text in ../shared/kube-thanos/src:
 * the fields of each component's `defaults` object (including hidden `::` ones and inherited default-params files)
 * and every `config.<field>` / `std.objectHas(config, '<field>')` the component's files (and the files it calls,
 * e.g. storeShards -> store) read. A field read only through `defaults.` (memcachedDefaults, fifoCache, ...) cannot
 * be overridden by params, so it is internal, not an option.
 */

export const KUBE_THANOS_SRC = resolve(process.cwd(), '../shared/kube-thanos/src');
export const KUBE_THANOS_LIB = join(KUBE_THANOS_SRC, 'jsonnet');
const LIB_DIR = join(KUBE_THANOS_LIB, 'kube-thanos');

/** The libsonnet files whose `defaults` a component merges, outermost first, and the files that read its config. */
const COMPOSITION: Record<ComponentKey, { defaults: string[]; readers: string[] }> = {
  query: { defaults: ['kube-thanos-query'], readers: ['kube-thanos-query'] },
  queryFrontend: { defaults: ['kube-thanos-query-frontend'], readers: ['kube-thanos-query-frontend'] },
  store: { defaults: ['kube-thanos-store-default-params'], readers: ['kube-thanos-store'] },
  storeShards: {
    defaults: ['kube-thanos-store-default-params', 'kube-thanos-store-shards'],
    readers: ['kube-thanos-store-shards', 'kube-thanos-store'],
  },
  compact: { defaults: ['kube-thanos-compact-default-params'], readers: ['kube-thanos-compact'] },
  compactShards: {
    defaults: ['kube-thanos-compact-default-params', 'kube-thanos-compact-shards'],
    readers: ['kube-thanos-compact-shards', 'kube-thanos-compact'],
  },
  receive: { defaults: ['kube-thanos-receive-default-params'], readers: ['kube-thanos-receive'] },
  receiveHashrings: {
    defaults: ['kube-thanos-receive-default-params', 'kube-thanos-receive-hashrings'],
    readers: ['kube-thanos-receive-hashrings', 'kube-thanos-receive'],
  },
  receiveIngestor: {
    defaults: ['kube-thanos-receive-default-params', 'kube-thanos-receive-ingestor'],
    readers: ['kube-thanos-receive-ingestor', 'kube-thanos-receive-hashrings', 'kube-thanos-receive'],
  },
  receiveRouter: {
    defaults: ['kube-thanos-receive-default-params', 'kube-thanos-receive-router'],
    readers: ['kube-thanos-receive-router'],
  },
  rule: { defaults: ['kube-thanos-rule'], readers: ['kube-thanos-rule'] },
  bucket: { defaults: ['kube-thanos-bucket'], readers: ['kube-thanos-bucket'] },
  bucketReplicate: { defaults: ['kube-thanos-bucket-replicate'], readers: ['kube-thanos-bucket-replicate'] },
  sidecar: { defaults: ['kube-thanos-sidecar'], readers: ['kube-thanos-sidecar'] },
};

export interface DefaultField {
  name: string;
  /** `error 'must provide ...'` in kube-thanos. */
  required: boolean;
  /** The jsonnet text of the default value (first line). */
  value: string;
}

export interface KubeThanosComponentOptions {
  /** Every option the component takes: declared in its defaults or read from its config. */
  options: string[];
  /** Options the component's files read (what changes its output). */
  used: string[];
  /** Declared in the defaults but never read by this component: kube-thanos silently ignores them. */
  ignored: string[];
  defaults: Map<string, DefaultField>;
}

function source(file: string): string {
  return readFileSync(join(LIB_DIR, `${file}.libsonnet`), 'utf8');
}

/** The lines of the defaults object in a file (`local defaults = ... {` up to its closing brace). */
function defaultsBlock(file: string): string[] {
  const lines = source(file).split('\n');
  let start = lines.findIndex((line) => /^local defaults = .*\{$/.test(line));
  if (start < 0) start = lines.indexOf('{');
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && /^\}/.test(line));
  return lines.slice(start + 1, end);
}

/** The top-level fields of the defaults object (two-space indentation). */
function defaultFields(file: string): DefaultField[] {
  const fields: DefaultField[] = [];
  for (const line of defaultsBlock(file)) {
    const match = /^ {2}([A-Za-z][A-Za-z0-9]*)\+?:{1,3}\s*(.*)$/.exec(line);
    if (match)
      fields.push({
        name: match[1] as string,
        value: (match[2] as string).replace(/,$/, ''),
        required: /^error /.test(match[2] as string),
      });
  }
  return fields;
}

/**
 * Inside the defaults object `defaults` is `self`, late-bound to the merged config, so `defaults.version` there
 * (in commonLabels) is a read of the option; outside it, `defaults.` is the unmerged local and reads nothing.
 */
function selfReads(file: string): Set<string> {
  const reads = new Set<string>();
  for (const line of defaultsBlock(file))
    for (const match of line.matchAll(/\bdefaults\.([A-Za-z][A-Za-z0-9]*)/g)) reads.add(match[1] as string);
  return reads;
}

function configReads(file: string): Set<string> {
  const text = source(file)
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n');
  const reads = new Set<string>();
  for (const match of text.matchAll(/\bconfig\.([A-Za-z][A-Za-z0-9]*)/g)) reads.add(match[1] as string);
  for (const match of text.matchAll(/std\.objectHas\(\s*(?:\w+\.)?config,\s*'([A-Za-z0-9]+)'\)/g))
    reads.add(match[1] as string);
  return reads;
}

function internalOnly(file: string, field: string): boolean {
  const outside = source(file)
    .split('\n')
    .filter((line) => !defaultsBlock(file).includes(line))
    .join('\n');
  return new RegExp(`\\bdefaults\\.${field}\\b`).test(outside);
}

export function kubeThanosOptions(component: ComponentKey): KubeThanosComponentOptions {
  const { defaults: defaultFiles, readers } = COMPOSITION[component];
  const defaults = new Map<string, DefaultField>();
  for (const file of defaultFiles) for (const field of defaultFields(file)) defaults.set(field.name, field);
  const used = new Set<string>();
  for (const file of readers) for (const read of configReads(file)) used.add(read);
  for (const file of defaultFiles) for (const read of selfReads(file)) used.add(read);
  for (const name of [...defaults.keys()]) {
    if (!used.has(name) && [...defaultFiles, ...readers].some((file) => internalOnly(file, name)))
      defaults.delete(name);
  }
  const options = [...new Set([...defaults.keys(), ...used])].sort();
  return {
    options,
    used: [...used].sort(),
    ignored: options.filter((name) => !used.has(name)),
    defaults,
  };
}

/** Parameters that satisfy every `error 'must provide ...'` and assert, so `.config` can be read. */
const MINIMAL_PARAMS = {
  namespace: 'ns',
  version: 'v0.0.0',
  image: 'thanos:test',
  replicas: 1,
  replicaLabels: [],
  replicationFactor: 1,
  objectStorageConfig: { name: 'objstore', key: 'thanos.yaml' },
  objectStorageToConfig: { name: 'objstore-to', key: 'thanos.yaml' },
  downstreamURL: 'http://query:9090',
  reloaderImage: 'reloader:test',
  podLabelSelector: { app: 'prometheus' },
  sourceLabels: ['cluster'],
  endpoints: { default: [] },
  // kube-thanos-rule.libsonnet asserts std.isObject(volumeClaimTemplate) without defaulting it.
  volumeClaimTemplate: {},
};

/**
 * A jsonnet program that evaluates every component's merged config with MINIMAL_PARAMS and returns, per component,
 * the value of each listed default field (what kube-thanos uses when the option is not set). Our component keys are
 * the field names of kube-thanos's thanos.libsonnet, so each key is also its constructor.
 */
export function defaultValuesProgram(fields: Record<ComponentKey, string[]>): string {
  const entries = Object.entries(fields).map(([component, names]) => {
    const body = names.map((name) => `${JSON.stringify(name)}: c.config[${JSON.stringify(name)}]`).join(', ');
    return `  ${JSON.stringify(component)}: local c = t.${component}(params); { ${body} },`;
  });
  return [
    `local t = import 'kube-thanos/thanos.libsonnet';`,
    `local params = ${JSON.stringify(MINIMAL_PARAMS)};`,
    '{',
    ...entries,
    '}',
    '',
  ].join('\n');
}
