// Times `thanos-gitops apply` (16 and 500 objects, first apply and unchanged re-apply) and `thanos-gitops plan`
// (500 objects, one changed) against a private test kube-apiserver, side by side with what a user would run
// instead on the same objects in the same run: `kubectl apply --server-side` and `kubectl diff --server-side`.
// Both run as processes: ours is the shipped dist/cli/index.js (run `npm run build` first), so process start,
// kubeconfig loading, TLS and discovery count on both sides.
// Ours does more per run: a Lease lock, a dry-run of every object before writing, ApplySet prune lists, the
// release record. Creates use a fresh namespace per run. Every Service is made headless (clusterIP: None), so the
// thousands of Services the runs leave behind (namespaces are never deleted without a controller-manager) allocate
// no cluster IPs.
// Run: node --import tsx bench/apply.ts [runs, default 3]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse, stringify } from 'yaml';
import { startControlPlane } from '../test/helpers/control-plane.js';
import type { KubeObject, ManifestSet } from '../src/model/objects.js';

const RUNS = Number(process.argv[2] ?? 3);
const root = join(import.meta.dirname, '..');
const golden = (name: string) => join(root, '../shared/kube-thanos', name);
const work = mkdtempSync(join(tmpdir(), 'bench-apply-'));

function loadGolden(name: string): ManifestSet {
  const seen = new Set<string>();
  return readdirSync(golden(name))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, object: parse(readFileSync(join(golden(name), file), 'utf8')) as KubeObject }))
    .filter(
      ({ object }) =>
        !seen.has(`${object.kind}/${object.metadata.name}`) &&
        Boolean(seen.add(`${object.kind}/${object.metadata.name}`)),
    );
}

/** 500 objects: copies of kube-thanos `all` with suffixed names (selectors keep pointing at their own copy). */
function fiveHundred(): ManifestSet {
  const all = loadGolden('all');
  const set: ManifestSet = [];
  for (let copy = 0; set.length < 500; copy++) {
    for (const m of all) {
      if (set.length === 500) break;
      const object = structuredClone(m.object);
      object.metadata.name = `${object.metadata.name}-c${copy}`;
      set.push({ file: `c${copy}-${m.file}`, object });
    }
  }
  return set;
}

function writeDir(set: ManifestSet, namespace: string, name: string): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const m of set) {
    const object = structuredClone(m.object);
    if (object.metadata.namespace !== undefined) object.metadata.namespace = namespace;
    if (object.kind === 'Service') (object.spec as { clusterIP?: string }).clusterIP = 'None';
    writeFileSync(join(dir, m.file), stringify(object));
  }
  return dir;
}

function run(command: string, args: string[], okCodes = [0]): number {
  const started = performance.now();
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, KUBECTL_APPLYSET: 'true' },
  });
  const elapsed = performance.now() - started;
  if (!okCodes.includes(result.status ?? -1))
    throw new Error(
      `${command} ${args.slice(0, 3).join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`,
    );
  return elapsed;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

// BENCH_CLI names another build of the CLI (e.g. a copy of main's dist/) for before/after numbers in one setup.
const cli = process.env.BENCH_CLI ?? join(root, 'dist/cli/index.js');
if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);

// What a process costs before it talks to the cluster: node loading the bundle vs the kubectl binary.
const startup = {
  ours: median(Array.from({ length: 5 }, () => run('node', [cli, '--help']))),
  kubectl: median(Array.from({ length: 5 }, () => run('kubectl', ['version', '--client']))),
};

const cp = await startControlPlane();
const kubeconfig = cp.adminKubeconfig;
let namespaces = 0;
function namespace(prefix: string): string {
  const name = `${prefix}-${namespaces++}`;
  run('kubectl', ['--kubeconfig', kubeconfig, 'create', 'namespace', name]);
  return name;
}
// The copies of kube-thanos `all` fail stack validation (one querier, many receive rings) and hold kinds beyond the
// default apply policy: both checks are local and cheap, and this measures the cluster work, so both are off.
const ours = (command: string, dir: string, ns: string) => [
  cli,
  command,
  '--dir',
  dir,
  '--kubeconfig',
  kubeconfig,
  '-n',
  ns,
  '-e',
  'bench',
  ...(command === 'apply' ? ['--ignore-validation', '--no-policy'] : []),
];
const kubectlApply = (dir: string, ns: string) => [
  '--kubeconfig',
  kubeconfig,
  'apply',
  '--server-side',
  '--field-manager=kubectl-bench',
  '-n',
  ns,
  '-f',
  dir,
];
const kubectlDiff = (dir: string, ns: string) => [
  '--kubeconfig',
  kubeconfig,
  'diff',
  '--server-side',
  '--field-manager=kubectl-bench',
  '-n',
  ns,
  '-f',
  dir,
];

