// The fault suite: the shipped CLI (dist/cli/index.js) running apply, reconcile and rotate as real processes against
// the real kube-apiserver, killed at random points with SIGINT, SIGTERM and SIGKILL, and the shipped Lambda bundle
// stopped by its deadline at random points. After every kill it proves: the next run converges; no Lease blocks it
// (SIGINT/SIGTERM release it at once; after SIGKILL the next run takes the stale one over, timed); no stray temp
// files; release revisions are unique and the deployed one records what is live; a re-apply writes nothing.
//
// Kill points are random (seeded: FAULT_SEED=<n> replays a run) and chosen two ways: a time offset within the
// duration of a clean run of the same command, or after a random number of progress lines (one per object written).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  KubeClient,
  LEASE_NAME,
  recordsManifests,
  ReleaseHistory,
  SecretReleaseStore,
  withoutSecretValues,
} from '../../src/kube/index.js';
import type { KubeObject } from '../../src/model/objects.js';
import { STATE_ANNOTATION } from '../../src/rotation/pki/index.js';
import { bindDeployer, createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { startCli, type CliExit } from '../helpers/cli-process.js';
import {
  buildBundles,
  runLambdaBundle,
  startEksAuthProxy,
  startFakeAws,
  type EksAuthProxy,
  type FakeAws,
  type FakeCluster,
} from '../helpers/fake-aws.js';

const ROOT = join(import.meta.dirname, '../..');
const RESTRICTED_POD = { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } };
const SEED = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
/** Kill points per family; together at least 50. */
const KILLS = { apply: 22, reconcile: 12, rotate: 10, lambda: 6 };
const LEASE_DURATION = '2s';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;
type Signal = (typeof SIGNALS)[number];

/** mulberry32: small, seedable, good enough to pick kill points. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** One generator per scenario family, so a seed replays each family's kill points even when another family changes. */
const FAMILY_RANDOM = { apply: prng(SEED), reconcile: prng(SEED + 1), rotate: prng(SEED + 2), lambda: prng(SEED + 3) };
type Family = keyof typeof FAMILY_RANDOM;

let admin: KubeClient;
let kubeconfig: string;
let scratch: string;
/** TMPDIR and working directory of every CLI process: both must stay empty. */
let processTmp: string;
let processCwd: string;

interface KillRecord {
  family: string;
  command: string;
  signal: Signal | 'deadline';
  how: string;
  /** After the kill: the Lease was still held by the killed run (SIGKILL only). */
  staleLease: boolean;
  convergeMs: number;
}
const kills: KillRecord[] = [];
let finishedBeforeKill = 0;

beforeAll(() => {
  process.stderr.write(`fault suite seed: ${SEED} (FAULT_SEED=${SEED} replays it)\n`);
  kubeconfig = testCluster().adminKubeconfig;
  admin = KubeClient.fromFile(kubeconfig);
  scratch = mkdtempSync(join(tmpdir(), 'fault-suite-'));
  processTmp = join(scratch, 'tmp');
  processCwd = join(scratch, 'cwd');
  mkdirSync(processTmp);
  mkdirSync(processCwd);
});

afterAll(() => {
  admin?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  const table = new Map<string, number>();
  for (const kill of kills)
    table.set(`${kill.family} ${kill.signal}`, (table.get(`${kill.family} ${kill.signal}`) ?? 0) + 1);
  const converge = (list: KillRecord[]) => {
    const ms = list.map((k) => k.convergeMs).sort((a, b) => a - b);
    return ms.length ? `median ${ms[Math.floor(ms.length / 2)]} ms, max ${ms.at(-1)} ms (n=${ms.length})` : 'n/a';
  };
  const stale = kills.filter((k) => k.staleLease);
  process.stderr.write(
    `${[
      `fault suite (seed ${SEED}): ${kills.length} kill points, ${finishedBeforeKill} runs finished before their kill point`,
      ...[...table].map(([key, count]) => `  ${key}: ${count}`),
      `  by time offset: ${kills.filter((k) => k.how.startsWith('after ') && k.how.endsWith('ms')).length}, by progress lines: ${kills.filter((k) => k.how.includes('line')).length}, by deadline: ${kills.filter((k) => k.signal === 'deadline').length}`,
      `  convergence after SIGINT/SIGTERM: ${converge(kills.filter((k) => k.signal === 'SIGINT' || k.signal === 'SIGTERM'))}`,
      `  convergence after SIGKILL with a stale Lease (takeover, Lease duration ${LEASE_DURATION}): ${converge(stale)}`,
      `  convergence after SIGKILL without a Lease held: ${converge(kills.filter((k) => k.signal === 'SIGKILL' && !k.staleLease))}`,
      `  convergence after a Lambda deadline: ${converge(kills.filter((k) => k.signal === 'deadline'))}`,
    ].join('\n')}\n`,
  );
});

