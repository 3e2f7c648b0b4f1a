import type { KubeClient } from '../../kube/client.js';
import type { TlsConfig } from '../../config/tls-objstore-schema.js';
import type { LeafRequest, SecurityPlan } from '../security-plan.js';
import type { RollOptions } from '../roll.js';

export interface PkiOptions extends RollOptions {
  forceCaRotation?: boolean;
  /** Re-issue every leaf now (fresh keys), e.g. after a suspected key compromise. */
  forceLeafRenewal?: boolean;
  dryRun?: boolean;
  now?: () => Date;
  /** Called after each step has persisted its state; a throw here is how tests inject crashes. */
  afterStep?: (step: string) => void | Promise<void>;
  /**
   * How long kubelet may take to put re-issued leaves into pods (Secret volume sync) before the old CA is dropped.
   * Measured from when the leaves were written, so a resumed run waits only the remainder.
   */
  propagationDelayMs?: number;
  /** Extra confirmation that the re-issued leaves are in use (tests observe their clients here). */
  confirmLeavesInUse?: (leaves: LeafRequest[]) => Promise<void>;
}

export interface PkiReport {
  actions: string[];
  caRotation?: { resumedFrom?: string; completed: boolean };
  issued: string[];
  delivered: string[];
  rolled: string[];
}

/** Certificate lifetimes in milliseconds, from tls.certificates. */
export interface Lifetimes {
  leaf: number;
  leafRenewBefore: number;
  ca: number;
  caRenewBefore: number;
}

/** What every part of one certificates pass shares: where it writes, what it was asked, and what it reports. */
export interface PkiContext {
  client: KubeClient;
  plan: SecurityPlan;
  tls: TlsConfig;
  options: PkiOptions;
  lifetimes: Lifetimes;
  report: PkiReport;
  now: () => Date;
  log: (line: string) => void;
}
