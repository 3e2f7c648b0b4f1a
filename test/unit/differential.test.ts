import { describe, expect, it } from 'vitest';
import { COMPONENT_KEYS, componentOptions, EXTENSION_OPTIONS } from '../../src/config/schema.js';
import {
  check,
  coverage,
  describeFailure,
  renderOurs,
  runDifferential,
  type RunResult,
} from '../helpers/differential.js';
import { generateStack, stackJsonnet, stackYaml, type GeneratedStack } from '../helpers/stack-generator.js';

// 300 generated stacks against real kube-thanos (../shared/kube-thanos/src, /usr/bin/jsonnet) on every run; more with
// `npx tsx scripts/differential.ts --count N --seed S`. Seeds are fixed so a failure reproduces exactly.
const FIRST_SEED = 1;
const COUNT = 300;
const MIN_NON_DEFAULT = 20;

/** Accepted options the generator leaves alone, and why. */
const NOT_VARIED: Record<string, string> = {
  'receiveRouter.replicas':
    'accepted only when equal to routerReplicas (kube-thanos sizes the router with routerReplicas)',
};

let result: RunResult | undefined;
async function differential(): Promise<RunResult> {
  result ??= await runDifferential(FIRST_SEED, COUNT, 25, 2);
  return result;
}

describe('differential: generated stacks render exactly as kube-thanos renders them', () => {
  it(`${COUNT} seeded stacks: every file byte for byte equal to real jsonnet over kube-thanos`, async () => {
    const started = performance.now();
    const run = await differential();
    const files = run.stacks.length;
    process.stdout.write(
      `differential: ${files} stacks (seeds ${FIRST_SEED}..${FIRST_SEED + COUNT - 1}) in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
        `(jsonnet ${(run.jsonnetMs / 1000).toFixed(1)} s, thanos-gitops ${(run.oursMs / 1000).toFixed(1)} s)\n`,
    );
    const first = run.failures[0];
    const report = first
      ? `${run.failures.length} of ${COUNT} stacks differ; the first:\n${await describeFailure(first)}`
      : '';
    expect(report).toBe('');
  }, 900_000);

  it(`every accepted option of every component is set to a non-default value in >= ${MIN_NON_DEFAULT} stacks`, async () => {
    const run = await differential();
    const counts = coverage(run.stacks);
    const rows: string[] = [];
    const low: string[] = [];
    for (const key of COMPONENT_KEYS) {
      for (const option of componentOptions[key]) {
        const name = `${key}.${option}`;
        const count = counts.get(name) ?? 0;
        rows.push(`${name}=${count}`);
        // Our extensions have no kube-thanos counterpart to compare with; their own unit tests cover them.
        const extension = (EXTENSION_OPTIONS as readonly string[]).includes(option);
        if (count < MIN_NON_DEFAULT && NOT_VARIED[name] === undefined && !extension) low.push(`${name} (${count})`);
      }
    }
    const values = [...counts.values()];
    process.stdout.write(
      `differential coverage: ${rows.length} component options, min ${Math.min(...values)}, median ${values.sort((a, b) => a - b)[Math.floor(values.length / 2)]}\n${rows.join(' ')}\n`,
    );
    expect(low).toEqual([]);
  }, 900_000);

  it("ingestors without the hashrings ConfigMap (hashringConfigMapName '') are among the compared stacks, with a router", async () => {
    const run = await differential();
    const ingestorOnly = run.stacks.filter(
      (stack) => stack.components.receiveIngestor?.['hashringConfigMapName'] === '',
    );
    const withRouter = ingestorOnly.filter((stack) => stack.components.receiveRouter !== undefined);
    expect(ingestorOnly.length).toBeGreaterThanOrEqual(MIN_NON_DEFAULT);
    expect(withRouter.length).toBeGreaterThanOrEqual(5);
    expect(run.failures.filter((failure) => ingestorOnly.includes(failure.stack))).toEqual([]);
  }, 900_000);

  it('router + ingestors without the hashrings ConfigMap: byte for byte kube-thanos, no hashrings flag or mount on the ingestors', async () => {
    const stack: GeneratedStack = {
      seed: 11,
      common: {
        namespace: 'thanos',
        version: 'v0.42.4',
        image: 'quay.io/thanos/thanos:v0.42.4',
        objectStorageConfig: { name: 'o', key: 'k' },
        hashringConfigMapName: 'hashring-config',
      },
      components: {
        receiveIngestor: {
          replicas: 3,
          replicationFactor: 2,
          replicaLabels: ['receive_replica'],
          hashringConfigMapName: '',
        },
        receiveRouter: { replicationFactor: 2, replicaLabels: ['receive_replica'] },
      },
    };
    expect(await check(stack)).toEqual({ differences: [] });
    const files = renderOurs(stack);
    const ingestor = files.get('thanos-receive-ingestor-default-statefulSet.yaml') ?? '';
    expect(ingestor).toContain('--receive.local-endpoint=');
    expect(ingestor).not.toContain('--receive.hashrings-file');
    expect(ingestor).not.toContain('hashring-config');
    expect(files.get('thanos-receive-router-deployment.yaml')).toContain(
      '--receive.hashrings-file=/var/lib/thanos-receive/hashrings.json',
    );
    expect(files.get('thanos-receive-router-configmap.yaml')).toContain('name: hashring-config');
  }, 120_000);

  it('the generator is reproducible from the seed', () => {
    expect(stackYaml(generateStack(42))).toBe(stackYaml(generateStack(42)));
    expect(stackJsonnet(generateStack(42))).toBe(stackJsonnet(generateStack(42)));
    expect(stackYaml(generateStack(42))).not.toBe(stackYaml(generateStack(43)));
  });

  it('a failure prints the seed and a shrunk config that still fails the same way', async () => {
    // A stack both renderers refuse: thanos-gitops says why, and the shrinker keeps only what that refusal needs.
    const stack: GeneratedStack = {
      seed: 7,
      common: {
        namespace: 'thanos',
        version: 'v0.42.4',
        image: 'quay.io/thanos/thanos:v0.42.4',
        objectStorageConfig: { name: 'o', key: 'k' },
      },
      components: {
        query: { replicas: 1, replicaLabels: ['r'] },
        store: { replicas: 2, securityContext: { runAsUser: 1000 }, minTime: '-1w' },
        compact: { replicas: 1, deleteDelay: '1h' },
      },
    };
    expect((await check(stack)).error).toMatch(
      /store\.securityContext: kube-thanos derives the container securityContext/,
    );
    const report = await describeFailure({ stack, differences: [] });
    expect(report).toMatch(/^seed 7 \(reproduce: npx tsx scripts\/differential\.ts --seed 7 --count 1\)/);
    expect(report).toContain('store:\n  replicas: 2\n  securityContext:\n    runAsUser: 1000\n');
    expect(report).not.toContain('compact:');
    expect(report).not.toContain('minTime');
  }, 120_000);
});
