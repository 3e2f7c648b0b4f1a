import type { KubeObject, ManifestSet } from '../model/objects.js';
import type { TlsConfig } from '../config/tls-objstore-schema.js';
import {
  grpcServerName,
  securityWiring,
  type ObjectStorageTarget,
  type SecuritySettings,
} from '../render/tls-objstore-overlay.js';

// The security plan: what rotation issues, where it writes it and whom it restarts, derived from the rendered set
// (through the render overlay's wiring, so rotation and rendering agree on every Secret name) and the config.

export interface LeafRequest {
  /** Stable identity of the leaf, e.g. `remote-write`, `grpc`, `tenant:team-a`. */
  id: string;
  secretName: string;
  namespace: string;
  commonName: string;
  dnsNames: string[];
  usages: ('serverAuth' | 'clientAuth')[];
  /** For tenant certificates: the subject field carrying the tenant id. */
  subject?: { commonName?: string; organization?: string; organizationalUnit?: string };
  tenant?: { id: string; deliverTo?: { namespace: string; secretName: string } };
}

export interface SecurityPlan {
  namespace: string;
  tls?: TlsConfig;
  objectStorage?: ObjectStorageTarget;
  leaves: LeafRequest[];
  /** Workloads that read the CA bundle file: restarted when the bundle changes. */
  caReaders: KubeObject[];
  /** Workloads that read the objstore Secret via env: restarted when it changes. */
  objstoreConsumers: KubeObject[];
}

function selectorMatches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function serviceNamesFor(set: ManifestSet, workload: KubeObject): string[] {
  const labels = (workload.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)
    ?.template?.metadata?.labels;
  return set
    .filter((m) => m.object.kind === 'Service')
    .filter((m) =>
      selectorMatches((m.object.spec as { selector?: Record<string, string> } | undefined)?.selector, labels),
    )
    .map((m) => m.object.metadata.name);
}

function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

/** Everything rotation needs to know, derived from the rendered set and the two config sections. */
export function securityPlan(set: ManifestSet, settings: SecuritySettings): SecurityPlan {
  const { frontDoors, grpcServers, ...shared } = securityWiring(set, settings);
  const { namespace, tls } = shared;
  const plan: SecurityPlan = { ...shared, leaves: [] };
  if (!tls) return plan;

  if (tls.remoteWrite.enabled) {
    const services = [...new Set(frontDoors.flatMap((f) => serviceNamesFor(set, f.manifest.object)))].sort();
    const dnsNames = [
      ...new Set([...services.flatMap((s) => serviceDnsNames(s, namespace)), ...tls.remoteWrite.dnsNames]),
    ];
    plan.leaves.push({
      id: 'remote-write',
      secretName: tls.remoteWrite.secretName,
      namespace,
      commonName: services[0] ?? frontDoors[0]!.manifest.object.metadata.name,
      dnsNames,
      usages: ['serverAuth'],
    });
  }
  if (tls.grpc.enabled) {
    const dnsNames = new Set<string>([grpcServerName(namespace)]);
    for (const s of grpcServers) {
      for (const svc of serviceNamesFor(set, s.manifest.object))
        for (const n of serviceDnsNames(svc, namespace)) dnsNames.add(n);
      const object = s.manifest.object;
      const spec = object.spec as { serviceName?: string; replicas?: number };
      if (object.kind === 'StatefulSet' && spec.serviceName) {
        // The hashring endpoints and --receive.local-endpoint use the short <pod>.<svc>.<ns> names.
        for (let i = 0; i < (spec.replicas ?? 1); i++) {
          dnsNames.add(`${object.metadata.name}-${i}.${spec.serviceName}.${namespace}`);
          dnsNames.add(`${object.metadata.name}-${i}.${spec.serviceName}.${namespace}.svc`);
        }
        // Scaling out adds pods; the wildcard covers them until the next renewal lists them by name.
        dnsNames.add(`*.${spec.serviceName}.${namespace}`);
        dnsNames.add(`*.${spec.serviceName}.${namespace}.svc`);
      }
    }
    plan.leaves.push({
      id: 'grpc',
      secretName: tls.grpc.secretName,
      namespace,
      commonName: grpcServerName(namespace),
      dnsNames: [...dnsNames],
      usages: ['serverAuth', 'clientAuth'],
    });
  }
  const field = tls.remoteWrite.tenantCertificateField ?? 'commonName';
  for (const tenant of tls.certificates.tenants) {
    const deliveryNamespace = tenant.namespace ?? tls.delivery.namespace;
    plan.leaves.push({
      id: `tenant:${tenant.id}`,
      secretName: `thanos-tenant-${tenant.id.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`,
      namespace,
      commonName: field === 'commonName' ? tenant.id : `thanos-tenant-${tenant.id}`,
      dnsNames: [],
      usages: ['clientAuth'],
      subject: {
        commonName: field === 'commonName' ? tenant.id : `thanos-tenant-${tenant.id}`,
        ...(field === 'organization' ? { organization: tenant.id } : {}),
        ...(field === 'organizationalUnit' ? { organizationalUnit: tenant.id } : {}),
      },
      tenant: {
        id: tenant.id,
        ...(deliveryNamespace
          ? {
              deliverTo: {
                namespace: deliveryNamespace,
                secretName: tls.delivery.secretName.replace(
                  '{tenant}',
                  tenant.id.toLowerCase().replace(/[^a-z0-9-]/g, '-'),
                ),
              },
            }
          : {}),
      },
    });
  }
  return plan;
}
