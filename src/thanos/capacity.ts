import type { CapacityItem, ResourceTotals } from '../diff/types.js';
import type { KubeObject } from '../model/objects.js';
import { podContainers, WORKLOAD_KINDS } from '../model/workloads.js';
import { replicas, type StackView } from './stack.js';
import { valueAt } from '../model/json.js';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A Kubernetes quantity (`500m`, `4Gi`, `1.5`, `1e3`) as a number of base units, or undefined. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(
    value.trim(),
  );
  if (!match) return undefined;
  const suffix = match[2] ?? '';
  return Number(match[1]) * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

function empty(): ResourceTotals {
  return { cpuMillis: 0, memoryBytes: 0, storageBytes: 0, pods: 0 };
}

/** Requested CPU and memory of one pod of a workload (containers only; init containers run before, not beside). */
function podRequests(object: KubeObject): { cpuMillis: number; memoryBytes: number } {
  let cpuMillis = 0;
  let memoryBytes = 0;
  for (const container of podContainers(object)) {
    cpuMillis += Math.round((parseQuantity(valueAt(container, 'resources', 'requests', 'cpu')) ?? 0) * 1000);
    memoryBytes += parseQuantity(valueAt(container, 'resources', 'requests', 'memory')) ?? 0;
  }
  return { cpuMillis, memoryBytes };
}

function podStorage(object: KubeObject): number {
  if (object.kind !== 'StatefulSet') return 0;
  const templates = valueAt(object, 'spec', 'volumeClaimTemplates');
  let bytes = 0;
  for (const template of Array.isArray(templates) ? templates : [])
    bytes += parseQuantity(valueAt(template, 'spec', 'resources', 'requests', 'storage')) ?? 0;
  return bytes;
}

/** The component a workload belongs to: the Thanos subcommand (receive split into router and ingestor), else its name. */
export function componentName(view: StackView, object: KubeObject): string {
  const workload = view.workloads.find((item) => item.object === object);
  if (!workload) return `${object.kind} ${object.metadata.name}`;
  if (workload.component === 'receive')
    return view.routers().includes(workload) ? 'receive router' : 'receive ingestor';
  return workload.component;
}

function totals(view: StackView): Map<string, ResourceTotals> {
  const byComponent = new Map<string, ResourceTotals>();
  for (const object of view.objects.values()) {
    if (!WORKLOAD_KINDS.has(object.kind) || object.kind === 'Job') continue;
    const pods = object.kind === 'DaemonSet' ? 1 : replicas(object);
    const component = componentName(view, object);
    const total = byComponent.get(component) ?? empty();
    const requests = podRequests(object);
    total.cpuMillis += requests.cpuMillis * pods;
    total.memoryBytes += requests.memoryBytes * pods;
    total.storageBytes += podStorage(object) * pods;
    total.pods += pods;
    byComponent.set(component, total);
  }
  return byComponent;
}

/** Requested CPU, memory and PVC storage per component, base and head, for components present on either side. */
export function capacityDelta(base: StackView, head: StackView): CapacityItem[] {
  const before = totals(base);
  const after = totals(head);
  const names = [...new Set([...after.keys(), ...before.keys()])];
  return names.map((component) => ({
    component,
    base: before.get(component) ?? empty(),
    head: after.get(component) ?? empty(),
  }));
}
