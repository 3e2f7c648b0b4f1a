import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadStackConfig, parseStackConfig, resolveStack } from '../../src/config/index.js';
import { stackSchemaJson } from '../../src/config/json-schema.js';
import { renderStack } from '../../src/render/index.js';

const SHARED = resolve(process.cwd(), '../shared/kube-thanos');

const HEADER = ['apiVersion: thanos-gitops/v1alpha1', 'kind: ThanosStack'];
const COMMON = [
  'common:',
  '  namespace: thanos',
  '  version: v0.31.0',
  '  image: quay.io/thanos/thanos:v0.31.0',
  '  objectStorageConfig: {name: objstore, key: thanos.yaml}',
];

function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

function configError(text: string, file = 'stack.yaml'): ConfigError {
  try {
    parseStackConfig(text, file);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseStackConfig accepts the reference configs', () => {
  it.each(['example', 'all'])('%s.yaml', async (name) => {
    const config = await loadStackConfig(join(SHARED, `${name}.yaml`));
    expect(config.apiVersion).toBe('thanos-gitops/v1alpha1');
    expect(config.kind).toBe('ThanosStack');
  });

  it('merges common under each component (component keys win, unknown-to-component keys ignored)', () => {
    const config = parseStackConfig(
      yaml(
        ...HEADER,
        ...COMMON,
        '  replicas: 2',
        '  hashringConfigMapName: rings',
        'store:',
        '  replicas: 5',
        'query:',
        '  replicaLabels: [replica]',
      ),
      'stack.yaml',
    );
    const resolved = resolveStack(config);
    expect(resolved.store?.config.replicas).toBe(5);
    expect(resolved.store?.source.replicas).toBe('component');
    expect(resolved.query?.config.replicas).toBe(2);
    expect(resolved.query?.source.replicas).toBe('common');
    expect(resolved.query?.config.namespace).toBe('thanos');
    expect('hashringConfigMapName' in (resolved.query?.config ?? {})).toBe(false);
    expect(resolved.store?.config.ignoreDeletionMarksDelay).toBe('24h');
  });

  it('an empty component section enables it with common settings', () => {
    const config = parseStackConfig(yaml(...HEADER, ...COMMON, 'compact:'), 'stack.yaml');
    expect(resolveStack(config).compact?.config.namespace).toBe('thanos');
  });

  it('wires query stores and router endpoints like example.jsonnet', () => {
    const config = parseStackConfig(readFileSync(join(SHARED, 'example.yaml'), 'utf8'), 'example.yaml');
    const resolved = resolveStack(config);
    expect(resolved.query?.config.stores).toEqual([
      'dnssrv+_grpc._tcp.thanos-store.thanos:10901',
      'dnssrv+_grpc._tcp.thanos-receive-ingestor-default.thanos:10901',
    ]);
    expect(resolved.receiveRouter?.config.endpoints).toEqual({
      default: ['thanos-receive-ingestor-default-0.thanos-receive-ingestor-default.thanos:10901'],
    });
  });
});

