import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseInfraConfig } from '../../infra/lib/config.js';
import { loadConfig } from '../../lambda/config.js';
import { parseEvent, RefusedError } from '../../src/reconciler/event.js';
import { InputError, readInputs } from '../../src/action/inputs.js';
import { UsageError } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { environmentFromFlags, parseDuration as parseDurationFlag } from '../../src/cli/flags.js';
import { parseSettingDuration } from '../../src/config/tls-objstore-schema.js';
import { ConfigError } from '../../src/config/errors.js';
import { applySetParentName, SecretReleaseStore, type KubeClient } from '../../src/kube/index.js';
import { durationPattern, parseDuration } from '../../src/model/duration.js';
import {
  checkEnvironmentName,
  EnvironmentNameError,
  environmentNameProblem,
  isEnvironmentName,
} from '../../src/model/environment.js';
import { ThanosGitopsError } from '../../src/model/errors.js';
import { InvalidUtf8Error } from '../../src/model/text.js';
import { TOOL_VERSION } from '../../src/model/version.js';
import { GitError, loadManifestDirectory, ManifestSourceError, SourceSpecError } from '../../src/sources/index.js';
import { flagDuration, thanosComponent } from '../../src/thanos/stack.js';
import { parseStackConfig } from '../../src/config/index.js';
import { renderStack } from '../../src/render/index.js';
import { workloads } from '../../src/render/tls-objstore-overlay.js';
import { podContainers, podSpec, podTemplate, thanosSubcommand } from '../../src/model/workloads.js';
import type { KubeObject } from '../../src/model/objects.js';

const ACCEPTED = ['default', 'prod', 'prod-eu-1', '0', 'a'.repeat(63), '1-a'];
const REFUSED = ['', 'Prod', 'prod_eu', 'prod.eu', '-prod', 'prod-', 'a'.repeat(64), 'prod eu', 'pród'];