function cli(args: string[]) {
  return startCli([...args, '--kubeconfig', kubeconfig], { cwd: processCwd, env: { TMPDIR: processTmp } });
}

async function runToEnd(args: string[]): Promise<CliExit> {
  const exit = await cli(args).exited;
  expect(exit.code, `thanos-gitops ${args.join(' ')}\n${exit.stderr}`).toBe(0);
  return exit;
}

async function leaseHolder(namespace: string): Promise<string | undefined> {
  const lease = await admin.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name: LEASE_NAME });
  return (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity || undefined;
}

/**
 * Whether the Lease names the killed process as holder. Only this counts: an earlier SIGKILLed run's Lease may still
 * be there, expired, when the run after it had nothing to write and so never needed to take it over.
 */
async function heldBy(namespace: string, pid: number): Promise<boolean> {
  return (await leaseHolder(namespace))?.split('/')[2] === String(pid);
}

/**
 * Starts the command and kills it at a random point: a time offset within `cleanMs`, or after a random number of
 * progress lines. Returns undefined when the run finished before the kill point (not a kill).
 */
async function runAndKill(
  family: Family,
  args: string[],
  cleanMs: number,
  progress: RegExp,
  maxLines: number,
): Promise<{ signal: Signal; how: string; exit: CliExit; pid: number } | undefined> {
  const random = FAMILY_RANDOM[family];
  const signal = SIGNALS[Math.floor(random() * SIGNALS.length)] as Signal;
  const run = cli(args);
  let how: string;
  if (random() < 0.5 || maxLines < 1) {
    const offset = Math.round(cleanMs * (0.05 + random() * 0.95));
    how = `after ${offset}ms`;
    await new Promise((resolve) => setTimeout(resolve, offset));
  } else {
    const lines = 1 + Math.floor(random() * maxLines);
    how = `after ${lines} progress line(s)`;
    const counted = new RegExp(`(?:${progress.source}[^\\n]*\\n[\\s\\S]*?){${lines}}`);
    await run.waitForStderr(counted).catch(() => undefined);
  }
  if (run.done) {
    finishedBeforeKill++;
    const exit = await run.exited;
    expect(exit.code, `${family}: ${args.join(' ')}\n${exit.stderr}`).toBe(0);
    return undefined;
  }
  run.child.kill(signal);
  const exit = await run.exited;
  if (exit.code === 0) {
    // It had finished its work and was exiting when the signal went out: not a kill point.
    finishedBeforeKill++;
    return undefined;
  }
  if (signal === 'SIGKILL') {
    expect(exit.signal).toBe('SIGKILL');
  } else {
    // Handled: stopped at a safe point with 130/143; or killed by the default action before the handler existed.
    const code = signal === 'SIGINT' ? 130 : 143;
    expect(
      exit.code === code || exit.signal === signal,
      `${family} ${signal} ${how}: exit ${exit.code ?? exit.signal}\n${exit.stderr}`,
    ).toBe(true);
  }
  return { signal, how, exit, pid: run.child.pid as number };
}

