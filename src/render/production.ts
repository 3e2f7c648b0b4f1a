import type { Production, ComponentProduction } from '../config/production.js';
import type { ComponentKey, ComponentParams } from '../config/schema.js';
import type { KubeObject, ManifestSet } from '../model/objects.js';
import { OBJSTORE_COMPONENTS, type RequirementIssue } from '../config/requirements.js';
import type { ResolvedStack } from '../config/resolve.js';
import type { Json, JsonObject, Labels } from './common.js';
import { jsonnetToString } from './yaml.js';

/**
 * The production profile, layered over the kube-thanos-exact set (like applySecurity): each part of `production:`
 * patches the rendered workloads or adds objects, and nothing changes for a part that is not set.
 */

export interface OwnedManifest {
  file: string;
  object: KubeObject;
  /** The stack component that rendered it. */
  component: ComponentKey;
}

export interface ProductionContext {
  namespace: string;
  /** Resolved options per component (version, ports, resources). */
  configs: Partial<Record<ComponentKey, ComponentParams>>;
}

const ZONE = 'topology.kubernetes.io/zone';
/** Thanos v0.35.0 made --enable-auto-gomemlimit a global flag (cmd/thanos/main.go, cmd/thanos/config.go goMemLimitConfig). */
const AUTO_GOMEMLIMIT_SINCE: [number, number, number] = [0, 35, 0];
const OBJSTORE_READERS = new Set<ComponentKey>(OBJSTORE_COMPONENTS);
const STARTUP_PROBED = new Set<ComponentKey>([
  'store',
  'storeShards',
  'receive',
  'receiveHashrings',
  'receiveIngestor',
]);

interface Container {
  name: string;
  args?: string[];
  env?: JsonObject[];
  resources?: { limits?: Record<string, string | number> };
  securityContext?: JsonObject;
  readinessProbe?: JsonObject;
  startupProbe?: JsonObject;
  ports?: { name: string; containerPort: number }[];
  [field: string]: unknown;
}

interface Workload {
  metadata: { name: string; namespace?: string; labels?: Labels };
  spec: {
    replicas?: number;
    selector: { matchLabels: Labels };
    template: {
      metadata: { labels: Labels; annotations?: Labels };
      spec: JsonObject & { containers: Container[]; affinity?: JsonObject; nodeSelector?: Labels };
    };
  };
}

