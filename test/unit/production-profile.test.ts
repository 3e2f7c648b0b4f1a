import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStackConfig } from '../../src/config/parse.js';
import type { KubeObject } from '../../src/model/objects.js';
import { renderStack, toKubeYaml } from '../../src/render/index.js';
import { memoryBytes } from '../../src/render/production.js';

const BASE = [
  'apiVersion: thanos-gitops/v1alpha1',
  'kind: ThanosStack',
  'common:',
  '  namespace: thanos',
  '  version: v0.42.4',
  '  image: quay.io/thanos/thanos:v0.42.4',
  '  objectStorageConfig: {name: thanos-objectstorage, key: thanos.yaml}',
  '  resources: {limits: {memory: 2Gi}}',
  'receiveIngestor: {replicas: 3, replicationFactor: 2, replicaLabels: [receive_replica]}',
  'receiveRouter: {routerReplicas: 2, replicationFactor: 2}',
  'store: {replicas: 2}',
  'compact: {replicas: 1}',
  'query: {replicas: 2, replicaLabels: [receive_replica]}',
  'queryFrontend: {replicas: 2, downstreamURL: "http://thanos-query.thanos.svc:9090"}',
  'rule: {replicas: 1, reloaderImage: reloader:v1, rulesConfig: [{name: rules, key: r.yaml}], volumeClaimTemplate: {}}',
];