describe('the environment name', () => {
  it('is a DNS-1123 label: at most 63 lowercase letters, digits and -, starting and ending with a letter or digit', () => {
    for (const name of ACCEPTED) expect(isEnvironmentName(name), name).toBe(true);
    for (const name of REFUSED) expect(isEnvironmentName(name), name).toBe(false);
  });

  it('names the input, the value and the rule, and offers the lowercase spelling when that one would do', () => {
    expect(environmentNameProblem('prod')).toBeUndefined();
    expect(environmentNameProblem('Production', "input 'environment'")).toBe(
      "input 'environment' 'Production' is not an environment name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit; write 'production'",
    );
    expect(environmentNameProblem('prod_eu', '--environment')).toMatch(
      /^--environment 'prod_eu' is not an environment name: use at most 63 lowercase letters.*letter or digit$/,
    );
    expect(() => checkEnvironmentName('Prod')).toThrow(EnvironmentNameError);
    expect(checkEnvironmentName('prod')).toBe('prod');
  });

  describe('every place that takes one applies the same rule', () => {
    afterEach(() => vi.unstubAllEnvs());

    const actionInputs = (environment: string) =>
      readInputs({ getInput: (name) => (name === 'environment' ? environment : '') }, { GITHUB_WORKSPACE: '/work' });
    const lambdaConfig = (environment: string) =>
      loadConfig({
        THANOS_GITOPS_MODE: 'plan',
        CLUSTER_NAME: 'c',
        AWS_REGION: 'eu-west-1',
        TARGET_NAMESPACES: 'thanos',
        ENVIRONMENT: environment,
      });
    const releaseEvent = (environment: string) =>
      parseEvent({
        action: 'plan',
        release: {
          repository: 'acme/observability',
          commit: 'a'.repeat(40),
          actor: 'octocat',
          environment,
          manifests: [],
        },
      });
    const infraConfig = (environment: string) =>
      parseInfraConfig(
        {
          account: '111122223333',
          region: 'eu-west-1',
          clusterName: 'c',
          githubOwner: 'o',
          githubRepo: 'r',
          namespace: 'thanos',
          environment,
        },
        'context',
      );
    const client = {} as KubeClient;

    it('accepts every name of the rule, 63 characters included (the CLI stopped at 40, infra at 32)', () => {
      for (const name of ACCEPTED.filter(Boolean)) {
        expect(environmentFromFlags({ environment: name })).toBe(name);
        expect(actionInputs(name).environment).toBe(name);
        expect(lambdaConfig(name).policy.environment).toBe(name);
        expect(releaseEvent(name)).toMatchObject({ release: { environment: name } });
        expect(infraConfig(name).environment).toBe(name);
        expect(new SecretReleaseStore(client, 'thanos', name).environment).toBe(name);
        expect(applySetParentName(name)).toBe(`thanos-gitops-${name}`);
      }
    });

    it('refuses what the Action and the release schema accepted before (mixed case, _ and .), naming the input and the rule', () => {
      for (const name of ['Production', 'prod_eu', 'prod.eu', 'a'.repeat(64)]) {
        expect(() => environmentFromFlags({ environment: name })).toThrow(
          new UsageError(environmentNameProblem(name, '--environment')),
        );
        expect(() => actionInputs(name)).toThrow(new InputError(environmentNameProblem(name, "input 'environment'")));
        expect(() => lambdaConfig(name)).toThrow(
          new RefusedError(`function misconfigured: ${environmentNameProblem(name, 'ENVIRONMENT')}`),
        );
        expect(() => releaseEvent(name)).toThrow(
          new RefusedError(`invalid event: release.environment: ${environmentNameProblem(name)}`),
        );
        expect(() => infraConfig(name)).toThrow(
          `context environment: ${environmentNameProblem(name)}, such as "production"`,
        );
        expect(() => new SecretReleaseStore(client, 'thanos', name)).toThrow(
          new EnvironmentNameError(environmentNameProblem(name)),
        );
        expect(() => applySetParentName(name)).toThrow(EnvironmentNameError);
      }
    });

    it('the CLI refuses it with a usage error in diff and rbac too', async () => {
      const out: string[] = [];
      const io = { stdout: (text: string) => out.push(text), stderr: (text: string) => out.push(text) };
      expect(await main(['diff', '--environment', 'Prod', '--dir', '.'], io)).toBe(2);
      expect(await main(['rbac', '--namespace', 'thanos', '--mode', 'plan', '--environment', 'prod_eu'], io)).toBe(2);
      expect(out.join('')).toContain("--environment 'Prod' is not an environment name");
      expect(out.join('')).toContain("--environment 'prod_eu' is not an environment name");
    });
  });
});

