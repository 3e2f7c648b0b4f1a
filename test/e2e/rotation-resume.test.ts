// A cluster caught in the middle of a CA rotation by an upgrade: its CA Secret is exactly what the rotation wrote
// before the step runner existed (test/unit/fixtures/rotation-recorded-state.json, captured after each step). The
// current code must resume at the next step, keep the new CA the interrupted run generated, and finish.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, testCluster, uniqueNamespace } from '../helpers/cluster.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/model/objects.js';
import { rotateTarget } from '../../src/rotation/rotate.js';
import { ROTATION_MANAGER } from '../../src/rotation/secrets.js';
import { CA_RECORDED_AFTER, CA_STEPS, STATE_ANNOTATION, isIssuedBy } from '../../src/rotation/pki/index.js';

const fixtures = JSON.parse(
  readFileSync(new URL('../unit/fixtures/rotation-recorded-state.json', import.meta.url), 'utf8'),
) as { ca: Record<string, KubeObject> };

let client: KubeClient;

beforeAll(() => {
  client = KubeClient.fromFile(testCluster().adminKubeconfig);
});

afterAll(() => client?.close());

async function secretData(
  namespace: string,
  name: string,
): Promise<{ data: Record<string, string>; annotations: Record<string, string> }> {
  const object = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace, name });
  if (!object) throw new Error(`no Secret ${namespace}/${name}`);
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(object.data as Record<string, string>))
    data[k] = Buffer.from(v, 'base64').toString('utf8');
  return { data, annotations: object.metadata.annotations ?? {} };
}

describe('a CA rotation recorded by the previous code', () => {
  // The last step leaves the rotation idle: nothing to resume there.
  for (const [index, step] of CA_STEPS.slice(0, -1).entries()) {
    it(`resumes after ${step} (${CA_RECORDED_AFTER[step]}) and completes`, async () => {
      const ns = await createNamespace(uniqueNamespace('rotation-resume'));
      const recorded = structuredClone(fixtures.ca[step]!);
      recorded.metadata.namespace = ns;
      await client.apply(recorded, { fieldManager: ROTATION_MANAGER, force: true });
      const generated = Buffer.from((recorded.data as Record<string, string>)['tls.crt']!, 'base64').toString('utf8');

      // Once leaves were re-issued the recorded state promises they exist; the fixture recorded a rotation without
      // leaves, so only the states before that step get a tenant to issue.
      const tenants = index < CA_STEPS.indexOf('ca:reissue-leaves') ? [{ id: 'team-a' }] : [];
      const ran: string[] = [];
      const report = await rotateTarget(
        client,
        { set: [], namespace: ns, tls: { remoteWrite: { enabled: false }, certificates: { tenants } } },
        { propagationDelayMs: 0, afterStep: (done) => void ran.push(done), lease: { waitTimeoutMs: 10_000 } },
      );

      expect(report.certificates.caRotation).toEqual({ resumedFrom: CA_RECORDED_AFTER[step], completed: true });
      expect(ran.filter((done) => done.startsWith('ca:'))).toEqual(CA_STEPS.slice(index + 1));
      const ca = await secretData(ns, 'thanos-gitops-ca');
      expect(ca.annotations[STATE_ANNOTATION]).toBe('idle');
      expect(ca.data['tls.crt']).toBe(generated);
      expect(ca.data['previous.crt']).toBeUndefined();
      expect((await secretData(ns, 'thanos-gitops-ca-bundle')).data['ca.crt']).toBe(generated);
      if (tenants.length > 0)
        expect(isIssuedBy((await secretData(ns, 'thanos-tenant-team-a')).data['tls.crt']!, generated)).toBe(true);
    });
  }
});
