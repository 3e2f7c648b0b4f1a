// What every ReleaseStore must do, as ReleaseHistory (revision numbers, superseding, trimming) and the Secret digests
// of release records see it. test/unit/release-store.test.ts runs these cases on the in-memory store, and
// test/e2e/release-store.test.ts on both stores, the Secret store against the kube-apiserver.
import { expect, it } from 'vitest';
import { recordsManifests, ReleaseHistory, type Release, type ReleaseStore } from '../../src/kube/index.js';
import { objectId, type KubeObject, type ManifestSet } from '../../src/model/objects.js';

export interface StoreUnderTest {
  /** A store holding no record yet, for an environment of this name. */
  store(environment: string): ReleaseStore | Promise<ReleaseStore>;
  /** Everything the store keeps for its environment, as text: where a planted Secret value must never show. */
  stored(store: ReleaseStore): Promise<string>;
}

const PLANTED_DATA = 'planted-store-value-data-Kx81';
const PLANTED_STRING_DATA = 'planted-store-value-stringData-Qm27';

export function configMap(name: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'monitoring' }, data };
}

export function set(...objects: KubeObject[]): ManifestSet {
  return objects.map((object) => ({ file: `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`, object }));
}

function secret(
  name: string,
  values: { data?: Record<string, string>; stringData?: Record<string, string> },
): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'monitoring' }, type: 'Opaque', ...values };
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** The cases, registered with `it` in the caller's describe block; `driver` is called when a case runs. */
export function releaseStoreContract(driver: () => StoreUnderTest): void {
  const history = async (environment: string, keep?: number) =>
    new ReleaseHistory(await driver().store(environment), keep);

  it('numbers revisions from 1, lists them oldest first and reads each back whole', async () => {
    const releases = await history('numbering');
    expect(await releases.list()).toEqual([]);
    expect(await releases.deployed()).toBeUndefined();
    const first = await releases.record({
      status: 'deployed',
      manifests: set(configMap('a', { v: '1' })),
      sourceCommit: 'c1',
      time: '2026-01-01T00:00:00.000Z',
    });
    const second = await releases.record({
      status: 'deployed',
      manifests: set(configMap('a', { v: '2' }), configMap('b')),
      description: 'two objects',
    });
    expect([first.revision, second.revision]).toEqual([1, 2]);
    expect(first).toEqual({
      environment: 'numbering',
      revision: 1,
      time: '2026-01-01T00:00:00.000Z',
      status: 'deployed',
      manifests: set(configMap('a', { v: '1' })),
      sourceCommit: 'c1',
    });
    expect(await releases.list()).toEqual([
      {
        environment: 'numbering',
        revision: 1,
        time: '2026-01-01T00:00:00.000Z',
        status: 'superseded',
        objects: 1,
        sourceCommit: 'c1',
      },
      {
        environment: 'numbering',
        revision: 2,
        time: second.time,
        status: 'deployed',
        objects: 2,
        description: 'two objects',
      },
    ]);
    expect(await releases.get(2)).toEqual(second);
    // Status is the store's current one, not the one the record was created with.
    expect(await releases.get(1)).toEqual({ ...first, status: 'superseded' });
    expect(await releases.get(3)).toBeUndefined();
    // What a caller changes on a record it got back is not stored.
    (await releases.get(2))!.manifests.length = 0;
    expect((await releases.get(2))!.manifests).toHaveLength(2);
  });

  it('supersedes the deployed revision when a new one is deployed: one deployed revision, the newest', async () => {
    const releases = await history('superseding');
    for (const v of ['1', '2', '3'])
      await releases.record({ status: 'deployed', manifests: set(configMap('a', { v })) });
    expect((await releases.list()).map((r) => [r.revision, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'deployed'],
    ]);
    expect((await releases.deployed())?.revision).toBe(3);
    expect((await releases.deployed())?.manifests).toEqual(set(configMap('a', { v: '3' })));
  });

  it('records failed revisions without superseding the deployed one, which stays what deployed() returns', async () => {
    const releases = await history('failures');
    await releases.record({ status: 'deployed', manifests: set(configMap('a', { v: '1' })) });
    const failed = await releases.record({
      status: 'failed',
      manifests: set(configMap('a', { v: '2' })),
      description: 'apply (phase config): ConfigMap monitoring/a: denied',
    });
    expect((await releases.list()).map((r) => [r.revision, r.status, r.description])).toEqual([
      [1, 'deployed', undefined],
      [2, 'failed', 'apply (phase config): ConfigMap monitoring/a: denied'],
    ]);
    expect((await releases.deployed())?.revision).toBe(1);
    expect((await releases.get(2))?.status).toBe('failed');
    expect(failed.revision).toBe(2);
    // The next deployed revision supersedes the deployed one only: a failed revision stays failed.
    await releases.record({ status: 'deployed', manifests: set(configMap('a', { v: '3' })) });
    expect((await releases.list()).map((r) => r.status)).toEqual(['superseded', 'failed', 'deployed']);
  });

  it('marks a deployed revision failed (rollout timeout): its listing shows the reason, its record keeps its own description', async () => {
    const releases = await history('marked-failed');
    await releases.record({ status: 'deployed', manifests: set(configMap('a', { v: '1' })) });
    await releases.record({
      status: 'deployed',
      manifests: set(configMap('a', { v: '2' })),
      description: 'rollback to 1',
    });
    await releases.setStatus(2, 'failed', 'rollout not finished after 2s');
    expect((await releases.list()).map((r) => [r.revision, r.status, r.description])).toEqual([
      [1, 'superseded', undefined],
      [2, 'failed', 'rollout not finished after 2s'],
    ]);
    expect(await releases.get(2)).toMatchObject({ status: 'failed', description: 'rollback to 1' });
    // Nothing is deployed now: the revision before it was superseded when it was recorded.
    expect(await releases.deployed()).toBeUndefined();
    // A status without a description leaves the listed description as it was.
    await releases.setStatus(2, 'superseded');
    expect((await releases.list()).at(-1)).toMatchObject({
      status: 'superseded',
      description: 'rollout not finished after 2s',
    });
  });

  it('trims history to the limit, oldest first, never deleting the deployed revision', async () => {
    const releases = await history('trimming', 3);
    for (const v of ['1', '2', '3', '4', '5'])
      await releases.record({ status: 'deployed', manifests: set(configMap('a', { v })) });
    expect((await releases.list()).map((r) => [r.revision, r.status])).toEqual([
      [3, 'superseded'],
      [4, 'superseded'],
      [5, 'deployed'],
    ]);
    expect(await releases.get(2)).toBeUndefined();
    // The deployed revision is kept however old it is; failed ones after it make room.
    for (const v of ['6', '7', '8', '9'])
      await releases.record({ status: 'failed', manifests: set(configMap('a', { v })) });
    expect((await releases.list()).map((r) => [r.revision, r.status])).toEqual([
      [5, 'deployed'],
      [8, 'failed'],
      [9, 'failed'],
    ]);
    expect((await releases.deployed())?.revision).toBe(5);
    // Numbering goes on after trimmed revisions: a number is never given twice.
    expect((await releases.record({ status: 'deployed', manifests: set(configMap('a')) })).revision).toBe(10);
    expect((await releases.list()).map((r) => [r.revision, r.status])).toEqual([
      [8, 'failed'],
      [9, 'failed'],
      [10, 'deployed'],
    ]);
  });

  it('gives back any kept revision as a rollback target, whatever its status, and none once it is trimmed', async () => {
    const releases = await history('rollback-target', 4);
    await releases.record({ status: 'deployed', manifests: set(configMap('a', { v: '1' })), sourceCommit: 'c1' });
    await releases.record({
      status: 'failed',
      manifests: set(configMap('a', { v: '2' })),
      sourceCommit: 'c2',
      description: 'denied',
    });
    await releases.record({ status: 'deployed', manifests: set(configMap('a', { v: '3' })), sourceCommit: 'c3' });
    const superseded = await releases.get(1);
    const failed = await releases.get(2);
    expect(superseded).toMatchObject({
      revision: 1,
      status: 'superseded',
      sourceCommit: 'c1',
      manifests: set(configMap('a', { v: '1' })),
    });
    expect(failed).toMatchObject({
      revision: 2,
      status: 'failed',
      sourceCommit: 'c2',
      manifests: set(configMap('a', { v: '2' })),
    });
    // A rollback records the target's set as a new deployed revision, under the target's commit.
    const back = await releases.record({
      status: 'deployed',
      manifests: superseded!.manifests,
      sourceCommit: superseded!.sourceCommit!,
      description: 'rollback to 1',
    });
    expect(back).toMatchObject({ revision: 4, status: 'deployed', sourceCommit: 'c1', description: 'rollback to 1' });
    expect((await releases.list()).map((r) => [r.revision, r.status, r.sourceCommit])).toEqual([
      [1, 'superseded', 'c1'],
      [2, 'failed', 'c2'],
      [3, 'superseded', 'c3'],
      [4, 'deployed', 'c1'],
    ]);
    await releases.record({ status: 'deployed', manifests: set(configMap('a', { v: '5' })) });
    expect(await releases.get(1)).toBeUndefined();
    expect((await releases.list()).map((r) => r.revision)).toEqual([2, 3, 4, 5]);
  });

  it('keeps no Secret value: only key names and a salted digest, which still tells the recorded values from others', async () => {
    const store = await driver().store('secret-digests');
    const releases = new ReleaseHistory(store);
    const manifests = set(
      configMap('settings', { mode: 'plain' }),
      secret('objstore', { data: { 'thanos.yaml': base64(PLANTED_DATA) } }),
      secret('tls', { stringData: { 'tls.key': PLANTED_STRING_DATA } }),
    );
    await releases.record({ status: 'deployed', manifests, description: 'with Secrets' });
    await releases.record({ status: 'failed', manifests, description: 'again' });
    const everything = [
      await driver().stored(store),
      JSON.stringify(await releases.list()),
      JSON.stringify(await releases.get(1)),
      JSON.stringify(await releases.get(2)),
    ].join('\n');
    for (const planted of [PLANTED_DATA, PLANTED_STRING_DATA]) {
      expect(everything).not.toContain(planted);
      expect(everything).not.toContain(base64(planted));
    }
    const recorded = (await releases.get(1)) as Release;
    const [objstoreId, tlsId] = [manifests[1]!.object, manifests[2]!.object].map(objectId) as [string, string];
    expect(
      recorded.manifests.map((m) => m.object.kind === 'Secret' && ('data' in m.object || 'stringData' in m.object)),
    ).toEqual([false, false, false]);
    expect(recorded.secretValues?.[objstoreId]).toMatchObject({ keys: ['thanos.yaml'] });
    expect(recorded.secretValues?.[tlsId]).toMatchObject({ keys: ['tls.key'], stringDataKeys: ['tls.key'] });
    expect(recorded.secretValues?.[tlsId]?.digest).toMatch(/^[0-9a-f]{64}$/);
    // Each record has its own salt: the same values do not show as the same digest in two records.
    expect((await releases.get(2))?.secretValues?.[tlsId]?.digest).not.toBe(recorded.secretValues?.[tlsId]?.digest);
    expect(recordsManifests(recorded, manifests)).toBe(true);
    const changed = set(
      configMap('settings', { mode: 'plain' }),
      secret('objstore', { data: { 'thanos.yaml': base64(`${PLANTED_DATA}!`) } }),
      secret('tls', { stringData: { 'tls.key': PLANTED_STRING_DATA } }),
    );
    expect(recordsManifests(recorded, changed)).toBe(false);
  });

  it('lists a long description cut to 1000 characters; the record keeps it whole', async () => {
    const releases = await history('long-description');
    const description = `${'x'.repeat(999)}yz`;
    await releases.record({ status: 'failed', manifests: set(configMap('a')), description });
    expect((await releases.list())[0]?.description).toBe(description.slice(0, 1000));
    expect((await releases.get(1))?.description).toBe(description);
  });

  it('refuses a second record under a revision that exists: two writers racing for a revision never overwrite each other', async () => {
    const store = await driver().store('concurrent');
    const record = (v: string): Release => ({
      environment: 'concurrent',
      revision: 1,
      time: '2026-01-01T00:00:00.000Z',
      status: 'deployed',
      manifests: set(configMap('a', { v })),
    });
    const outcomes = await Promise.allSettled([store.create(record('a')), store.create(record('b'))]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(String(refused.reason)).toMatch(/already exists/);
    const winner = outcomes[0]?.status === 'fulfilled' ? 'a' : 'b';
    expect((await store.get(1))?.manifests).toEqual(set(configMap('a', { v: winner })));

    // Two histories recording at once: whichever lost the race for a revision fails; what is stored is whole and
    // consistent (distinct revisions, one deployed).
    const releases = [new ReleaseHistory(store), new ReleaseHistory(store)];
    const recorded = await Promise.allSettled(
      releases.map((history, index) =>
        history.record({ status: 'deployed', manifests: set(configMap('a', { v: `writer-${index}` })) }),
      ),
    );
    for (const outcome of recorded)
      if (outcome.status === 'rejected') expect(String(outcome.reason)).toMatch(/already exists/);
    const listed = await releases[0]!.list();
    expect(new Set(listed.map((r) => r.revision)).size).toBe(listed.length);
    expect(listed.filter((r) => r.status === 'deployed')).toHaveLength(1);
    expect(listed.length).toBe(1 + recorded.filter((o) => o.status === 'fulfilled').length);
  });

  it('refuses to update a record that is gone, and deletes a gone record without error', async () => {
    const store = await driver().store('gone');
    await expect(store.update(7, { status: 'failed' })).rejects.toThrow(/not ?found/i);
    await expect(store.delete(7)).resolves.toBeUndefined();
    await new ReleaseHistory(store).record({ status: 'deployed', manifests: set(configMap('a')) });
    await store.delete(1);
    await store.delete(1);
    expect(await store.list()).toEqual([]);
  });

  it('keeps a pending revision and the state of its operation, merged entry by entry; superseding it leaves the deployed one alone', async () => {
    const releases = await history('pending');
    await releases.record({ status: 'deployed', manifests: set(configMap('a', { v: '1' })) });
    const pending = await releases.record({ status: 'pending', manifests: set(configMap('a', { v: '2' })) });
    expect((await releases.deployed())?.revision).toBe(1);
    await releases.mergeState(pending.revision, {
      'thanos-gitops.io/order-steps': '["a","b"]',
      'thanos-gitops.io/order-done': '-1',
    });
    await releases.mergeState(pending.revision, { 'thanos-gitops.io/order-done': '0' });
    const state = await releases.state(pending.revision);
    expect(state['thanos-gitops.io/order-steps']).toBe('["a","b"]');
    expect(state['thanos-gitops.io/order-done']).toBe('0');
    expect((await releases.list()).map((r) => r.status)).toEqual(['deployed', 'pending']);
    await expect(releases.state(99)).rejects.toThrow(/not ?found/i);
  });
}
