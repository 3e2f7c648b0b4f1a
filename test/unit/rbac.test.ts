import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { LEASE_NAME as ENGINE_LEASE } from '../../src/kube/lease.js';
import { MANAGED_KINDS, allowedKindsValue, rbacManifests, rbacRules } from '../../src/kube/rbac.js';
import { LEASE_NAME as LOCK_LEASE_NAME } from '../../src/kube/lease.js';
import type { KubeObject } from '../../src/model/objects.js';

const goldens = resolve(import.meta.dirname, '../../../shared/kube-thanos');
const all = ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'];
const read = ['get', 'list', 'watch'];

const cli = (...argv: string[]) => runCli('rbac', ...argv);

describe('rbac rules', () => {
  it("apply: full verbs on the managed kinds, read-only pods and status, pods/proxy get (ring steps read receivers' /metrics), the lock Lease by name", () => {
    expect(rbacRules('apply')).toEqual([
      { apiGroups: [''], resources: ['configmaps', 'secrets', 'services', 'serviceaccounts'], verbs: all },
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: all },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: all },
      { apiGroups: ['monitoring.coreos.com'], resources: ['servicemonitors'], verbs: all },
      { apiGroups: [''], resources: ['pods', 'pods/status'], verbs: read },
      { apiGroups: ['apps'], resources: ['deployments/status', 'statefulsets/status'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/proxy'], verbs: ['get'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'update'],
        resourceNames: ['thanos-gitops-lock'],
      },
    ]);
  });

  it('plan: what a server-side dry-run needs (create, patch) but no delete, no update, no Lease writes', () => {
    const dryRun = [...read, 'create', 'patch'];
    expect(rbacRules('plan', ['prod', 'staging'])).toEqual([
      { apiGroups: [''], resources: ['configmaps', 'services', 'serviceaccounts'], verbs: dryRun },
      // Secrets: only the ApplySet parents (labels and annotations), by name; no list, no watch, no dry-run writes.
      {
        apiGroups: [''],
        resources: ['secrets'],
        verbs: ['get'],
        resourceNames: ['thanos-gitops-prod', 'thanos-gitops-staging'],
      },
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: dryRun },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: dryRun },
      { apiGroups: ['monitoring.coreos.com'], resources: ['servicemonitors'], verbs: dryRun },
      { apiGroups: ['apps'], resources: ['deployments/status', 'statefulsets/status'], verbs: ['get'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get'],
        resourceNames: ['thanos-gitops-lock'],
      },
    ]);
    expect(rbacRules('plan')[1]?.resourceNames).toEqual(['thanos-gitops-default']);
  });

  it('plan: an admission policy makes the server refuse every write of the plan identity that is not a dry-run', () => {
    const set = rbacManifests({ namespaces: ['thanos', 'thanos-b'], mode: 'plan', users: ["it's-me"] });
    const [policy, binding] = set.slice(-2).map((m) => m.object);
    expect(policy).toMatchObject({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'thanos-gitops-plan-dry-run-only' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          namespaceSelector: {
            matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['thanos', 'thanos-b'] }],
          },
          resourceRules: [
            {
              apiGroups: ['*'],
              apiVersions: ['*'],
              resources: ['*'],
              operations: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'],
            },
          ],
        },
        matchConditions: [
          {
            name: 'plan-identity',
            expression: "'thanos-gitops-plan' in request.userInfo.groups || request.userInfo.username in ['it\\'s-me']",
          },
        ],
        validations: [{ expression: 'request.dryRun == true', reason: 'Forbidden' }],
      },
    });
    expect(binding).toMatchObject({
      kind: 'ValidatingAdmissionPolicyBinding',
      spec: { policyName: 'thanos-gitops-plan-dry-run-only', validationActions: ['Deny'] },
    });
    expect(rbacManifests({ namespaces: ['thanos'], mode: 'apply' }).map((m) => m.object.kind)).toEqual([
      'Role',
      'RoleBinding',
    ]);
  });

  it('never grants wildcards, RBAC objects, exec, logs or deletecollection', () => {
    for (const mode of ['apply', 'plan'] as const) {
      const text = JSON.stringify(rbacRules(mode));
      expect(text).not.toContain('*');
      for (const forbidden of [
        'rbac.authorization.k8s.io',
        'roles',
        'rolebindings',
        'pods/exec',
        'pods/log',
        'deletecollection',
        'escalate',
        'bind',
        'impersonate',
        'nodes',
        'namespaces',
      ]) {
        expect(text).not.toContain(`"${forbidden}"`);
      }
    }
  });

  it('locks the same Lease the apply engine takes', () => {
    expect(LOCK_LEASE_NAME).toBe(ENGINE_LEASE);
  });

  it('names the engine Lease, and only that one, in every rule on Leases by name', () => {
    const named = rbacRules('apply').filter((rule) => rule.resources?.includes('leases') && rule.resourceNames);
    expect(named.map((rule) => rule.resourceNames)).toEqual([[ENGINE_LEASE]]);
  });

  it('covers every kind kube-thanos renders (the golden all/ and example/ sets), with the right API group', () => {
    const seen = new Set<string>();
    for (const set of ['all', 'example']) {
      for (const file of readdirSync(join(goldens, set)).filter((f) => f.endsWith('.yaml'))) {
        const object = parse(readFileSync(join(goldens, set, file), 'utf8')) as KubeObject;
        const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
        expect(MANAGED_KINDS, `${set}/${file}`).toContainEqual(expect.objectContaining({ kind: object.kind, group }));
        seen.add(object.kind);
      }
    }
    expect([...seen].sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
      'StatefulSet',
    ]);
    expect(allowedKindsValue()).toBe(
      'ConfigMap,Secret,Service,ServiceAccount,Deployment.apps,StatefulSet.apps,PodDisruptionBudget.policy,ServiceMonitor.monitoring.coreos.com',
    );
  });
});

