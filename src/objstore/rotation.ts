import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import type { KubeClient } from '../kube/client.js';
import { parseSettingDuration } from '../config/security.js';
import { OBJSTORE_CHECKSUM_ANNOTATION, objstoreConfigYaml, type SecurityPlan } from '../render/security.js';
import { readSecret, writeSecret, type LiveSecret } from '../pki/secrets.js';
import { rollWorkloads, type RollOptions } from '../pki/roll.js';
import { maskKeyId, type AccessKeyApi, type AccessKeyCredentials } from './access-keys.js';

/**
 * The two-key rotation of an IAM user's access key (mode accessKeys), resumable like the CA rotation: the state lives
 * in annotations on the objstore Secret, and each step is idempotent. At every moment the key in the Secret is active.
 */
export const KEY_STEPS = ['keys:create', 'keys:roll', 'keys:verify', 'keys:delete-old'] as const;
export type KeyStep = (typeof KEY_STEPS)[number];

const STATE_AFTER: Record<KeyStep, string> = { 'keys:create': 'written', 'keys:roll': 'rolled', 'keys:verify': 'verified', 'keys:delete-old': 'idle' };
export const KEY_STATE_ANNOTATION = 'rotation.thanos-gitops.io/key-state';
export const KEY_ID_ANNOTATION = 'rotation.thanos-gitops.io/access-key-id';
const PREVIOUS_KEY_ANNOTATION = 'rotation.thanos-gitops.io/previous-access-key-id';
/** Set just before CreateAccessKey: keys created after it that never reached the Secret are ours to delete. */
const CREATING_ANNOTATION = 'rotation.thanos-gitops.io/key-creating-since';
const CLOCK_SKEW_MS = 60_000;

export interface ObjstoreOptions extends RollOptions {
  accessKeys?: AccessKeyApi;
  forceKeyRotation?: boolean;
  dryRun?: boolean;
  now?: () => Date;
  afterStep?: (step: string) => void | Promise<void>;
}

export interface ObjstoreReport {
  actions: string[];
  rotated: boolean;
  rolled: string[];
}

interface Live {
  secret?: LiveSecret;
  credentials?: AccessKeyCredentials;
  state: string;
}

function credentialsIn(secret: LiveSecret | undefined, key: string): AccessKeyCredentials | undefined {
  const text = secret?.data[key];
  if (!text) return undefined;
  try {
    const config = (parse(text) as { config?: { access_key?: unknown; secret_key?: unknown } } | null)?.config;
    if (typeof config?.access_key === 'string' && typeof config.secret_key === 'string' && config.access_key && config.secret_key) {
      return { accessKeyId: config.access_key, secretAccessKey: config.secret_key };
    }
  } catch {
    // An unparseable file is treated as "no key": the rotation writes a correct one.
  }
  return undefined;
}

/** Pod-template checksum of the objstore Secret: the config and the key id, never secret material. */
function consumerChecksum(config: string, accessKeyId: string | undefined): string {
  return createHash('sha256').update(`${config}\n${accessKeyId ?? ''}`).digest('hex').slice(0, 32);
}

class ObjstoreRotation {
  readonly report: ObjstoreReport = { actions: [], rotated: false, rolled: [] };
  private readonly store: NonNullable<SecurityPlan['objectStorage']>;

  constructor(
    private readonly client: KubeClient,
    private readonly plan: SecurityPlan,
    private readonly options: ObjstoreOptions,
  ) {
    this.store = plan.objectStorage!;
  }

  private log(line: string): void {
    this.report.actions.push(line);
    this.options.log?.(line);
  }

  private get secretRef(): string {
    return `${this.plan.namespace}/${this.store.secretName}`;
  }

  private async read(): Promise<Live> {
    const secret = await readSecret(this.client, this.plan.namespace, this.store.secretName);
    const credentials = credentialsIn(secret, this.store.key);
    return { ...(secret ? { secret } : {}), ...(credentials ? { credentials } : {}), state: secret?.annotations[KEY_STATE_ANNOTATION] ?? 'idle' };
  }

  private async write(credentials: AccessKeyCredentials | undefined, annotations: Record<string, string>): Promise<void> {
    const data: Record<string, string> = {};
    if (credentials) data[this.store.key] = objstoreConfigYaml(this.store, credentials);
    await writeSecret(this.client, { namespace: this.plan.namespace, name: this.store.secretName, type: 'Opaque', data, labels: { 'thanos-gitops.io/role': 'objstore' }, annotations });
  }

