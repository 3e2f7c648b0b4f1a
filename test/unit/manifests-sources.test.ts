import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifestDirectory, manifestFileName } from '../../src/sources/directory.js';
import { loadJsonnet } from '../../src/sources/jsonnet.js';
import { sourceSpecFrom } from '../../src/sources/spec.js';
import { ManifestSourceError, SourceSpecError } from '../../src/sources/errors.js';
import { failure } from '../helpers/failure.js';

let work: string;

async function put(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(work, path)), { recursive: true });
    await writeFile(join(work, path), text);
  }
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'tg-sources-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

// A miniature of kube-thanos's layout: a library under vendor/ imported through -J, an entrypoint that merges
// component outputs into one object whose fields become files, and a config string built with manifestYamlDoc.
const queryLibsonnet = `
local defaults = { name: 'thanos-query', namespace: error 'must provide namespace', replicas: 1, tracing: null };
function(params) {
  local tq = self,
  config:: defaults + params,
  service: {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: tq.config.name, namespace: tq.config.namespace },
    spec: { ports: [{ name: 'http', port: 9090 }] },
  },
  deployment: {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: tq.config.name, namespace: tq.config.namespace },
    spec: {
      replicas: tq.config.replicas,
      template: { spec: { containers: [{
        name: 'thanos-query',
        args: ['query'] + (if tq.config.tracing != null then ['--tracing.config=' + std.manifestYamlDoc({ config: tq.config.tracing, type: 'JAEGER' })] else []),
      }] } },
    },
  },
}
`;

const entrypoint = `
local q = (import 'kube-thanos/query.libsonnet')({ namespace: 'thanos', replicas: 2, tracing: { sampler_type: 'ratelimiting', tags: ['a', 'b'] } });
{ ['thanos-query-' + name]: q[name] for name in std.objectFields(q) if q[name] != null }
`;

