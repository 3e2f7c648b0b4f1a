import { execFile } from 'node:child_process';
import { parseStackConfig } from '../../src/config/parse.js';
import { resolveStack } from '../../src/config/resolve.js';
import { COMPONENT_DEFAULTS } from '../../src/config/defaults.js';
import type { ComponentKey } from '../../src/config/schema.js';
import { renderStack, toKubeYaml } from '../../src/render/index.js';
import { KUBE_THANOS_LIB } from './kube-thanos-options.js';
import { batchJsonnet, generateStack, stackYaml, type GeneratedStack, type Json } from './stack-generator.js';

/**
 * The differential check: a generated stack rendered by us (YAML -> parse -> renderStack -> toKubeYaml) and by
 * kube-thanos (jsonnet entrypoint -> /usr/bin/jsonnet -> the same gojsontoyaml-equivalent serializer), file by file.
 */

export const JSONNET = '/usr/bin/jsonnet';

export type Rendered = Map<string, string>;

export function renderOurs(stack: GeneratedStack): Rendered {
  const set = renderStack(parseStackConfig(stackYaml(stack), `seed-${stack.seed}.yaml`));
  return new Map(set.map((manifest) => [manifest.file, toKubeYaml(manifest.object)]));
}

export async function evaluateJsonnet(program: string): Promise<unknown> {
  const child = execFile(JSONNET, ['-J', KUBE_THANOS_LIB, '-'], { maxBuffer: 1 << 30 });
  const output = new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`jsonnet exited ${String(code)}: ${stderr.slice(0, 2000)}`)),
    );
  });
  child.stdin?.end(program);
  return JSON.parse(await output) as unknown;
}

export async function renderKubeThanosBatch(stacks: GeneratedStack[]): Promise<Map<number, Rendered>> {
  const output = (await evaluateJsonnet(batchJsonnet(stacks))) as Record<string, Record<string, Json>>;
  const result = new Map<number, Rendered>();
  for (const stack of stacks) {
    const files = output[String(stack.seed)] ?? {};
    result.set(
      stack.seed,
      new Map(Object.entries(files).map(([stem, object]) => [`${stem}.yaml`, toKubeYaml(object)])),
    );
  }
  return result;
}

export interface Difference {
  file: string;
  ours?: string;
  kubeThanos?: string;
}

export function differences(ours: Rendered, kubeThanos: Rendered): Difference[] {
  const out: Difference[] = [];
  for (const file of [...new Set([...ours.keys(), ...kubeThanos.keys()])].sort()) {
    const a = ours.get(file);
    const b = kubeThanos.get(file);
    if (a !== b)
      out.push({ file, ...(a !== undefined ? { ours: a } : {}), ...(b !== undefined ? { kubeThanos: b } : {}) });
  }
  return out;
}

/** Either renderer refusing the stack, or the first differences between them. */
export async function check(stack: GeneratedStack): Promise<{ error?: string; differences: Difference[] }> {
  let ours: Rendered;
  try {
    ours = renderOurs(stack);
  } catch (error) {
    return { error: `thanos-gitops refused it: ${(error as Error).message}`, differences: [] };
  }
  let theirs: Rendered;
  try {
    theirs = (await renderKubeThanosBatch([stack])).get(stack.seed) ?? new Map<string, string>();
  } catch (error) {
    return { error: `kube-thanos refused it: ${(error as Error).message}`, differences: [] };
  }
  return { differences: differences(ours, theirs) };
}

/**
 * Shrinks a failing stack: drops whole components, then single options (common and per component), keeping each
 * removal only while the stack still fails the same way (both sides render and differ, or the same side refuses).
 */