describe('the duration grammar', () => {
  it('reads one or more <integer><unit> parts with Prometheus units', () => {
    expect(parseDuration('90d')).toBe(90 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1m30s500ms')).toBe(90_500);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('1y')).toBe(365 * 86_400_000);
    for (const text of ['', '0', '1', '1.5h', '-1h', 'h', '1x', ' 1h', '1h ', '1H'])
      expect(parseDuration(text), text).toBeUndefined();
  });

  it('narrows to the units a use allows, as a parser and as a schema pattern', () => {
    expect(parseDuration('1h30m', ['d', 'h', 'm', 's'])).toBe(5_400_000);
    expect(parseDuration('500ms', ['d', 'h', 'm', 's'])).toBeUndefined();
    expect(parseDuration('1y', ['d', 'h', 'm', 's'])).toBeUndefined();
    expect(durationPattern(['d', 'h', 'm', 's']).source).toBe('^(?:\\d+(?:d|h|m|s))+$');
  });

  it('is the grammar of the stack config, the Thanos flags and the CLI flags', () => {
    expect(parseSettingDuration('2160h')).toBe(parseDuration('2160h'));
    expect(() => parseSettingDuration('1w')).toThrow(/invalid duration/);
    expect(flagDuration('1y')).toBe(parseDuration('1y'));
    // Prometheus reads a bare 0 as zero; flag values may carry quotes.
    expect(flagDuration('0')).toBe(0);
    expect(flagDuration('"30d"')).toBe(parseDuration('30d'));
    expect(parseDurationFlag('1h30m', '--timeout')).toBe(parseDuration('1h30m'));
    expect(parseDurationFlag('2d', '--timeout')).toBe(parseDuration('2d'));
    // A plain number on the command line counts seconds.
    expect(parseDurationFlag('45', '--timeout')).toBe(45_000);
    expect(() => parseDurationFlag('1.5m', '--timeout')).toThrow(
      "--timeout '1.5m' is not a duration; use e.g. 300s, 5m or 1h30m",
    );
  });
});

describe('the error base class', () => {
  it('every error raised on purpose extends it, keeps its own name and carries the cause it was raised from', () => {
    const cause = new Error('low-level');
    for (const error of [
      new UsageError('u', { cause }),
      new ManifestSourceError('m', { cause }),
      new SourceSpecError('s', { cause }),
      new GitError('g', { cause }),
      new ConfigError([{ file: 'f', line: 1, column: 1, path: '', message: 'bad' }], { cause }),
      new RefusedError('r', { cause }),
      new EnvironmentNameError('e', { cause }),
    ]) {
      expect(error).toBeInstanceOf(ThanosGitopsError);
      expect(error.name).toBe(error.constructor.name);
      expect(error.cause).toBe(cause);
    }
  });

  it('a wrapped error keeps the one it was raised from as cause', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'model-errors-'));
    try {
      await writeFile(join(dir, 'latin1.yaml'), Uint8Array.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
      const thrown = await loadManifestDirectory(dir, dir, dir).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(thrown).toBeInstanceOf(ManifestSourceError);
      expect((thrown as Error).cause).toBeInstanceOf(InvalidUtf8Error);
      expect((thrown as Error).cause).toBeInstanceOf(ThanosGitopsError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the tool version', () => {
  it('is package.json version, with no copy of it in the code', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(TOOL_VERSION).toBe(version);
  });
});

describe('workload inspection', () => {
  const container = { name: 'thanos', args: ['receive', '--log.level=info'] };
  const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [container] } };
  const object = (kind: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: 'x' },
    spec,
  });

  it('finds the pod template and pod spec of every kind that runs pods, and nothing else', () => {
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']) {
      expect(podTemplate(object(kind, { template })), kind).toBe(template);
      expect(podSpec(object(kind, { template })), kind).toBe(template.spec);
    }
    expect(podTemplate(object('CronJob', { jobTemplate: { spec: { template } } }))).toBe(template);
    expect(podSpec(object('Pod', template.spec))).toBe(template.spec);
    expect(podTemplate(object('Pod', template.spec))).toBeUndefined();
    expect(podTemplate(object('ConfigMap', { template }))).toBeUndefined();
    expect(podTemplate(object('Deployment', { template: { spec: {} } }))).toBeUndefined();
    expect(podContainers(object('StatefulSet', { template }))[0]).toBe(container);
  });

  it('names the Thanos subcommand from args, or from command and args', () => {
    expect(thanosSubcommand(container)).toBe('receive');
    expect(thanosSubcommand({ command: ['/bin/thanos'], args: ['query-frontend', '--x'] })).toBe('query-frontend');
    expect(thanosSubcommand({ command: ['thanos', 'tools', 'bucket', 'web'] })).toBe('tools');
    expect(thanosSubcommand({ args: ['--config=x', 'store'] })).toBe('store');
    expect(thanosSubcommand({ args: ['prometheus'] })).toBeUndefined();
    expect(thanosSubcommand({ image: 'thanos' })).toBeUndefined();
  });

  it('the render overlay and the Thanos analysis see the same Thanos workloads of the example', () => {
    const file = new URL('../../examples/stack/thanos-stack.yaml', import.meta.url).pathname;
    const set = renderStack(parseStackConfig(readFileSync(file, 'utf8'), file));
    const analysed = set
      .map((m) => m.object)
      .filter((o) => podTemplate(o) !== undefined && thanosComponent(o) !== undefined);
    expect(analysed.length).toBeGreaterThan(3);
    expect(workloads(set).map((info) => info.manifest.object)).toEqual(analysed);
  });
});
