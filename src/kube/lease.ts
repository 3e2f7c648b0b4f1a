import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeObject } from '../model/objects.js';
import { KubeApiError, uninterruptible, type KubeClient } from './client.js';
import { ThanosGitopsError } from '../model/errors.js';

/** The Lease of the apply lock (`withLease`); the apply Role may get and update only this one Lease. */
export const LEASE_NAME = 'thanos-gitops-lock';

export interface LeaseOptions {
  /** How long a holder owns the Lease without renewing; a crashed holder's Lease is taken over after this. */
  leaseDurationSeconds?: number;
  /** Renewal period while held (default a third of the duration). */
  renewIntervalMs?: number;
  /** How long to wait for another holder before failing (0 = fail at once). */
  waitTimeoutMs?: number;
  pollIntervalMs?: number;
  leaseName?: string;
  /** Called once when we start waiting on another holder. */
  onWait?: (holder: string) => void;
}

export class LeaseHeldError extends ThanosGitopsError {
  override name = 'LeaseHeldError';
  constructor(
    readonly namespace: string,
    readonly holder: string,
    readonly expires: Date,
  ) {
    super(
      `another thanos-gitops run holds Lease ${namespace}/${LEASE_NAME} (holder "${holder}", expires ${expires.toISOString()} unless renewed); wait for it to finish or retry later`,
    );
  }
}

export interface HeldLease {
  holder: string;
  /** When the previous holder last touched the Lease (acquired, renewed or released), if there was one. */
  previousActivity?: Date;
  /** resourceVersion of the Lease we took over; undefined when we created it. Unchanged since an earlier read means no run held it meanwhile. */
  previousResourceVersion?: string;
  /** Whether we had to wait for another holder. */
  waited: boolean;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type LeaseObject = KubeObject & { spec?: LeaseSpec };

/** A holder identity unique to this process and call: `<name>/<host>/<pid>/<random>`. */
export function uniqueHolder(name: string): string {
  return `${name}/${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function expiry(spec: LeaseSpec): Date {
  const last = Date.parse(spec.renewTime ?? spec.acquireTime ?? '') || 0;
  return new Date(last + (spec.leaseDurationSeconds ?? 0) * 1000);
}

function lastActivity(spec: LeaseSpec): Date | undefined {
  const last = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
  return Number.isNaN(last) ? undefined : new Date(last);
}

/**
 * Runs fn while holding the namespace's coordination.k8s.io/v1 Lease, client-go leader-election style: GET, then create
 * (409 = someone else won) or PUT with the read resourceVersion (409 = lost the race). Never a forced apply.
 */
export async function withLease<T>(
  client: KubeClient,
  namespace: string,
  holder: string,
  fn: (lease: HeldLease) => Promise<T>,
  options: LeaseOptions = {},
): Promise<T> {
  const name = options.leaseName ?? LEASE_NAME;
  const duration = options.leaseDurationSeconds ?? 30;
  const renewEvery = options.renewIntervalMs ?? (duration * 1000) / 3;
  const key = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name };
  const deadline = Date.now() + (options.waitTimeoutMs ?? 0);
  let waited = false;
  let held: { lease: LeaseObject; previousActivity?: Date; previousResourceVersion?: string };

  for (;;) {
    const attempt = await tryAcquire(client, key, holder, duration);
    if ('lease' in attempt) {
      held = attempt;
      break;
    }
    if (Date.now() >= deadline) throw new LeaseHeldError(namespace, attempt.holder, attempt.expires);
    if (!waited) options.onWait?.(attempt.holder);
    waited = true;
    await client.pause(
      Math.min(options.pollIntervalMs ?? 500, Math.max(10, deadline - Date.now())),
      `Lease ${namespace}/${name}`,
    );
  }

  let current = held.lease;
  let lost: Error | undefined;
  let renewing = Promise.resolve();
  const timer = setInterval(() => {
    renewing = (async () => {
      try {
        const spec: LeaseSpec = { ...current.spec, renewTime: microTime(new Date()) };
        current = await client.replace({ ...current, spec });
      } catch (error) {
        // A 409 here means someone took the Lease over (our renewals stalled past its duration): stop claiming it.
        if (error instanceof KubeApiError && error.status === 409)
          lost = new Error(`lost Lease ${namespace}/${name}: another run took it over after our renewals stalled`);
      }
    })();
  }, renewEvery);
  timer.unref();

  const info: HeldLease = { holder, waited };
  if (held.previousActivity) info.previousActivity = held.previousActivity;
  if (held.previousResourceVersion) info.previousResourceVersion = held.previousResourceVersion;
  try {
    const result = await fn(info);
    if (lost) throw lost;
    return result;
  } finally {
    clearInterval(timer);
    await renewing;
    // Released even when the run was interrupted: the next run must not wait out the duration.
    if (!lost) await uninterruptible(() => release(client, key, holder, current)).catch(() => undefined);
  }
}

async function tryAcquire(
  client: KubeClient,
  key: { apiVersion: string; kind: string; namespace: string; name: string },
  holder: string,
  duration: number,
): Promise<
  { lease: LeaseObject; previousActivity?: Date; previousResourceVersion?: string } | { holder: string; expires: Date }
> {
  const now = new Date();
  const existing = (await client.get(key)) as LeaseObject | undefined;
  const spec: LeaseSpec = {
    holderIdentity: holder,
    leaseDurationSeconds: duration,
    acquireTime: microTime(now),
    renewTime: microTime(now),
  };
  if (!existing) {
    try {
      return {
        lease: await client.create({
          apiVersion: key.apiVersion,
          kind: key.kind,
          metadata: { name: key.name, namespace: key.namespace },
          spec,
        }),
      };
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 409)
        return { holder: '(another run, just created)', expires: new Date(Date.now() + duration * 1000) };
      throw error;
    }
  }
  const current = existing.spec ?? {};
  const expires = expiry(current);
  if (current.holderIdentity && current.holderIdentity !== holder && expires.getTime() > now.getTime()) {
    return { holder: current.holderIdentity, expires };
  }
  spec.leaseTransitions = (current.leaseTransitions ?? 0) + (current.holderIdentity === holder ? 0 : 1);
  try {
    const lease = await client.replace({ ...existing, spec });
    const previousActivity = lastActivity(current);
    const taken: { lease: LeaseObject; previousActivity?: Date; previousResourceVersion?: string } = { lease };
    if (previousActivity) taken.previousActivity = previousActivity;
    if (typeof existing.metadata.resourceVersion === 'string')
      taken.previousResourceVersion = existing.metadata.resourceVersion;
    return taken;
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 409)
      return { holder: '(another run, just took over)', expires: new Date(Date.now() + duration * 1000) };
    throw error;
  }
}

/**
 * Releases by shortening the duration to 1s and clearing the holder, as client-go's ReleaseOnCancel does. The PUT
 * carries the resourceVersion of our last write, so it fails if anyone wrote the Lease since; then it is read again
 * and released only if it is still ours.
 */
async function release(
  client: KubeClient,
  key: { apiVersion: string; kind: string; namespace: string; name: string },
  holder: string,
  last: LeaseObject,
): Promise<void> {
  const released = (lease: LeaseObject) =>
    client.replace({
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) },
    });
  try {
    await released(last);
    return;
  } catch (error) {
    if (!(error instanceof KubeApiError && error.status === 409)) throw error;
  }
  const existing = (await client.get(key)) as LeaseObject | undefined;
  if (!existing || existing.spec?.holderIdentity !== holder) return;
  await released(existing);
}