function render(...production: string[]): Map<string, KubeObject> {
  const text = [
    ...BASE,
    ...(production.length > 0 ? ['production:', ...production.map((line) => `  ${line}`)] : []),
    '',
  ].join('\n');
  return new Map(renderStack(parseStackConfig(text, 'stack.yaml')).map((m) => [m.file, m.object]));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const at = (object: KubeObject | undefined): any => object as any;
const workloads = (set: Map<string, KubeObject>) =>
  [...set.values()].filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');

describe('production profile', () => {
  it('is off without the section, and an empty section changes nothing (kube-thanos byte for byte)', () => {
    const plain = render();
    const empty = render('components: {}');
    expect([...empty.keys()]).toEqual([...plain.keys()]);
    for (const [file, object] of plain) expect(toKubeYaml(empty.get(file)), file).toBe(toKubeYaml(object));
  });

  it("zoneSpread: a zone topologySpreadConstraint selecting each workload's own pods", () => {
    for (const workload of workloads(render('zoneSpread: {maxSkew: 1, whenUnsatisfiable: DoNotSchedule}'))) {
      const spec = at(workload).spec;
      expect(spec.template.spec.topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: spec.selector.matchLabels },
        },
      ]);
    }
  });

  it('podDisruptionBudgets: one per workload with more than one replica, none where kube-thanos already has one', () => {
    const set = render('podDisruptionBudgets: true');
    const pdbs = [...set.values()]
      .filter((o) => o.kind === 'PodDisruptionBudget')
      .map((o) => o.metadata.name)
      .sort();
    // The ingestor's comes from kube-thanos (maxUnavailable floor(2/2) = 1); compact and rule run one pod.
    expect(pdbs).toEqual([
      'thanos-query',
      'thanos-query-frontend',
      'thanos-receive-ingestor-default',
      'thanos-receive-router',
      'thanos-store',
    ]);
    expect(at(set.get('thanos-store-podDisruptionBudget.yaml')).spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: at(set.get('thanos-store-statefulSet.yaml')).spec.selector.matchLabels },
    });
  });

  it('podSecurity restricted: every container (the reloader too) and the Namespace labels', () => {
    const set = render('podSecurity: restricted');
    for (const workload of workloads(set)) {
      const pod = at(workload).spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of pod.containers) {
        expect(container.securityContext, `${workload.metadata.name}/${container.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
      }
    }
    expect(at(set.get('thanos-namespace.yaml')).metadata).toEqual({
      name: 'thanos',
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
      },
    });
  });

  it('goMemLimit: --enable-auto-gomemlimit from Thanos v0.35.0 on, GOMEMLIMIT bytes before it', () => {
    const current = at(render('goMemLimit: {ratio: 0.8}').get('thanos-store-statefulSet.yaml')).spec.template.spec
      .containers[0];
    expect(current.args.slice(-2)).toEqual(['--enable-auto-gomemlimit', '--auto-gomemlimit.ratio=0.8']);
    const text = [...BASE, 'production: {goMemLimit: {}}', '']
      .join('\n')
      .replace('version: v0.42.4', 'version: v0.34.1');
    const old = at(
      new Map(renderStack(parseStackConfig(text, 's.yaml')).map((m) => [m.file, m.object])).get(
        'thanos-store-statefulSet.yaml',
      ),
    ).spec.template.spec.containers[0];
    expect(old.args).not.toContain('--enable-auto-gomemlimit');
    expect(old.env.at(-1)).toEqual({ name: 'GOMEMLIMIT', value: String(Math.floor(2 * 2 ** 30 * 0.9)) });
    expect([memoryBytes('512Mi'), memoryBytes('1G'), memoryBytes('1.5Gi'), memoryBytes('lots')]).toEqual([
      512 * 2 ** 20,
      1e9,
      1.5 * 2 ** 30,
      undefined,
    ]);
  });

  it('startupProbes: receive and store only, on their readiness endpoint', () => {
    const set = render('startupProbes: {failureThreshold: 30, periodSeconds: 20}');
    const probe = (file: string) => at(set.get(file)).spec.template.spec.containers[0].startupProbe;
    expect(probe('thanos-store-statefulSet.yaml')).toEqual({
      httpGet: { scheme: 'HTTP', port: 10902, path: '/-/ready' },
      failureThreshold: 30,
      periodSeconds: 20,
    });
    expect(probe('thanos-receive-ingestor-default-statefulSet.yaml')).toMatchObject({ failureThreshold: 30 });
    expect(probe('thanos-query-deployment.yaml')).toBeUndefined();
    expect(probe('thanos-compact-statefulSet.yaml')).toBeUndefined();
  });

  it('networkPolicies: remote-write only from the listed peers, stack ports within the namespace, object store egress', () => {
    const set = render(
      'networkPolicies: {remoteWriteFrom: [{cidr: 10.0.0.0/8}], objectStoreCIDRs: [52.0.0.0/8], allowFrom: [{namespaceSelector: {team: obs}}]}',
    );
    const router = at(set.get('thanos-receive-router-networkPolicy.yaml')).spec;
    expect(router.policyTypes).toEqual(['Ingress']);
    expect(router.ingress).toContainEqual({
      from: [{ ipBlock: { cidr: '10.0.0.0/8' } }],
      ports: [{ protocol: 'TCP', port: 19291 }],
    });
    expect(router.ingress[0].from).toEqual([
      { podSelector: {} },
      { namespaceSelector: { matchLabels: { team: 'obs' } } },
    ]);
    const store = at(set.get('thanos-store-networkPolicy.yaml')).spec;
    expect(store.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(store.egress[0]).toEqual({
      to: [{ ipBlock: { cidr: '52.0.0.0/8' } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });
    expect(at(set.get('thanos-query-networkPolicy.yaml')).spec.policyTypes).toEqual(['Ingress']);
    // The ruler's Alertmanager lives elsewhere: egressTo opens it for every egress-restricted component.
    const ruler = render(
      'networkPolicies: {remoteWriteFrom: [{cidr: 10.0.0.0/8}], objectStoreCIDRs: [52.0.0.0/8], egressTo: [{namespaceSelector: {name: alerting}}]}',
    );
    expect(at(ruler.get('thanos-rule-networkPolicy.yaml')).spec.egress.at(-1)).toEqual({
      to: [{ namespaceSelector: { matchLabels: { name: 'alerting' } } }],
    });
  });

  it('a part aimed at a component the stack lacks is refused with the path and the fix', () => {
    const text = [
      ...BASE.filter((line) => !line.startsWith('queryFrontend:')),
      'production: {autoscaling: {queryFrontend: {minReplicas: 2, maxReplicas: 3}}}',
      '',
    ].join('\n');
    expect(() => renderStack(parseStackConfig(text, 'stack.yaml'))).toThrow(
      /production\.autoscaling\.queryFrontend: the stack has no queryFrontend section; add a queryFrontend section or remove production\.autoscaling\.queryFrontend/,
    );
  });

  it('autoscaling: an autoscaling/v2 HPA, and the Deployment leaves replicas to it', () => {
    const set = render('autoscaling: {query: {minReplicas: 2, maxReplicas: 5}}');
    expect(at(set.get('thanos-query-horizontalPodAutoscaler.yaml')).spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'thanos-query' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 75 } } },
      ],
    });
    expect(at(set.get('thanos-query-deployment.yaml')).spec.replicas).toBeUndefined();
    expect(at(set.get('thanos-query-frontend-deployment.yaml')).spec.replicas).toBe(2);
  });

  it('exposure: HTTPRoute or Ingress for the frontend, TLSRoute or an NLB Service for remote-write', () => {
    const gateway = render(
      'exposure: {queryFrontend: {kind: HTTPRoute, host: thanos.example.com, parentRefs: [{name: gw, namespace: infra}]}, remoteWrite: {kind: TLSRoute, host: rw.example.com, parentRefs: [{name: gw, namespace: infra, sectionName: tls}]}}',
    );
    expect(at(gateway.get('thanos-query-frontend-httpRoute.yaml')).spec.rules).toEqual([
      { backendRefs: [{ name: 'thanos-query-frontend', port: 9090 }] },
    ]);
    expect(at(gateway.get('thanos-receive-router-tlsRoute.yaml')).spec).toEqual({
      parentRefs: [{ name: 'gw', namespace: 'infra', sectionName: 'tls' }],
      hostnames: ['rw.example.com'],
      rules: [{ backendRefs: [{ name: 'thanos-receive-router', port: 19291 }] }],
    });
    const aws = render(
      'exposure: {queryFrontend: {kind: Ingress, host: thanos.example.com, ingressClassName: alb}, remoteWrite: {kind: LoadBalancer, scheme: internet-facing, sourceRanges: [203.0.113.0/24]}}',
    );
    const nlb = at(aws.get('thanos-receive-router-remoteWriteLoadBalancer.yaml'));
    expect(nlb.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-scheme']).toBe('internet-facing');
    expect(nlb.spec).toMatchObject({
      type: 'LoadBalancer',
      ports: [{ name: 'remote-write', port: 443, targetPort: 19291, protocol: 'TCP' }],
      loadBalancerSourceRanges: ['203.0.113.0/24'],
    });
    expect(at(aws.get('thanos-query-frontend-ingress.yaml')).spec.rules[0].http.paths[0].backend).toEqual({
      service: { name: 'thanos-query-frontend', port: { number: 9090 } },
    });
  });

  it('per-component knobs: extraArgs, tolerations, nodeSelector, affinity, priorityClassName, podLabels, podAnnotations', () => {
    const set = render(
      'components: {store: {extraArgs: [--store.enable-index-header-lazy-reader], tolerations: [{key: k, operator: Exists}], nodeSelector: {pool: a}, affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [a]}]}]}}}, priorityClassName: thanos, podLabels: {team: obs}, podAnnotations: {a: b}}}',
    );
    const sts = at(set.get('thanos-store-statefulSet.yaml'));
    const pod = sts.spec.template;
    expect(pod.spec.containers[0].args.at(-1)).toBe('--store.enable-index-header-lazy-reader');
    expect(pod.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', pool: 'a' });
    expect(pod.spec.affinity.podAntiAffinity).toBeDefined();
    expect(pod.spec.affinity.nodeAffinity).toBeDefined();
    expect(pod.spec.priorityClassName).toBe('thanos');
    expect(pod.spec.tolerations).toEqual([{ key: 'k', operator: 'Exists' }]);
    expect(pod.metadata.labels.team).toBe('obs');
    expect(sts.spec.selector.matchLabels.team).toBeUndefined();
    expect(pod.metadata.annotations).toEqual({ a: 'b' });
  });

  it('the EKS example turns every part on', () => {
    const path = resolve(process.cwd(), 'examples/stack/thanos-stack.yaml');
    const set = renderStack(parseStackConfig(readFileSync(path, 'utf8'), path));
    const kinds = new Set(set.map((m) => m.object.kind));
    for (const kind of ['Namespace', 'PodDisruptionBudget', 'NetworkPolicy', 'HorizontalPodAutoscaler', 'Ingress'])
      expect(kinds).toContain(kind);
    expect(set.some((m) => m.file === 'thanos-receive-router-remoteWriteLoadBalancer.yaml')).toBe(true);
  });
});

describe('production.ingestorZones', () => {
  const zoned = (...extra: string[]) =>
    [
      ...BASE.map((line) =>
        line.replace(
          'receiveIngestor: {replicas: 3,',
          'receiveIngestor: {replicas: 6, hashrings: [{hashring: default, tenants: [], algorithm: ketama}],',
        ),
      ),
      ...extra,
      '',
    ].join('\n');

  it('one StatefulSet and Service per zone, az on every hashring endpoint, query dials every zone', () => {
    const set = new Map(
      renderStack(
        parseStackConfig(
          zoned('production: {ingestorZones: [eu-west-1a, eu-west-1b], podDisruptionBudgets: true}'),
          's.yaml',
        ),
      ).map((m) => [m.file, m.object]),
    );
    expect(set.has('thanos-receive-ingestor-default-statefulSet.yaml')).toBe(false);
    const a = at(set.get('thanos-receive-ingestor-default-eu-west-1a-statefulSet.yaml'));
    expect(a.metadata.name).toBe('thanos-receive-ingestor-default-eu-west-1a');
    expect(a.spec.replicas).toBe(3);
    expect(a.spec.serviceName).toBe('thanos-receive-ingestor-default-eu-west-1a');
    expect(a.spec.selector.matchLabels['thanos-gitops.io/zone']).toBe('eu-west-1a');
    expect(
      a.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
        .matchExpressions,
    ).toEqual([{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1a'] }]);
    expect(a.spec.template.spec.containers[0].args).toContain(
      '--receive.local-endpoint=$(NAME).thanos-receive-ingestor-default-eu-west-1a.$(NAMESPACE):10901',
    );
    expect(
      at(set.get('thanos-receive-ingestor-default-eu-west-1b-service.yaml')).spec.selector['thanos-gitops.io/zone'],
    ).toBe('eu-west-1b');

    const rings = JSON.parse(at(set.get('thanos-receive-router-configmap.yaml')).data['hashrings.json']);
    expect(rings[0].endpoints).toHaveLength(6);
    expect(rings[0].endpoints[0]).toEqual({
      address: 'thanos-receive-ingestor-default-eu-west-1a-0.thanos-receive-ingestor-default-eu-west-1a.thanos:10901',
      az: 'eu-west-1a',
    });
    expect(rings[0].endpoints[5]).toEqual({
      address: 'thanos-receive-ingestor-default-eu-west-1b-2.thanos-receive-ingestor-default-eu-west-1b.thanos:10901',
      az: 'eu-west-1b',
    });

    const query = at(set.get('thanos-query-deployment.yaml')).spec.template.spec.containers[0].args;
    expect(query.filter((arg: string) => arg.includes('ingestor'))).toEqual([
      '--endpoint=dnssrv+_grpc._tcp.thanos-receive-ingestor-default-eu-west-1a.thanos:10901',
      '--endpoint=dnssrv+_grpc._tcp.thanos-receive-ingestor-default-eu-west-1b.thanos:10901',
    ]);
    // kube-thanos's ring PDB covers both zones; a second PDB over the same pods would block every eviction.
    const pdbs = [...set.values()].filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name);
    expect(pdbs.filter((name) => name.includes('ingestor'))).toEqual(['thanos-receive-ingestor-default']);
  });

  it('is refused with the fix when replicas do not divide, the ring is hashmod, or the router endpoints are hand-written', () => {
    expect(() => renderStack(parseStackConfig(zoned('production: {ingestorZones: [a, b, c, d]}'), 's.yaml'))).toThrow(
      /production\.ingestorZones: receiveIngestor\.replicas \(6\) is not a multiple of the 4 zones/,
    );
    const hashmod = zoned('production: {ingestorZones: [a, b]}').replace(', algorithm: ketama', '');
    expect(() => renderStack(parseStackConfig(hashmod, 's.yaml'))).toThrow(
      /hashring default uses hashmod \(the default\), which Thanos refuses with zone \(az\) endpoints; set algorithm: ketama/,
    );
  });
});
