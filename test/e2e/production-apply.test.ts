/**
 * The EKS example with its production profile, applied to a real kube-apiserver (server-side apply, strict field
 * validation) into a namespace labelled pod-security.kubernetes.io/enforce=restricted and warn=restricted: every
 * object is accepted and the apiserver returns no warning. kube-apiserver's PodSecurity admission (on by default)
 * evaluates the pod templates of workloads in warn mode and pods in enforce mode; the first two tests prove it is
 * active here, so "no warning" means the templates pass "restricted".
 *
 * It starts its own control plane (test/helpers/control-plane.ts), like render-dry-run.test.ts.
 */
import { readFile, readFile as readCaFile } from 'node:fs/promises';
import https from 'node:https';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStackConfig } from '../../src/config/index.js';
import type { KubeObject } from '../../src/model/objects.js';
import { renderStack } from '../../src/render/index.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';

const EXAMPLE = resolve(process.cwd(), 'examples/stack/thanos-stack.yaml');

const RESOURCES: Record<string, string> = {
  ConfigMap: 'configmaps',
  Deployment: 'deployments',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
  Ingress: 'ingresses',
  Namespace: 'namespaces',
  NetworkPolicy: 'networkpolicies',
  Pod: 'pods',
  PodDisruptionBudget: 'poddisruptionbudgets',
  Secret: 'secrets',
  Service: 'services',
  ServiceAccount: 'serviceaccounts',
  ServiceMonitor: 'servicemonitors',
  StatefulSet: 'statefulsets',
};

let cp: ControlPlane;
let ca: Buffer;

beforeAll(async () => {
  cp = await startControlPlane();
  ca = await readCaFile(cp.caFile);
}, 240_000);

afterAll(async () => {
  await cp?.stop();
});

interface Answer {
  status: number;
  warnings: string[];
  body: string;
}

/** Server-side apply of one object; returns the HTTP status, the Warning headers and the body. */
function apply(object: KubeObject, dryRun = false): Promise<Answer> {
  const resource = RESOURCES[object.kind];
  if (!resource) throw new Error(`no resource path for ${object.kind}`);
  const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const scope = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : '';
  const query = `fieldManager=thanos-gitops-test&force=true&fieldValidation=Strict${dryRun ? '&dryRun=All' : ''}`;
  const payload = JSON.stringify(object);
  return new Promise((done, fail) => {
    const request = https.request(
      new URL(`${base}${scope}/${resource}/${object.metadata.name}?${query}`, cp.server),
      {
        method: 'PATCH',
        ca,
        headers: {
          authorization: `Bearer ${cp.adminToken}`,
          'content-type': 'application/apply-patch+yaml',
          'content-length': Buffer.byteLength(payload),
        },
        timeout: 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const warning = response.headers.warning;
          const warnings = warning === undefined ? [] : Array.isArray(warning) ? warning : [warning];
          done({ status: response.statusCode ?? 0, warnings, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    request.on('error', fail);
    request.end(payload);
  });
}

async function exampleSet() {
  return renderStack(parseStackConfig(await readFile(EXAMPLE, 'utf8'), EXAMPLE));
}

describe('the EKS example with the production profile, in a Pod Security "restricted" namespace', () => {
  it('the rendered Namespace carries enforce=restricted and warn=restricted, and PodSecurity enforces them here', async () => {
    const set = await exampleSet();
    const namespace = set.find((m) => m.object.kind === 'Namespace')?.object as KubeObject;
    expect(namespace.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    const created = await apply(namespace);
    expect(created.status, created.body).toBeLessThan(300);
    expect(created.warnings).toEqual([]);

    // A pod without the restricted settings is refused (enforce), a Deployment with one gets a warning (warn).
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe', namespace: 'thanos' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    };
    const refused = await apply(pod as unknown as KubeObject, true);
    expect(refused.status).toBe(403);
    expect((JSON.parse(refused.body) as { message: string }).message).toMatch(
      /violates PodSecurity "restricted:latest"/,
    );
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'probe', namespace: 'thanos' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    };
    const warned = await apply(deployment as unknown as KubeObject, true);
    expect(warned.status).toBeLessThan(300);
    expect(warned.warnings.join('\n')).toMatch(/would violate PodSecurity \\?"restricted:latest\\?"/);
  });

  it('every object applies with strict field validation, zero warnings and zero refusals', async () => {
    const set = await exampleSet();
    const problems: string[] = [];
    // The Namespace first (a real apply creates it before its contents), then the rest in file order.
    const ordered = [
      ...set.filter((m) => m.object.kind === 'Namespace'),
      ...set.filter((m) => m.object.kind !== 'Namespace'),
    ];
    for (const manifest of ordered) {
      const answer = await apply(manifest.object);
      if (answer.status >= 300) problems.push(`${manifest.file}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
      for (const warning of answer.warnings) problems.push(`${manifest.file}: warning ${warning}`);
    }
    expect(problems).toEqual([]);
    const kinds = [...new Set(set.map((m) => m.object.kind))].sort();
    process.stdout.write(`production profile: ${set.length} objects applied (${kinds.join(', ')})\n`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'HorizontalPodAutoscaler',
        'Ingress',
        'Namespace',
        'NetworkPolicy',
        'PodDisruptionBudget',
      ]),
    );
  });
});
