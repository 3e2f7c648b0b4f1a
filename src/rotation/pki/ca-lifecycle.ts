import { IDLE, stepsInOrder, type StepMachine } from '../steps.js';
import {
  caSecretRef,
  COMPLETED_ANNOTATION,
  LEAVES_WRITTEN_ANNOTATION,
  STARTED_ANNOTATION,
  STATE_ANNOTATION,
  recordCa,
  type CaRecord,
} from './ca-secret.js';
import type { PkiContext } from './context.js';
import { deliverLeaf, issueLeafSecret, leafProblem, leavesNotIssuedBy, setLeafBundle } from './leaves.js';
import { publishBundle, rollBundleReaders } from './trust-bundle.js';
import { createCa, inspectCertificate } from './x509.js';
import { readSecret } from '../secrets.js';

/**
 * The CA's life: created once, then rotated when due as a resumable step machine recorded on the CA Secret.
 * Order (trust-manager/Linkerd/Istio): trust old+new, restart bundle readers, re-issue leaves from the new CA, wait
 * until no leaf from the old CA is in use, drop the old CA, restart readers again.
 */
/** The steps in order, each with the state it records (what clusters store): the next run starts with the step after it. */
export const CA_RECORDED_AFTER = {
  'ca:generate': 'generated',
  'ca:publish-bundle': 'bundle-published',
  'ca:roll-trust': 'trust-rolled',
  'ca:reissue-leaves': 'leaves-reissued',
  'ca:await-leaves': 'leaves-in-use',
  'ca:drop-old': 'old-dropped',
  'ca:roll-final': IDLE,
} as const;
export type CaStep = keyof typeof CA_RECORDED_AFTER;
export const CA_STEPS = Object.keys(CA_RECORDED_AFTER) as CaStep[];

const DEFAULT_PROPAGATION_MS = 120_000;

function caCommonName(namespace: string, now: Date): string {
  // Distinct subjects keep old and new CA apart in logs and in chain building while both are trusted.
  return `thanos-gitops CA ${namespace} ${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}

function bothCas(ca: CaRecord): string {
  return `${ca.previous ?? ''}${ca.current.certificate}`;
}

/** Creates the first CA of a namespace. */
export async function createFirstCa(context: PkiContext, now: Date): Promise<CaRecord> {
  const created = await createCa({
    commonName: caCommonName(context.plan.namespace, now),
    validityMs: context.lifetimes.ca,
  });
  const record = await recordCa(context, { current: created, state: IDLE, annotations: {} }, IDLE);
  context.log(
    `created CA in Secret ${caSecretRef(context)} (valid until ${inspectCertificate(created.certificate).notAfter.toISOString()})`,
  );
  return record;
}

/** Why the CA must be rotated now, or undefined. */
export function caDue(context: PkiContext, ca: CaRecord, now: Date): string | undefined {
  if (context.options.forceCaRotation) return 'forced';
  const info = inspectCertificate(ca.current.certificate);
  if (info.notAfter.getTime() - now.getTime() < context.lifetimes.caRenewBefore)
    return `CA expires ${info.notAfter.toISOString()}`;
  return undefined;
}

/** Deliver re-issued tenant Secrets, then make sure no leaf from the old CA can still be in use anywhere. */
async function awaitLeaves(context: PkiContext, ca: CaRecord): Promise<void> {
  for (const leaf of context.plan.leaves) await deliverLeaf(context, leaf);
  const stale = await leavesNotIssuedBy(context, ca.current.certificate);
  if (stale.length > 0) {
    throw new Error(
      `CA rotation: Secrets ${stale.join(', ')} do not hold a certificate from the new CA yet; run rotate again (it resumes here)`,
    );
  }
  const written = Date.parse(ca.annotations[LEAVES_WRITTEN_ANNOTATION] ?? '') || 0;
  const wait = written + (context.options.propagationDelayMs ?? DEFAULT_PROPAGATION_MS) - Date.now();
  if (wait > 0) {
    context.log(`waiting ${Math.ceil(wait / 1000)}s for kubelet to sync the re-issued certificates into pods`);
    await context.client.pause(wait, 'the certificate propagation wait');
  }
  await context.options.confirmLeavesInUse?.(context.plan.leaves);
}

/** The CA rotation as steps of the one resumable runner; each returns the CA record to store with its state. */
export function caRotation(context: PkiContext): StepMachine<CaRecord> {
  const { leaves } = context.plan;
  return {
    what: 'CA rotation',
    secretRef: caSecretRef(context),
    annotation: STATE_ANNOTATION,
    commit: (ca, state) => recordCa(context, ca, state),
    steps: stepsInOrder<CaStep, CaRecord>(CA_RECORDED_AFTER, {
      'ca:generate': {
        run: async (ca) => {
          const next = await createCa({
            commonName: caCommonName(context.plan.namespace, context.now()),
            validityMs: context.lifetimes.ca,
          });
          // New key, old certificate kept as previous.crt, and the state: one write, so a crash cannot split them.
          return {
            ...ca,
            current: next,
            previous: ca.current.certificate,
            annotations: { ...ca.annotations, [STARTED_ANNOTATION]: new Date().toISOString() },
          };
        },
        recorded: (ca) =>
          context.log(
            `generated new CA (valid until ${inspectCertificate(ca.current.certificate).notAfter.toISOString()})`,
          ),
      },
      'ca:publish-bundle': async (ca) => {
        await publishBundle(context, bothCas(ca));
        for (const leaf of leaves) await setLeafBundle(context, leaf, bothCas(ca));
        return ca;
      },
      'ca:roll-trust': async (ca) => {
        await rollBundleReaders(context, bothCas(ca));
        return ca;
      },
      'ca:reissue-leaves': async (ca) => {
        for (const leaf of leaves) {
          const secret = await readSecret(context.client, leaf.namespace, leaf.secretName);
          // Resumable: leaves already re-issued from the new CA before a crash are kept.
          const problem = leafProblem(
            secret,
            leaf,
            ca.current.certificate,
            context.lifetimes.leafRenewBefore,
            context.now(),
          );
          if (problem) await issueLeafSecret(context, leaf, ca.current, bothCas(ca), `CA rotation: ${problem}`);
        }
        return { ...ca, annotations: { ...ca.annotations, [LEAVES_WRITTEN_ANNOTATION]: new Date().toISOString() } };
      },
      'ca:await-leaves': async (ca) => {
        await awaitLeaves(context, ca);
        return ca;
      },
      'ca:drop-old': {
        run: async (ca) => {
          await publishBundle(context, ca.current.certificate);
          for (const leaf of leaves) await setLeafBundle(context, leaf, ca.current.certificate);
          const { previous: _previous, ...withoutPrevious } = ca;
          return withoutPrevious;
        },
        recorded: () => context.log('dropped the old CA from every bundle'),
      },
      'ca:roll-final': {
        run: async (ca) => {
          await rollBundleReaders(context, ca.current.certificate);
          const {
            [STARTED_ANNOTATION]: _started,
            [LEAVES_WRITTEN_ANNOTATION]: _written,
            ...annotations
          } = ca.annotations;
          return { ...ca, annotations: { ...annotations, [COMPLETED_ANNOTATION]: new Date().toISOString() } };
        },
        recorded: () => {
          context.report.caRotation!.completed = true;
          context.log('CA rotation complete');
        },
      },
    }),
  };
}
