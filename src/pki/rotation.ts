import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type { KubeClient } from '../kube/client.js';
import { parseSettingDuration } from '../config/security.js';
import { CA_CHECKSUM_ANNOTATION, type LeafRequest, type SecurityPlan } from '../render/security.js';
import { bundleChecksum, createCa, inspectCertificate, isIssuedBy, issueLeaf, splitPemBundle, type CertificateAndKey } from './x509.js';
import { CERTIFICATE_ANNOTATION, readSecret, writeSecret, type LiveSecret } from './secrets.js';
import { rollWorkloads, type RollOptions } from './roll.js';
import { assertCaBundle } from '../thanos/ca-bundle.js';

/**
 * CA rotation is a resumable state machine persisted as annotations on the CA Secret. Every step is idempotent and
 * the state advances only after its writes, so a run that dies anywhere resumes at the step it was in.
 * Order (trust-manager/Linkerd/Istio): trust old+new, restart bundle readers, re-issue leaves from the new CA, wait
 * until no leaf from the old CA is in use, drop the old CA, restart readers again.
 */
export const CA_STEPS = ['ca:generate', 'ca:publish-bundle', 'ca:roll-trust', 'ca:reissue-leaves', 'ca:await-leaves', 'ca:drop-old', 'ca:roll-final'] as const;
export type CaStep = (typeof CA_STEPS)[number];

/** The state each step leaves behind: the next run starts with the step after it. */
const STATE_AFTER: Record<CaStep, string> = {
  'ca:generate': 'generated',
  'ca:publish-bundle': 'bundle-published',
  'ca:roll-trust': 'trust-rolled',
  'ca:reissue-leaves': 'leaves-reissued',
  'ca:await-leaves': 'leaves-in-use',
  'ca:drop-old': 'old-dropped',
  'ca:roll-final': 'idle',
};

export const STATE_ANNOTATION = 'rotation.thanos-gitops.io/ca-state';
const STARTED_ANNOTATION = 'rotation.thanos-gitops.io/ca-rotation-started';
const LEAVES_WRITTEN_ANNOTATION = 'rotation.thanos-gitops.io/leaves-written';
const COMPLETED_ANNOTATION = 'rotation.thanos-gitops.io/last-ca-rotation';
const PREVIOUS_CA_KEY = 'previous.crt';
const DELIVERED_ANNOTATION = 'thanos-gitops.io/delivered-to';

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

interface CaSecretState {
  current: CertificateAndKey;
  previous?: string;
  state: string;
  annotations: Record<string, string>;
}

const DEFAULT_PROPAGATION_MS = 120_000;

