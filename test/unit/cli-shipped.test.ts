// The shipped CLI bundle (dist/cli/index.js, built by `npm run -s build`, which `npm test` runs first) as a user
// runs it: a separate node process, real files, real signals.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { git } from '../helpers/git.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bundle = join(repoRoot, 'dist', 'cli', 'index.js');

let work: string;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], options: { cwd?: string; node?: string; env?: Record<string, string> } = {}) {
  const child = spawn(options.node ?? process.execPath, [bundle, ...args], {
    cwd: options.cwd ?? work,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

const runBundle = (args: string[], options: { cwd?: string; node?: string; env?: Record<string, string> } = {}) =>
  start(args, options).done;

/** Every file under dir as relative path -> content. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      out[join(entry.parentPath, entry.name).slice(dir.length + 1)] = await readFile(
        join(entry.parentPath, entry.name),
        'utf8',
      );
  }
  return out;
}

beforeAll(() => {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run -s build\` first (npm test does)`);
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'tg-shipped-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A manifests directory with `count` ConfigMaps in one multi-document file (hand-written: comments, flow style). */
async function manyConfigMaps(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const docs = Array.from(
    { length: count },
    (_, i) =>
      `# hand-written ${i}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}, namespace: thanos}\ndata: {index: "${i}"}\n`,
  );
  await writeFile(join(dir, 'configmaps.yaml'), docs.join('---\n'));
}

describe('render --out keeps what it did not write', () => {
  it('refuses --out equal to, inside or around the --dir source, leaving the sources as they were', async () => {
    const source = join(work, 'm');
    await manyConfigMaps(source, 3);
    const before = await snapshot(source);
    for (const out of ['m', 'm/rendered', '.']) {
      const result = await runBundle(['render', '--dir', 'm', '--out', out]);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        out === '.'
          ? /refusing to replace \.: it is the current directory/
          : /^error: refusing to write m.*: it (is|is inside) the source directory m, whose files it would rewrite; choose an --out outside it\n$/,
      );
    }
    expect(await snapshot(source)).toEqual(before);
  });

  it('keeps hand-written files in a rendered directory and refuses to write into an unrecorded one', async () => {
    await manyConfigMaps(join(work, 'm'), 3);
    expect((await runBundle(['render', '--dir', 'm', '--out', 'out'])).code).toBe(0);
    await writeFile(join(work, 'out', 'NOTES.md'), 'keep\n');
    await manyConfigMaps(join(work, 'm'), 2);
    expect((await runBundle(['render', '--dir', 'm', '--out', 'out'])).code).toBe(0);
    expect(Object.keys(await snapshot(join(work, 'out'))).sort()).toEqual(
      ['.thanos-gitops-render', 'NOTES.md', 'configmaps-1.yaml', 'configmaps-2.yaml'].sort(),
    );

    await mkdir(join(work, 'hand'));
    await writeFile(join(work, 'hand', 'mine.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n');
    const refused = await runBundle(['render', '--dir', 'm', '--out', 'hand']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'refusing to write into hand: it holds files that thanos-gitops render did not write (mine.yaml)',
    );
    expect(await snapshot(join(work, 'hand'))).toEqual({
      'mine.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n',
    });
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} while writing removes the staging directory and leaves --out as it was`, async () => {
      await manyConfigMaps(join(work, 'm'), 3);
      expect((await runBundle(['render', '--dir', 'm', '--out', 'out'])).code).toBe(0);
      const before = await snapshot(join(work, 'out'));
      await manyConfigMaps(join(work, 'm'), 4000);
      const { child, done } = start(['render', '--dir', 'm', '--out', 'out']);
      // Signal once the staging directory exists and is filling up.
      let staged = 0;
      for (let tries = 0; tries < 6000 && staged < 20; tries++) {
        const staging = (await readdir(work)).find((name) => name.startsWith('.out.tmp-'));
        staged = staging ? (await readdir(join(work, staging)).catch(() => [])).length : 0;
        if (staged < 20) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(staged, 'the render reached its write phase').toBeGreaterThanOrEqual(20);
      child.kill(signal);
      const result = await done;
      expect(result.stderr).toBe(`${signal}: stopped; out was left as it was and the staging directory removed\n`);
      expect(result.code).toBe(signal === 'SIGINT' ? 130 : 143);
      expect((await readdir(work)).sort()).toEqual(['m', 'out']);
      expect(await snapshot(join(work, 'out'))).toEqual(before);
    });
  }
});

describe('no silent data changes: what is read is what is rendered, diffed and validated', () => {
  const configMap = (data: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: thanos\ndata:\n${data}`;

  it('keeps a `__proto__` key through render and diff', async () => {
    await mkdir(join(work, 'base'));
    await mkdir(join(work, 'head'));
    await writeFile(join(work, 'base', 'cm.yaml'), configMap('  normal: "1"\n'));
    await writeFile(
      join(work, 'head', 'cm.yaml'),
      configMap('  __proto__: planted\n  constructor: also-data\n  normal: "1"\n'),
    );
    const render = await runBundle(['render', '--dir', 'head']);
    expect(render.stderr).toBe('');
    expect(render.stdout).toBe(
      '---\n# Source: cm.yaml\napiVersion: v1\ndata:\n  __proto__: planted\n  constructor: also-data\n  normal: "1"\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: thanos\n',
    );
    // diff: the base commit has the ConfigMap without the keys, the working tree with them.
    git(work, 'init', '-q', '-b', 'main');
    await writeFile(join(work, 'head', 'cm.yaml'), configMap('  normal: "1"\n'));
    git(work, 'add', 'head');
    git(work, 'commit', '-q', '-m', 'base');
    await writeFile(
      join(work, 'head', 'cm.yaml'),
      configMap('  __proto__: planted\n  constructor: also-data\n  normal: "1"\n'),
    );
    const diff = await runBundle(['diff', '--base', 'HEAD', '--dir', 'head', '--exit-code']);
    expect(diff.stderr).toBe('');
    expect(diff.code).toBe(3);
    expect(diff.stdout).toMatch(/^\+\s+__proto__: planted$/m);
    expect(diff.stdout).toMatch(/^\+\s+constructor: also-data$/m);
  });

  it('refuses a file that is not UTF-8, naming the file, line, column and byte offset', async () => {
    await mkdir(join(work, 'm'));
    const bytes = Buffer.concat([Buffer.from(configMap('  city: "M')), Buffer.from([0xfc]), Buffer.from('nchen"\n')]);
    await writeFile(join(work, 'm', 'cm.yaml'), bytes);
    const offset = bytes.indexOf(0xfc);
    for (const command of ['validate', 'render']) {
      const result = await runBundle([command, '--dir', 'm']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `error: m/cm.yaml:7:11: byte offset ${offset} (0xFC) is not valid UTF-8; save the file as UTF-8 (reading it as Latin-1 or any other encoding would change the data)\n`,
      );
    }
    const config = (await readFile(join(repoRoot, '..', 'shared', 'kube-thanos', 'example.yaml')))
      .toString('utf8')
      .replace('namespace: thanos', 'namespace: thanos # Ma\u00dfstab');
    await writeFile(join(work, 'stack.yaml'), Buffer.from(config, 'latin1'));
    const stack = await runBundle(['validate', '--config', 'stack.yaml']);
    expect(stack.code).toBe(1);
    expect(stack.stderr).toMatch(
      /^error: stack\.yaml:\d+:\d+: byte offset \d+ \(0xDF\) is not valid UTF-8; save the file as UTF-8/,
    );
  });

  it('refuses unknown and YAML 1.1 tags instead of dropping or converting them', async () => {
    await mkdir(join(work, 'm'));
    for (const [value, tag] of [
      ['!vault secret/thanos', '!vault'],
      ['!!binary aGVsbG8=', 'tag:yaml.org,2002:binary'],
      ['!!set {a}', 'tag:yaml.org,2002:set'],
      ['!!timestamp 2001-12-14', 'tag:yaml.org,2002:timestamp'],
    ] as const) {
      await writeFile(join(work, 'm', 'cm.yaml'), configMap(`  key: ${value}\n`));
      const result = await runBundle(['validate', '--dir', 'm']);
      expect(result.code, value).toBe(1);
      expect(result.stderr).toBe(
        `error: m/cm.yaml:7:8: document 1: Unresolved tag: ${tag}; Kubernetes manifests take plain values: remove the tag (quote the value to keep it a string)\n`,
      );
    }
    const config = (await readFile(join(repoRoot, '..', 'shared', 'kube-thanos', 'example.yaml'), 'utf8')).replace(
      'namespace: thanos',
      'namespace: !ns thanos',
    );
    await writeFile(join(work, 'stack.yaml'), config);
    const stack = await runBundle(['validate', '--config', 'stack.yaml']);
    expect(stack.code).toBe(1);
    expect(stack.stderr).toMatch(/^error: stack\.yaml:\d+:\d+: invalid YAML: Unresolved tag: !ns; remove the tag/);
  });

  it('validate and plan refuse names and images the API server would refuse or that could never run', async () => {
    await mkdir(join(work, 'm'));
    const cases: Array<[string, string]> = [
      [
        configMap('  a: b\n').replace('name: settings', 'name: ../secrets/x'),
        "metadata.name \"../secrets/x\" may not be '.' or '..' or contain '/' or '%'",
      ],
      [
        configMap('  a: b\n').replace('name: settings', 'name: Settings'),
        'metadata.name "Settings" of a ConfigMap must be a DNS-1123 subdomain',
      ],
      [
        'apiVersion: v1\nkind: Service\nmetadata: {name: 9-query, namespace: thanos}\nspec: {ports: [{port: 1}]}\n',
        'metadata.name "9-query" of a Service must be a DNS-1035 label',
      ],
      [
        'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: thanos.store, namespace: thanos}\nspec: {}\n',
        'metadata.name "thanos.store" of a StatefulSet must be a DNS-1123 label',
      ],
      [
        configMap('  a: b\n').replace('namespace: thanos', 'namespace: Thanos'),
        'metadata.namespace "Thanos" must be a DNS-1123 label',
      ],
      [
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: q, namespace: thanos}\nspec:\n  template:\n    spec:\n      containers: [{name: q, image: "quay.io/thanos/thanos:v0.42.4\\nevil"}]\n',
        '.spec.template.spec.containers[0].image "quay.io/thanos/thanos:v0.42.4\\nevil" contains whitespace or a control character',
      ],
    ];
    for (const [text, message] of cases) {
      await writeFile(join(work, 'm', 'object.yaml'), text);
      const result = await runBundle(['validate', '--dir', 'm']);
      expect(result.code, text).toBe(1);
      expect(result.stderr).toContain('m/object.yaml:1:1: document 1: ');
      expect(result.stderr).toContain(message);
      if (!message.startsWith('metadata.name "../') && !message.includes('.image')) continue;
      // plan reads the same source, so it stops before asking any cluster.
      const plan = await runBundle(['plan', '--dir', 'm', '--kubeconfig', join(work, 'no-such-kubeconfig')]);
      expect(plan.code).toBe(1);
      expect(plan.stderr).toContain(message);
    }
    // RBAC names are path segments: a colon is fine there (system:thanos-reader), as the API server allows.
    await writeFile(
      join(work, 'm', 'object.yaml'),
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: "system:thanos-reader"}\nrules: []\n',
    );
    expect((await runBundle(['validate', '--dir', 'm'])).code).toBe(0);
  });

  it('names the file for an alias bomb and for nesting too deep to read', async () => {
    await mkdir(join(work, 'm'));
    const bomb = [
      'a0: &a0 [x, x, x, x, x, x, x, x, x]',
      ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`),
    ];
    await writeFile(join(work, 'm', 'bomb.yaml'), configMap(bomb.map((line) => `  ${line}\n`).join('')));
    const aliases = await runBundle(['validate', '--dir', 'm']);
    expect(aliases.code).toBe(1);
    expect(aliases.stderr).toBe(
      'error: m/bomb.yaml:1:1: document 1: too many aliases (more than 1000 expansions: an alias bomb?); write the values out or use fewer aliases\n',
    );
    await rm(join(work, 'm', 'bomb.yaml'));
    await writeFile(join(work, 'm', 'deep.yaml'), configMap(`  deep: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`));
    const deep = await runBundle(['validate', '--dir', 'm']);
    expect(deep.code).toBe(1);
    expect(deep.stderr).toMatch(
      /^error: m\/deep\.yaml:\d+:\d+: invalid YAML in document 1: the YAML nests too deeply to read .*; flatten the structure\n$/,
    );

    const example = await readFile(join(repoRoot, '..', 'shared', 'kube-thanos', 'example.yaml'), 'utf8');
    await writeFile(
      join(work, 'bomb-stack.yaml'),
      `${example}\nx-bomb:\n${bomb.map((line) => `  ${line}\n`).join('')}`,
    );
    const configBomb = await runBundle(['validate', '--config', 'bomb-stack.yaml']);
    expect(configBomb.code).toBe(1);
    expect(configBomb.stderr).toMatch(/^error: bomb-stack\.yaml:1:1: invalid YAML: Excessive alias count/);
    await writeFile(
      join(work, 'deep-stack.yaml'),
      `${example}\nx-deep: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
    );
    const configDeep = await runBundle(['validate', '--config', 'deep-stack.yaml']);
    expect(configDeep.code).toBe(1);
    expect(configDeep.stderr).toMatch(/^error: deep-stack\.yaml:\d+:\d+: invalid YAML: /);
  });
});

describe('CLI rough edges', () => {
  const oldNodes = ['/usr/bin/node', '/bin/node', '/usr/local/bin/node'].filter((node) => {
    if (!existsSync(node)) return false;
    const [major = 0, minor = 0] = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' })
      .trim()
      .split('.')
      .map(Number);
    return major < 22 || (major === 22 && minor < 15);
  });

  it('on Node < 22.15 prints one line saying what it requires, and nothing of the bundle', async () => {
    // Always: this Node pretending to be 22.14 (the check reads process.versions before loading anything else).
    const pretend = `data:text/javascript,${encodeURIComponent("Object.defineProperty(process.versions, 'node', { value: '22.14.0' });")}`;
    const runs = [
      await runBundle(['validate', '--config', 'x.yaml'], {
        node: process.execPath,
        env: { NODE_OPTIONS: `--import=${pretend}` },
      }),
    ];
    // And every old Node this machine has (Debian's node 20 here), which cannot parse the bundle at all.
    for (const node of oldNodes) runs.push(await runBundle(['--version'], { node }));
    for (const [index, run] of runs.entries()) {
      const version =
        index === 0
          ? '22.14.0'
          : String(/^v?(\S+)/.exec(execFileSync(oldNodes[index - 1]!, ['--version'], { encoding: 'utf8' }))?.[1]);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(
        new RegExp(
          `^thanos-gitops requires Node >= 22\\.15; this is Node ${version.replace(/\./g, '\\.')} \\(.*\\)\\. Install Node 22\\.15 or later \\(or 24\\), or run it with 'npx thanos-gitops' in a checkout after 'npm ci'\\.\\n$`,
        ),
      );
      expect(run.code).toBe(1);
    }
  });

  it('--version prints the package.json version the bundle was built from', async () => {
    const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V'])
      expect(await runBundle([flag])).toEqual({
        code: 0,
        signal: null,
        stdout: `thanos-gitops ${version}\n`,
        stderr: '',
      });
  });

  it("ships without client-node's generated API client and undici transport: the CLI connects through KubeConfig alone", async () => {
    // scripts/client-node-unbundled.mjs stands in for them; a command that talks to a cluster loads 1.2 MB less.
    const chunks = join(repoRoot, 'dist', 'cli', 'chunks');
    for (const file of await readdir(chunks))
      expect(await readFile(join(chunks, file), 'utf8'), file).not.toMatch(/CoreV1Event|llhttp/);
  });

  it('apply loads neither the schema library nor undici: a run without a policy file or stack config needs neither', async () => {
    // Records every module the process loads: the bundle's chunks, and Node's own internals (undici among them).
    const recorder = `data:text/javascript,${encodeURIComponent(`
      import { registerHooks } from 'node:module';
      const urls = [];
      registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
      process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify({ urls, internals: process.moduleLoadList }) + '\\n'));
    `)}`;
    const child = spawn(process.execPath, ['--import', recorder, bundle, 'apply', '--dir', 'missing', '-n', 'thanos'], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toContain('manifests directory missing does not exist');
    const loaded = JSON.parse(stderr.slice(stderr.indexOf('LOADED ') + 7)) as { urls: string[]; internals: string[] };
    const chunks = loaded.urls.filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url));
    expect(chunks.some((file) => file.includes(`${join('dist', 'cli', 'chunks')}/apply-`))).toBe(true);
    for (const file of chunks) expect(await readFile(file, 'utf8'), file).not.toContain('_zod');
    expect(loaded.internals.filter((name) => name.includes('undici'))).toEqual([]);
  });

  it('without a kubeconfig says how to provide one', async () => {
    await writeFile(
      join(work, 'stack.yaml'),
      await readFile(join(repoRoot, '..', 'shared', 'kube-thanos', 'example.yaml')),
    );
    const env = { HOME: work, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' };
    for (const args of [
      ['plan', '--config', 'stack.yaml'],
      ['reconcile', '--dry-run', '-n', 'thanos'],
      ['history', '-n', 'thanos'],
    ]) {
      const result = await runBundle(args, { env });
      expect(result.stderr).toBe(
        `error: no kubeconfig: ${join(work, '.kube', 'config')} (the default) does not exist; pass --kubeconfig <file>, set KUBECONFIG, or create ~/.kube/config (for EKS: aws eks update-kubeconfig --name <cluster> --region <region>)\n`,
      );
      expect(result.code).toBe(1);
    }
    const named = await runBundle(['history', '-n', 'thanos', '--kubeconfig', 'missing.yaml'], { env });
    expect(named.stderr).toContain('error: no kubeconfig: missing.yaml (--kubeconfig) does not exist');
    const fromEnvironment = await runBundle(['history', '-n', 'thanos'], {
      env: { HOME: work, KUBECONFIG: `${join(work, 'kc')}:${join(work, 'other')}`, KUBERNETES_SERVICE_HOST: '' },
    });
    expect(fromEnvironment.stderr).toContain(`error: no kubeconfig: ${join(work, 'kc')} ($KUBECONFIG) does not exist`);
  });

  it('rbac takes -n like every other command', async () => {
    const result = await runBundle(['rbac', '-n', 'thanos', '-n', 'thanos-tenants']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^ {2}namespace: (\S+)$/gm)).toEqual([
      '  namespace: thanos',
      '  namespace: thanos',
      '  namespace: thanos-tenants',
      '  namespace: thanos-tenants',
    ]);
  });

  it('reconcile, history and rollback help say the namespace is required; apply and plan say where it defaults from', async () => {
    for (const command of ['reconcile', 'history', 'rollback']) {
      const help = (await runBundle([command, '--help'])).stdout;
      expect(help).toContain('(required: where the release history lives)');
      expect(help).not.toContain("the one namespace the set's objects use");
      const missing = await runBundle(command === 'rollback' ? [command, '1'] : [command]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/^error: --namespace is required/);
    }
    for (const command of ['apply', 'plan'])
      expect((await runBundle([command, '--help'])).stdout).toContain(
        "(default: the one namespace the set's objects use)",
      );
  });
});

