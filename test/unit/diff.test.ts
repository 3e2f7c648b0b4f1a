import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  diffManifestSets,
  fingerprint,
  normalizeObject,
  redactSecret,
  toDiffYaml,
  withFingerprintKey,
} from '../../src/diff/index.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';

const GOLDENS = join(import.meta.dirname, '../../../shared/kube-thanos');

function loadGolden(name: 'example' | 'all'): ManifestSet {
  const dir = join(GOLDENS, name);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, object: parse(readFileSync(join(dir, file), 'utf8')) as KubeObject }));
}

function find(set: ManifestSet, file: string): Record<string, any> {
  const manifest = set.find((item) => item.file === file);
  if (!manifest) throw new Error(`no ${file}`);
  return manifest.object as Record<string, any>;
}

/** What the API server adds to an object it returns. */
function asLive(object: KubeObject, extra: Record<string, unknown> = {}): KubeObject {
  const live = structuredClone(object) as Record<string, any>;
  live.metadata.uid = 'a2b9c1de-0000-4000-8000-000000000001';
  live.metadata.resourceVersion = '48213';
  live.metadata.generation = 3;
  live.metadata.creationTimestamp = '2026-11-01T10:00:00Z';
  live.metadata.managedFields = [
    { manager: 'thanos-gitops', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } },
  ];
  live.metadata.annotations = {
    ...live.metadata.annotations,
    'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(object),
  };
  live.status = { replicas: 1, readyReplicas: 1, observedGeneration: 3 };
  return { ...live, ...extra } as KubeObject;
}

const secret = (data: Record<string, string>, stringData?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'thanos-objectstorage', namespace: 'thanos' },
  type: 'Opaque',
  data,
  ...(stringData ? { stringData } : {}),
});

describe('normalizeObject', () => {
  it('drops status, server metadata and the last-applied annotation', () => {
    const store = find(loadGolden('example'), 'thanos-store-statefulSet.yaml') as KubeObject;
    const normalized = normalizeObject(asLive(store)) as Record<string, any>;
    expect(normalized.status).toBeUndefined();
    for (const field of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields']) {
      expect(normalized.metadata[field]).toBeUndefined();
    }
    expect(normalized.metadata.annotations).toBeUndefined();
    expect(toDiffYaml(normalized as KubeObject)).toBe(toDiffYaml(normalizeObject(store)));
  });

  it('keeps other annotations and sorts keys at every level', () => {
    const object: KubeObject = {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { namespace: 'thanos', name: 'x', annotations: { 'z.example/b': '1', 'a.example/a': '2' } },
      data: { zeta: 'z', alpha: 'a' },
    };
    const normalized = normalizeObject(object);
    expect(Object.keys(normalized)).toEqual(['apiVersion', 'data', 'kind', 'metadata']);
    expect(Object.keys(normalized.metadata.annotations!)).toEqual(['a.example/a', 'z.example/b']);
    expect(Object.keys(normalized['data'] as object)).toEqual(['alpha', 'zeta']);
  });

  it('pretty-prints the hashrings.json ConfigMap so a hashring change diffs line by line', () => {
    const configMap = find(loadGolden('example'), 'thanos-receive-router-configmap.yaml') as KubeObject;
    const text = (normalizeObject(configMap)['data'] as Record<string, string>)['hashrings.json']!;
    expect(text.split('\n').length).toBeGreaterThan(5);
    expect(JSON.parse(text)).toEqual(JSON.parse((configMap['data'] as Record<string, string>)['hashrings.json']!));
    expect(toDiffYaml(normalizeObject(configMap))).toContain('hashrings.json: |-\n');
  });

  it('leaves strings that merely start with a brace alone', () => {
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { template: '{{ .Values }}' },
    };
    expect((normalizeObject(object)['data'] as Record<string, string>)['template']).toBe('{{ .Values }}');
  });

  it('does not mutate its input', () => {
    const store = asLive(find(loadGolden('example'), 'thanos-store-statefulSet.yaml') as KubeObject);
    const copy = structuredClone(store);
    normalizeObject(store);
    expect(store).toEqual(copy);
  });
});