function caCommonName(namespace: string, now: Date): string {
  // Distinct subjects keep old and new CA apart in logs and in chain building while both are trusted.
  return `thanos-gitops CA ${namespace} ${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

function expectedSubject(leaf: LeafRequest): string {
  const subject = { commonName: leaf.commonName, ...leaf.subject };
  return [subject.organization && `O=${subject.organization}`, subject.organizationalUnit && `OU=${subject.organizationalUnit}`, `CN=${subject.commonName}`]
    .filter(Boolean)
    .join('\n');
}

function keyMatches(certificate: string, privateKey: string): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey(privateKey)).export({ type: 'spki', format: 'der' });
    const fromCert = new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}

/** Why a leaf Secret must be re-issued, or undefined when it is fine. */
export function leafProblem(secret: LiveSecret | undefined, leaf: LeafRequest, caCertificate: string, renewBeforeMs: number, now: Date): string | undefined {
  const certificate = secret?.data['tls.crt'];
  const key = secret?.data['tls.key'];
  if (!certificate || !key) return 'missing';
  let info;
  try {
    info = inspectCertificate(certificate);
  } catch {
    return 'unreadable certificate';
  }
  if (!isIssuedBy(certificate, caCertificate)) return 'issued by another CA';
  if (!keyMatches(certificate, key)) return 'key does not match certificate';
  if (info.notAfter.getTime() - now.getTime() < renewBeforeMs) return `expires ${info.notAfter.toISOString()}`;
  const want = [...leaf.dnsNames].sort().join(',');
  if ([...info.dnsNames].sort().join(',') !== want) return 'DNS names changed';
  if (info.subject !== expectedSubject(leaf)) return 'subject changed';
  return undefined;
}

class Pki {
  readonly report: PkiReport = { actions: [], issued: [], delivered: [], rolled: [] };
  private readonly now: () => Date;
  private readonly duration: number;
  private readonly renewBefore: number;
  private readonly caDuration: number;
  private readonly caRenewBefore: number;
  private readonly caSecretName: string;
  private readonly bundleSecretName: string;

  constructor(
    private readonly client: KubeClient,
    private readonly plan: SecurityPlan,
    private readonly options: PkiOptions,
  ) {
    const certificates = plan.tls!.certificates;
    this.now = options.now ?? (() => new Date());
    this.duration = parseSettingDuration(certificates.duration);
    this.renewBefore = certificates.renewBefore ? parseSettingDuration(certificates.renewBefore) : this.duration / 3;
    this.caDuration = parseSettingDuration(certificates.caDuration);
    this.caRenewBefore = certificates.caRenewBefore ? parseSettingDuration(certificates.caRenewBefore) : this.caDuration / 3;
    if (this.renewBefore >= this.duration) throw new Error(`tls.certificates.renewBefore (${certificates.renewBefore}) must be shorter than tls.certificates.duration (${certificates.duration})`);
    if (this.caRenewBefore >= this.caDuration) throw new Error(`tls.certificates.caRenewBefore must be shorter than tls.certificates.caDuration`);
    this.caSecretName = certificates.caSecretName;
    this.bundleSecretName = plan.tls!.remoteWrite.clientCASecretName;
  }

  private get namespace(): string {
    return this.plan.namespace;
  }

  private log(line: string): void {
    this.report.actions.push(line);
    this.options.log?.(line);
  }

  private async step(step: string): Promise<void> {
    await this.options.afterStep?.(step);
  }

  private async readCa(): Promise<CaSecretState | undefined> {
    const secret = await readSecret(this.client, this.namespace, this.caSecretName);
    if (!secret) return undefined;
    const certificate = secret.data['tls.crt'];
    const privateKey = secret.data['tls.key'];
    if (!certificate || !privateKey) {
      throw new Error(`Secret ${this.namespace}/${this.caSecretName} has no tls.crt/tls.key: it is not a thanos-gitops CA; delete it or set tls.certificates.caSecretName to another name`);
    }
    const previous = secret.data[PREVIOUS_CA_KEY];
    return {
      current: { certificate, privateKey },
      ...(previous ? { previous } : {}),
      state: secret.annotations[STATE_ANNOTATION] ?? 'idle',
      annotations: secret.annotations,
    };
  }

  private async writeCa(ca: CertificateAndKey, previous: string | undefined, annotations: Record<string, string>): Promise<void> {
    const keep: Record<string, string> = {};
    for (const [key, value] of Object.entries(annotations)) if (key.startsWith('rotation.thanos-gitops.io/')) keep[key] = value;
    await writeSecret(this.client, {
      namespace: this.namespace,
      name: this.caSecretName,
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': ca.certificate, 'tls.key': ca.privateKey, ...(previous ? { [PREVIOUS_CA_KEY]: previous } : {}) },
      labels: { 'thanos-gitops.io/role': 'ca' },
      annotations: keep,
    });
  }

  private async setState(ca: CaSecretState, step: CaStep, extra: Record<string, string | undefined> = {}, dropPrevious = false): Promise<CaSecretState> {
    const previous = dropPrevious ? undefined : ca.previous;
    const annotations: Record<string, string> = { ...ca.annotations, [STATE_ANNOTATION]: STATE_AFTER[step] };
    for (const [key, value] of Object.entries(extra)) {
      if (value === undefined) delete annotations[key];
      else annotations[key] = value;
    }
    await this.writeCa(ca.current, previous, annotations);
    const next: CaSecretState = { current: ca.current, state: STATE_AFTER[step], annotations };
    if (previous) next.previous = previous;
    return next;
  }

  private assertBundle(bundle: string, where: string): void {
    assertCaBundle(
      bundle,
      where,
      `Nothing was written. The bundle comes from Secret ${this.namespace}/${this.caSecretName} (tls.crt and ${PREVIOUS_CA_KEY}): restore it from a backup, or delete it and run rotate again to start over with a new CA (every client then needs its new certificate).`,
    );
  }

  private async publishBundle(bundle: string): Promise<void> {
    this.assertBundle(bundle, `${this.namespace}/${this.bundleSecretName} ca.crt`);
    const live = await readSecret(this.client, this.namespace, this.bundleSecretName);
    if (live?.data['ca.crt'] === bundle) return;
    await writeSecret(this.client, {
      namespace: this.namespace,
      name: this.bundleSecretName,
      type: 'Opaque',
      data: { 'ca.crt': bundle },
      labels: { 'thanos-gitops.io/role': 'ca-bundle' },
    });
    this.log(`published CA bundle ${this.namespace}/${this.bundleSecretName} (${splitPemBundle(bundle).length} CA${splitPemBundle(bundle).length > 1 ? 's' : ''})`);
  }

  private leafSecretContent(leaf: LeafRequest, issued: CertificateAndKey, bundle: string, namespace = leaf.namespace, name = leaf.secretName) {
    return {
      namespace,
      name,
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': issued.certificate, 'tls.key': issued.privateKey, 'ca.crt': bundle },
      labels: { 'thanos-gitops.io/role': leaf.tenant ? 'tenant' : 'server' },
      annotations: {
        [CERTIFICATE_ANNOTATION]: leaf.id,
        // Where the copy went, so removing the tenant from the config can remove the copy too.
        ...(leaf.tenant?.deliverTo ? { [DELIVERED_ANNOTATION]: `${leaf.tenant.deliverTo.namespace}/${leaf.tenant.deliverTo.secretName}` } : {}),
      },
    };
  }

  /** Deletes the Secrets (and delivered copies) of tenants no longer in the config. */
  private async removeStaleTenants(caCertificate: string): Promise<void> {
    const wanted = new Set(this.plan.leaves.map((l) => l.id));
    const secrets = await this.client.list('v1', 'Secret', this.namespace, 'thanos-gitops.io/role=tenant');
    for (const secret of secrets) {
      const id = secret.metadata.annotations?.[CERTIFICATE_ANNOTATION];
      if (!id?.startsWith('tenant:') || wanted.has(id)) continue;
      const delivered = secret.metadata.annotations?.[DELIVERED_ANNOTATION];
      if (delivered) {
        const [namespace, name] = delivered.split('/');
        if (namespace && name) await this.client.delete({ apiVersion: 'v1', kind: 'Secret', namespace, name });
      }
      await this.client.delete({ apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name: secret.metadata.name });
      const certificate = Buffer.from(((secret.data as Record<string, string> | undefined) ?? {})['tls.crt'] ?? '', 'base64').toString('utf8');
      const until = certificate && isIssuedBy(certificate, caCertificate) ? inspectCertificate(certificate).notAfter.toISOString() : undefined;
      this.log(
        `removed ${id} (no longer in tls.certificates.tenants): deleted Secret ${this.namespace}/${secret.metadata.name}${delivered ? ` and ${delivered}` : ''}` +
          (until ? `; its certificate stays valid until ${until}: run rotate --force-ca-rotation to revoke it now` : ''),
      );
    }
  }

  /** Rewrites ca.crt of an existing leaf Secret (and its delivered copy), keeping its certificate and key. */
  private async setLeafBundle(leaf: LeafRequest, bundle: string): Promise<void> {
    this.assertBundle(bundle, `ca.crt of ${leaf.namespace}/${leaf.secretName}`);
    const targets: [string, string][] = [[leaf.namespace, leaf.secretName]];
    if (leaf.tenant?.deliverTo) targets.push([leaf.tenant.deliverTo.namespace, leaf.tenant.deliverTo.secretName]);
    for (const [namespace, name] of targets) {
      const live = await readSecret(this.client, namespace, name);
      const certificate = live?.data['tls.crt'];
      const privateKey = live?.data['tls.key'];
      if (!certificate || !privateKey || live.data['ca.crt'] === bundle) continue;
      await writeSecret(this.client, this.leafSecretContent(leaf, { certificate, privateKey }, bundle, namespace, name));
      this.log(`updated ca.crt of Secret ${namespace}/${name}`);
    }
  }

  private async issue(leaf: LeafRequest, ca: CertificateAndKey, bundle: string, reason: string): Promise<void> {
    this.assertBundle(bundle, `ca.crt of ${leaf.namespace}/${leaf.secretName}`);
    const issued = await issueLeaf(ca, {
      subject: { commonName: leaf.commonName, ...leaf.subject },
      dnsNames: leaf.dnsNames,
      usages: leaf.usages,
      validityMs: this.duration,
      now: new Date(),
    });
    await writeSecret(this.client, this.leafSecretContent(leaf, issued, bundle));
    const info = inspectCertificate(issued.certificate);
    this.report.issued.push(leaf.id);
    this.log(`issued ${leaf.id} into Secret ${leaf.namespace}/${leaf.secretName} (${reason}; serial ${info.serialNumber}, valid until ${info.notAfter.toISOString()})`);
  }

  /** Copies a tenant Secret to its delivery namespace when the copy differs. Returns whether it wrote. */
  private async deliver(leaf: LeafRequest): Promise<boolean> {
    const target = leaf.tenant?.deliverTo;
    if (!target) return false;
    const source = await readSecret(this.client, leaf.namespace, leaf.secretName);
    const certificate = source?.data['tls.crt'];
    const privateKey = source?.data['tls.key'];
    if (!certificate || !privateKey) throw new Error(`Secret ${leaf.namespace}/${leaf.secretName} vanished before delivery: run rotate again`);
    const bundle = source.data['ca.crt'] ?? '';
    const copy = await readSecret(this.client, target.namespace, target.secretName);
    if (copy && copy.data['tls.crt'] === certificate && copy.data['tls.key'] === privateKey && copy.data['ca.crt'] === bundle) return false;
    await writeSecret(this.client, this.leafSecretContent(leaf, { certificate, privateKey }, bundle, target.namespace, target.secretName));
    this.report.delivered.push(leaf.id);
    this.log(`delivered ${leaf.id} to Secret ${target.namespace}/${target.secretName}`);
    return true;
  }

  private async roll(bundle: string): Promise<void> {
    const rolled = await rollWorkloads(this.client, this.plan.caReaders, CA_CHECKSUM_ANNOTATION, bundleChecksum(bundle), {
      ...this.options,
      log: (line) => this.log(line),
    });
    this.report.rolled.push(...rolled);
  }

  private caDue(ca: CaSecretState, now: Date): string | undefined {
    if (this.options.forceCaRotation) return 'forced';
    const info = inspectCertificate(ca.current.certificate);
    if (info.notAfter.getTime() - now.getTime() < this.caRenewBefore) return `CA expires ${info.notAfter.toISOString()}`;
    return undefined;
  }

  async run(): Promise<PkiReport> {
    const now = this.now();
    let ca = await this.readCa();
    if (this.options.dryRun) return this.dryRun(ca, now);

    if (!ca) {
      const created = await createCa({ commonName: caCommonName(this.namespace, now), validityMs: this.caDuration });
      await this.writeCa(created, undefined, { [STATE_ANNOTATION]: 'idle' });
      this.log(`created CA in Secret ${this.namespace}/${this.caSecretName} (valid until ${inspectCertificate(created.certificate).notAfter.toISOString()})`);
      ca = { current: created, state: 'idle', annotations: { [STATE_ANNOTATION]: 'idle' } };
      await this.step('ca:create');
    } else if (ca.state === 'idle' && this.caDue(ca, now)) {
      ca = await this.rotateCa(ca, 0, this.caDue(ca, now)!);
    } else if (ca.state !== 'idle') {
      const index = Object.values(STATE_AFTER).indexOf(ca.state);
      if (index < 0) throw new Error(`Secret ${this.namespace}/${this.caSecretName} has unknown ${STATE_ANNOTATION} '${ca.state}': set it to one of ${Object.values(STATE_AFTER).join(', ')}`);
      this.report.caRotation = { resumedFrom: ca.state, completed: false };
      ca = await this.rotateCa(ca, index + 1, `resuming after ${ca.state}`);
    }

    // Steady state: one CA, one bundle, every leaf fresh and issued by it.
    const bundle = ca.current.certificate;
    const bundleBefore = (await readSecret(this.client, this.namespace, this.bundleSecretName))?.data['ca.crt'];
    await this.publishBundle(bundle);
    for (const leaf of this.plan.leaves) {
      const secret = await readSecret(this.client, leaf.namespace, leaf.secretName);
      const problem = this.options.forceLeafRenewal ? 'forced' : leafProblem(secret, leaf, ca.current.certificate, this.renewBefore, now);
      if (problem) {
        await this.issue(leaf, ca.current, bundle, problem);
        await this.step(`leaf:${leaf.id}`);
      } else if (secret?.data['ca.crt'] !== bundle) {
        await this.setLeafBundle(leaf, bundle);
      }
      if (await this.deliver(leaf)) await this.step(`deliver:${leaf.id}`);
    }
    await this.removeStaleTenants(ca.current.certificate);
    if (bundleBefore !== undefined && bundleBefore !== bundle) {
      // The bundle changed outside a rotation (e.g. a CA Secret re-created by hand): readers must reload it.
      await this.roll(bundle);
    }
    return this.report;
  }

  private async rotateCa(start: CaSecretState, from: number, reason: string): Promise<CaSecretState> {
    let ca = start;
    this.report.caRotation ??= { completed: false };
    this.log(`CA rotation: ${reason}`);
    for (const step of CA_STEPS.slice(from)) {
      switch (step) {
        case 'ca:generate': {
          const next = await createCa({ commonName: caCommonName(this.namespace, this.now()), validityMs: this.caDuration });
          // New key, old certificate kept as previous.crt, and the state: one write, so a crash cannot split them.
          ca = { ...ca, current: next, previous: ca.current.certificate };
          ca = await this.setState(ca, step, { [STARTED_ANNOTATION]: new Date().toISOString() });
          this.log(`generated new CA (valid until ${inspectCertificate(next.certificate).notAfter.toISOString()})`);
          break;
        }
        case 'ca:publish-bundle': {
          const bundle = `${ca.previous ?? ''}${ca.current.certificate}`;
          await this.publishBundle(bundle);
          for (const leaf of this.plan.leaves) await this.setLeafBundle(leaf, bundle);
          ca = await this.setState(ca, step);
          break;
        }
        case 'ca:roll-trust':
          await this.roll(`${ca.previous ?? ''}${ca.current.certificate}`);
          ca = await this.setState(ca, step);
          break;
        case 'ca:reissue-leaves': {
          const bundle = `${ca.previous ?? ''}${ca.current.certificate}`;
          for (const leaf of this.plan.leaves) {
            const secret = await readSecret(this.client, leaf.namespace, leaf.secretName);
            // Resumable: leaves already re-issued from the new CA before a crash are kept.
            const problem = leafProblem(secret, leaf, ca.current.certificate, this.renewBefore, this.now());
            if (problem) await this.issue(leaf, ca.current, bundle, `CA rotation: ${problem}`);
          }
          ca = await this.setState(ca, step, { [LEAVES_WRITTEN_ANNOTATION]: new Date().toISOString() });
          break;
        }
        case 'ca:await-leaves':
          await this.awaitLeaves(ca);
          ca = await this.setState(ca, step);
          break;
        case 'ca:drop-old': {
          const bundle = ca.current.certificate;
          await this.publishBundle(bundle);
          for (const leaf of this.plan.leaves) await this.setLeafBundle(leaf, bundle);
          ca = await this.setState(ca, step, {}, true);
          this.log('dropped the old CA from every bundle');
          break;
        }
        case 'ca:roll-final':
          await this.roll(ca.current.certificate);
          ca = await this.setState(ca, step, { [COMPLETED_ANNOTATION]: new Date().toISOString(), [STARTED_ANNOTATION]: undefined, [LEAVES_WRITTEN_ANNOTATION]: undefined });
          this.report.caRotation!.completed = true;
          this.log('CA rotation complete');
          break;
      }
      await this.step(step);
    }
    return ca;
  }

  /** Deliver re-issued tenant Secrets, then make sure no leaf from the old CA can still be in use anywhere. */
  private async awaitLeaves(ca: CaSecretState): Promise<void> {
    for (const leaf of this.plan.leaves) await this.deliver(leaf);
    const stale: string[] = [];
    for (const leaf of this.plan.leaves) {
      const places: [string, string][] = [[leaf.namespace, leaf.secretName]];
      if (leaf.tenant?.deliverTo) places.push([leaf.tenant.deliverTo.namespace, leaf.tenant.deliverTo.secretName]);
      for (const [namespace, name] of places) {
        const certificate = (await readSecret(this.client, namespace, name))?.data['tls.crt'];
        if (!certificate || !isIssuedBy(certificate, ca.current.certificate)) stale.push(`${namespace}/${name}`);
      }
    }
    if (stale.length > 0) {
      throw new Error(`CA rotation: Secrets ${stale.join(', ')} do not hold a certificate from the new CA yet; run rotate again (it resumes here)`);
    }
    const written = Date.parse(ca.annotations[LEAVES_WRITTEN_ANNOTATION] ?? '') || 0;
    const wait = written + (this.options.propagationDelayMs ?? DEFAULT_PROPAGATION_MS) - Date.now();
    if (wait > 0) {
      this.log(`waiting ${Math.ceil(wait / 1000)}s for kubelet to sync the re-issued certificates into pods`);
      await this.client.pause(wait, 'the certificate propagation wait');
    }
    await this.options.confirmLeavesInUse?.(this.plan.leaves);
  }

  private async dryRun(ca: CaSecretState | undefined, now: Date): Promise<PkiReport> {
    if (!ca) {
      this.log(`would create a CA in Secret ${this.namespace}/${this.caSecretName} and issue ${this.plan.leaves.map((l) => l.id).join(', ') || 'no leaves'}`);
      return this.report;
    }
    if (ca.state !== 'idle') {
      const index = Object.values(STATE_AFTER).indexOf(ca.state);
      this.log(`would resume the CA rotation after '${ca.state}': ${CA_STEPS.slice(index + 1).join(', ')}`);
      return this.report;
    }
    const due = this.caDue(ca, now);
    if (due) {
      this.log(`would rotate the CA (${due}): ${CA_STEPS.join(', ')}`);
      return this.report;
    }
    for (const leaf of this.plan.leaves) {
      const secret = await readSecret(this.client, leaf.namespace, leaf.secretName);
      const problem = this.options.forceLeafRenewal ? 'forced' : leafProblem(secret, leaf, ca.current.certificate, this.renewBefore, now);
      if (problem) this.log(`would issue ${leaf.id} into Secret ${leaf.namespace}/${leaf.secretName} (${problem})`);
    }
    const wanted = new Set(this.plan.leaves.map((l) => l.id));
    for (const secret of await this.client.list('v1', 'Secret', this.namespace, 'thanos-gitops.io/role=tenant')) {
      const id = secret.metadata.annotations?.[CERTIFICATE_ANNOTATION];
      if (id?.startsWith('tenant:') && !wanted.has(id)) this.log(`would remove ${id} (no longer in tls.certificates.tenants): Secret ${this.namespace}/${secret.metadata.name}`);
    }
    if (this.report.actions.length === 0) this.log('certificates: nothing to do');
    return this.report;
  }
}

/** Issues, renews and rotates the certificates a security plan needs. Call under the namespace Lease (see rotate). */
export async function reconcileCertificates(client: KubeClient, plan: SecurityPlan, options: PkiOptions = {}): Promise<PkiReport> {
  if (!plan.tls) return { actions: [], issued: [], delivered: [], rolled: [] };
  return new Pki(client, plan, options).run();
}