/** What must hold after every kill and the run that follows it. */
async function checkAfter(
  namespace: string,
  environment: string,
  killed: { pid?: number; signal: string } | undefined,
  expected?: KubeObject[],
): Promise<void> {
  expect(readdirSync(processTmp), 'stray files in the CLI TMPDIR').toEqual([]);
  expect(readdirSync(processCwd), 'stray files in the CLI working directory').toEqual([]);
  const holder = await leaseHolder(namespace);
  // Only a SIGKILLed run can leave its Lease behind (it expires after --lease-duration and never blocked the run that
  // followed); when that run had nothing to write it did not need the Lease, so the stale one may still be there.
  if (holder !== undefined)
    expect(
      killed?.signal === 'SIGKILL' && holder.split('/')[2] === String(killed.pid),
      `the Lease is held by ${holder} after the runs ended`,
    ).toBe(true);
  const history = new ReleaseHistory(new SecretReleaseStore(admin, namespace, environment));
  const revisions = await history.list();
  expect(new Set(revisions.map((r) => r.revision)).size, 'duplicate release revisions').toBe(revisions.length);
  if (expected) {
    // The deployed revision records what is live, so reconcile and rollback start from the truth.
    // Records keep Secrets without their values (key names and a salted digest), so the comparison is in record form.
    const deployed = await history.deployed();
    expect(deployed, 'no deployed revision').toBeDefined();
    const recorded = withoutSecretValues(expected.map((object) => ({ file: '', object }))).manifests.map(
      (m) => m.object,
    );
    const names = (objects: KubeObject[]) =>
      objects.map((o) => `${o.kind}/${o.metadata.name}=${JSON.stringify(o.data ?? o.spec ?? {})}`).sort();
    expect(names(deployed!.manifests.map((m) => m.object))).toEqual(names(recorded));
    expect(
      recordsManifests(
        deployed!,
        deployed!.manifests.map((m, index) => ({
          ...m,
          object:
            expected.find((o) => o.kind === m.object.kind && o.metadata.name === m.object.metadata.name) ??
            recorded[index]!,
        })),
      ),
      'the recorded Secret digests are those of the live values',
    ).toBe(true);
  }
}

// ---- apply --------------------------------------------------------------------------------------------------------

function applySet(namespace: string, variant: number): KubeObject[] {
  const objects: KubeObject[] = [];
  for (let i = 0; i < 12; i++)
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `config-${i}`, namespace },
      data: { variant: String(variant), pad: 'x'.repeat(500) },
    });
  objects.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `only-in-${variant % 2}`, namespace },
    data: { variant: String(variant) },
  });
  objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'fault-sa', namespace } });
  objects.push({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'fault-secret', namespace },
    type: 'Opaque',
    data: { key: Buffer.from(`v${variant}`).toString('base64') },
  });
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'fault-svc', namespace },
    spec: { clusterIP: 'None', selector: { app: 'fault' }, ports: [{ name: 'http', port: 8080 + (variant % 2) }] },
  });
  objects.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'fault-deploy', namespace },
    spec: {
      selector: { matchLabels: { app: 'fault' } },
      template: {
        metadata: { labels: { app: 'fault' } },
        spec: {
          securityContext: RESTRICTED_POD,
          containers: [
            { name: 'c', image: 'registry.invalid/fault:1', env: [{ name: 'VARIANT', value: String(variant) }] },
          ],
        },
      },
    },
  });
  return objects;
}

function writeDir(dir: string, objects: KubeObject[]): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'set.yaml'), objects.map((o) => stringify(o)).join('---\n'));
}