describe('redactSecret', () => {
  const planted = 'AKIAPLANTEDSECRET-s3cr3t-value';
  const plantedBase64 = Buffer.from(planted).toString('base64');

  it('replaces every value by a fingerprint of the decoded bytes that does not tell its length', () =>
    withFingerprintKey(() => {
      const redacted = redactSecret(secret({ 'thanos.yaml': plantedBase64 }));
      const value = (redacted['data'] as Record<string, string>)['thanos.yaml'];
      expect(value).toBe(fingerprint(Buffer.from(planted)));
      expect(value).toMatch(/^hmac-sha256:[0-9a-f]{10}$/);
      expect(fingerprint(Buffer.from('a'))).toMatch(/^hmac-sha256:[0-9a-f]{10}$/);
      expect(JSON.stringify(redacted)).not.toContain(planted);
      expect(JSON.stringify(redacted)).not.toContain(plantedBase64);
    }));

  it('keys fingerprints per report run, so a short secret cannot be guessed from a public comment nor compared across runs', async () => {
    const { createHash } = await import('node:crypto');
    const hunter2 = Buffer.from('hunter2').toString('base64');
    const mask = () => (redactSecret(secret({ password: hunter2 }))['data'] as Record<string, string>)['password']!;
    const first = withFingerprintKey(() => {
      const value = mask();
      expect(value).not.toContain(createHash('sha256').update('hunter2').digest('hex').slice(0, 10));
      expect(value).toBe(fingerprint(Buffer.from('hunter2')));
      return value;
    });
    // An async run keeps its key across awaits; the next run (a warm Lambda's next plan) gets another.
    const second = await withFingerprintKey(async () => {
      const before = mask();
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(mask()).toBe(before);
      return before;
    });
    expect(second).not.toBe(first);
    expect(mask()).not.toBe(mask());
  });

  it('folds stringData into data first, so both spellings of one value get the same fingerprint', () =>
    withFingerprintKey(() => {
      const fromStringData = redactSecret(secret({}, { 'thanos.yaml': planted }));
      const fromData = redactSecret(secret({ 'thanos.yaml': plantedBase64 }));
      expect(fromStringData['stringData']).toBeUndefined();
      expect(fromStringData['data']).toEqual(fromData['data']);
    }));

  it('lets stringData win over data for the same key, as the API server does', () =>
    withFingerprintKey(() => {
      const redacted = redactSecret(secret({ key: Buffer.from('old').toString('base64') }, { key: 'new' }));
      expect((redacted['data'] as Record<string, string>)['key']).toBe(fingerprint(Buffer.from('new')));
    }));

  it('masks the last-applied annotation of a Secret and is idempotent', () => {
    const object = secret({ key: plantedBase64 });
    object.metadata.annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ stringData: { key: planted } }),
    };
    const once = redactSecret(object);
    expect(JSON.stringify(once)).not.toContain(planted);
    expect(once.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration']).toMatch(/^hmac-sha256:/);
    expect(redactSecret(once)).toEqual(once);
  });

  it('leaves other kinds alone', () => {
    const configMap: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { key: plantedBase64 },
    };
    expect(redactSecret(configMap)).toEqual(configMap);
  });
});

describe('diffManifestSets', () => {
  it('finds nothing between a set and itself', () => {
    const diff = diffManifestSets(loadGolden('all'), loadGolden('all'));
    expect(diff.counts).toEqual({ added: 0, removed: 0, modified: 0, unchanged: diff.entries.length });
    expect(diff.entries.every((entry) => entry.patch === '')).toBe(true);
    expect(diff.risks).toEqual([]);
  });

  it('matches by group, kind, namespace and name and classifies each object', () => {
    const base = loadGolden('example');
    const head = loadGolden('example').filter((manifest) => manifest.file !== 'thanos-store-serviceMonitor.yaml');
    head.push({
      file: 'extra-configmap.yaml',
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'extra', namespace: 'thanos' },
        data: { a: 'b' },
      },
    });
    find(head, 'thanos-query-deployment.yaml').spec.template.spec.containers[0].args.push('--query.timeout=5m');
    const diff = diffManifestSets(base, head);
    expect(diff.counts).toEqual({ added: 1, removed: 1, modified: 1, unchanged: base.length - 2 });
    const byChange = (change: string) =>
      diff.entries.filter((entry) => entry.change === change).map((entry) => entry.id);
    expect(byChange('added')).toEqual(['/ConfigMap/thanos/extra']);
    expect(byChange('removed')).toEqual(['monitoring.coreos.com/ServiceMonitor/thanos/thanos-store']);
    expect(byChange('modified')).toEqual(['apps/Deployment/thanos/thanos-query']);
    const modified = diff.entries.find((entry) => entry.change === 'modified')!;
    expect(modified).toMatchObject({
      kind: 'Deployment',
      namespace: 'thanos',
      name: 'thanos-query',
      additions: 1,
      deletions: 0,
    });
    expect(modified.patch).toContain('--- a/thanos-query-deployment.yaml');
    expect(modified.patch).toContain('+            - --query.timeout=5m');
    const added = diff.entries.find((entry) => entry.change === 'added')!;
    expect(added.patch).toContain('--- /dev/null');
    expect(added.deletions).toBe(0);
    expect(added.before).toBeUndefined();
  });

  it('ignores an apiVersion change within the same group (objects match across versions)', () => {
    const base = loadGolden('example');
    const head = loadGolden('example');
    const monitor = find(head, 'thanos-store-serviceMonitor.yaml');
    monitor.apiVersion = 'monitoring.coreos.com/v2';
    const diff = diffManifestSets(base, head);
    expect(diff.counts.added + diff.counts.removed).toBe(0);
    expect(diff.counts.modified).toBe(1);
  });

  it('treats live objects with server-added fields as unchanged against their manifests', () => {
    const rendered = loadGolden('example');
    const live = rendered.map((manifest) => ({ file: manifest.file, object: asLive(manifest.object) }));
    const diff = diffManifestSets(live, rendered);
    expect(diff.counts.modified).toBe(0);
  });

  it('shows a changed Secret value as a changed fingerprint only, plain or masked on either side', () =>
    withFingerprintKey(() => {
      const planted = 'planted-objstore-secret-key-1234';
      const base: ManifestSet = [{ file: 's.yaml', object: secret({}, { 'thanos.yaml': 'old-value' }) }];
      const head: ManifestSet = [
        { file: 's.yaml', object: secret({ 'thanos.yaml': Buffer.from(planted).toString('base64') }) },
      ];
      const diff = diffManifestSets(base, head);
      expect(diff.counts.modified).toBe(1);
      const text = JSON.stringify(diff);
      expect(text).not.toContain(planted);
      expect(text).not.toContain(Buffer.from(planted).toString('base64'));
      expect(text).not.toContain('old-value');
      expect(diff.entries[0]!.patch).toContain(`+  thanos.yaml: ${fingerprint(Buffer.from(planted))}`);
      // Already-masked input (the plan path masks server dry-run output) compares equal to the unmasked one.
      const masked: ManifestSet = [{ file: 's.yaml', object: redactSecret(head[0]!.object) }];
      expect(diffManifestSets(masked, head).counts.unchanged).toBe(1);
    }));

  it('compares the later definition when kube-thanos writes an object into two files, as applying the directory would', () => {
    const diff = diffManifestSets([], loadGolden('all'));
    const monitors = diff.entries.filter(
      (entry) => entry.id === 'monitoring.coreos.com/ServiceMonitor/thanos/thanos-compact',
    );
    expect(monitors).toHaveLength(1);
    expect(monitors[0]!.patch).toContain('+++ b/thanos-compact-shards-serviceMonitor.yaml');
  });

  it('rejects an object without a name, naming the file', () => {
    const bad: ManifestSet = [
      { file: 'broken.yaml', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} } as KubeObject },
    ];
    expect(() => diffManifestSets(bad, [])).toThrow(/base manifest broken\.yaml.*metadata\.name/);
  });
});

