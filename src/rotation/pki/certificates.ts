import type { KubeClient } from '../../kube/client.js';
import type { SecurityPlan } from '../security-plan.js';
import { describeResume, IDLE, pendingSteps, runSteps, type Step } from '../steps.js';
import { caDue, caRotation, caSecretOf, createFirstCa, CA_STEPS } from './ca-lifecycle.js';
import type { CaRecord } from './ca-secret.js';
import { pkiContext, type PkiContext, type PkiOptions, type PkiReport } from './context.js';
import { deliverLeaf, describeStaleTenants, issueLeafSecret, leafDue, removeStaleTenants, setLeafBundle } from './leaves.js';
import { publishBundle, readBundle, rollBundleReaders } from './trust-bundle.js';

async function rotateCa(context: PkiContext, ca: CaRecord, steps: readonly Step<CaRecord>[], reason: string): Promise<CaRecord> {
  context.report.caRotation ??= { completed: false };
  context.log(`CA rotation: ${reason}`);
  return runSteps(caRotation(context), steps, ca, context.options);
}

async function reconcile(context: PkiContext): Promise<PkiReport> {
  const now = context.now();
  const machine = caRotation(context);
  let ca = await caSecretOf(context).read();
  if (context.options.dryRun) return dryRun(context, ca, now);

  if (!ca) {
    ca = await createFirstCa(context, now);
    await context.options.afterStep?.('ca:create');
  } else if (ca.state === IDLE && caDue(context, ca, now)) {
    ca = await rotateCa(context, ca, machine.steps, caDue(context, ca, now)!);
  } else if (ca.state !== IDLE) {
    const pending = pendingSteps(machine, ca.state);
    context.report.caRotation = { resumedFrom: ca.state, completed: false };
    ca = await rotateCa(context, ca, pending, `resuming after ${ca.state}`);
  }

  // Steady state: one CA, one bundle, every leaf fresh and issued by it.
  const bundle = ca.current.certificate;
  const bundleBefore = await readBundle(context);
  await publishBundle(context, bundle);
  for (const leaf of context.plan.leaves) {
    const { secret, problem } = await leafDue(context, leaf, ca.current.certificate, now);
    if (problem) {
      await issueLeafSecret(context, leaf, ca.current, bundle, problem);
      await context.options.afterStep?.(`leaf:${leaf.id}`);
    } else if (secret?.data['ca.crt'] !== bundle) {
      await setLeafBundle(context, leaf, bundle);
    }
    if (await deliverLeaf(context, leaf)) await context.options.afterStep?.(`deliver:${leaf.id}`);
  }
  await removeStaleTenants(context, ca.current.certificate);
  if (bundleBefore !== undefined && bundleBefore !== bundle) {
    // The bundle changed outside a rotation (e.g. a CA Secret re-created by hand): readers must reload it.
    await rollBundleReaders(context, bundle);
  }
  return context.report;
}

async function dryRun(context: PkiContext, ca: CaRecord | undefined, now: Date): Promise<PkiReport> {
  if (!ca) {
    context.log(`would create a CA in Secret ${caSecretOf(context).ref} and issue ${context.plan.leaves.map((l) => l.id).join(', ') || 'no leaves'}`);
    return context.report;
  }
  if (ca.state !== IDLE) {
    context.log(describeResume(caRotation(context), ca.state));
    return context.report;
  }
  const due = caDue(context, ca, now);
  if (due) {
    context.log(`would rotate the CA (${due}): ${CA_STEPS.join(', ')}`);
    return context.report;
  }
  for (const leaf of context.plan.leaves) {
    const { problem } = await leafDue(context, leaf, ca.current.certificate, now);
    if (problem) context.log(`would issue ${leaf.id} into Secret ${leaf.namespace}/${leaf.secretName} (${problem})`);
  }
  await describeStaleTenants(context);
  if (context.report.actions.length === 0) context.log('certificates: nothing to do');
  return context.report;
}

/** Issues, renews and rotates the certificates a security plan needs. Call under the namespace Lease (see rotate). */
export async function reconcileCertificates(client: KubeClient, plan: SecurityPlan, options: PkiOptions = {}): Promise<PkiReport> {
  if (!plan.tls) return { actions: [], issued: [], delivered: [], rolled: [] };
  return reconcile(pkiContext(client, plan, plan.tls, options));
}
