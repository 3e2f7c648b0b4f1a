// The bundled example a newcomer runs first: it must validate, render, and diff against its next revision
// without a cluster, an AWS account or git history.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { loadManifestSet } from '../../src/sources/index.js';
import { RENDER_RECORD } from '../../src/sources/index.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const example = join(repoRoot, 'examples', 'stack', 'thanos-stack.yaml');
const next = join(repoRoot, 'examples', 'stack', 'thanos-stack.next.yaml');

let work: string;

const cli = runCli;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tg-examples-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('examples/stack', () => {
  it('validates and renders a current Thanos with IRSA on the components that read S3', async () => {
    const result = await cli('validate', '--config', example);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^OK: stack config .*thanos-stack\.yaml renders \d+ objects/);

    const set = await loadManifestSet({ type: 'config', config: example });
    const images = new Set(set.flatMap((m) => JSON.stringify(m.object).match(/quay\.io\/thanos\/thanos:[^"]+/g) ?? []));
    expect([...images]).toEqual(['quay.io/thanos/thanos:v0.42.4']);
    // Every namespaced object is in thanos; the production profile also renders the (cluster-scoped) Namespace itself.
    expect(
      new Set(set.filter((m) => m.object.kind !== 'Namespace').map((m) => m.object.metadata.namespace ?? '')),
    ).toEqual(new Set(['thanos']));
    expect(set.filter((m) => m.object.kind === 'Namespace').map((m) => m.object.metadata.name)).toEqual(['thanos']);
    const roles = set
      .filter((m) => m.object.kind === 'ServiceAccount')
      .map((m) => `${m.object.metadata.name}=${m.object.metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? ''}`);
    expect(roles).toEqual(
      expect.arrayContaining([
        'thanos-receive-ingestor=arn:aws:iam::111122223333:role/thanos-objectstore',
        'thanos-store=arn:aws:iam::111122223333:role/thanos-objectstore',
        'thanos-compact=arn:aws:iam::111122223333:role/thanos-objectstore',
      ]),
    );
    const kinds = new Set(set.map((m) => `${m.object.kind}/${m.object.metadata.name}`));
    for (const expected of [
      'Deployment/thanos-receive-router',
      'StatefulSet/thanos-receive-ingestor-default-eu-west-1a',
      'StatefulSet/thanos-store',
      'StatefulSet/thanos-compact',
      'Deployment/thanos-query',
      'ConfigMap/hashring-config',
    ]) {
      expect(kinds).toContain(expected);
    }

    // IRSA: the objstore Secret names the bucket but carries no keys.
    const secret = set.find((m) => m.object.kind === 'Secret' && m.object.metadata.name === 'thanos-objectstorage');
    const objstore = Buffer.from((secret?.object.data as Record<string, string>)['thanos.yaml']!, 'base64').toString();
    expect(objstore).toContain('bucket: "example-thanos-metrics"');
    expect(objstore).not.toMatch(/access_key|secret_key/);

    const out = join(work, 'rendered');
    expect((await cli('render', '--config', example, '--out', out)).code).toBe(0);
    expect((await readdir(out)).filter((name) => name !== RENDER_RECORD).length).toBe(set.length);
  });

  it('diffs against its next revision (the README one-liner) and flags the hashring change', async () => {
    const result = await cli('diff', '--base-config', example, '--config', next, '--exit-code');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('StatefulSet thanos/thanos-receive-ingestor-default');
    expect(result.stdout).toContain('Deployment thanos/thanos-query');
    expect(result.stdout).toContain('ConfigMap thanos/hashring-config');
    expect(result.stdout).toMatch(/risk/i);
  });
});