function isWorkload(object: KubeObject): boolean {
  return object.kind === 'Deployment' || object.kind === 'StatefulSet';
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Label that tells the per-zone ingestor StatefulSets (and their Services and PVCs) apart. */
export const ZONE_LABEL = 'thanos-gitops.io/zone';

/** What `production:` needs from the rest of the stack, as config problems (path, message, fix). */
export function productionProblems(production: Production, resolved: ResolvedStack): RequirementIssue[] {
  const problems: RequirementIssue[] = [];
  // A part aimed at a component the stack does not have would silently render nothing.
  const targets: [string[], ComponentKey][] = [
    [['autoscaling', 'query'], 'query'],
    [['autoscaling', 'queryFrontend'], 'queryFrontend'],
    [['exposure', 'queryFrontend'], 'queryFrontend'],
    [['exposure', 'remoteWrite'], 'receiveRouter'],
    ...Object.keys(production.components ?? {}).map((key): [string[], ComponentKey] => [
      ['components', key],
      key as ComponentKey,
    ]),
  ];
  for (const [path, component] of targets) {
    let value: unknown = production;
    for (const segment of path) value = (value as Record<string, unknown> | undefined)?.[segment];
    if (value === undefined || resolved[component] !== undefined) continue;
    problems.push({
      at: ['production', ...path],
      path: `production.${path.join('.')}`,
      message: `the stack has no ${component} section`,
      fix: `add a ${component} section or remove production.${path.join('.')}`,
    });
  }
  return [...problems, ...zoneProblems(production, resolved)];
}

function zoneProblems(production: Production, resolved: ResolvedStack): RequirementIssue[] {
  const zones = production.ingestorZones;
  if (!zones) return [];
  const issue = (message: string, fix: string): RequirementIssue => ({
    at: ['production', 'ingestorZones'],
    path: 'production.ingestorZones',
    message,
    fix,
  });
  const ingestor = resolved.receiveIngestor;
  if (!ingestor)
    return [
      issue(
        'pins receiveIngestor pods to zones, but the stack has no receiveIngestor',
        'add a receiveIngestor section or remove ingestorZones',
      ),
    ];
  const problems: RequirementIssue[] = [];
  const replicas = ingestor.config.replicas ?? 0;
  if (replicas % zones.length !== 0) {
    problems.push(
      issue(
        `receiveIngestor.replicas (${replicas}) is not a multiple of the ${zones.length} zones`,
        `set receiveIngestor.replicas to a multiple of ${zones.length}`,
      ),
    );
  }
  const router = resolved.receiveRouter;
  if (router) {
    if (router.source.endpoints !== 'wired') {
      problems.push(
        issue(
          'receiveRouter.endpoints is set by hand, so the per-zone endpoints cannot be wired in',
          'remove receiveRouter.endpoints',
        ),
      );
    }
    // Thanos v0.42.4 pkg/receive/hashring.go: "Hashmod algorithm does not support AZ aware hashring configuration".
    for (const ring of router.config.hashrings ?? []) {
      if (ring.algorithm !== 'ketama') {
        problems.push(
          issue(
            `hashring ${ring.hashring} uses ${ring.algorithm ?? 'hashmod (the default)'}, which Thanos refuses with zone (az) endpoints`,
            `set algorithm: ketama on hashring ${ring.hashring}`,
          ),
        );
      }
    }
  }
  return problems;
}

export function applyProduction(
  input: OwnedManifest[],
  production: Production,
  context: ProductionContext,
): ManifestSet {
  const set = production.ingestorZones ? pinIngestorZones(input, production.ingestorZones, context) : input;
  const out: { file: string; object: KubeObject }[] = [];
  const added: { file: string; object: KubeObject }[] = [];
  const autoscaled = new Set<ComponentKey>(Object.keys(production.autoscaling ?? {}) as ComponentKey[]);

  for (const manifest of set) {
    if (!isWorkload(manifest.object)) {
      out.push({ file: manifest.file, object: manifest.object });
      continue;
    }
    const object = clone(manifest.object);
    const workload = object as unknown as Workload;
    const pod = workload.spec.template.spec;
    const config = context.configs[manifest.component] ?? {};
    const thanos = pod.containers[0] as Container;

    if (production.zoneSpread) {
      pod.topologySpreadConstraints = [
        {
          maxSkew: production.zoneSpread.maxSkew,
          topologyKey: ZONE,
          whenUnsatisfiable: production.zoneSpread.whenUnsatisfiable,
          labelSelector: { matchLabels: workload.spec.selector.matchLabels },
        },
      ];
    }
    if (production.podSecurity === 'restricted') {
      pod.securityContext = {
        ...((pod.securityContext ?? {}) as JsonObject),
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      };
      for (const container of pod.containers) container.securityContext = restricted(container.securityContext);
    }
    if (production.goMemLimit) goMemLimit(thanos, String(config.version ?? ''), production.goMemLimit.ratio);
    if (production.startupProbes && STARTUP_PROBED.has(manifest.component) && thanos.readinessProbe) {
      const httpGet = (thanos.readinessProbe as { httpGet: JsonObject }).httpGet;
      thanos.startupProbe = {
        httpGet,
        failureThreshold: production.startupProbes.failureThreshold,
        periodSeconds: production.startupProbes.periodSeconds,
      };
    }
    const knobs = production.components?.[manifest.component as keyof NonNullable<Production['components']>];
    if (knobs) applyKnobs(workload, thanos, knobs);
    if (autoscaled.has(manifest.component) && object.kind === 'Deployment') {
      // The HPA owns the replica count; a desired count in the applied object would fight it on every apply.
      delete workload.spec.replicas;
    }
    out.push({ file: manifest.file, object });

    const stem = manifest.file.replace(/-(deployment|statefulSet)\.yaml$/, '');
    const replicas =
      workload.spec.replicas ??
      (autoscaled.has(manifest.component)
        ? (production.autoscaling?.[manifest.component as 'query']?.minReplicas ?? 1)
        : 1);
    // A pod covered by two PDBs cannot be evicted at all (the eviction API refuses), so an existing one wins.
    const podLabels = workload.spec.template.metadata.labels;
    const hasPdb = set.some((other) => {
      if (other.object.kind !== 'PodDisruptionBudget') return false;
      const selector = (other.object as unknown as { spec: { selector: { matchLabels: Labels } } }).spec.selector
        .matchLabels;
      return Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    });
    if (production.podDisruptionBudgets && replicas > 1 && !hasPdb) {
      added.push({
        file: `${stem}-podDisruptionBudget.yaml`,
        object: kube('policy/v1', 'PodDisruptionBudget', {
          metadata: {
            name: workload.metadata.name,
            namespace: context.namespace,
            labels: workload.metadata.labels ?? {},
          },
          spec: { maxUnavailable: 1, selector: { matchLabels: workload.spec.selector.matchLabels } },
        }),
      });
    }
    const hpa = production.autoscaling?.[manifest.component as 'query' | 'queryFrontend'];
    if (hpa && object.kind === 'Deployment') {
      const metrics: JsonObject[] = [
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: { type: 'Utilization', averageUtilization: hpa.targetCPUUtilizationPercentage },
          },
        },
      ];
      if (hpa.targetMemoryUtilizationPercentage !== undefined) {
        metrics.push({
          type: 'Resource',
          resource: {
            name: 'memory',
            target: { type: 'Utilization', averageUtilization: hpa.targetMemoryUtilizationPercentage },
          },
        });
      }
      added.push({
        file: `${stem}-horizontalPodAutoscaler.yaml`,
        object: kube('autoscaling/v2', 'HorizontalPodAutoscaler', {
          metadata: {
            name: workload.metadata.name,
            namespace: context.namespace,
            labels: workload.metadata.labels ?? {},
          },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: workload.metadata.name },
            minReplicas: hpa.minReplicas,
            maxReplicas: hpa.maxReplicas,
            metrics,
          },
        }),
      });
    }
  }

  added.push(...exposure(set, production, context));
  added.push(...networkPolicies(set, production, context));
  if (production.podSecurity === 'restricted') {
    added.push({
      file: 'thanos-namespace.yaml',
      object: kube('v1', 'Namespace', {
        metadata: {
          name: context.namespace,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/warn': 'restricted',
            'pod-security.kubernetes.io/audit': 'restricted',
          },
        },
      }),
    });
  }
  return [...out, ...added].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

