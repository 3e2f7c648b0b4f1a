// In-process render benchmark: parse + render + serialize for the kube-thanos example and all configs and for
// generated stacks of growing size, to show render time is linear in hashrings + shards.
// Run: node --import tsx bench/render.ts [runs]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseStackConfig } from '../src/config/index.js';
import { renderStack, toKubeYaml } from '../src/render/index.js';

const RUNS = Number(process.argv[2] ?? 41);
const SHARED = resolve(process.cwd(), '../shared/kube-thanos');

function generated(hashrings: number, shards: number): string {
  const rings = Array.from({ length: hashrings }, (_, i) => `  - {hashring: tenant-${i}, tenants: [tenant-${i}]}`);
  return [
    'apiVersion: thanos-gitops/v1alpha1',
    'kind: ThanosStack',
    'common:',
    '  namespace: thanos',
    '  version: v0.42.4',
    '  image: quay.io/thanos/thanos:v0.42.4',
    '  objectStorageConfig: {name: thanos-objectstorage, key: thanos.yaml}',
    '  volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}}',
    '  serviceMonitor: true',
    '  tracing: {type: JAEGER, config: {sampler_type: ratelimiting, sampler_param: 2}}',
    'receiveIngestor:',
    '  replicas: 3',
    '  replicationFactor: 3',
    '  hashrings:',
    ...rings,
    'receiveRouter:',
    '  routerReplicas: 3',
    '  replicationFactor: 3',
    'storeShards:',
    `  shards: ${shards}`,
    '  replicas: 2',
    '  indexCache: {type: memcached, config: {addresses: ["dnssrv+_client._tcp.memcached.thanos"]}}',
    'query:',
    '  replicas: 2',
    '  replicaLabels: [replica, receive_replica]',
    '',
  ].join('\n');
}

interface Row {
  name: string;
  files: number;
  parse: number;
  render: number;
  serialize: number;
  total: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function measure(name: string, text: string): Row {
  const parse: number[] = [];
  const render: number[] = [];
  const serialize: number[] = [];
  let files = 0;
  for (let run = 0; run < RUNS + 3; run++) {
    const t0 = performance.now();
    const config = parseStackConfig(text, `${name}.yaml`);
    const t1 = performance.now();
    const set = renderStack(config);
    const t2 = performance.now();
    let bytes = 0;
    for (const manifest of set) bytes += toKubeYaml(manifest.object).length;
    const t3 = performance.now();
    if (bytes === 0) throw new Error('nothing rendered');
    files = set.length;
    // The first runs warm up the JIT and are left out.
    if (run < 3) continue;
    parse.push(t1 - t0);
    render.push(t2 - t1);
    serialize.push(t3 - t2);
  }
  const row = { name, files, parse: median(parse), render: median(render), serialize: median(serialize), total: 0 };
  row.total = row.parse + row.render + row.serialize;
  return row;
}

const rows: Row[] = [
  measure('example', readFileSync(resolve(SHARED, 'example.yaml'), 'utf8')),
  measure('all', readFileSync(resolve(SHARED, 'all.yaml'), 'utf8')),
  measure('gen 25 hashrings / 10 shards', generated(25, 10)),
  measure('gen 50 hashrings / 20 shards', generated(50, 20)),
  measure('gen 100 hashrings / 40 shards', generated(100, 40)),
  measure('gen 200 hashrings / 80 shards', generated(200, 80)),
];

const ms = (value: number) => value.toFixed(2).padStart(8);
console.log(`render benchmark: median of ${RUNS} runs (node ${process.version}), times in ms`);
console.log('');
console.log(
  `${'config'.padEnd(32)}${'files'.padStart(7)}${'parse'.padStart(9)}${'render'.padStart(9)}${'yaml'.padStart(9)}${'total'.padStart(9)}${'µs/file'.padStart(9)}`,
);
for (const row of rows) {
  console.log(
    `${row.name.padEnd(32)}${String(row.files).padStart(7)}${ms(row.parse)} ${ms(row.render)} ${ms(row.serialize)} ${ms(row.total)} ${((row.total * 1000) / row.files).toFixed(0).padStart(8)}`,
  );
}
console.log('');
const byName = (name: string) => rows.find((row) => row.name === name) as Row;
for (const [small, large] of [
  ['gen 25 hashrings / 10 shards', 'gen 50 hashrings / 20 shards'],
  ['gen 50 hashrings / 20 shards', 'gen 100 hashrings / 40 shards'],
  ['gen 100 hashrings / 40 shards', 'gen 200 hashrings / 80 shards'],
] as const) {
  const a = byName(small);
  const b = byName(large);
  console.log(
    `${large} vs ${small}: files x${(b.files / a.files).toFixed(2)}, total time x${(b.total / a.total).toFixed(2)} (linear when the two ratios match)`,
  );
}
