import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  applySetId,
  decodeRelease,
  encodeRelease,
  phaseOf,
  releaseSecretName,
  rolloutState,
} from '../../src/kube/index.js';
import { mapLimit, sameObject } from '../../src/kube/util.js';
import { byPhase } from '../../src/kube/phases.js';
import type { KubeObject } from '../../src/model/objects.js';

const obj = (apiVersion: string, kind: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'n' },
  ...extra,
});

describe('ApplySet id', () => {
  it('is applyset-<base64url(sha256(name.namespace.Kind.group))>-v1 as kubectl computes it', () => {
    // Recomputed by hand from KEP-3659's definition; the e2e test checks kubectl itself accepts our parent.
    const digest = createHash('sha256').update('thanos-gitops-prod.thanos.Secret.').digest();
    const expected = `applyset-${digest.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}-v1`;
    expect(applySetId('thanos-gitops-prod', 'thanos')).toBe(expected);
    expect(applySetId('thanos-gitops-prod', 'thanos')).toMatch(/^applyset-[A-Za-z0-9_-]{43}-v1$/);
  });
});

describe('phases', () => {
  it('orders namespaces, service accounts, config, services, workloads, PDBs, monitors, others', () => {
    const kinds: Array<[string, string]> = [
      ['monitoring.coreos.com/v1', 'ServiceMonitor'],
      ['policy/v1', 'PodDisruptionBudget'],
      ['apps/v1', 'StatefulSet'],
      ['v1', 'Service'],
      ['v1', 'ConfigMap'],
      ['v1', 'ServiceAccount'],
      ['v1', 'Namespace'],
      ['example.com/v1', 'Service'],
    ];
    const phases = kinds.map(([v, k]) => phaseOf(obj(v, k)));
    expect(phases).toEqual([
      'monitors',
      'disruption-budgets',
      'workloads',
      'services',
      'config',
      'service-accounts',
      'namespaces',
      'others',
    ]);
  });
});

describe('apply steps', () => {
  it('writes config and Services in one step, after service accounts and before workloads', () => {
    const objects = [
      obj('apps/v1', 'StatefulSet'),
      obj('v1', 'Service'),
      obj('v1', 'ConfigMap'),
      obj('v1', 'ServiceAccount'),
      obj('monitoring.coreos.com/v1', 'ServiceMonitor'),
    ].map((object) => ({ object }));
    expect(byPhase(objects).map((step) => [step.phases, step.items.map((item) => item.object.kind)])).toEqual([
      [['service-accounts'], ['ServiceAccount']],
      [
        ['config', 'services'],
        ['Service', 'ConfigMap'],
      ],
      [['workloads'], ['StatefulSet']],
      [['monitors'], ['ServiceMonitor']],
    ]);
  });
});

describe('release records', () => {
  it('store base64(gzip(JSON)) like Helm, under the Helm-style name', () => {
    const release = {
      environment: 'prod',
      revision: 3,
      time: '2026-01-01T00:00:00Z',
      status: 'deployed' as const,
      manifests: [{ file: 'a.yaml', object: obj('v1', 'ConfigMap') }],
    };
    const wire = encodeRelease(release);
    const helmBytes = Buffer.from(wire, 'base64').toString('utf8');
    expect(JSON.parse(gunzipSync(Buffer.from(helmBytes, 'base64')).toString('utf8'))).toEqual(release);
    expect(decodeRelease(wire)).toEqual(release);
    expect(releaseSecretName('prod', 3)).toBe('thanos-gitops.release.v1.prod.v3');
  });
});

