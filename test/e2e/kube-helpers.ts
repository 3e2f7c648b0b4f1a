// Shared pieces of the apply-engine e2e tests (not a test file itself).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { readdir, readFile } from 'node:fs/promises';
import { parseManifestFile } from '../../src/sources/index.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';

/** The golden kube-thanos output (`example` or `all`) with every object moved into `namespace`. */
export async function goldenSet(name: 'example' | 'all', namespace: string): Promise<ManifestSet> {
  // kube-thanos's `all` writes the compact ServiceAccount twice (thanos-compact-serviceAccount.yaml and
  // thanos-compact-shards-serviceAccount.yaml, identical), which the directory source rightly refuses: keep the first.
  const dir = path.resolve('../shared/kube-thanos', name);
  const set: ManifestSet = [];
  const seen = new Set<string>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const object of parseManifestFile(await readFile(path.join(dir, file), 'utf8'), file)) {
      const id = `${object.apiVersion}/${object.kind}/${object.metadata.name}`;
      if (seen.has(id)) continue;
      seen.add(id);
      set.push({ file, object: moveToNamespace(object, namespace) });
    }
  }
  return set;
}

/** Rewrites metadata.namespace and the namespace lists that pin kube-thanos objects to `thanos`. */
export function moveToNamespace(object: KubeObject, namespace: string): KubeObject {
  const copy = structuredClone(object);
  if (copy.metadata.namespace) copy.metadata.namespace = namespace;
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(record)) {
      if ((key === 'namespaces' || key === 'matchNames') && Array.isArray(child))
        record[key] = child.map((ns) => (ns === 'thanos' ? namespace : ns));
      else walk(child);
    }
  };
  walk(copy.spec);
  return copy;
}

/**
 * Paths where `desired` has a value the live object does not keep (a dropped or changed field). The API server's own
 * normalizations are not losses: it omits empty maps, empty lists, `false` and 0 (Go omitempty), and writes quantities
 * canonically (cpu 0.42 becomes "420m").
 */
export function missingFields(desired: unknown, live: unknown, at = ''): string[] {
  const empty = (value: unknown) =>
    value === false ||
    value === 0 ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
  if (live === undefined && empty(desired)) return [];
  if (
    typeof desired === 'number' &&
    typeof live === 'string' &&
    /^\d+m$/.test(live) &&
    Math.round(desired * 1000) === Number.parseInt(live, 10)
  )
    return [];
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return [`${at} (array length)`];
    return desired.flatMap((item, index) => missingFields(item, live[index], `${at}[${index}]`));
  }
  if (typeof desired === 'object' && desired !== null) {
    if (typeof live !== 'object' || live === null) return [at || '.'];
    return Object.entries(desired).flatMap(([key, value]) =>
      missingFields(value, (live as Record<string, unknown>)[key], `${at}.${key}`),
    );
  }
  return isDeepStrictEqual(desired, live) ? [] : [`${at}: ${JSON.stringify(desired)} != ${JSON.stringify(live)}`];
}

/** Runs kubectl with extra environment (e.g. KUBECTL_APPLYSET=true); resolves with exit code and output. */
export function kubectl(
  args: string[],
  env: Record<string, string> = {},
  input = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.KUBECTL ?? 'kubectl', args, {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(input);
  });
}

export function withReplicas(set: ManifestSet, file: string, replicas: number): ManifestSet {
  return set.map((m) =>
    m.file === file
      ? { file: m.file, object: { ...structuredClone(m.object), spec: { ...(m.object.spec as object), replicas } } }
      : m,
  );
}
