// The events a reconciler function accepts: a release to plan or apply, or a scheduled reconcile or rotate.
import * as z from 'zod';
import { isRecord } from '../model/objects.js';
import { ThanosGitopsError } from '../model/errors.js';
import { formatIssues, releaseSchema } from './release.js';

const applyOptionsSchema = z
  .object({
    force: z.boolean().optional(),
    recreate: z.boolean().optional(),
    prune: z.boolean().optional(),
    order: z.boolean().optional(),
  })
  .strict();

export const reconcilerEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('plan'), release: releaseSchema }).strict(),
  z.object({ action: z.literal('apply'), release: releaseSchema, options: applyOptionsSchema.optional() }).strict(),
  z.object({ action: z.literal('reconcile') }).strict(),
  z
    .object({
      action: z.literal('rotate'),
      forceCaRotation: z.boolean().optional(),
      forceKeyRotation: z.boolean().optional(),
    })
    .strict(),
  z
    .object({ action: z.literal('rollback'), revision: z.number().int().positive(), actor: z.string().optional() })
    .strict(),
]);

export type ReconcilerEvent = z.infer<typeof reconcilerEventSchema>;
export type ReconcilerAction = ReconcilerEvent['action'];
export const WRITING_ACTIONS: ReadonlySet<ReconcilerAction> = new Set(['apply', 'reconcile', 'rotate', 'rollback']);

/** An event the function refuses, with the reason; nothing was read from or written to the cluster. */
export class RefusedError extends ThanosGitopsError {
  override name = 'RefusedError';
}

/**
 * Accepts the events the function is sent directly and the ones EventBridge delivers: a Scheduler target's fixed
 * JSON input is already `{"action": ...}`; an EventBridge rule (or Scheduler universal target) delivers an envelope
 * `{source, detail-type, detail: {action}}`.
 */
export function parseEvent(raw: unknown): ReconcilerEvent {
  let candidate = raw;
  if (isRecord(raw) && typeof raw.source === 'string' && 'detail' in raw) {
    const detail = raw.detail;
    if (!isRecord(detail) || (detail.action !== 'reconcile' && detail.action !== 'rotate')) {
      throw new RefusedError(
        `scheduled event from ${raw.source} carries no detail.action 'reconcile' or 'rotate'; configure the schedule's input as {"action":"reconcile"} or {"action":"rotate"}`,
      );
    }
    candidate = detail;
  }
  const result = reconcilerEventSchema.safeParse(candidate);
  if (!result.success) throw new RefusedError(`invalid event: ${formatIssues(result.error)}`);
  return result.data;
}