function kube(apiVersion: string, kind: string, body: JsonObject): KubeObject {
  return { apiVersion, kind, ...body } as unknown as KubeObject;
}

/** The container fields Pod Security "restricted" (Kubernetes v1.34) checks, over whatever kube-thanos wrote. */
function restricted(current: JsonObject | undefined): JsonObject {
  return {
    ...(current ?? {}),
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function versionAtLeast(version: string, minimum: [number, number, number]): boolean {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const parts = [Number(match[1]), Number(match[2]), Number(match[3])];
  for (let i = 0; i < 3; i++) {
    if ((parts[i] as number) !== minimum[i]) return (parts[i] as number) > (minimum[i] as number);
  }
  return true;
}

const UNITS: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  '': 1,
};

/** Bytes of a Kubernetes memory quantity (binary and decimal suffixes), or undefined when it is not one. */
export function memoryBytes(quantity: string | number): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|)$/.exec(String(quantity));
  if (!match) return undefined;
  return Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1);
}

function goMemLimit(container: Container, version: string, ratio: number): void {
  const limit = container.resources?.limits?.memory;
  if (limit === undefined) return;
  if (versionAtLeast(version, AUTO_GOMEMLIMIT_SINCE)) {
    container.args = [
      ...(container.args ?? []),
      '--enable-auto-gomemlimit',
      ...(ratio !== 0.9 ? [`--auto-gomemlimit.ratio=${ratio}`] : []),
    ];
    return;
  }
  const bytes = memoryBytes(limit);
  if (bytes === undefined) return;
  container.env = [...(container.env ?? []), { name: 'GOMEMLIMIT', value: String(Math.floor(bytes * ratio)) }];
}