describe('rbacManifests', () => {
  it('makes a Role and a RoleBinding to the group per namespace', () => {
    const set = rbacManifests({ namespaces: ['thanos', 'thanos-b'], mode: 'apply' });
    expect(set.map((m) => m.file)).toEqual([
      'thanos-thanos-gitops-apply-role.yaml',
      'thanos-thanos-gitops-apply-roleBinding.yaml',
      'thanos-b-thanos-gitops-apply-role.yaml',
      'thanos-b-thanos-gitops-apply-roleBinding.yaml',
    ]);
    expect(set[1]!.object).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: {
        name: 'thanos-gitops-apply',
        namespace: 'thanos',
        labels: { 'app.kubernetes.io/managed-by': 'thanos-gitops', 'app.kubernetes.io/component': 'rbac-apply' },
      },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'thanos-gitops-apply' },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'thanos-gitops-apply' }],
    });
    expect(set[2]!.object).toMatchObject({
      kind: 'Role',
      metadata: { name: 'thanos-gitops-apply', namespace: 'thanos-b' },
      rules: rbacRules('apply'),
    });
  });

  it('binds a custom group and extra users, under a custom name', () => {
    const [role, binding] = rbacManifests({
      namespaces: ['ns'],
      mode: 'plan',
      group: 'platform-plan',
      users: ['deployer'],
      name: 'tg-plan',
    });
    expect(role!.object.metadata.name).toBe('tg-plan');
    expect(binding!.object.subjects).toEqual([
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'platform-plan' },
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'deployer' },
    ]);
  });

  it.each([
    [{ namespaces: [] }, 'at least one namespace is required'],
    [{ namespaces: ['Bad_NS'] }, "namespace 'Bad_NS' is not a valid DNS-1123 label"],
    [{ namespaces: ['ns'], group: 'system:masters' }, "group 'system:masters' is not allowed"],
    [{ namespaces: ['ns'], group: ' ' }, "group ' ' is not allowed"],
    [{ namespaces: ['ns'], name: 'Not A Name' }, "name 'Not A Name' is not a valid Kubernetes object name"],
  ])('rejects %j', (options, message) => {
    expect(() => rbacManifests({ mode: 'apply', ...options })).toThrow(message);
  });
});

describe('thanos-gitops rbac', () => {
  it('prints multi-document YAML kubectl can read, equal to rbacManifests', async () => {
    const { code, stdout, stderr } = await cli('--namespace', 'thanos', '--mode', 'plan', '--group', 'g1');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.startsWith('---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n')).toBe(true);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS() as KubeObject);
    expect(docs).toEqual(rbacManifests({ namespaces: ['thanos'], mode: 'plan', group: 'g1' }).map((m) => m.object));
  });

  it('defaults to the apply mode and its group; repeats --namespace', async () => {
    const { code, stdout } = await cli('--namespace', 'a', '--namespace', 'b');
    expect(code).toBe(0);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS() as KubeObject);
    expect(docs.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      'Role a/thanos-gitops-apply',
      'RoleBinding a/thanos-gitops-apply',
      'Role b/thanos-gitops-apply',
      'RoleBinding b/thanos-gitops-apply',
    ]);
    expect(docs[1]!.subjects).toEqual([
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'thanos-gitops-apply' },
    ]);
  });

  it.each([
    [[], '--namespace is required'],
    [['--namespace', 'ns', '--mode', 'write'], "--mode must be 'apply' or 'plan', got 'write'"],
    [['--namespace', 'ns', 'extra'], "unexpected argument 'extra'"],
    [['--namespace', 'ns', '--bogus'], "Unknown option '--bogus'"],
  ])('usage error for %j: exit 2 with the reason', async (argv, message) => {
    const { code, stdout, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });

  it('bad values exit 1 naming the value and the fix', async () => {
    const { code, stderr } = await cli('--namespace', 'UPPER');
    expect(code).toBe(1);
    expect(stderr).toContain("namespace 'UPPER' is not a valid DNS-1123 label (lowercase letters, digits, '-')");
  });

  it('has help', async () => {
    const { code, stdout } = await cli('--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: thanos-gitops rbac --namespace <ns>');
  });
});
