import * as z from 'zod';

/**
 * The `production:` section: what a production Thanos on EKS needs beyond kube-thanos. Every part is its own option
 * and off when absent; without the section the rendered set is kube-thanos's, byte for byte.
 */

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;
const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const labelMap = z.record(z.string(), z.string());

const peerSchema = z
  .object({
    cidr: z
      .string()
      .regex(CIDR, { message: 'must be a CIDR such as 10.0.0.0/8' })
      .optional()
      .describe('An IP block (ipBlock.cidr).'),
    namespaceSelector: labelMap
      .optional()
      .describe('Namespaces by label, e.g. {kubernetes.io/metadata.name: monitoring}.'),
    podSelector: labelMap.optional().describe('Pods by label (within namespaceSelector, or this namespace).'),
  })
  .strict()
  .refine((peer) => peer.cidr !== undefined || peer.namespaceSelector !== undefined || peer.podSelector !== undefined, {
    message: 'a peer needs cidr, namespaceSelector or podSelector',
  });

const hpaSchema = z
  .object({
    minReplicas: z.number().int().min(1).describe('Lower bound; also what the Deployment starts with.'),
    maxReplicas: z.number().int().min(1),
    targetCPUUtilizationPercentage: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(75)
      .describe('Average CPU utilization of the requests. Default 75.'),
    targetMemoryUtilizationPercentage: z.number().int().min(1).max(100).optional(),
  })
  .strict()
  .refine((hpa) => hpa.maxReplicas >= hpa.minReplicas, { message: 'maxReplicas must be >= minReplicas' });

const parentRefSchema = z
  .object({
    name: z.string().regex(DNS_LABEL),
    namespace: z.string().regex(DNS_LABEL).optional(),
    sectionName: z.string().regex(DNS_LABEL).optional(),
  })
  .strict();

const queryFrontendExposureSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z
        .literal('HTTPRoute')
        .describe('Gateway API HTTPRoute (gateway.networking.k8s.io/v1) to the query-frontend Service.'),
      host: z.string().regex(HOST),
      parentRefs: z.array(parentRefSchema).min(1).describe('The Gateway(s) the route attaches to.'),
    })
    .strict(),
  z
    .object({
      kind: z
        .literal('Ingress')
        .describe('networking.k8s.io/v1 Ingress (e.g. AWS Load Balancer Controller with ingressClassName alb).'),
      host: z.string().regex(HOST),
      ingressClassName: z.string().min(1),
      tlsSecretName: z
        .string()
        .regex(DNS_LABEL)
        .optional()
        .describe('Secret with the certificate for host (omit when the controller terminates TLS, e.g. ALB + ACM).'),
      annotations: labelMap.optional(),
    })
    .strict(),
]);

const remoteWriteExposureSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z
        .literal('TLSRoute')
        .describe('Gateway API TLSRoute (v1alpha2) in passthrough: mTLS still ends at the router.'),
      host: z.string().regex(HOST),
      parentRefs: z.array(parentRefSchema).min(1),
    })
    .strict(),
  z
    .object({
      kind: z
        .literal('LoadBalancer')
        .describe(
          'A LoadBalancer Service with AWS Load Balancer Controller NLB annotations (TCP, so TLS passes through).',
        ),
      port: z.number().int().min(1).max(65535).default(443).describe('Port the NLB listens on. Default 443.'),
      scheme: z.enum(['internet-facing', 'internal']).default('internal').describe('NLB scheme. Default internal.'),
      sourceRanges: z.array(z.string().regex(CIDR)).default([]).describe('loadBalancerSourceRanges. Default [] (any).'),
    })
    .strict(),
]);

const componentProductionSchema = z
  .object({
    extraArgs: z
      .array(z.string().regex(/^--[a-z0-9][a-z0-9.-]*(=.*)?$/s, { message: 'must be a --flag or --flag=value' }))
      .optional()
      .describe('Appended to the Thanos container args.'),
    tolerations: z.array(z.record(z.string(), z.unknown())).optional().describe('Pod tolerations, as in a Pod spec.'),
    nodeSelector: labelMap.optional().describe("Merged over kube-thanos's {kubernetes.io/os: linux}."),
    affinity: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        "Merged over kube-thanos's affinity by kind (nodeAffinity, podAffinity, podAntiAffinity replace theirs).",
      ),
    priorityClassName: z.string().regex(DNS_LABEL).optional(),
    podLabels: labelMap.optional().describe('Extra pod template labels (not in selectors).'),
    podAnnotations: labelMap.optional().describe('Pod template annotations.'),
  })
  .strict();