function applyKnobs(workload: Workload, thanos: Container, knobs: ComponentProduction): void {
  const template = workload.spec.template;
  const pod = template.spec;
  if (knobs.extraArgs) thanos.args = [...(thanos.args ?? []), ...knobs.extraArgs];
  if (knobs.tolerations) pod.tolerations = knobs.tolerations as Json[];
  if (knobs.nodeSelector) pod.nodeSelector = { ...(pod.nodeSelector ?? {}), ...knobs.nodeSelector };
  if (knobs.affinity) pod.affinity = { ...(pod.affinity ?? {}), ...(knobs.affinity as JsonObject) };
  if (knobs.priorityClassName) pod.priorityClassName = knobs.priorityClassName;
  if (knobs.podLabels) template.metadata.labels = { ...knobs.podLabels, ...template.metadata.labels };
  if (knobs.podAnnotations)
    template.metadata.annotations = { ...(template.metadata.annotations ?? {}), ...knobs.podAnnotations };
}

function serviceOf(set: OwnedManifest[], component: ComponentKey): KubeObject | undefined {
  return set.find((manifest) => manifest.component === component && manifest.object.kind === 'Service')?.object;
}

function servicePort(service: KubeObject, name: string): number | undefined {
  const ports = (service as unknown as { spec: { ports: { name: string; port: number }[] } }).spec.ports;
  return ports.find((p) => p.name === name)?.port;
}

function exposure(
  set: OwnedManifest[],
  production: Production,
  context: ProductionContext,
): { file: string; object: KubeObject }[] {
  const out: { file: string; object: KubeObject }[] = [];
  const qf = production.exposure?.queryFrontend;
  const qfService = serviceOf(set, 'queryFrontend');
  if (qf && qfService) {
    const name = qfService.metadata.name;
    const port = servicePort(qfService, 'http') as number;
    const labels = (qfService.metadata.labels ?? {}) as Labels;
    if (qf.kind === 'HTTPRoute') {
      out.push({
        file: 'thanos-query-frontend-httpRoute.yaml',
        object: kube('gateway.networking.k8s.io/v1', 'HTTPRoute', {
          metadata: { name, namespace: context.namespace, labels },
          spec: {
            parentRefs: qf.parentRefs as Json[],
            hostnames: [qf.host],
            rules: [{ backendRefs: [{ name, port }] }],
          },
        }),
      });
    } else {
      const spec: JsonObject = {
        ingressClassName: qf.ingressClassName,
        rules: [
          {
            host: qf.host,
            http: {
              paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: port } } } }],
            },
          },
        ],
      };
      if (qf.tlsSecretName) spec.tls = [{ hosts: [qf.host], secretName: qf.tlsSecretName }];
      out.push({
        file: 'thanos-query-frontend-ingress.yaml',
        object: kube('networking.k8s.io/v1', 'Ingress', {
          metadata: {
            name,
            namespace: context.namespace,
            labels,
            ...(qf.annotations ? { annotations: qf.annotations } : {}),
          },
          spec,
        }),
      });
    }
  }
  const rw = production.exposure?.remoteWrite;
  const router = set.find((manifest) => manifest.component === 'receiveRouter' && manifest.object.kind === 'Deployment')
    ?.object as unknown as Workload | undefined;
  const routerService = serviceOf(set, 'receiveRouter');
  if (rw && router && routerService) {
    const port = servicePort(routerService, 'remote-write') as number;
    const labels = (routerService.metadata.labels ?? {}) as Labels;
    if (rw.kind === 'TLSRoute') {
      out.push({
        file: 'thanos-receive-router-tlsRoute.yaml',
        object: kube('gateway.networking.k8s.io/v1alpha2', 'TLSRoute', {
          metadata: { name: routerService.metadata.name, namespace: context.namespace, labels },
          spec: {
            parentRefs: rw.parentRefs as Json[],
            hostnames: [rw.host],
            rules: [{ backendRefs: [{ name: routerService.metadata.name, port }] }],
          },
        }),
      });
    } else {
      // AWS Load Balancer Controller: an NLB in IP mode forwarding TCP, so the router still terminates mTLS.
      const spec: JsonObject = {
        type: 'LoadBalancer',
        selector: router.spec.selector.matchLabels,
        ports: [{ name: 'remote-write', port: rw.port, targetPort: port, protocol: 'TCP' }],
      };
      if (rw.sourceRanges.length > 0) spec.loadBalancerSourceRanges = rw.sourceRanges;
      out.push({
        file: 'thanos-receive-router-remoteWriteLoadBalancer.yaml',
        object: kube('v1', 'Service', {
          metadata: {
            name: `${routerService.metadata.name}-remote-write`,
            namespace: context.namespace,
            labels,
            annotations: {
              'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
              'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
              'service.beta.kubernetes.io/aws-load-balancer-scheme': rw.scheme,
            },
          },
          spec,
        }),
      });
    }
  }
  return out;
}

