import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambda/config.js';
import { checkRelease, kindAllowed } from '../../src/reconciler/release-policy.js';
import type { ReleasePayload } from '../../src/reconciler/release.js';
import { MANAGED_KINDS } from '../../src/kube/rbac.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';
import { checkApplyPolicy, DEFAULT_APPLY_POLICY, qualifiedKind, type ApplyPolicy } from '../../src/policy/index.js';
import { parseApplyPolicy } from '../../src/policy/policy-file.js';

const GOLDEN = join(import.meta.dirname, '../../../shared/kube-thanos/example');

function golden(namespace = 'thanos'): ManifestSet {
  return readdirSync(GOLDEN)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const object = parse(readFileSync(join(GOLDEN, file), 'utf8')) as KubeObject;
      object.metadata.namespace = namespace;
      return { file, object };
    });
}

/** kube-thanos's query Deployment with one change made to its pod spec. */
function queryWith(change: (pod: Record<string, any>) => void, overrides: Partial<KubeObject> = {}): ManifestSet {
  const set = golden();
  const query = set.find((m) => m.file === 'thanos-query-deployment.yaml');
  if (!query) throw new Error('golden query deployment missing');
  const object = structuredClone(query.object) as KubeObject & { spec: { template: { spec: Record<string, any> } } };
  change(object.spec.template.spec);
  query.object = { ...object, ...overrides };
  return set;
}

function refusals(set: ManifestSet, policy: ApplyPolicy = DEFAULT_APPLY_POLICY) {
  return checkApplyPolicy(set, policy, { defaultNamespace: 'thanos' });
}