export const productionSchema = z
  .object({
    zoneSpread: z
      .object({
        maxSkew: z.number().int().min(1).default(1),
        whenUnsatisfiable: z.enum(['ScheduleAnyway', 'DoNotSchedule']).default('ScheduleAnyway'),
      })
      .strict()
      .optional()
      .describe('topologySpreadConstraints on topology.kubernetes.io/zone for every workload.'),
    ingestorZones: z
      .array(z.string().regex(DNS_LABEL, { message: 'zone names are lowercase DNS labels, e.g. eu-west-1a' }))
      .min(2)
      .optional()
      .describe(
        'Pin the receive ingestors to these zones: one StatefulSet (and Service) per hashring and zone with replicas/zones pods, ' +
          'and hashring endpoints carrying their `az` so Thanos ketama puts the replicas of a series in different zones.',
      ),
    podDisruptionBudgets: z
      .boolean()
      .optional()
      .describe(
        'A PodDisruptionBudget (maxUnavailable 1) for every workload with more than one replica that has none.',
      ),
    podSecurity: z
      .literal('restricted')
      .optional()
      .describe('Pod Security "restricted" for every container, and the Namespace with the enforce/warn/audit labels.'),
    goMemLimit: z
      .object({
        ratio: z
          .number()
          .gt(0)
          .lte(1)
          .default(0.9)
          .describe("Share of the memory limit. Default 0.9 (Thanos's own default)."),
      })
      .strict()
      .optional()
      .describe(
        'Thanos >= v0.35.0: --enable-auto-gomemlimit (cgroup limit); older: env GOMEMLIMIT from resources.limits.memory.',
      ),
    startupProbes: z
      .object({
        failureThreshold: z.number().int().min(1).default(60),
        periodSeconds: z.number().int().min(1).default(10),
      })
      .strict()
      .optional()
      .describe('A startup probe on /-/ready for receive and store, so liveness waits for WAL replay and bucket sync.'),
    networkPolicies: z
      .object({
        remoteWriteFrom: z.array(peerSchema).min(1).describe("Who may reach the router's remote-write port."),
        objectStoreCIDRs: z
          .array(z.string().regex(CIDR))
          .min(1)
          .describe('Egress on 443 for the components that read or write the bucket.'),
        allowFrom: z
          .array(peerSchema)
          .default([])
          .describe('Other peers allowed to every Thanos port (Grafana, Prometheus scraping).'),
        egressTo: z
          .array(peerSchema)
          .default([])
          .describe(
            'Other destinations of the egress-restricted components (Alertmanager for the ruler, a tracing collector in another namespace).',
          ),
      })
      .strict()
      .optional(),
    autoscaling: z
      .object({ query: hpaSchema.optional(), queryFrontend: hpaSchema.optional() })
      .strict()
      .optional()
      .describe('HorizontalPodAutoscalers; the Deployment then leaves spec.replicas to the HPA.'),
    exposure: z
      .object({
        queryFrontend: queryFrontendExposureSchema.optional(),
        remoteWrite: remoteWriteExposureSchema.optional(),
      })
      .strict()
      .optional(),
    components: z
      .object({
        query: componentProductionSchema.optional(),
        queryFrontend: componentProductionSchema.optional(),
        receiveRouter: componentProductionSchema.optional(),
        receiveIngestor: componentProductionSchema.optional(),
        receive: componentProductionSchema.optional(),
        receiveHashrings: componentProductionSchema.optional(),
        store: componentProductionSchema.optional(),
        storeShards: componentProductionSchema.optional(),
        compact: componentProductionSchema.optional(),
        compactShards: componentProductionSchema.optional(),
        rule: componentProductionSchema.optional(),
        bucket: componentProductionSchema.optional(),
        bucketReplicate: componentProductionSchema.optional(),
      })
      .strict()
      .optional()
      .describe('Per-component pod settings kube-thanos does not offer.'),
  })
  .strict()
  .describe('Production profile beyond kube-thanos; every part is off unless set.');

export type ProductionInput = z.input<typeof productionSchema>;
export type Production = z.output<typeof productionSchema>;
export type ComponentProduction = z.output<typeof componentProductionSchema>;