function peer(entry: {
  cidr?: string | undefined;
  namespaceSelector?: Labels | undefined;
  podSelector?: Labels | undefined;
}): JsonObject {
  if (entry.cidr) return { ipBlock: { cidr: entry.cidr } };
  const out: JsonObject = {};
  if (entry.namespaceSelector) out.namespaceSelector = { matchLabels: entry.namespaceSelector };
  if (entry.podSelector) out.podSelector = { matchLabels: entry.podSelector };
  return out;
}

function networkPolicies(
  set: OwnedManifest[],
  production: Production,
  context: ProductionContext,
): { file: string; object: KubeObject }[] {
  const policy = production.networkPolicies;
  if (!policy) return [];
  const workloads = set.filter((manifest) => isWorkload(manifest.object));
  const out: { file: string; object: KubeObject }[] = [];
  const allowFrom = policy.allowFrom.map(peer);
  const sameNamespace: JsonObject = { podSelector: {} };
  for (const manifest of workloads) {
    const workload = manifest.object as unknown as Workload;
    const selector = workload.spec.selector.matchLabels;
    const ports = (workload.spec.template.spec.containers[0]?.ports ?? []).map((p) => ({
      name: p.name,
      port: p.containerPort,
    }));
    const stem = manifest.file.replace(/-(deployment|statefulSet)\.yaml$/, '');
    const ingress: JsonObject[] = [];
    const internalPorts = ports
      .filter((p) => p.name !== 'remote-write')
      .map((p) => ({ protocol: 'TCP', port: p.port }));
    // gRPC and HTTP between the components of the stack (query -> stores, router -> ingestors, frontend -> query).
    if (internalPorts.length > 0) ingress.push({ from: [sameNamespace, ...allowFrom], ports: internalPorts });
    const remoteWrite = ports.find((p) => p.name === 'remote-write');
    if (remoteWrite) {
      const from = manifest.component === 'receiveRouter' ? policy.remoteWriteFrom.map(peer) : [sameNamespace];
      ingress.push({ from, ports: [{ protocol: 'TCP', port: remoteWrite.port }] });
    }
    const spec: JsonObject = { podSelector: { matchLabels: selector }, policyTypes: ['Ingress'], ingress };
    if (OBJSTORE_READERS.has(manifest.component)) {
      spec.policyTypes = ['Ingress', 'Egress'];
      spec.egress = [
        { to: policy.objectStoreCIDRs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: 443 }] },
        // DNS, and the rest of the stack (memcached, other components) in this namespace.
        {
          to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        { to: [sameNamespace] },
        ...(policy.egressTo.length > 0 ? [{ to: policy.egressTo.map(peer) }] : []),
      ];
    }
    out.push({
      file: `${stem}-networkPolicy.yaml`,
      object: kube('networking.k8s.io/v1', 'NetworkPolicy', {
        metadata: {
          name: workload.metadata.name,
          namespace: context.namespace,
          labels: workload.metadata.labels ?? {},
        },
        spec,
      }),
    });
  }
  return out;
}

interface Ring {
  hashring: string;
  endpoints: (string | { address: string; az: string })[];
  [field: string]: unknown;
}

/**
 * One ingestor StatefulSet and headless Service per hashring and zone (replicas / zones pods each, required node
 * affinity on the zone), the router's hashrings.json endpoints rewritten as {address, az}, and query's store endpoints
 * pointed at the per-zone Services.
 */
