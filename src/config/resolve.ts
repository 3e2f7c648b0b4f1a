import { COMPONENT_DEFAULTS } from './defaults.js';
import {
  COMPONENT_KEYS,
  componentOptions,
  type ComponentKey,
  type ComponentParams,
  type Hashring,
  type StackConfig,
} from './schema.js';

/** Where a resolved option came from, so errors can point at the line that set it (or should set it). */
export type OptionSource = 'component' | 'common' | 'default' | 'wired';

export interface ResolvedComponent {
  key: ComponentKey;
  /** `defaults + common + params`, plus the cross-component wiring. */
  config: ComponentParams;
  source: Partial<Record<keyof ComponentParams, OptionSource>>;
}

export type ResolvedStack = Partial<Record<ComponentKey, ResolvedComponent>>;

/**
 * Applies kube-thanos's merge (`defaults + commonConfig + params`, shallow, later wins) to every component present
 * in the stack, then fills the wiring kube-thanos's example.jsonnet does by hand: the router's hashrings and
 * endpoints come from the ingestors, and query's stores from every Store API component of the stack.
 */
export function resolveStack(config: StackConfig): ResolvedStack {
  const resolved: ResolvedStack = {};
  for (const key of COMPONENT_KEYS) {
    const params = config[key];
    if (params === undefined) continue;
    resolved[key] = mergeComponent(key, config.common ?? {}, params as ComponentParams);
  }
  wireReceiveRouter(resolved);
  wireQueryStores(resolved);
  return resolved;
}

function mergeComponent(key: ComponentKey, common: ComponentParams, params: ComponentParams): ResolvedComponent {
  const accepted = new Set<string>(componentOptions[key]);
  const merged: Record<string, unknown> = {};
  const source: Record<string, OptionSource> = {};
  for (const [option, value] of Object.entries(COMPONENT_DEFAULTS[key])) {
    merged[option] = value;
    source[option] = 'default';
  }
  for (const [option, value] of Object.entries(common)) {
    if (!accepted.has(option) || value === undefined) continue;
    merged[option] = value;
    source[option] = 'common';
  }
  for (const [option, value] of Object.entries(params)) {
    if (value === undefined) continue;
    merged[option] = value;
    source[option] = 'component';
  }
  const resolved = merged as ComponentParams;
  // kube-thanos computes this default from the final replicationFactor (late-bound `self`).
  if (
    key.startsWith('receive') &&
    resolved.podDisruptionBudgetMaxUnavailable === undefined &&
    typeof resolved.replicationFactor === 'number'
  ) {
    resolved.podDisruptionBudgetMaxUnavailable = Math.floor(resolved.replicationFactor / 2);
    source.podDisruptionBudgetMaxUnavailable = 'default';
  }
  return { key, config: resolved, source };
}

/** Names the renderer gives per-hashring ingestor objects; the router's endpoints must match them. */
export function ingestorServiceName(ingestor: ComponentParams, hashring: string): string {
  return `${String(ingestor.name)}-ingestor-${hashring}`;
}

export function ingestorEndpoints(ingestor: ComponentParams): Record<string, string[]> {
  const grpc = ingestor.ports?.grpc;
  const replicas = ingestor.replicas ?? 0;
  const endpoints: Record<string, string[]> = {};
  for (const ring of ingestor.hashrings ?? []) {
    const service = ingestorServiceName(ingestor, ring.hashring);
    endpoints[ring.hashring] = Array.from(
      { length: replicas },
      (_, i) => `${service}-${i}.${service}.${String(ingestor.namespace)}:${String(grpc)}`,
    );
  }
  return endpoints;
}

function wireReceiveRouter(resolved: ResolvedStack): void {
  const router = resolved.receiveRouter;
  const ingestor = resolved.receiveIngestor;
  if (!router || !ingestor) return;
  if (router.source.hashrings !== 'component' && router.source.hashrings !== 'common') {
    router.config.hashrings = (ingestor.config.hashrings ?? []).map((ring: Hashring) => ({ ...ring }));
    router.source.hashrings = 'wired';
  }
  if (router.config.endpoints === undefined) {
    router.config.endpoints = ingestorEndpoints(ingestor.config);
    router.source.endpoints = 'wired';
  }
}

function dnssrv(service: string, params: ComponentParams): string {
  return `dnssrv+_grpc._tcp.${service}.${String(params.namespace)}:${String(params.ports?.grpc)}`;
}

/** The Store API endpoints of the stack in a fixed order (example.jsonnet: store, then the ingestors). */
export function storeApiEndpoints(resolved: ResolvedStack): string[] {
  const endpoints: string[] = [];
  const store = resolved.store?.config;
  if (store) endpoints.push(dnssrv(String(store.name), store));
  const shards = resolved.storeShards?.config;
  if (shards)
    for (let i = 0; i < (shards.shards ?? 0); i++) endpoints.push(dnssrv(`${String(shards.name)}-${i}`, shards));
  const ingestor = resolved.receiveIngestor?.config;
  if (ingestor)
    for (const ring of ingestor.hashrings ?? [])
      endpoints.push(dnssrv(ingestorServiceName(ingestor, ring.hashring), ingestor));
  const receive = resolved.receive?.config;
  if (receive) endpoints.push(dnssrv(String(receive.name), receive));
  const hashrings = resolved.receiveHashrings?.config;
  if (hashrings)
    for (const ring of hashrings.hashrings ?? [])
      endpoints.push(dnssrv(`${String(hashrings.name)}-${ring.hashring}`, hashrings));
  const rule = resolved.rule?.config;
  if (rule) endpoints.push(dnssrv(String(rule.name), rule));
  const sidecar = resolved.sidecar?.config;
  if (sidecar) endpoints.push(dnssrv(String(sidecar.name), sidecar));
  return endpoints;
}

function wireQueryStores(resolved: ResolvedStack): void {
  const query = resolved.query;
  if (!query || query.config.stores !== undefined) return;
  const endpoints = storeApiEndpoints(resolved);
  // With nothing to wire, kube-thanos's own default: the store gateway's DNS SRV name.
  query.config.stores =
    endpoints.length > 0 ? endpoints : [`dnssrv+_grpc._tcp.thanos-store.${String(query.config.namespace)}`];
  query.source.stores = endpoints.length > 0 ? 'wired' : 'default';
}