describe('default apply policy', () => {
  it('accepts kube-thanos output as rendered (every golden object)', () => {
    expect(refusals(golden())).toEqual([]);
  });

  it('lists the same group-qualified kinds the RBAC Roles grant', () => {
    const policyKinds = DEFAULT_APPLY_POLICY.kinds
      .map((entry) => qualifiedKind(entry))
      .map((k) => `${k.kind}.${k.group}`)
      .sort();
    expect(policyKinds).toEqual(MANAGED_KINDS.map((k) => `${k.kind}.${k.group}`).sort());
  });

  it('refuses a Deployment of a foreign API group that borrows the kind name', () => {
    const set = golden();
    set.push({
      file: 'evil.yaml',
      object: {
        apiVersion: 'evil.example.com/v1',
        kind: 'Deployment',
        metadata: { name: 'evil', namespace: 'thanos' },
        spec: {},
      },
    });
    const [refusal, ...rest] = refusals(set);
    expect(rest).toEqual([]);
    expect(refusal).toMatchObject({ object: 'Deployment thanos/evil (evil.yaml)', rule: 'kinds' });
    expect(refusal?.problem).toContain(
      'Deployment.evil.example.com (apiVersion evil.example.com/v1) is not an allowed kind',
    );
    expect(kindAllowed({ apiVersion: 'evil.example.com/v1', kind: 'Deployment' }, ['Deployment'])).toBe(false);
    expect(kindAllowed({ apiVersion: 'apps/v1', kind: 'Deployment' }, ['Deployment'])).toBe(true);
    expect(kindAllowed({ apiVersion: 'v1', kind: 'Secret' }, ['Secret.core'])).toBe(true);
    expect(
      checkApplyPolicy([{ file: 's.yaml', object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } } }], {
        ...DEFAULT_APPLY_POLICY,
        kinds: ['Secret.core'],
      }),
    ).toEqual([]);
    expect(kindAllowed({ apiVersion: 'evil.example.com/v1', kind: 'Secret' }, ['Secret'])).toBe(false);
  });

  const attacks: Array<{ name: string; set: () => ManifestSet; path: string; rule: string; fix: RegExp }> = [
    {
      name: 'privileged container',
      set: () => queryWith((pod) => (pod.containers[0].securityContext.privileged = true)),
      path: '.spec.template.spec.containers[0].securityContext.privileged',
      rule: 'podSecurity.baseline.privileged',
      fix: /remove \.spec\.template\.spec\.containers\[0\]\.securityContext\.privileged/,
    },
    {
      name: 'hostPID',
      set: () => queryWith((pod) => (pod.hostPID = true)),
      path: '.spec.template.spec.hostPID',
      rule: 'podSecurity.baseline.hostNamespaces',
      fix: /remove \.spec\.template\.spec\.hostPID/,
    },
    {
      name: 'hostIPC',
      set: () => queryWith((pod) => (pod.hostIPC = true)),
      path: '.spec.template.spec.hostIPC',
      rule: 'podSecurity.baseline.hostNamespaces',
      fix: /remove/,
    },
    {
      name: 'hostNetwork',
      set: () => queryWith((pod) => (pod.hostNetwork = true)),
      path: '.spec.template.spec.hostNetwork',
      rule: 'podSecurity.baseline.hostNamespaces',
      fix: /remove/,
    },
    {
      name: 'hostPath / volume',
      set: () => queryWith((pod) => (pod.volumes = [{ name: 'root', hostPath: { path: '/' } }])),
      path: '.spec.template.spec.volumes[0].hostPath',
      rule: 'podSecurity.baseline.hostPath',
      fix: /emptyDir/,
    },
    {
      name: 'SYS_ADMIN capability',
      set: () =>
        queryWith((pod) => (pod.containers[0].securityContext.capabilities = { drop: ['ALL'], add: ['SYS_ADMIN'] })),
      path: '.spec.template.spec.containers[0].securityContext.capabilities.add[0]',
      rule: 'podSecurity.baseline.capabilitiesBaseline',
      fix: /remove SYS_ADMIN/,
    },
    {
      name: 'NET_RAW capability (outside the baseline set)',
      set: () =>
        queryWith((pod) => (pod.containers[0].securityContext.capabilities = { drop: ['ALL'], add: ['NET_RAW'] })),
      path: '.spec.template.spec.containers[0].securityContext.capabilities.add[0]',
      rule: 'podSecurity.baseline.capabilitiesBaseline',
      fix: /remove NET_RAW/,
    },
    {
      name: 'CHOWN capability',
      set: () =>
        queryWith((pod) => (pod.containers[0].securityContext.capabilities = { drop: ['ALL'], add: ['CHOWN'] })),
      path: '.spec.template.spec.containers[0].securityContext.capabilities.add[0]',
      rule: 'podSecurity.restricted.capabilitiesAdd',
      fix: /only NET_BIND_SERVICE/,
    },
    {
      name: 'root (runAsNonRoot removed, runAsUser 0)',
      set: () =>
        queryWith((pod) => {
          delete pod.securityContext.runAsNonRoot;
          delete pod.containers[0].securityContext.runAsNonRoot;
        }),
      path: '.spec.template.spec.securityContext.runAsNonRoot',
      rule: 'podSecurity.restricted.runAsNonRoot',
      fix: /set \.spec\.template\.spec\.securityContext\.runAsNonRoot: true/,
    },
    {
      name: 'runAsUser 0',
      set: () => queryWith((pod) => (pod.containers[0].securityContext.runAsUser = 0)),
      path: '.spec.template.spec.containers[0].securityContext.runAsUser',
      rule: 'podSecurity.restricted.runAsUser',
      fix: /non-zero/,
    },
    {
      name: 'seccomp Unconfined',
      set: () => queryWith((pod) => (pod.containers[0].securityContext.seccompProfile = { type: 'Unconfined' })),
      path: '.spec.template.spec.containers[0].securityContext.seccompProfile.type',
      rule: 'podSecurity.baseline.seccompUnconfined',
      fix: /RuntimeDefault/,
    },
    {
      name: 'no seccomp profile at all',
      set: () =>
        queryWith((pod) => {
          delete pod.securityContext.seccompProfile;
          delete pod.containers[0].securityContext.seccompProfile;
        }),
      path: '.spec.template.spec.securityContext.seccompProfile.type',
      rule: 'podSecurity.restricted.seccompProfile',
      fix: /RuntimeDefault/,
    },
    {
      name: 'allowPrivilegeEscalation: true',
      set: () => queryWith((pod) => (pod.containers[0].securityContext.allowPrivilegeEscalation = true)),
      path: '.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation',
      rule: 'podSecurity.restricted.allowPrivilegeEscalation',
      fix: /false/,
    },
    {
      name: 'hostPort',
      set: () => queryWith((pod) => (pod.containers[0].ports[0].hostPort = 80)),
      path: '.spec.template.spec.containers[0].ports[0].hostPort',
      rule: 'podSecurity.baseline.hostPorts',
      fix: /Service/,
    },
    {
      name: "another component's ServiceAccount",
      set: () => queryWith((pod) => (pod.serviceAccountName = 'aws-node')),
      path: '.spec.template.spec.serviceAccountName',
      rule: 'serviceAccounts',
      fix: /add a ServiceAccount aws-node to the set, or name one of .*thanos-query/,
    },
    {
      name: 'an init container that is privileged',
      set: () =>
        queryWith(
          (pod) => (pod.initContainers = [{ name: 'pwn', image: 'busybox', securityContext: { privileged: true } }]),
        ),
      path: '.spec.template.spec.initContainers[0].securityContext.privileged',
      rule: 'podSecurity.baseline.privileged',
      fix: /remove/,
    },
    {
      name: 'nfs volume',
      set: () => queryWith((pod) => (pod.volumes = [{ name: 'n', nfs: { server: '10.0.0.1', path: '/' } }])),
      path: '.spec.template.spec.volumes[0].nfs',
      rule: 'podSecurity.restricted.volumeTypes',
      fix: /persistentVolumeClaim/,
    },
  ];

  for (const attack of attacks) {
    it(`refuses ${attack.name}, naming the object, the field path and the fix`, () => {
      const found = refusals(attack.set());
      const refusal = found.find((r) => r.path === attack.path);
      expect(refusal, JSON.stringify(found)).toBeDefined();
      expect(refusal?.object).toBe('Deployment thanos/thanos-query (thanos-query-deployment.yaml)');
      expect(refusal?.rule).toBe(attack.rule);
      expect(refusal?.fix).toMatch(attack.fix);
    });
  }

  it('refuses LoadBalancer and NodePort Services and externalIPs; headless and ClusterIP pass', () => {
    const set = golden();
    const service = (name: string, spec: Record<string, unknown>): ManifestSet[number] => ({
      file: `${name}.yaml`,
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: 'thanos' },
        spec: { ports: [{ port: 80 }], ...spec },
      },
    });
    set.push(
      service('lb', { type: 'LoadBalancer' }),
      service('np', { type: 'NodePort' }),
      service('ext', { externalIPs: ['1.2.3.4'] }),
      service('headless', { clusterIP: 'None' }),
      service('plain', { type: 'ClusterIP' }),
    );
    const found = refusals(set);
    expect(found.map((r) => `${r.object} ${r.path} ${r.rule}`)).toEqual([
      'Service thanos/lb (lb.yaml) .spec.type serviceTypes',
      'Service thanos/np (np.yaml) .spec.type serviceTypes',
      'Service thanos/ext (ext.yaml) .spec.externalIPs allowExternalIPs',
    ]);
    expect(found[0]?.fix).toContain("add LoadBalancer to the policy's serviceTypes");
    expect(
      refusals(set, {
        ...DEFAULT_APPLY_POLICY,
        serviceTypes: ['ClusterIP', 'LoadBalancer', 'NodePort'],
        allowExternalIPs: true,
      }),
    ).toEqual([]);
  });

  it('refuses a service-account-token Secret', () => {
    const set = golden();
    set.push({
      file: 'token.yaml',
      object: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'tok',
          namespace: 'thanos',
          annotations: { 'kubernetes.io/service-account.name': 'thanos-query' },
        },
        type: 'kubernetes.io/service-account-token',
      },
    });
    expect(refusals(set)).toEqual([
      expect.objectContaining({
        object: 'Secret thanos/tok (token.yaml)',
        path: '.type',
        rule: 'secrets.serviceAccountToken',
      }),
    ]);
  });

  it('checks pod templates of CronJobs and unknown workload kinds when the policy allows those kinds', () => {
    const pod = { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] };
    const set: ManifestSet = [
      {
        file: 'cron.yaml',
        object: {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: { name: 'cron', namespace: 'thanos' },
          spec: { jobTemplate: { spec: { template: { spec: pod } } } },
        },
      },
      {
        file: 'rollout.yaml',
        object: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          metadata: { name: 'r', namespace: 'thanos' },
          spec: { template: { spec: pod } },
        },
      },
    ];
    const found = refusals(set, { ...DEFAULT_APPLY_POLICY, kinds: ['CronJob.batch', 'Rollout.argoproj.io'] });
    expect(found.filter((r) => r.rule === 'podSecurity.baseline.privileged').map((r) => r.path)).toEqual([
      '.spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged',
      '.spec.template.spec.containers[0].securityContext.privileged',
    ]);
  });

  it('the full restricted profile refuses what the default skips; baseline accepts root', () => {
    const restricted: ApplyPolicy = { ...DEFAULT_APPLY_POLICY, podSecurity: { profile: 'restricted', skip: [] } };
    // kube-thanos's receive ingestor container has no container securityContext.
    const found = refusals(golden(), restricted);
    expect(found.map((r) => `${r.object} ${r.rule}`).sort()).toEqual([
      'StatefulSet thanos/thanos-receive-ingestor-default (thanos-receive-ingestor-default-statefulSet.yaml) podSecurity.restricted.allowPrivilegeEscalation',
      'StatefulSet thanos/thanos-receive-ingestor-default (thanos-receive-ingestor-default-statefulSet.yaml) podSecurity.restricted.capabilitiesDropAll',
    ]);
    const root = queryWith((pod) => {
      delete pod.securityContext.runAsNonRoot;
      delete pod.containers[0].securityContext.runAsNonRoot;
    });
    expect(refusals(root, { ...DEFAULT_APPLY_POLICY, podSecurity: { profile: 'baseline', skip: [] } })).toEqual([]);
  });
});