  private stateAnnotations(live: Live): Record<string, string> {
    const keep: Record<string, string> = {};
    for (const [key, value] of Object.entries(live.secret?.annotations ?? {})) if (key.startsWith('rotation.thanos-gitops.io/')) keep[key] = value;
    return keep;
  }

  private api(): AccessKeyApi {
    if (!this.options.accessKeys) throw new Error('objectStorage.mode accessKeys needs AWS access to IAM to rotate keys');
    return this.options.accessKeys;
  }

  async run(): Promise<ObjstoreReport> {
    if (this.store.mode === 'irsa') return this.checkIrsa();
    const user = this.store.iamUserName!;
    const live = await this.read();
    const now = (this.options.now ?? (() => new Date()))();

    if (live.state !== 'idle') {
      const index = Object.values(STATE_AFTER).indexOf(live.state);
      if (index < 0) throw new Error(`Secret ${this.secretRef} has unknown ${KEY_STATE_ANNOTATION} '${live.state}': set it to one of ${Object.values(STATE_AFTER).join(', ')}`);
      if (this.options.dryRun) {
        this.log(`would resume the access key rotation after '${live.state}': ${KEY_STEPS.slice(index + 1).join(', ')}`);
        return this.report;
      }
      await this.rotate(live, index + 1, `resuming after ${live.state}`);
      return this.report;
    }

    if (live.secret?.annotations[CREATING_ANNOTATION]) {
      // A run died between marking and writing the new key: finish it (and clean up the key it may have created).
      if (this.options.dryRun) {
        this.log(`would resume an interrupted access key creation for IAM user ${user}`);
        return this.report;
      }
      await this.rotate(live, 0, 'resuming an interrupted key creation');
      return this.report;
    }
    const keys = await this.api().list(user);
    const current = live.credentials && keys.find((k) => k.accessKeyId === live.credentials!.accessKeyId);
    let reason: string | undefined;
    if (this.options.forceKeyRotation) reason = 'forced';
    else if (!live.credentials) reason = live.secret ? `Secret ${this.secretRef} holds no access key` : `Secret ${this.secretRef} does not exist`;
    else if (!current) reason = `key ${maskKeyId(live.credentials.accessKeyId)} is not a key of IAM user ${user}`;
    else if (current.status !== 'Active') reason = `key ${maskKeyId(current.accessKeyId)} is ${current.status}`;
    else if (now.getTime() - current.createDate.getTime() > parseSettingDuration(this.store.keyMaxAge)) reason = `key ${maskKeyId(current.accessKeyId)} is older than ${this.store.keyMaxAge}`;

    if (reason) {
      if (this.options.dryRun) {
        this.log(`would rotate the access key of IAM user ${user} (${reason}): ${KEY_STEPS.join(', ')}`);
        return this.report;
      }
      await this.rotate(live, 0, reason);
      return this.report;
    }

    // Same key, but the Secret must still say what the config says (bucket, endpoint, region, prefix).
    const wanted = objstoreConfigYaml(this.store, live.credentials);
    if (live.secret?.data[this.store.key] !== wanted) {
      if (this.options.dryRun) {
        this.log(`would rewrite Secret ${this.secretRef} to match objectStorage and restart its readers`);
        return this.report;
      }
      await this.write(live.credentials, this.stateAnnotations(live));
      this.log(`rewrote Secret ${this.secretRef} to match objectStorage`);
      await this.roll(live.credentials!.accessKeyId);
    } else {
      this.log(`object storage: Secret ${this.secretRef} is up to date`);
    }
    return this.report;
  }

  private async roll(accessKeyId: string | undefined): Promise<void> {
    const checksum = consumerChecksum(objstoreConfigYaml(this.store), accessKeyId);
    const rolled = await rollWorkloads(this.client, this.plan.objstoreConsumers, OBJSTORE_CHECKSUM_ANNOTATION, checksum, { ...this.options, log: (line) => this.log(line) });
    this.report.rolled.push(...rolled);
  }