function pinIngestorZones(set: OwnedManifest[], zones: string[], context: ProductionContext): OwnedManifest[] {
  const ingestor = context.configs.receiveIngestor ?? {};
  const grpc = ingestor.ports?.grpc;
  const perZone = (ingestor.replicas ?? 0) / zones.length;
  const split = new Map<string, string[]>(); // ring StatefulSet name -> per-zone names
  const out: OwnedManifest[] = [];
  for (const manifest of set) {
    const { object } = manifest;
    const splittable =
      manifest.component === 'receiveIngestor' && (object.kind === 'StatefulSet' || object.kind === 'Service');
    if (!splittable) {
      out.push(manifest);
      continue;
    }
    const name = object.metadata.name;
    const stem = manifest.file.replace(/-(statefulSet|service)\.yaml$/, '');
    const suffix = manifest.file.slice(stem.length);
    split.set(
      name,
      zones.map((zone) => `${name}-${zone}`),
    );
    for (const zone of zones) {
      const zoned = clone(object) as unknown as Workload & {
        spec: { selector: Labels | { matchLabels: Labels }; serviceName?: string; volumeClaimTemplates?: JsonObject[] };
      };
      const zoneName = `${name}-${zone}`;
      zoned.metadata.name = zoneName;
      zoned.metadata.labels = { ...(zoned.metadata.labels ?? {}), [ZONE_LABEL]: zone };
      if (object.kind === 'Service') {
        const spec = zoned.spec as unknown as { selector: Labels };
        spec.selector = { ...spec.selector, [ZONE_LABEL]: zone };
      } else {
        zoned.spec.replicas = perZone;
        zoned.spec.serviceName = zoneName;
        zoned.spec.selector.matchLabels = { ...zoned.spec.selector.matchLabels, [ZONE_LABEL]: zone };
        const template = zoned.spec.template;
        template.metadata.labels = { ...template.metadata.labels, [ZONE_LABEL]: zone };
        for (const claim of zoned.spec.volumeClaimTemplates ?? []) {
          const meta = claim.metadata as { labels?: Labels };
          meta.labels = { ...(meta.labels ?? {}), [ZONE_LABEL]: zone };
        }
        const container = template.spec.containers[0] as Container;
        container.args = (container.args ?? []).map((arg) =>
          arg.replace(
            `--receive.local-endpoint=$(NAME).${name}.$(NAMESPACE):`,
            `--receive.local-endpoint=$(NAME).${zoneName}.$(NAMESPACE):`,
          ),
        );
        template.spec.affinity = {
          ...(template.spec.affinity ?? {}),
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: [zone] }] }],
            },
          },
        };
      }
      out.push({
        file: `${stem}-${zone}${suffix}`,
        object: zoned as unknown as KubeObject,
        component: manifest.component,
      });
    }
  }
  for (const manifest of out) {
    if (manifest.component === 'receiveRouter' && manifest.object.kind === 'ConfigMap') {
      const object = clone(manifest.object) as unknown as { data: Record<string, string> };
      const rings = JSON.parse(object.data['hashrings.json'] ?? '[]') as Ring[];
      for (const ring of rings) {
        const zoned = split.get(`${String(ingestor.name)}-ingestor-${ring.hashring}`);
        if (!zoned) continue;
        ring.endpoints = zoned.flatMap((service, z) =>
          Array.from({ length: perZone }, (_, i) => ({
            address: `${service}-${i}.${service}.${context.namespace}:${String(grpc)}`,
            az: zones[z] as string,
          })),
        );
      }
      object.data['hashrings.json'] = jsonnetToString(rings);
      manifest.object = object as unknown as KubeObject;
    }
    if (manifest.component === 'query' && manifest.object.kind === 'Deployment') {
      const object = clone(manifest.object) as unknown as Workload;
      const container = object.spec.template.spec.containers[0] as Container;
      container.args = (container.args ?? []).flatMap((arg) => {
        for (const [service, zoned] of split) {
          const prefix = `--endpoint=dnssrv+_grpc._tcp.${service}.`;
          if (arg.startsWith(prefix))
            return zoned.map(
              (zoneService) => `--endpoint=dnssrv+_grpc._tcp.${zoneService}.${arg.slice(prefix.length)}`,
            );
        }
        return [arg];
      });
      manifest.object = object as unknown as KubeObject;
    }
  }
  return out;
}