describe('jsonnet source', () => {
  it('evaluates an entrypoint with -J like kube-thanos build.sh and names files <field>.yaml', async () => {
    await put({ 'vendor/kube-thanos/query.libsonnet': queryLibsonnet, 'example.jsonnet': entrypoint });
    const set = await loadJsonnet('example.jsonnet', ['vendor'], { cwd: work });
    expect(set.map((m) => m.file)).toEqual(['thanos-query-deployment.yaml', 'thanos-query-service.yaml']);
    const deployment = set[0]!.object as unknown as {
      spec: { replicas: number; template: { spec: { containers: { args: string[] }[] } } };
    };
    expect(set[0]!.object.metadata).toEqual({ name: 'thanos-query', namespace: 'thanos' });
    expect(deployment.spec.replicas).toBe(2);
    // jsonnet's own manifestYamlDoc text (quoted keys and strings, unindented list) arrives untouched.
    expect(deployment.spec.template.spec.containers[0]!.args[1]).toBe(
      '--tracing.config="config":\n  "sampler_type": "ratelimiting"\n  "tags":\n  - "a"\n  - "b"\n"type": "JAEGER"',
    );
  });

  it("reports a syntax error with jsonnet's own file:line:column and the fix", async () => {
    await put({ 'broken.jsonnet': '{\n  a: 1,\n  b: ,\n}\n' });
    const error = await failure(loadJsonnet('broken.jsonnet', [], { cwd: work }));
    expect(error).toBeInstanceOf(ManifestSourceError);
    expect(error.message).toContain('jsonnet failed to evaluate broken.jsonnet');
    expect(error.message).toMatch(/broken\.jsonnet:3:\d+/);
    expect(error.message).toContain('fix the jsonnet at the location jsonnet reports above');
  });

  it('reports a runtime error (a kube-thanos "must provide" assertion) with its location', async () => {
    await put({
      'vendor/kube-thanos/query.libsonnet': queryLibsonnet,
      'missing-ns.jsonnet': "local q = (import 'kube-thanos/query.libsonnet')({});\n{ svc: q.service }\n",
    });
    const error = await failure(loadJsonnet('missing-ns.jsonnet', ['vendor'], { cwd: work }));
    expect(error.message).toContain('RUNTIME ERROR: must provide namespace');
    expect(error.message).toMatch(/query\.libsonnet:2:\d+/);
  });

  it('says to pass --jpath when an import cannot be found', async () => {
    await put({ 'example.jsonnet': entrypoint });
    const error = await failure(loadJsonnet('example.jsonnet', [], { cwd: work }));
    expect(error.message).toContain('kube-thanos/query.libsonnet');
    expect(error.message).toContain('--jpath');
  });

  it('rejects a missing entrypoint and a missing library directory before running jsonnet', async () => {
    const missing = await failure(loadJsonnet('nope.jsonnet', [], { cwd: work }));
    expect(missing.message).toBe(
      'jsonnet entrypoint nope.jsonnet does not exist; pass an existing .jsonnet file with --entrypoint',
    );
    await put({ 'example.jsonnet': entrypoint });
    const noVendor = await failure(loadJsonnet('example.jsonnet', ['vendor'], { cwd: work }));
    expect(noVendor.message).toContain('jsonnet library path vendor (--jpath) is not a directory');
    expect(noVendor.message).toContain('jb install');
  });

  it('says how to install jsonnet when the binary is missing', async () => {
    await put({ 'example.jsonnet': '{}' });
    const error = await failure(
      loadJsonnet('example.jsonnet', [], { cwd: work, binary: join(work, 'no-such-jsonnet') }),
    );
    expect(error.message).toContain('was not found');
    expect(error.message).toContain('apt-get install jsonnet');
  });

  it('takes the binary from THANOS_GITOPS_JSONNET', async () => {
    await put({ 'example.jsonnet': '{}' });
    const missing = join(work, 'custom-jsonnet');
    process.env.THANOS_GITOPS_JSONNET = missing;
    try {
      const error = await failure(loadJsonnet('example.jsonnet', [], { cwd: work }));
      expect(error.message).toContain(`the jsonnet binary '${missing}' was not found`);
    } finally {
      delete process.env.THANOS_GITOPS_JSONNET;
    }
  });

  it('names the output field that is not a Kubernetes object', async () => {
    await put({
      'fields.jsonnet':
        "{ good: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, bad: { kind: 'ConfigMap' }, num: 3 }",
    });
    const error = await failure(loadJsonnet('fields.jsonnet', [], { cwd: work }));
    expect(error.message).toContain("output field 'bad': missing apiVersion, metadata.name");
  });

  it('flattens a List field into numbered files', async () => {
    await put({
      'list.jsonnet':
        "{ rbac: { apiVersion: 'v1', kind: 'List', items: [ { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a' } }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'b' } } ] } }",
    });
    const set = await loadJsonnet('list.jsonnet', [], { cwd: work });
    expect(set.map((m) => `${m.file} ${m.object.metadata.name}`)).toEqual(['rbac-1.yaml a', 'rbac-2.yaml b']);
  });
});

