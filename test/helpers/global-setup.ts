/**
 * vitest globalSetup: gives every e2e test a real cluster through `inject('kubeCluster')` (see cluster.ts).
 *
 * - TEST_KUBECONFIG set: use that cluster (kind, k3d, EKS). Setup creates an admin and a deployer
 *   ServiceAccount with short-lived tokens, so tests see the same shape as with the local control plane.
 * - Otherwise: start one local kube-apiserver (test/apiserver) in a temp dir and stop it at teardown.
 *
 * Runs that select no file under test/e2e/ (e.g. `vitest run test/unit/x.test.ts`) start nothing: unit tests
 * must not pay for, or wait on the first build of, an API server they do not use.
 */
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { connectExternalCluster, startControlPlane, type ClusterDetails, type ControlPlane } from './control-plane.js';

const e2eDir = `${path.sep}test${path.sep}e2e${path.sep}`;

async function runIncludesE2e(project: TestProject): Promise<boolean> {
  // The CLI's file filters are internal to Vitest; without them every test file runs.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const { testFiles } = await project.globTestFiles(filters && filters.length > 0 ? filters : undefined);
  return testFiles.some((file) => path.resolve(file).includes(e2eDir));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!(await runIncludesE2e(project))) return async () => {};

  const external = process.env.TEST_KUBECONFIG;
  if (external) {
    const cluster = await connectExternalCluster(external);
    project.provide('kubeCluster', cluster.details);
    return cluster.disconnect;
  }

  const startedAt = Date.now();
  const controlPlane: ControlPlane = await startControlPlane();
  process.stderr.write(
    `test kube-apiserver ${controlPlane.version} ready at ${controlPlane.server} in ${((Date.now() - startedAt) / 1000).toFixed(1)}s (data: ${controlPlane.dataDir})\n`,
  );
  const details: ClusterDetails = {
    kind: 'test-apiserver',
    server: controlPlane.server,
    caFile: controlPlane.caFile,
    version: controlPlane.version,
    adminKubeconfig: controlPlane.adminKubeconfig,
    deployerKubeconfig: controlPlane.deployerKubeconfig,
    adminToken: controlPlane.adminToken,
    deployerToken: controlPlane.deployerToken,
    deployer: { kind: 'User', name: 'deployer', username: 'deployer' },
  };
  project.provide('kubeCluster', details);
  return async () => {
    await controlPlane.stop();
  };
}