export async function shrink(stack: GeneratedStack): Promise<GeneratedStack> {
  const first = await check(stack);
  // A refusal must stay the same refusal (positions and the file name aside); a mismatch just has to stay one.
  const kind = (result: { error?: string; differences: Difference[] }) =>
    result.error
      ? firstLine(result.error.replace(/seed-\d+\.yaml:\d+:\d+: /g, ''))
      : result.differences.length > 0
        ? 'differ'
        : 'same';
  const failure = kind(first);
  let current = stack;
  const stillFails = async (candidate: GeneratedStack) => kind(await check(candidate)) === failure;
  for (const key of Object.keys(current.components) as ComponentKey[]) {
    const { [key]: _dropped, ...rest } = current.components;
    if (Object.keys(rest).length === 0) continue;
    const candidate = { ...current, components: rest };
    if (await stillFails(candidate)) current = candidate;
  }
  for (const key of Object.keys(current.components) as ComponentKey[]) {
    for (const option of Object.keys(current.components[key] ?? {})) {
      const { [option]: _dropped, ...rest } = current.components[key] as Record<string, Json>;
      const candidate = { ...current, components: { ...current.components, [key]: rest } };
      if (await stillFails(candidate)) current = candidate;
    }
  }
  for (const option of Object.keys(current.common)) {
    const { [option]: _dropped, ...rest } = current.common;
    const candidate = { ...current, common: rest };
    if (await stillFails(candidate)) current = candidate;
  }
  return current;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** How often each option of each component was set to a value other than kube-thanos's default. */
export function coverage(stacks: GeneratedStack[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const stack of stacks) {
    const resolved = resolveStack(parseStackConfig(stackYaml(stack), 'coverage.yaml'));
    for (const [key, component] of Object.entries(resolved) as [
      ComponentKey,
      NonNullable<(typeof resolved)[ComponentKey]>,
    ][]) {
      for (const [option, source] of Object.entries(component.source)) {
        if (source !== 'component' && source !== 'common') continue;
        const value = component.config[option as keyof typeof component.config];
        const fallback = COMPONENT_DEFAULTS[key][option as keyof (typeof COMPONENT_DEFAULTS)[ComponentKey]];
        if (JSON.stringify(value) === JSON.stringify(fallback)) continue;
        const name = `${key}.${option}`;
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
    }
  }
  return counts;
}

export interface RunResult {
  stacks: GeneratedStack[];
  failures: { stack: GeneratedStack; error?: string; differences: Difference[] }[];
  jsonnetMs: number;
  oursMs: number;
}

/** Generates `count` stacks from `firstSeed` on and compares them in batches of `batch` per jsonnet process. */
export async function runDifferential(firstSeed: number, count: number, batch = 50, parallel = 2): Promise<RunResult> {
  const stacks = Array.from({ length: count }, (_, i) => generateStack(firstSeed + i));
  const failures: RunResult['failures'] = [];
  const ours = new Map<number, Rendered | Error>();
  const oursStart = performance.now();
  for (const stack of stacks) {
    try {
      ours.set(stack.seed, renderOurs(stack));
    } catch (error) {
      ours.set(stack.seed, error as Error);
    }
  }
  const oursMs = performance.now() - oursStart;
  const batches: GeneratedStack[][] = [];
  for (let i = 0; i < stacks.length; i += batch) batches.push(stacks.slice(i, i + batch));
  const jsonnetStart = performance.now();
  const theirs = new Map<number, Rendered | Error>();
  const queue = [...batches];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        try {
          for (const [seed, rendered] of await renderKubeThanosBatch(next)) theirs.set(seed, rendered);
        } catch {
          // One refused stack fails its batch: render the batch's stacks one by one to find it.
          for (const stack of next) {
            try {
              theirs.set(stack.seed, (await renderKubeThanosBatch([stack])).get(stack.seed) ?? new Error('no output'));
            } catch (error) {
              theirs.set(stack.seed, error as Error);
            }
          }
        }
      }
    }),
  );
  const jsonnetMs = performance.now() - jsonnetStart;
  for (const stack of stacks) {
    const a = ours.get(stack.seed);
    const b = theirs.get(stack.seed);
    if (a === undefined) continue;
    if (a instanceof Error) failures.push({ stack, error: `thanos-gitops refused it: ${a.message}`, differences: [] });
    else if (b instanceof Error || b === undefined)
      failures.push({ stack, error: `kube-thanos refused it: ${String(b?.message)}`, differences: [] });
    else {
      const found = differences(a, b);
      if (found.length > 0) failures.push({ stack, differences: found });
    }
  }
  return { stacks, failures, jsonnetMs, oursMs };
}

/** The report a failure prints: the seed, the shrunk config (YAML) and the first differing file, line by line. */
export async function describeFailure(failure: RunResult['failures'][number]): Promise<string> {
  const minimal = await shrink(failure.stack);
  const result = await check(minimal);
  const lines = [
    `seed ${failure.stack.seed} (reproduce: npx tsx scripts/differential.ts --seed ${failure.stack.seed} --count 1)`,
    'minimal config:',
    stackYaml(minimal),
  ];
  if (result.error) lines.push(result.error);
  const difference = result.differences[0];
  if (difference) {
    lines.push(`first differing file: ${difference.file} (${result.differences.length} files differ)`);
    const a = (difference.ours ?? '<not rendered>').split('\n');
    const b = (difference.kubeThanos ?? '<not rendered>').split('\n');
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] !== b[i]) {
        lines.push(`line ${i + 1}:`, `  thanos-gitops: ${a[i] ?? '<end>'}`, `  kube-thanos:   ${b[i] ?? '<end>'}`);
        break;
      }
    }
  }
  return lines.join('\n');
}