const cm = (name: string, extra = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: thanos\n${extra}`;

describe('manifests directory source', () => {
  it('loads .yaml/.yml/.json recursively, multi-document files, Lists, and skips empty documents and dot entries', async () => {
    await put({
      'deploy/a.yaml': cm('a', 'data:\n  k: v\n'),
      'deploy/bundle.yaml': `---\n# only a comment\n---\n${cm('b1')}---\n\n---\n${cm('b2')}`,
      'deploy/nested/list.yml':
        'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: sa1}\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: sa2}\n',
      'deploy/nested/svc.json': JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }),
      'deploy/empty.yaml': '# nothing here yet\n',
      'deploy/blank.yml': '',
      'deploy/README.md': '# not a manifest',
      'deploy/.hidden/x.yaml': 'not: [valid',
    });
    const set = await loadManifestDirectory('deploy', work);
    expect(set.map((m) => `${m.file} ${m.object.kind}/${m.object.metadata.name}`)).toEqual([
      'a.yaml ConfigMap/a',
      'bundle-1.yaml ConfigMap/b1',
      'bundle-2.yaml ConfigMap/b2',
      'nested/list-1.yml ServiceAccount/sa1',
      'nested/list-2.yml ServiceAccount/sa2',
      'nested/svc.yaml Service/s',
    ]);
    expect(set[0]!.object).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', namespace: 'thanos' },
      data: { k: 'v' },
    });
  });

  it('names file and line for invalid YAML', async () => {
    await put({ 'deploy/bad.yaml': `${cm('ok')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a: b\n` });
    const error = await failure(loadManifestDirectory('deploy', work));
    expect(error).toBeInstanceOf(ManifestSourceError);
    expect(error.message).toMatch(
      /^deploy\/bad\.yaml:10:9: invalid YAML in document 2: .+; fix the syntax at that line$/,
    );
  });

  it('names file, line and document number for an object without apiVersion/kind/metadata.name', async () => {
    await put({
      'deploy/objs.yaml': `${cm('ok')}---\n${cm('ok2')}---\napiVersion: v1\nkind: Secret\nmetadata:\n  namespace: thanos\n`,
    });
    const error = await failure(loadManifestDirectory('deploy', work));
    expect(error.message).toBe(
      'deploy/objs.yaml:13:1: document 3: missing metadata.name: every object needs apiVersion, kind and metadata.name',
    );
  });

  it('names the List item that is not an object', async () => {
    await put({
      'deploy/list.yaml':
        'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: a}\n- kind: ServiceAccount\n',
    });
    const error = await failure(loadManifestDirectory('deploy', work));
    expect(error.message).toBe(
      'deploy/list.yaml:7:3: document 1, items[1] of the List: missing apiVersion, metadata.name: every object needs apiVersion, kind and metadata.name',
    );
  });

  it('rejects duplicate keys, a scalar document and a missing directory clearly', async () => {
    await put({ 'dup/x.yaml': 'apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: a}\n' });
    expect((await failure(loadManifestDirectory('dup', work))).message).toMatch(
      /^dup\/x\.yaml:3:1: invalid YAML in document 1: Map keys must be unique/,
    );
    await put({ 'scalar/x.yaml': 'just a string\n' });
    expect((await failure(loadManifestDirectory('scalar', work))).message).toBe(
      'scalar/x.yaml:1:1: document 1: expected a Kubernetes object (a mapping), got a string',
    );
    expect((await failure(loadManifestDirectory('nowhere', work))).message).toBe(
      'manifests directory nowhere does not exist; pass an existing directory with --dir',
    );
  });

  it('keeps source text (a Secret value) out of YAML error messages', async () => {
    const value = 'planted-Secret-V4lue';
    await put({
      'secret/s.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: "${value}\n  other: x: y\n`,
    });
    const error = await failure(loadManifestDirectory('secret', work));
    expect(error.message).toMatch(/^secret\/s\.yaml:\d+:\d+: invalid YAML in document 1: /);
    expect(error.message).not.toContain(value);
    expect(error.message).not.toContain(Buffer.from(value).toString('base64'));
  });

  it('keeps the relative path and numbers objects only when a file holds several', () => {
    expect(manifestFileName('a/b.yaml', 0, 1)).toBe('a/b.yaml');
    expect(manifestFileName('a/b.yml', 1, 3)).toBe('a/b-2.yml');
    expect(manifestFileName('c.json', 0, 1)).toBe('c.yaml');
  });
});

describe('source spec from options', () => {
  it('infers the source from the options given and defaults to thanos-stack.yaml', () => {
    expect(sourceSpecFrom({})).toEqual({ type: 'config', config: 'thanos-stack.yaml' });
    expect(sourceSpecFrom({ entrypoint: 'e.jsonnet', jpath: ['vendor', ''] })).toEqual({
      type: 'jsonnet',
      entrypoint: 'e.jsonnet',
      jpath: ['vendor'],
    });
    expect(sourceSpecFrom({ dir: 'deploy', source: '' })).toEqual({ type: 'manifests', dir: 'deploy' });
  });

  it('rejects unknown sources, missing required options and options of another source', () => {
    expect(() => sourceSpecFrom({ source: 'helm' })).toThrow(
      new SourceSpecError("unknown source 'helm': use one of config, jsonnet, manifests"),
    );
    expect(() => sourceSpecFrom({ source: 'jsonnet' })).toThrow(/needs an entrypoint/);
    expect(() => sourceSpecFrom({ source: 'manifests' })).toThrow(/needs a directory/);
    expect(() => sourceSpecFrom({ config: 'a.yaml', dir: 'deploy' })).toThrow(
      "'config' does not apply to the manifests source",
    );
    expect(() => sourceSpecFrom({ source: 'config', jpath: ['v'], dir: 'd' })).toThrow(
      "'jpath' and 'dir' do not apply to the config source",
    );
  });
});