interface Row {
  operation: string;
  objects: number;
  ours: number;
  kubectl: number;
}
const rows: Row[] = [];

try {
  const sets: Array<[string, ManifestSet]> = [
    ['example', loadGolden('example')],
    ['500', fiveHundred()],
  ];
  for (const [label, set] of sets) {
    const create = { ours: [] as number[], kubectl: [] as number[] };
    const noop = { ours: [] as number[], kubectl: [] as number[] };
    let lastOurs = '';
    let lastKubectl = '';
    // The small set's runs take a second each and their medians move with the machine's load: three times as many.
    const runs = set.length < 100 ? RUNS * 3 : RUNS;
    for (let i = 0; i < runs; i++) {
      lastOurs = namespace(`ours-${label}`);
      lastKubectl = namespace(`kubectl-${label}`);
      const dirOurs = writeDir(set, lastOurs, `ours-${label}-${i}`);
      const dirKubectl = writeDir(set, lastKubectl, `kubectl-${label}-${i}`);
      // Alternate who goes first so neither side always meets a warmer server.
      if (i % 2 === 0) {
        create.ours.push(run('node', ours('apply', dirOurs, lastOurs)));
        create.kubectl.push(run('kubectl', kubectlApply(dirKubectl, lastKubectl)));
      } else {
        create.kubectl.push(run('kubectl', kubectlApply(dirKubectl, lastKubectl)));
        create.ours.push(run('node', ours('apply', dirOurs, lastOurs)));
      }
      noop.ours.push(run('node', ours('apply', dirOurs, lastOurs)));
      noop.kubectl.push(run('kubectl', kubectlApply(dirKubectl, lastKubectl)));
    }
    rows.push({
      operation: 'apply (create)',
      objects: set.length,
      ours: median(create.ours),
      kubectl: median(create.kubectl),
    });
    rows.push({
      operation: 'apply (unchanged)',
      objects: set.length,
      ours: median(noop.ours),
      kubectl: median(noop.kubectl),
    });

    if (set.length >= 500) {
      // One changed object, as in a typical PR.
      const changed = set.map((m, index) =>
        index === 7
          ? {
              ...m,
              object: {
                ...m.object,
                metadata: {
                  ...m.object.metadata,
                  labels: { ...m.object.metadata.labels, 'example.com/changed': 'v2' },
                },
              },
            }
          : m,
      );
      const dirOurs = writeDir(changed, lastOurs, `ours-${label}-plan`);
      const dirKubectl = writeDir(changed, lastKubectl, `kubectl-${label}-plan`);
      const plan = { ours: [] as number[], kubectl: [] as number[] };
      for (let i = 0; i < RUNS; i++) {
        plan.ours.push(run('node', ours('plan', dirOurs, lastOurs)));
        plan.kubectl.push(run('kubectl', kubectlDiff(dirKubectl, lastKubectl), [0, 1]));
      }
      rows.push({
        operation: 'plan vs kubectl diff',
        objects: set.length,
        ours: median(plan.ours),
        kubectl: median(plan.kubectl),
      });
    }
  }
} finally {
  await cp.stop();
  rmSync(work, { recursive: true, force: true });
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(
  `\napply engine vs kubectl --server-side (test kube-apiserver ${cp.version}, median of ${RUNS} runs (${RUNS * 3} for the 16 objects), wall time per process)\n`,
);
console.log('| operation              | objects | thanos-gitops | kubectl  | ratio |');
console.log('|------------------------|--------:|--------------:|---------:|------:|');
console.log(
  `| ${'process start only'.padEnd(22)} | ${'0'.padStart(7)} | ${fmt(startup.ours).padStart(13)} | ${fmt(startup.kubectl).padStart(8)} | ${(startup.ours / startup.kubectl).toFixed(2).padStart(5)} |`,
);
for (const row of rows) {
  console.log(
    `| ${row.operation.padEnd(22)} | ${String(row.objects).padStart(7)} | ${fmt(row.ours).padStart(13)} | ${fmt(row.kubectl).padStart(8)} | ${(row.ours / row.kubectl).toFixed(2).padStart(5)} |`,
  );
}
