// Release history (revision numbers, superseding, trimming, Secret digests) on the in-memory store. The same cases
// run on the Secret store against the kube-apiserver in test/e2e/release-store.test.ts.
import { describe } from 'vitest';
import { MemoryReleaseStore } from '../../src/kube/index.js';
import { releaseStoreContract, type StoreUnderTest } from '../helpers/release-store-contract.js';

const memory: StoreUnderTest = {
  store: (environment) => new MemoryReleaseStore(environment),
  // Its private map is all it holds: each record serialized, and its summary.
  stored: async (store) => JSON.stringify([...(store as MemoryReleaseStore)['records'].entries()]),
};

describe('release history on the in-memory store', () => {
  releaseStoreContract(() => memory);
});