describe('rollout state', () => {
  const sts = (status: Record<string, unknown>, generation = 2) => ({
    ...obj('apps/v1', 'StatefulSet', { spec: { replicas: 3 }, status }),
    metadata: { name: 's', namespace: 'n', generation },
  });
  it('waits for the controller to observe the generation, then for updated and ready replicas', () => {
    expect(rolloutState(sts({ observedGeneration: 1 })).reason).toMatch(/has not observed generation 2/);
    expect(rolloutState(sts({ observedGeneration: 2, updatedReplicas: 1, readyReplicas: 3 })).reason).toBe(
      '1 of 3 replicas updated',
    );
    expect(rolloutState(sts({ observedGeneration: 2, updatedReplicas: 3, readyReplicas: 2 })).reason).toBe(
      '2 of 3 replicas ready',
    );
    expect(
      rolloutState(
        sts({ observedGeneration: 2, updatedReplicas: 3, readyReplicas: 3, currentRevision: 'a', updateRevision: 'b' }),
      ).ready,
    ).toBe(false);
    expect(
      rolloutState(
        sts({ observedGeneration: 2, updatedReplicas: 3, readyReplicas: 3, currentRevision: 'b', updateRevision: 'b' }),
      ).ready,
    ).toBe(true);
  });
  it('requires Deployments to have no old replicas and all updated replicas available', () => {
    const deploy = (status: Record<string, unknown>) => ({
      ...obj('apps/v1', 'Deployment', { spec: { replicas: 2 }, status }),
      metadata: { name: 'd', namespace: 'n', generation: 1 },
    });
    expect(
      rolloutState(
        deploy({ observedGeneration: 1, replicas: 3, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }),
      ).reason,
    ).toBe('1 old replicas pending termination');
    expect(
      rolloutState(
        deploy({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 1 }),
      ).reason,
    ).toBe('1 of 2 updated replicas available');
    expect(
      rolloutState(
        deploy({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }),
      ).ready,
    ).toBe(true);
  });
});

describe('no-op detection', () => {
  it('ignores managedFields timestamps but not ownership or values', () => {
    const live = {
      ...obj('v1', 'ConfigMap', { data: { a: '1' } }),
      metadata: {
        name: 'x',
        managedFields: [
          { manager: 'thanos-gitops', operation: 'Apply', time: '2026-01-01T00:00:00Z', fieldsV1: { f: 1 } },
        ],
      },
    };
    const same = structuredClone(live);
    same.metadata.managedFields[0]!.time = '2026-02-02T00:00:00Z';
    expect(sameObject(live, same)).toBe(true);
    const other = structuredClone(live);
    other.metadata.managedFields.push({ manager: 'kubectl', operation: 'Update', time: 't', fieldsV1: { f: 2 } });
    expect(sameObject(live, other)).toBe(false);
    expect(sameObject(live, { ...live, data: { a: '2' } })).toBe(false);
  });

  it('ignores the order of managedFields entries: a dry-run moves our refreshed entry behind a later manager', () => {
    const rotation = {
      manager: 'thanos-gitops-rotation',
      operation: 'Apply',
      time: '2026-01-02T00:00:00Z',
      fieldsV1: { f: 'checksum' },
    };
    const ours = {
      manager: 'thanos-gitops',
      operation: 'Apply',
      time: '2026-01-01T00:00:00Z',
      fieldsV1: { f: 'spec' },
    };
    const live = {
      ...obj('apps/v1', 'Deployment', { spec: { replicas: 1 } }),
      metadata: { name: 'router', managedFields: [ours, rotation] },
    };
    const dryRun = {
      ...live,
      metadata: { name: 'router', managedFields: [rotation, { ...ours, time: '2026-01-03T00:00:00Z' }] },
    };
    expect(sameObject(live, dryRun)).toBe(true);
    const taken = {
      ...live,
      metadata: { name: 'router', managedFields: [{ ...rotation, fieldsV1: { f: 'spec' } }, ours] },
    };
    expect(sameObject(live, taken)).toBe(false);
  });
});

describe('mapLimit', () => {
  it('never runs more than the limit at once and keeps order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([...Array(20).keys()], 4, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
      return i * 2;
    });
    expect(peak).toBe(4);
    expect(out).toEqual([...Array(20).keys()].map((i) => i * 2));
  });
});