describe('progress of long work on stderr', () => {
  async function bigDirectory(): Promise<void> {
    await mkdir(join(work, 'm'));
    for (let file = 0; file < 20; file++) {
      const docs = Array.from(
        { length: 100 },
        (_, i) =>
          `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${file}-${i}, namespace: thanos}\ndata: {index: "${i}"}\n`,
      );
      await writeFile(join(work, 'm', `cms-${String(file).padStart(2, '0')}.yaml`), docs.join('---\n'));
    }
  }

  it('writes JSON lines when stderr is not a terminal, ending each phase with its total, and leaves stdout alone', async () => {
    await bigDirectory();
    const result = await runBundle(['validate', '--dir', 'm'], { env: { THANOS_GITOPS_PROGRESS: 'now' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('OK: manifests directory m renders 2000 objects of 1 kind\n');
    const events = result.stderr
      .trimEnd()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { progress: string; done: number; total: number; current?: string; elapsedMs: number },
      );
    expect([...new Set(events.map((e) => e.progress))]).toEqual(['read', 'parse', 'duplicates']);
    for (const phase of ['read', 'parse']) {
      expect(events.filter((e) => e.progress === phase).at(-1)).toMatchObject({
        done: 20,
        total: 20,
        current: 'cms-19.yaml',
      });
    }
    expect(events.at(-1)).toMatchObject({
      progress: 'duplicates',
      done: 2000,
      total: 2000,
      current: 'cms-19-100.yaml',
    });
    // Without the override a short run prints nothing at all.
    await manyConfigMaps(join(work, 'small'), 3);
    expect((await runBundle(['validate', '--dir', 'small'])).stderr).toBe('');
  });

  it('shows a status line with counts and the current file on a terminal, and clears it before the result', async () => {
    await bigDirectory();
    // util-linux script(1) gives the CLI a pseudo-terminal for stdout and stderr, as an interactive shell would.
    const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(
        'script',
        ['-qefc', `${JSON.stringify(process.execPath)} ${JSON.stringify(bundle)} validate --dir m`, '/dev/null'],
        {
          cwd: work,
          env: { ...process.env, THANOS_GITOPS_PROGRESS: 'now', COLUMNS: '100' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/\r\u001b\[Kreading files \d+\/20 cms-\d\d\.yaml/);
    expect(result.output).toContain('\r\u001b[Kparsing files 20/20 cms-19.yaml');
    expect(result.output).toMatch(/\r\u001b\[KOK: manifests directory m renders 2000 objects of 1 kind\r?\n$/);
    expect(result.output).not.toContain('{"progress"');
  });
});
