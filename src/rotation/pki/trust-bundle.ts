// The trusted CA bundle: the Secret every TLS reader mounts, and the restart of its readers when it changes.
import { CA_CHECKSUM_ANNOTATION } from '../../render/tls-objstore-overlay.js';
import { assertCaBundle } from '../../thanos/ca-bundle.js';
import { rollWorkloads } from '../roll.js';
import { readSecret, writeSecret } from '../secrets.js';
import { PREVIOUS_CA_KEY } from './ca-secret.js';
import type { PkiContext } from './context.js';
import { bundleChecksum, splitPemBundle } from './x509.js';

/** Refuses a bundle Thanos would not load as a client CA, naming where it was about to go and how to recover. */
export function assertBundle(context: PkiContext, bundle: string, where: string): void {
  const { namespace } = context.plan;
  assertCaBundle(
    bundle,
    where,
    `Nothing was written. The bundle comes from Secret ${namespace}/${context.tls.certificates.caSecretName} (tls.crt and ${PREVIOUS_CA_KEY}): restore it from a backup, or delete it and run rotate again to start over with a new CA (every client then needs its new certificate).`,
  );
}

export async function readBundle(context: PkiContext): Promise<string | undefined> {
  return (await readSecret(context.client, context.plan.namespace, context.tls.remoteWrite.clientCASecretName))?.data[
    'ca.crt'
  ];
}

export async function publishBundle(context: PkiContext, bundle: string): Promise<void> {
  const { namespace } = context.plan;
  const name = context.tls.remoteWrite.clientCASecretName;
  assertBundle(context, bundle, `${namespace}/${name} ca.crt`);
  if ((await readBundle(context)) === bundle) return;
  await writeSecret(context.client, {
    namespace,
    name,
    type: 'Opaque',
    data: { 'ca.crt': bundle },
    labels: { 'thanos-gitops.io/role': 'ca-bundle' },
  });
  const count = splitPemBundle(bundle).length;
  context.log(`published CA bundle ${namespace}/${name} (${count} CA${count > 1 ? 's' : ''})`);
}

/** Restarts the workloads that read the bundle file (the plan's caReaders) when it differs from what they run with. */
export async function rollBundleReaders(context: PkiContext, bundle: string): Promise<void> {
  const rolled = await rollWorkloads(
    context.client,
    context.plan.caReaders,
    CA_CHECKSUM_ANNOTATION,
    bundleChecksum(bundle),
    { ...context.options, log: context.log },
  );
  context.report.rolled.push(...rolled);
}