describe('ConfigError names file:line:col, the path, the problem and the fix', () => {
  it('unknown option, with a suggestion and the allowed keys', () => {
    const error = configError(yaml(...HEADER, ...COMMON, 'store:', '  replica: 1'));
    expect(error.issues).toHaveLength(1);
    const [issue] = error.issues;
    expect(issue).toMatchObject({
      file: 'stack.yaml',
      line: 9,
      column: 3,
      path: 'store.replica',
      message: 'unknown option',
    });
    expect(issue?.fix).toContain('did you mean `replicas`?');
    expect(issue?.fix).toContain('allowed here: name, namespace');
    expect(error.message).toMatch(/^stack\.yaml:9:3: store\.replica: unknown option; did you mean `replicas`\?/);
  });

  it('unknown option under common', () => {
    const error = configError(yaml(...HEADER, ...COMMON, '  namepsace: x'));
    expect(error.issues[0]).toMatchObject({ line: 8, column: 3, path: 'common.namepsace' });
    expect(error.issues[0]?.fix).toContain('did you mean `namespace`?');
  });

  it('an empty document or a non-mapping is rejected with the expected header', () => {
    expect(configError('').message).toBe(
      'stack.yaml:1:1: the document must be a mapping; start with `apiVersion: thanos-gitops/v1alpha1` and `kind: ThanosStack`',
    );
    expect(configError('- a\n').issues[0]?.message).toBe('the document must be a mapping');
  });

  it('unknown component section', () => {
    const error = configError(yaml(...HEADER, ...COMMON, 'stor:', '  replicas: 1'));
    expect(error.issues[0]).toMatchObject({ line: 8, column: 1, path: 'stor' });
    expect(error.issues[0]?.fix).toContain('did you mean `store`?');
  });

  it('unknown nested key inside an option and inside a list item', () => {
    const error = configError(
      yaml(
        ...HEADER,
        ...COMMON,
        'store:',
        '  replicas: 1',
        '  tracing: {typ: JAEGER}',
        'receiveHashrings:',
        '  replicas: 1',
        '  replicationFactor: 1',
        '  hashrings:',
        '  - hashring: a',
        '    tenant: [x]',
      ),
    );
    expect(error.issues.map((issue) => [issue.path, issue.line, issue.column])).toEqual([
      ['store.tracing.typ', 10, 13],
      ['receiveHashrings.hashrings[0].tenants', 15, 5],
      ['receiveHashrings.hashrings[0].tenant', 16, 5],
    ]);
    expect(error.issues[1]).toMatchObject({ message: 'missing required field (expected array)', fix: 'add `tenants`' });
    expect(error.issues[0]?.fix).toContain('did you mean `type`?');
    expect(error.issues[2]?.fix).toContain('did you mean `tenants`?');
  });

  it('wrong type, pointing at the value', () => {
    const error = configError(yaml(...HEADER, ...COMMON, 'store:', '  replicas: three'));
    expect(error.issues[0]).toMatchObject({
      line: 9,
      column: 13,
      path: 'store.replicas',
      message: 'expected number, got a string',
    });
  });

  it('value outside an enum lists the allowed values', () => {
    const error = configError(yaml(...HEADER, ...COMMON, 'store:', '  replicas: 1', '  logLevel: verbose'));
    expect(error.issues[0]).toMatchObject({
      line: 10,
      column: 13,
      path: 'store.logLevel',
      message: 'not an allowed value',
    });
    expect(error.issues[0]?.fix).toBe('use one of "debug", "info", "warn", "error"');
  });

  it("kube-thanos's must-provide fields become missing-option errors at the component", () => {
    const error = configError(
      yaml(
        ...HEADER,
        'common:',
        '  version: v0.31.0',
        'store:',
        '  image: thanos',
        '  objectStorageConfig: {name: a, key: b}',
      ),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual(['store.namespace', 'store.replicas']);
    expect(error.issues[0]).toMatchObject({
      line: 5,
      column: 1,
      message: 'missing required option (kube-thanos: must provide namespace)',
    });
    expect(error.issues[1]?.fix).toBe('add `replicas: 1` under `store:` or `common:`');
  });

  it('query needs replicaLabels; sidecar needs podLabelSelector; query-frontend needs downstreamURL', () => {
    const error = configError(
      yaml(...HEADER, ...COMMON, 'query:', '  replicas: 1', 'sidecar: {}', 'queryFrontend:', '  replicas: 1'),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'query.replicaLabels',
      'sidecar.podLabelSelector',
      'queryFrontend.downstreamURL',
    ]);
  });

  it('objectStorageConfig: null is only for receive', () => {
    const error = configError(yaml(...HEADER, ...COMMON, 'store:', '  replicas: 1', '  objectStorageConfig: null'));
    expect(error.issues[0]).toMatchObject({ path: 'store.objectStorageConfig', line: 10, column: 3 });
    expect(error.issues[0]?.message).toContain('only allowed for receive');
    expect(() =>
      parseStackConfig(
        yaml(
          ...HEADER,
          ...COMMON,
          'receive:',
          '  replicas: 1',
          '  replicationFactor: 1',
          '  objectStorageConfig: null',
        ),
        's.yaml',
      ),
    ).not.toThrow();
  });

  it('PVC access modes other than ReadWriteOnce fail like the kube-thanos assert', () => {
    const error = configError(
      yaml(
        ...HEADER,
        ...COMMON,
        'store:',
        '  replicas: 1',
        '  volumeClaimTemplate:',
        '    spec:',
        '      accessModes: [ReadWriteMany]',
      ),
    );
    expect(error.issues[0]).toMatchObject({ path: 'store.volumeClaimTemplate.spec.accessModes', line: 10, column: 3 });
    expect(error.issues[0]?.message).toContain('ReadWriteOnce');
  });

  it('memcached caches need addresses', () => {
    const error = configError(
      yaml(...HEADER, ...COMMON, 'store:', '  replicas: 1', '  indexCache: {type: memcached, config: {timeout: 1s}}'),
    );
    expect(error.issues[0]).toMatchObject({ path: 'store.indexCache.config.addresses', line: 10, column: 3 });
    expect(error.issues[0]?.message).toContain('must provide memcached addresses');
  });

  it('a router needs ingestor endpoints, for every hashring', () => {
    const noIngestor = configError(
      yaml(...HEADER, ...COMMON, 'receiveRouter:', '  replicas: 1', '  replicationFactor: 1'),
    );
    expect(noIngestor.issues[0]).toMatchObject({ path: 'receiveRouter.endpoints', line: 8, column: 1 });
    expect(noIngestor.issues[0]?.message).toContain('must provide ingestor endpoints');
    const partial = configError(
      yaml(
        ...HEADER,
        ...COMMON,
        'receiveRouter:',
        '  replicas: 1',
        '  replicationFactor: 1',
        '  hashrings: [{hashring: a, tenants: []}, {hashring: b, tenants: [t]}]',
        '  endpoints: {a: ["x:10901"]}',
      ),
    );
    expect(partial.issues[0]).toMatchObject({ path: 'receiveRouter.endpoints.b', line: 12, column: 3 });
  });

  it('router replicas: kube-thanos reads routerReplicas, so a different replicas is an error', () => {
    const error = configError(
      yaml(
        ...HEADER,
        ...COMMON,
        'receiveIngestor:',
        '  replicas: 3',
        '  replicationFactor: 1',
        'receiveRouter:',
        '  replicas: 3',
        '  replicationFactor: 1',
      ),
    );
    expect(error.issues[0]).toMatchObject({ path: 'receiveRouter.replicas', line: 12, column: 3 });
    expect(error.issues[0]?.fix).toBe('set `routerReplicas: 3` (and drop replicas)');
  });

  it('router and ingestors must agree on the hashrings ConfigMap', () => {
    const error = configError(
      yaml(
        ...HEADER,
        ...COMMON,
        'receiveIngestor:',
        '  replicas: 1',
        '  replicationFactor: 1',
        '  hashringConfigMapName: rings',
        'receiveRouter:',
        '  replicas: 1',
        '  replicationFactor: 1',
      ),
    );
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ path: 'receiveIngestor.hashringConfigMapName', line: 11, column: 3 });
    expect(error.issues[0]?.fix).toContain('under `common:`');
  });

  it("ingestors without the hashrings ConfigMap (hashringConfigMapName '') are accepted next to the router, as kube-thanos renders them", () => {
    const set = renderStack(
      parseStackConfig(
        yaml(
          ...HEADER,
          ...COMMON,
          '  hashringConfigMapName: rings',
          'receiveIngestor:',
          '  replicas: 1',
          '  replicationFactor: 1',
          "  hashringConfigMapName: ''",
          'receiveRouter:',
          '  replicationFactor: 1',
        ),
        'stack.yaml',
      ),
    );
    const ingestor = JSON.stringify(set.find((m) => m.object.kind === 'StatefulSet')!.object);
    expect(ingestor).not.toContain('--receive.hashrings-file');
    expect(ingestor).not.toContain('"rings"');
    expect(JSON.stringify(set.find((m) => m.object.kind === 'Deployment')!.object)).toContain(
      '--receive.hashrings-file=/var/lib/thanos-receive/hashrings.json',
    );
  });

  it('a ruler with mounted ConfigMaps needs the reloader image and port', () => {
    const error = configError(
      yaml(
        ...HEADER,
        ...COMMON,
        'rule:',
        '  replicas: 1',
        '  rulesConfig: [{name: rules, key: r.yaml}]',
        '  ports: {grpc: 10901, http: 10902}',
      ),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual(['rule.reloaderImage', 'rule.ports.reloader']);
  });

  it('missing apiVersion and wrong kind', () => {
    const error = configError(yaml('kind: Stack', 'store: {}'));
    expect(error.issues.map((issue) => [issue.path, issue.line, issue.column])).toEqual([
      ['apiVersion', 1, 1],
      ['kind', 1, 7],
    ]);
    expect(error.issues[0]?.fix).toBe('add `apiVersion: thanos-gitops/v1alpha1`');
    expect(error.issues[1]?.fix).toBe('use one of "ThanosStack"');
  });

  it('invalid YAML', () => {
    const error = configError(yaml(...HEADER, 'store:', '  replicas: [1, 2', 'query: {}'), 'bad.yaml');
    expect(error.issues[0]?.file).toBe('bad.yaml');
    expect(error.issues[0]?.line).toBeGreaterThanOrEqual(4);
    expect(error.issues[0]?.column).toBeGreaterThanOrEqual(1);
    expect(error.message).toMatch(/^bad\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('duplicate keys and several documents', () => {
    const duplicate = configError(yaml(...HEADER, 'store: {}', 'store: {}'));
    expect(duplicate.issues[0]).toMatchObject({ line: 4, column: 1 });
    expect(duplicate.message).toContain('invalid YAML: Map keys must be unique');
    const twoDocs = configError(yaml(...HEADER, '---', ...HEADER));
    expect(twoDocs.issues[0]).toMatchObject({ line: 3, message: 'expected exactly one YAML document, found 2' });
  });

  it('an alias bomb is refused as invalid YAML', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 12; i++)
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(', ')}]`,
      );
    const error = configError(yaml(...HEADER, ...lines));
    expect(error.issues[0]?.message).toMatch(/^invalid YAML: /);
  });

  it('a missing file is a ConfigError naming the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-config-'));
    await expect(loadStackConfig(join(dir, 'nope.yaml'))).rejects.toThrow(
      /nope\.yaml: cannot read the stack config \(ENOENT\)/,
    );
  });

  it('reports every problem at once, in file order', () => {
    const error = configError(
      yaml(...HEADER, ...COMMON, 'store:', '  replica: 1', 'query:', '  replicas: x', '  stors: []'),
    );
    expect(error.issues.map((issue) => issue.line)).toEqual([9, 11, 12]);
  });

  it('never echoes values from the file (a secret pasted in the wrong place stays out of logs)', () => {
    const secret = 'AKIAPLANTEDSECRET0000wJalrXUtnFEMI/K7MDENG';
    const texts = [
      yaml(...HEADER, ...COMMON, 'store:', `  replicas: ${secret}`),
      yaml(...HEADER, ...COMMON, 'store:', '  replicas: 1', `  logLevel: ${secret}`),
      yaml(...HEADER, ...COMMON, 'store:', '  replicas: 1', `  secretKey: ${secret}`),
      yaml(...HEADER, ...COMMON, 'store:', `  replicas: [${secret}`),
      yaml(
        ...HEADER,
        ...COMMON,
        'store:',
        '  replicas: 1',
        `  tracing: {type: JAEGER, config: {password: ${secret}}, x: 1}`,
      ),
    ];
    for (const text of texts) {
      const error = configError(text);
      const output = `${error.message}\n${JSON.stringify(error.issues)}\n${String(error.stack)}`;
      expect(output).not.toContain(secret);
      expect(output).not.toContain(Buffer.from(secret).toString('base64'));
      expect(output).not.toContain('PLANTEDSECRET');
    }
  });

  it('loadStackConfig reads from disk and keeps positions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-config-'));
    const path = join(dir, 'stack.yaml');
    writeFileSync(path, yaml(...HEADER, ...COMMON, 'store:', '  replicas: -1'));
    await expect(loadStackConfig(path)).rejects.toThrow(
      `${path}:9:13: store.replicas: Too small: expected number to be >=0; use a value of at least 0`,
    );
  });
});

describe('JSON Schema', () => {
  it('schema/thanos-stack.schema.json is fresh (npm run schema)', () => {
    expect(readFileSync(resolve(process.cwd(), 'schema/thanos-stack.schema.json'), 'utf8')).toBe(stackSchemaJson());
  });

  it('describes components, options and the security sections', () => {
    const schema = JSON.parse(stackSchemaJson()) as {
      properties: Record<string, unknown>;
      $defs: Record<string, { properties?: Record<string, unknown> }>;
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['common', 'query', 'receiveRouter', 'storeShards', 'tls', 'objectStorage']),
    );
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.$defs['component.store']?.properties ?? {})).toContain('serviceAccountAnnotations');
  });
});
