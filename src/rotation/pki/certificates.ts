import type { KubeClient } from '../../kube/client.js';
import type { SecurityPlan } from '../security-plan.js';
import { describeResume, IDLE, pendingSteps, runSteps, type StepMachine } from '../steps.js';
import { caDue, caRotation, createFirstCa, CA_STEPS } from './ca-lifecycle.js';
import { caSecretRef, readCa, type CaRecord } from './ca-secret.js';
import { parseSettingDuration, type TlsConfig } from '../../config/tls-objstore-schema.js';
import type { Lifetimes, PkiContext, PkiOptions, PkiReport } from './context.js';
import {
  deliverLeaf,
  describeStaleTenants,
  issueLeafSecret,
  leafDue,
  removeStaleTenants,
  setLeafBundle,
} from './leaves.js';
import { publishBundle, readBundle, rollBundleReaders } from './trust-bundle.js';

function lifetimesOf(certificates: TlsConfig['certificates']): Lifetimes {
  const leaf = parseSettingDuration(certificates.duration);
  const leafRenewBefore = certificates.renewBefore ? parseSettingDuration(certificates.renewBefore) : leaf / 3;
  const ca = parseSettingDuration(certificates.caDuration);
  const caRenewBefore = certificates.caRenewBefore ? parseSettingDuration(certificates.caRenewBefore) : ca / 3;
  if (leafRenewBefore >= leaf)
    throw new Error(
      `tls.certificates.renewBefore (${certificates.renewBefore}) must be shorter than tls.certificates.duration (${certificates.duration})`,
    );
  if (caRenewBefore >= ca)
    throw new Error(`tls.certificates.caRenewBefore must be shorter than tls.certificates.caDuration`);
  return { leaf, leafRenewBefore, ca, caRenewBefore };
}

function pkiContext(client: KubeClient, plan: SecurityPlan, tls: TlsConfig, options: PkiOptions): PkiContext {
  const report: PkiReport = { actions: [], issued: [], delivered: [], rolled: [] };
  return {
    client,
    plan,
    tls,
    options,
    lifetimes: lifetimesOf(tls.certificates),
    report,
    now: options.now ?? (() => new Date()),
    log: (line) => {
      report.actions.push(line);
      options.log?.(line);
    },
  };
}

async function reconcile(context: PkiContext): Promise<PkiReport> {
  const now = context.now();
  const machine = caRotation(context);
  let ca = await readCa(context);
  if (context.options.dryRun) return dryRun(context, machine, ca, now);

  if (!ca) {
    ca = await createFirstCa(context, now);
    await context.options.afterStep?.('ca:create');
  } else if (ca.state === IDLE && caDue(context, ca, now)) {
    context.report.caRotation = { completed: false };
    context.log(`CA rotation: ${caDue(context, ca, now)}`);
    ca = await runSteps(machine, machine.steps, ca, context.options);
  } else if (ca.state !== IDLE) {
    const pending = pendingSteps(machine, ca.state);
    context.report.caRotation = { resumedFrom: ca.state, completed: false };
    context.log(`CA rotation: resuming after ${ca.state}`);
    ca = await runSteps(machine, pending, ca, context.options);
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

async function dryRun(
  context: PkiContext,
  machine: StepMachine<CaRecord>,
  ca: CaRecord | undefined,
  now: Date,
): Promise<PkiReport> {
  if (!ca) {
    context.log(
      `would create a CA in Secret ${caSecretRef(context)} and issue ${context.plan.leaves.map((l) => l.id).join(', ') || 'no leaves'}`,
    );
    return context.report;
  }
  if (ca.state !== IDLE) {
    context.log(describeResume(machine, ca.state));
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
export async function reconcileCertificates(
  client: KubeClient,
  plan: SecurityPlan,
  options: PkiOptions = {},
): Promise<PkiReport> {
  if (!plan.tls) return { actions: [], issued: [], delivered: [], rolled: [] };
  return reconcile(pkiContext(client, plan, plan.tls, options));
}