  private async rotate(start: Live, from: number, reason: string): Promise<void> {
    const user = this.store.iamUserName!;
    const api = this.api();
    let live = start;
    this.log(`access key rotation for IAM user ${user}: ${reason}`);
    for (const step of KEY_STEPS.slice(from)) {
      const annotations = this.stateAnnotations(live);
      switch (step) {
        case 'keys:create': {
          const keys = await api.list(user);
          const since = Date.parse(annotations[CREATING_ANNOTATION] ?? '');
          for (const key of keys) {
            const ours = !Number.isNaN(since) && key.createDate.getTime() >= since - CLOCK_SKEW_MS;
            if (ours && key.accessKeyId !== live.credentials?.accessKeyId) {
              // Created by a run that died before writing the Secret: its secret is lost, nobody can be using it.
              await api.delete(user, key.accessKeyId);
              this.log(`deleted orphaned access key ${maskKeyId(key.accessKeyId)} left by an interrupted run`);
            }
          }
          const remaining = (await api.list(user)).filter((k) => k.accessKeyId !== live.credentials?.accessKeyId);
          if (remaining.length + (live.credentials ? 1 : 0) >= 2) {
            throw new Error(
              `IAM user ${user} already has two access keys (${[...remaining.map((k) => k.accessKeyId), ...(live.credentials ? [live.credentials.accessKeyId] : [])].map(maskKeyId).join(', ')}); ` +
                `the rotation needs a free slot: delete the key that Secret ${this.secretRef} does not use (aws iam delete-access-key --user-name ${user} --access-key-id <id>)`,
            );
          }
          await this.write(live.credentials, { ...annotations, [CREATING_ANNOTATION]: new Date().toISOString() });
          const created = await api.create(user);
          const next: Record<string, string> = { ...annotations, [KEY_ID_ANNOTATION]: created.accessKeyId, [KEY_STATE_ANNOTATION]: STATE_AFTER[step] };
          delete next[CREATING_ANNOTATION];
          if (live.credentials) next[PREVIOUS_KEY_ANNOTATION] = live.credentials.accessKeyId;
          else delete next[PREVIOUS_KEY_ANNOTATION];
          const credentials = { accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey };
          await this.write(credentials, next);
          this.log(`created access key ${maskKeyId(created.accessKeyId)} and wrote it to Secret ${this.secretRef}`);
          this.report.rotated = true;
          break;
        }
        case 'keys:roll':
          await this.roll(live.credentials?.accessKeyId);
          await this.write(live.credentials, { ...annotations, [KEY_STATE_ANNOTATION]: STATE_AFTER[step] });
          break;
        case 'keys:verify':
          if (!live.credentials) throw new Error(`Secret ${this.secretRef} lost its access key mid-rotation: set ${KEY_STATE_ANNOTATION} to idle and run rotate again`);
          await api.verify(live.credentials);
          this.log(`verified access key ${maskKeyId(live.credentials.accessKeyId)}`);
          await this.write(live.credentials, { ...annotations, [KEY_STATE_ANNOTATION]: STATE_AFTER[step] });
          break;
        case 'keys:delete-old': {
          const previous = annotations[PREVIOUS_KEY_ANNOTATION];
          if (previous && previous !== live.credentials?.accessKeyId) {
            const deleted = await api.delete(user, previous);
            this.log(deleted ? `deleted old access key ${maskKeyId(previous)}` : `old access key ${maskKeyId(previous)} was already deleted`);
          }
          const next: Record<string, string> = { ...annotations, [KEY_STATE_ANNOTATION]: STATE_AFTER[step] };
          delete next[PREVIOUS_KEY_ANNOTATION];
          await this.write(live.credentials, next);
          this.log('access key rotation complete');
          break;
        }
      }
      live = await this.read();
      await this.options.afterStep?.(step);
    }
  }

  private async checkIrsa(): Promise<ObjstoreReport> {
    const live = await readSecret(this.client, this.plan.namespace, this.store.secretName);
    const wanted = objstoreConfigYaml(this.store);
    // In irsa mode the Secret is part of the rendered set: apply/reconcile own it, rotate only reports.
    if (!live) this.log(`object storage: Secret ${this.secretRef} is missing: run thanos-gitops apply`);
    else if (live.data[this.store.key] !== wanted) this.log(`object storage: Secret ${this.secretRef} differs from objectStorage: run thanos-gitops apply (or reconcile)`);
    else this.log(`object storage: Secret ${this.secretRef} is up to date (IRSA, no keys)`);
    return this.report;
  }
}

export async function reconcileObjectStorage(client: KubeClient, plan: SecurityPlan, options: ObjstoreOptions = {}): Promise<ObjstoreReport> {
  if (!plan.objectStorage) return { actions: [], rotated: false, rolled: [] };
  return new ObjstoreRotation(client, plan, options).run();
}