// The families work in their own namespaces, one after the other: run side by side on two cores they take as long
// and the convergence times would measure CPU contention.
describe('fault suite', () => {
  it(`apply killed at ${KILLS.apply} random points converges every time`, async () => {
    const ns = await createNamespace(uniqueNamespace('fault-apply'));
    const dir = join(scratch, 'apply-set');
    const common = ['--dir', dir, '-n', ns, '--lease-duration', LEASE_DURATION, '--lock-timeout', '60s'];
    writeDir(dir, applySet(ns, 0));
    const clean = await runToEnd(['apply', ...common]);
    let variant = 1;
    let landed = 0;
    for (let attempt = 0; landed < KILLS.apply && attempt < KILLS.apply * 2; attempt++, variant++) {
      const objects = applySet(ns, variant);
      writeDir(dir, objects);
      const killed = await runAndKill('apply', ['apply', ...common], clean.ms, /(created|configured) /, 14);
      if (!killed) continue;
      landed++;
      const stale = await heldBy(ns, killed.pid);
      if (killed.signal !== 'SIGKILL') expect(stale, `${killed.signal} ${killed.how} left its Lease held`).toBe(false);
      const converge = await runToEnd(['apply', ...common]);
      kills.push({
        family: 'apply',
        command: 'apply',
        signal: killed.signal,
        how: killed.how,
        staleLease: stale,
        convergeMs: converge.ms,
      });
      const again = await runToEnd(['apply', ...common, '--json']);
      expect(
        (JSON.parse(again.stdout) as { writes: number }).writes,
        `re-apply after ${killed.signal} ${killed.how}`,
      ).toBe(0);
      await checkAfter(ns, 'default', killed, objects);
    }
    expect(landed).toBe(KILLS.apply);
  }, 240_000);

  it(`reconcile killed at ${KILLS.reconcile} random points converges every time`, async () => {
    const ns = await createNamespace(uniqueNamespace('fault-reconcile'));
    const dir = join(scratch, 'reconcile-set');
    const objects = applySet(ns, 0);
    writeDir(dir, objects);
    await runToEnd(['apply', '--dir', dir, '-n', ns]);
    const common = ['-n', ns, '--lease-duration', LEASE_DURATION, '--lock-timeout', '60s'];
    const drift = async (round: number) => {
      // Another field manager edits five objects and deletes one.
      for (let i = 0; i < 5; i++) {
        await admin.patchMerge(
          { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: `config-${i}` },
          { data: { variant: `hand-edited-${round}` } },
          { fieldManager: 'someone-else' },
        );
      }
      await admin.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'config-11' });
    };
    await drift(0);
    const clean = await runToEnd(['reconcile', ...common]);
    let landed = 0;
    for (let attempt = 0; landed < KILLS.reconcile && attempt < KILLS.reconcile * 2; attempt++) {
      await drift(attempt + 1);
      const killed = await runAndKill('reconcile', ['reconcile', ...common], clean.ms, /(created|configured) /, 5);
      if (!killed) continue;
      landed++;
      const stale = await heldBy(ns, killed.pid);
      if (killed.signal !== 'SIGKILL') expect(stale, `${killed.signal} ${killed.how} left its Lease held`).toBe(false);
      const converge = await runToEnd(['reconcile', ...common]);
      kills.push({
        family: 'reconcile',
        command: 'reconcile',
        signal: killed.signal,
        how: killed.how,
        staleLease: stale,
        convergeMs: converge.ms,
      });
      // Converged: the set re-applies without forcing (no field left to another manager) and writes nothing.
      const again = await runToEnd(['apply', '--dir', dir, '-n', ns, '--json']);
      expect(
        (JSON.parse(again.stdout) as { writes: number }).writes,
        `re-apply after ${killed.signal} ${killed.how}`,
      ).toBe(0);
      await checkAfter(ns, 'default', killed, objects);
    }
    expect(landed).toBe(KILLS.reconcile);
  }, 240_000);

  it(`rotate killed at ${KILLS.rotate} random points resumes and converges every time`, async () => {
    const ns = await createNamespace(uniqueNamespace('fault-rotate'));
    const configFile = join(scratch, 'stack.yaml');
    const example = readFileSync(join(ROOT, '../shared/kube-thanos/example.yaml'), 'utf8').replace(
      'namespace: thanos',
      `namespace: ${ns}`,
    );
    writeFileSync(
      configFile,
      `${example}\ntls:\n  remoteWrite: {tenantCertificateField: organization}\n  certificates:\n    tenants: [{id: team-a}, {id: team-b}]\n`,
    );
    await runToEnd(['apply', '--config', configFile, '-n', ns]);
    const stopDriver = driveRollouts(ns);
    try {
      const common = [
        '--config',
        configFile,
        '--lease-duration',
        LEASE_DURATION,
        '--propagation-delay',
        '200ms',
        '--rollout-timeout',
        '60s',
      ];
      const clean = await runToEnd(['rotate', ...common]);
      const renewClean = await runToEnd(['rotate', ...common, '--renew-leaves']);
      const caClean = await runToEnd(['rotate', ...common, '--force-ca-rotation']);
      let landed = 0;
      for (let attempt = 0; landed < KILLS.rotate && attempt < KILLS.rotate * 2; attempt++) {
        // Mostly leaf renewals (every certificate re-issued); every third run a full CA rotation (two rollouts).
        const ca = attempt % 3 === 2;
        const killed = await runAndKill(
          'rotate',
          ['rotate', ...common, ca ? '--force-ca-rotation' : '--renew-leaves'],
          ca ? caClean.ms : renewClean.ms,
          /(issued|generated|published|rolled|updated ca\.crt) /,
          ca ? 8 : 2,
        );
        if (!killed) continue;
        landed++;
        const stale = await heldBy(ns, killed.pid);
        if (killed.signal !== 'SIGKILL')
          expect(stale, `${killed.signal} ${killed.how} left its Lease held`).toBe(false);
        const converge = await runToEnd(['rotate', ...common]);
        kills.push({
          family: 'rotate',
          command: ca ? 'rotate --force-ca-rotation' : 'rotate --renew-leaves',
          signal: killed.signal,
          how: killed.how,
          staleLease: stale,
          convergeMs: converge.ms,
        });
        const caSecret = await admin.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'thanos-gitops-ca' });
        expect(
          caSecret?.metadata.annotations?.[STATE_ANNOTATION],
          `CA rotation state after ${killed.signal} ${killed.how}`,
        ).toBe('idle');
        // The rotation's pod-template annotations belong to their own field manager: the stack re-applies writing nothing.
        const again = await runToEnd(['apply', '--config', configFile, '-n', ns, '--json']);
        expect(
          (JSON.parse(again.stdout) as { writes: number }).writes,
          `re-apply after ${killed.signal} ${killed.how}`,
        ).toBe(0);
        await checkAfter(ns, 'default', killed);
      }
      expect(landed).toBe(KILLS.rotate);
      expect(clean.code).toBe(0);
    } finally {
      await stopDriver();
    }
  }, 300_000);

  it(`the Lambda stopped by its deadline at ${KILLS.lambda} random points converges every time`, async () => {
    const lambda = await startLambda();
    try {
      const release = (variant: number) => ({
        repository: 'acme/observability',
        commit: variant.toString(16).padStart(40, 'a'),
        actor: 'octocat',
        environment: 'prod',
        manifests: Array.from({ length: 40 }, (_, i) => ({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i}`, namespace: lambda.ns },
          data: { variant: String(variant), pad: 'x'.repeat(500) },
        })),
      });
      const clean = await lambda.invoke({ action: 'apply', release: release(0) });
      expect(clean.error).toBeUndefined();
      const cleanMs = (JSON.parse(clean.logs.trim().split('\n').at(-1) ?? '{}') as { durationMs: number }).durationMs;
      let landed = 0;
      for (let variant = 1; landed < KILLS.lambda && variant <= KILLS.lambda * 3; variant++) {
        // The deadline fires deadlineMarginMs (20%) before the timeout: pick timeouts around the clean duration.
        const timeoutMs = Math.round(cleanMs * (0.3 + FAMILY_RANDOM.lambda() * 0.9));
        const stopped = await lambda.invoke({ action: 'apply', release: release(variant) }, timeoutMs);
        if (!stopped.error) {
          finishedBeforeKill++;
          continue;
        }
        expect(stopped.error.errorType, stopped.error.errorMessage).toBe('InterruptedError');
        landed++;
        expect(await leaseHolder(lambda.ns), 'the Lease is held after the deadline').toBeUndefined();
        const started = Date.now();
        const converge = await lambda.invoke({ action: 'apply', release: release(variant) });
        expect(converge.error).toBeUndefined();
        kills.push({
          family: 'lambda',
          command: 'apply',
          signal: 'deadline',
          how: `timeout ${timeoutMs}ms`,
          staleLease: false,
          convergeMs: Date.now() - started,
        });
        const again = await lambda.invoke({ action: 'apply', release: release(variant) });
        expect(again.result).toMatchObject({ applied: 0, writes: 0 });
        await checkAfter(lambda.ns, 'prod', undefined, release(variant).manifests as KubeObject[]);
      }
      expect(landed).toBe(KILLS.lambda);
    } finally {
      await lambda.close();
    }
  }, 240_000);
});

describe('fault suite coverage', () => {
  it('covers at least 50 kill points, with every signal', () => {
    expect(kills.length).toBeGreaterThanOrEqual(50);
    for (const signal of SIGNALS) expect(kills.filter((k) => k.signal === signal).length, signal).toBeGreaterThan(0);
  });
});

/** Plays the Deployment and StatefulSet controllers: every generation is reported rolled out. */
function driveRollouts(namespace: string): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const kind of ['Deployment', 'StatefulSet']) {
        for (const live of await admin.list('apps/v1', kind, namespace)) {
          const generation = live.metadata.generation as number | undefined;
          const replicas = (live.spec as { replicas?: number }).replicas ?? 1;
          if ((live.status as { observedGeneration?: number } | undefined)?.observedGeneration === generation) continue;
          const status = {
            observedGeneration: generation,
            replicas,
            updatedReplicas: replicas,
            readyReplicas: replicas,
            availableReplicas: replicas,
            currentReplicas: replicas,
          };
          await admin.replaceStatus({ ...live, status }).catch(() => undefined);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

/** The shipped Lambda bundle behind the AWS stand-in and an EKS-style authenticating proxy (see lambda.test.ts). */
async function startLambda() {
  const ACCOUNT = '111122223333';
  const ROLE = 'arn:aws:iam::444455556666:role/thanos-gitops-cluster-access';
  const key = {
    id: 'ASIAFAULTEXECROLE001',
    secret: 'fault/exec/secret/EXAMPLEKEY',
    token: 'IQoJfaultsessiontoken',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/thanos-gitops-apply/thanos-gitops-apply`,
  };
  const cluster = testCluster();
  const ns = await createNamespace(uniqueNamespace('fault-lambda'));
  await bindDeployer(ns, [
    {
      apiGroups: [''],
      resources: ['configmaps', 'secrets'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
    },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
    },
  ]);
  const clusters: Record<string, FakeCluster> = {};
  const aws: FakeAws = await startFakeAws({
    accountId: ACCOUNT,
    keys: { [key.id]: { secretAccessKey: key.secret, sessionToken: key.token, arn: key.arn } },
    roles: { [ROLE]: { trusted: [key.arn] } },
    clusters,
  });
  const proxy: EksAuthProxy = await startEksAuthProxy({
    clusterName: 'prod',
    region: 'eu-west-1',
    stsUrl: aws.url,
    upstream: { server: cluster.server, ca: readFileSync(cluster.caFile, 'utf8') },
    identities: [
      {
        arnPrefix: 'arn:aws:sts::444455556666:assumed-role/thanos-gitops-cluster-access/',
        token: cluster.deployerToken,
      },
    ],
  });
  clusters.prod = { endpoint: proxy.url, caData: proxy.caData };
  const bundles = buildBundles(ROOT);
  const env = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: key.id,
    AWS_SECRET_ACCESS_KEY: key.secret,
    AWS_SESSION_TOKEN: key.token,
    AWS_LAMBDA_FUNCTION_NAME: 'thanos-gitops-apply',
    AWS_ENDPOINT_URL: aws.url,
    THANOS_GITOPS_MODE: 'apply',
    CLUSTER_NAME: 'prod',
    CLUSTER_ROLE_ARN: ROLE,
    TARGET_NAMESPACES: ns,
    ENVIRONMENT: 'prod',
  };
  return {
    ns,
    invoke: (event: unknown, timeoutMs?: number) =>
      runLambdaBundle(bundles.lambda, event, env, timeoutMs === undefined ? {} : { timeoutMs }),
    close: async () => {
      await proxy.close();
      await aws.close();
      rmSync(bundles.dir, { recursive: true, force: true });
    },
  };
}
