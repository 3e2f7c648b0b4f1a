import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStackConfig } from '../../src/config/index.js';
import { renderStack, toKubeYaml } from '../../src/render/index.js';

// The goldens are kube-thanos's own build output (jsonnet -m + gojsontoyaml) for example.jsonnet and all.jsonnet;
// example.yaml and all.yaml are the equivalent stack configs. CI keeps ../shared beside the clone.
const SHARED = resolve(process.cwd(), '../shared/kube-thanos');

describe.each([
  ['example', 16],
  ['all', 56],
])('%s.yaml renders kube-thanos %s/ byte for byte', (name, count) => {
  const goldenDir = join(SHARED, name);
  const goldenFiles = readdirSync(goldenDir).sort();

  it(`produces exactly the ${count} golden file names`, async () => {
    const set = renderStack(await loadStackConfig(join(SHARED, `${name}.yaml`)));
    expect(goldenFiles).toHaveLength(count);
    expect(set.map((manifest) => manifest.file)).toEqual(goldenFiles);
  });

  it.each(goldenFiles)('%s is identical', async (file) => {
    const set = renderStack(await loadStackConfig(join(SHARED, `${name}.yaml`)));
    const manifest = set.find((entry) => entry.file === file);
    expect(manifest, `${file} was not rendered`).toBeDefined();
    expect(toKubeYaml(manifest?.object)).toBe(readFileSync(join(goldenDir, file), 'utf8'));
  });
});
