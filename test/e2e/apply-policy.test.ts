/**
 * `thanos-gitops apply` as shipped (dist/cli/index.js, run by plain node) against the real test kube-apiserver: the
 * built-in apply policy refuses hostile sets before any request, `--policy <file>` replaces it, `--no-policy` warns.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/model/objects.js';
import { adminAccess, createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { kubeRequest } from '../helpers/control-plane.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/index.js');
const GOLDEN = join(ROOT, '../shared/kube-thanos/example');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, THANOS_GITOPS_DEBUG: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A directory with kube-thanos's example in `namespace`, changed by `edit`. */
function setDir(
  namespace: string,
  edit: (objects: Map<string, Record<string, any>>) => void = () => undefined,
): string {
  const objects = new Map<string, Record<string, any>>();
  for (const file of readdirSync(GOLDEN).filter((f) => f.endsWith('.yaml'))) {
    const object = parse(readFileSync(join(GOLDEN, file), 'utf8')) as KubeObject;
    object.metadata.namespace = namespace;
    objects.set(file, object);
  }
  edit(objects);
  const dir = mkdtempSync(join(tmpdir(), 'apply-policy-'));
  for (const [file, object] of objects) writeFileSync(join(dir, file), stringify(object));
  return dir;
}

async function namespaceContents(namespace: string): Promise<string[]> {
  const names: string[] = [];
  for (const path of [
    `/api/v1/namespaces/${namespace}/secrets`,
    `/api/v1/namespaces/${namespace}/services`,
    `/apis/apps/v1/namespaces/${namespace}/deployments`,
    `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
    `/api/v1/namespaces/${namespace}/serviceaccounts`,
  ]) {
    const list = (await kubeRequest(adminAccess(), 'GET', path)) as { items: KubeObject[] };
    names.push(...list.items.map((item) => `${path.split('/').pop()}/${item.metadata.name}`));
  }
  return names.sort();
}

let kubeconfig: string;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli/index.js is missing: run `npm run build` (npm test does)');
  kubeconfig = testCluster().adminKubeconfig;
});

describe('thanos-gitops apply and its apply policy (dist/cli)', () => {
  it('without --policy, the built-in policy refuses a privileged pod with hostPID and a hostPath / volume, naming each field and fix; nothing reaches the cluster', async () => {
    const ns = await createNamespace(uniqueNamespace('policy-cli'));
    const dir = setDir(ns, (objects) => {
      const pod = objects.get('thanos-query-deployment.yaml')!.spec.template.spec;
      // privileged without allowPrivilegeEscalation: false, a pair the API server would refuse by itself.
      pod.containers[0].securityContext.privileged = true;
      delete pod.containers[0].securityContext.allowPrivilegeEscalation;
      pod.hostPID = true;
      pod.volumes = [{ name: 'host', hostPath: { path: '/' } }];
    });
    const before = await namespaceContents(ns);
    // Even as cluster admin: the policy is the tool's, not the credentials'.
    const run = await cli(['apply', '--dir', dir, '--kubeconfig', kubeconfig, '-n', ns, '-e', 'policy']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the apply policy (built-in default) refuses 3 field(s), nothing was written');
    expect(run.stderr).toContain(
      `Deployment ${ns}/thanos-query (thanos-query-deployment.yaml): .spec.template.spec.containers[0].securityContext.privileged: container "thanos-query" is privileged [podSecurity.baseline.privileged]; fix: remove .spec.template.spec.containers[0].securityContext.privileged`,
    );
    expect(run.stderr).toContain('.spec.template.spec.hostPID: hostPID is true');
    expect(run.stderr).toContain('.spec.template.spec.volumes[0].hostPath: volume "host" mounts the node\'s /');
    expect(await namespaceContents(ns)).toEqual(before);
  });

  it('--policy <file> replaces the default (here: LoadBalancer allowed), and the golden set applies under it', async () => {
    const ns = await createNamespace(uniqueNamespace('policy-file'));
    const dir = setDir(ns, (objects) => (objects.get('thanos-query-service.yaml')!.spec.type = 'LoadBalancer'));
    const refused = await cli(['apply', '--dir', dir, '--kubeconfig', kubeconfig, '-n', ns, '-e', 'policy']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `Service ${ns}/thanos-query (thanos-query-service.yaml): .spec.type: Service type LoadBalancer is not allowed (allowed: ClusterIP) [serviceTypes]; fix: `,
    );
    const policyFile = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.yaml');
    writeFileSync(
      policyFile,
      'kinds: [ServiceAccount, Service, ConfigMap, Secret, StatefulSet.apps, Deployment.apps, PodDisruptionBudget.policy, ServiceMonitor.monitoring.coreos.com]\n' +
        'podSecurity: {profile: restricted, skip: [allowPrivilegeEscalation, capabilitiesDropAll]}\nserviceTypes: [ClusterIP, LoadBalancer]\nserviceAccounts: inSet\n',
    );
    const applied = await cli([
      'apply',
      '--dir',
      dir,
      '--kubeconfig',
      kubeconfig,
      '-n',
      ns,
      '-e',
      'policy',
      '--policy',
      policyFile,
    ]);
    expect(applied.code, applied.stderr).toBe(0);
    const service = (await kubeRequest(adminAccess(), 'GET', `/api/v1/namespaces/${ns}/services/thanos-query`)) as {
      spec: { type: string };
    };
    expect(service.spec.type).toBe('LoadBalancer');

    writeFileSync(policyFile, 'kinds: [Deployment]\npodSecurity: {profile: strict}\n');
    const broken = await cli(['apply', '--dir', dir, '--kubeconfig', kubeconfig, '-n', ns, '--policy', policyFile]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`${policyFile}: invalid apply policy:`);
    expect(broken.stderr).toContain('.podSecurity.profile');
    expect(broken.stderr).toContain('.serviceTypes');
  });

  it('--no-policy applies what the policy would refuse and says so; --policy with --no-policy is a usage error', async () => {
    const ns = await createNamespace(uniqueNamespace('policy-none'));
    const dir = setDir(ns, (objects) => (objects.get('thanos-query-service.yaml')!.spec.type = 'NodePort'));
    const run = await cli(['apply', '--dir', dir, '--kubeconfig', kubeconfig, '-n', ns, '-e', 'policy', '--no-policy']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('warning: --no-policy: the set is applied without the apply policy');
    const both = await cli(['apply', '--dir', dir, '--policy', 'x.yaml', '--no-policy']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--policy and --no-policy contradict each other');
  });
});