describe('policy files', () => {
  it('parses YAML and names the file and field of every mistake', () => {
    const policy = parseApplyPolicy(
      'kinds: [ConfigMap, Deployment.apps]\npodSecurity: {profile: baseline}\nserviceTypes: [ClusterIP]\nserviceAccounts: any\n',
      'policy.yaml',
    );
    expect(policy).toEqual({
      kinds: ['ConfigMap', 'Deployment.apps'],
      podSecurity: { profile: 'baseline', skip: [] },
      serviceTypes: ['ClusterIP'],
      allowExternalIPs: false,
      serviceAccounts: 'any',
    });
    expect(() =>
      parseApplyPolicy(
        'kinds: [deployment]\npodSecurity: {profile: strict}\nserviceTypes: []\nserviceAccounts: any\nextra: 1\n',
        'p.yaml',
      ),
    ).toThrow(
      /p\.yaml: invalid apply policy:\n {2}\.kinds\.0: a kind is `Kind`[\s\S]*\.podSecurity\.profile[\s\S]*\.serviceTypes[\s\S]*extra[\s\S]*fix: /,
    );
    expect(() => parseApplyPolicy('kinds: [', 'bad.yaml')).toThrow(/^bad\.yaml: not YAML or JSON/);
  });
});

describe('Lambda release policy', () => {
  const env = {
    THANOS_GITOPS_MODE: 'apply',
    CLUSTER_NAME: 'prod',
    AWS_REGION: 'eu-west-1',
    TARGET_NAMESPACES: 'thanos',
    ENVIRONMENT: 'prod',
  };
  const release = (set: ManifestSet): ReleasePayload => ({
    repository: 'acme/o',
    commit: 'a'.repeat(40),
    actor: 'x',
    environment: 'prod',
    manifests: set,
  });

  it('is on by default: a privileged pod and a foreign-group Deployment are refused before any cluster call', () => {
    const policy = loadConfig(env).policy;
    const privileged = queryWith((pod) => (pod.containers[0].securityContext.privileged = true));
    expect(() => checkRelease(release(privileged), policy)).toThrow(
      /refused, nothing was applied: the apply policy \(built-in default\) refuses 1 field\(s\)[\s\S]*Deployment thanos\/thanos-query \(thanos-query-deployment\.yaml\): \.spec\.template\.spec\.containers\[0\]\.securityContext\.privileged/,
    );
    const foreign = [
      ...golden(),
      {
        file: 'd.yaml',
        object: { apiVersion: 'evil.example.com/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'thanos' } },
      },
    ];
    expect(() => checkRelease(release(foreign), policy)).toThrow(
      /Deployment thanos\/d \(d\.yaml\): kind Deployment is not allowed in group evil\.example\.com/,
    );
    expect(checkRelease(release(golden()), policy)).toHaveLength(golden().length);
  });

  it('APPLY_POLICY replaces the default; a broken one names the variable', () => {
    const policy = loadConfig({
      ...env,
      APPLY_POLICY: JSON.stringify({ ...DEFAULT_APPLY_POLICY, serviceTypes: ['ClusterIP', 'LoadBalancer'] }),
    }).policy;
    expect(policy.applySource).toBe('APPLY_POLICY');
    const lb = [
      ...golden(),
      {
        file: 'lb.yaml',
        object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb' }, spec: { type: 'LoadBalancer' } },
      },
    ];
    expect(() => checkRelease(release(lb), policy)).not.toThrow();
    expect(() => checkRelease(release(lb), loadConfig(env).policy)).toThrow(
      /Service thanos\/lb \(lb\.yaml\): \.spec\.type: Service type LoadBalancer is not allowed/,
    );
    expect(() => loadConfig({ ...env, APPLY_POLICY: '{"kinds": []}' })).toThrow(
      /function misconfigured: APPLY_POLICY: invalid apply policy/,
    );
  });
});

describe('the bundled EKS example and its apply policy', () => {
  const root = join(import.meta.dirname, '../..');
  it("examples/stack/apply-policy.yaml accepts the example with its production profile; the default refuses only the profile's extra kinds and its NLB", async () => {
    const { parseStackConfig } = await import('../../src/config/index.js');
    const { renderStack } = await import('../../src/render/index.js');
    const file = join(root, 'examples/stack/thanos-stack.yaml');
    const set = renderStack(parseStackConfig(readFileSync(file, 'utf8'), file));
    const policyFile = join(root, 'examples/stack/apply-policy.yaml');
    expect(
      checkApplyPolicy(set, parseApplyPolicy(readFileSync(policyFile, 'utf8'), policyFile), {
        defaultNamespace: 'thanos',
      }),
    ).toEqual([]);
    const refused = checkApplyPolicy(set, DEFAULT_APPLY_POLICY, { defaultNamespace: 'thanos' });
    expect(new Set(refused.map((violation) => violation.rule))).toEqual(new Set(['kinds', 'serviceTypes']));
  });
});