describe('credential-shaped values outside Secrets', () => {
  const masked = (text: string) =>
    withFingerprintKey(() => {
      const object = normalizeObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'thanos' },
        data: { v: text },
      });
      return (object['data'] as Record<string, string>)['v']!;
    });

  it.each([
    [
      'an objstore secret_key and access key id',
      'type: S3\nconfig:\n  access_key: AKIAPLANTED000000001\n  secret_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTED01\n',
      ['AKIAPLANTED000000001', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTED01'],
    ],
    ['a JSON password', '{"user": "bob", "password": "hunter2-planted"}', ['hunter2-planted']],
    ['a bearer header', 'Authorization: Bearer planted.Token1234', ['planted.Token1234']],
    [
      'a basic header as actions/checkout writes it',
      'extraheader = AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46cGxhbnRlZA==',
      ['eC1hY2Nlc3MtdG9rZW46cGxhbnRlZA=='],
    ],
    ['a URL password', 'remote: https://thanos:planted-pw@metrics.example/api', ['planted-pw']],
    ['a GitHub token', `token ${'ghp_'}${'P'.repeat(36)}`, [`ghp_${'P'.repeat(36)}`]],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJlLXBsYW50ZWQ', ['eyJzdWIiOiJwbGFudGVkIn0']],
    [
      'a PEM private key',
      '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIPLANTEDkeyMaterial\n-----END EC PRIVATE KEY-----\n',
      ['PLANTEDkeyMaterial', 'PRIVATE KEY'],
    ],
  ])('masks %s with a fingerprint', (_name, text, planted) => {
    const value = masked(text);
    for (const part of planted) expect(value).not.toContain(part);
    expect(value).toMatch(/hmac-sha256:[0-9a-f]{10}/);
  });

  it('leaves ordinary configuration alone', () => {
    for (const text of [
      '--endpoint=thanos-receive-ingestor-default-0.thanos-receive-ingestor-default.thanos.svc.cluster.local:10901',
      'token_file: /var/run/secrets/kubernetes.io/serviceaccount/token',
      'secret_key: $(OBJSTORE_SECRET_KEY)',
      '# Basic configuration of the bucket',
      'sha 0123456789abcdef0123456789abcdef01234567',
      'secretName: thanos-objectstorage',
      '-----BEGIN CERTIFICATE-----\nMIIBplanted\n-----END CERTIFICATE-----',
    ])
      expect(masked(text)).toBe(text);
  });

  it('masks equal values equally within a run, so an unchanged credential is not a change', () => {
    const config = (key: string) => [
      {
        file: 'c.yaml',
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'c' },
          data: { 'objstore.yaml': `secret_key: ${key}\nbucket: b\n` },
        } as KubeObject,
      },
    ];
    expect(diffManifestSets(config('same-planted-1'), config('same-planted-1')).counts.unchanged).toBe(1);
    const changed = diffManifestSets(config('old-planted-1'), config('new-planted-2'));
    expect(changed.counts.modified).toBe(1);
    expect(JSON.stringify(changed)).not.toMatch(/old-planted-1|new-planted-2/);
  });
});
