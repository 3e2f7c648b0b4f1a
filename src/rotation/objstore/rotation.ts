import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import type { KubeClient } from '../../kube/client.js';
import { parseSettingDuration } from '../../config/tls-objstore-schema.js';
import {
  OBJSTORE_CHECKSUM_ANNOTATION,
  objstoreConfigYaml,
  type ObjectStorageTarget,
} from '../../render/tls-objstore-overlay.js';
import type { SecurityPlan } from '../security-plan.js';
import { readSecret, writeSecret, type LiveSecret, type SecretContent } from '../secrets.js';
import { describeResume, IDLE, pendingSteps, runSteps, stepsInOrder, type Step, type StepMachine } from '../steps.js';
import { rollWorkloads, type RollOptions } from '../roll.js';
import { maskKeyId, type AccessKeyApi, type AccessKeyCredentials } from './access-keys.js';

/**
 * The two-key rotation of an IAM user's access key (mode accessKeys), as steps of the one resumable runner: the state
 * lives in annotations on the objstore Secret, and each step is idempotent. At every moment the key in the Secret is
 * active. The steps in order, each with the state it records (what clusters store); the next run starts with the
 * step after the recorded one.
 */
export const KEY_RECORDED_AFTER = {
  'keys:create': 'written',
  'keys:roll': 'rolled',
  'keys:verify': 'verified',
  'keys:delete-old': IDLE,
} as const;
export type KeyStep = keyof typeof KEY_RECORDED_AFTER;
export const KEY_STEPS = Object.keys(KEY_RECORDED_AFTER) as KeyStep[];
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

/** The objstore Secret as the key rotation reads and records it. */
export interface KeyRecord {
  secret?: LiveSecret;
  credentials?: AccessKeyCredentials;
  state: string;
  /** The rotation's own annotations (every `rotation.thanos-gitops.io/` one), written back with each state. */
  annotations: Record<string, string>;
}

const ROTATION_ANNOTATION_PREFIX = 'rotation.thanos-gitops.io/';

function credentialsIn(secret: LiveSecret | undefined, key: string): AccessKeyCredentials | undefined {
  const text = secret?.data[key];
  if (!text) return undefined;
  try {
    const config = (parse(text) as { config?: { access_key?: unknown; secret_key?: unknown } } | null)?.config;
    if (
      typeof config?.access_key === 'string' &&
      typeof config.secret_key === 'string' &&
      config.access_key &&
      config.secret_key
    ) {
      return { accessKeyId: config.access_key, secretAccessKey: config.secret_key };
    }
  } catch {
    // An unparseable file is treated as "no key": the rotation writes a correct one.
  }
  return undefined;
}

/** Pod-template checksum of the objstore Secret: the config and the key id, never secret material. */
function consumerChecksum(config: string, accessKeyId: string | undefined): string {
  return createHash('sha256')
    .update(`${config}\n${accessKeyId ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

/** Reads a key record from the objstore Secret's decoded fields (or from no Secret at all). */
export function keyRecordOf(secret: LiveSecret | undefined, key: string): KeyRecord {
  const credentials = credentialsIn(secret, key);
  const annotations: Record<string, string> = {};
  for (const [name, value] of Object.entries(secret?.annotations ?? {}))
    if (name.startsWith(ROTATION_ANNOTATION_PREFIX)) annotations[name] = value;
  return {
    ...(secret ? { secret } : {}),
    ...(credentials ? { credentials } : {}),
    state: secret?.annotations[KEY_STATE_ANNOTATION] ?? IDLE,
    annotations,
  };
}

/** The whole objstore Secret: the config file (with the key when there is one) and the rotation annotations. */
export function objstoreSecretContent(
  namespace: string,
  store: ObjectStorageTarget,
  credentials: AccessKeyCredentials | undefined,
  annotations: Record<string, string>,
): SecretContent {
  const data: Record<string, string> = {};
  if (credentials) data[store.key] = objstoreConfigYaml(store, credentials);
  return {
    namespace,
    name: store.secretName,
    type: 'Opaque',
    data,
    labels: { 'thanos-gitops.io/role': 'objstore' },
    annotations,
  };
}

class ObjstoreRotation {
  readonly report: ObjstoreReport = { actions: [], rotated: false, rolled: [] };
  private readonly store: ObjectStorageTarget;
  private readonly machine: StepMachine<KeyRecord>;

  constructor(
    private readonly client: KubeClient,
    private readonly plan: SecurityPlan,
    private readonly options: ObjstoreOptions,
  ) {
    this.store = plan.objectStorage!;
    this.machine = this.keyRotation();
  }

  private log(line: string): void {
    this.report.actions.push(line);
    this.options.log?.(line);
  }

  private get secretRef(): string {
    return `${this.plan.namespace}/${this.store.secretName}`;
  }

  private async read(): Promise<KeyRecord> {
    return keyRecordOf(await readSecret(this.client, this.plan.namespace, this.store.secretName), this.store.key);
  }

  private async write(
    credentials: AccessKeyCredentials | undefined,
    annotations: Record<string, string>,
  ): Promise<void> {
    await writeSecret(this.client, objstoreSecretContent(this.plan.namespace, this.store, credentials, annotations));
  }

  private api(): AccessKeyApi {
    if (!this.options.accessKeys)
      throw new Error('objectStorage.mode accessKeys needs AWS access to IAM to rotate keys');
    return this.options.accessKeys;
  }

  async run(): Promise<ObjstoreReport> {
    if (this.store.mode === 'irsa') return this.checkIrsa();
    const user = this.store.iamUserName!;
    const live = await this.read();
    const now = (this.options.now ?? (() => new Date()))();

    if (live.state !== IDLE) {
      const pending = pendingSteps(this.machine, live.state);
      if (this.options.dryRun) {
        this.log(describeResume(this.machine, live.state));
        return this.report;
      }
      await this.rotate(live, pending, `resuming after ${live.state}`);
      return this.report;
    }

    if (live.secret?.annotations[CREATING_ANNOTATION]) {
      // A run died between marking and writing the new key: finish it (and clean up the key it may have created).
      if (this.options.dryRun) {
        this.log(`would resume an interrupted access key creation for IAM user ${user}`);
        return this.report;
      }
      await this.rotate(live, this.machine.steps, 'resuming an interrupted key creation');
      return this.report;
    }
    const keys = await this.api().list(user);
    const current = live.credentials && keys.find((k) => k.accessKeyId === live.credentials!.accessKeyId);
    let reason: string | undefined;
    if (this.options.forceKeyRotation) reason = 'forced';
    else if (!live.credentials)
      reason = live.secret ? `Secret ${this.secretRef} holds no access key` : `Secret ${this.secretRef} does not exist`;
    else if (!current) reason = `key ${maskKeyId(live.credentials.accessKeyId)} is not a key of IAM user ${user}`;
    else if (current.status !== 'Active') reason = `key ${maskKeyId(current.accessKeyId)} is ${current.status}`;
    else if (now.getTime() - current.createDate.getTime() > parseSettingDuration(this.store.keyMaxAge))
      reason = `key ${maskKeyId(current.accessKeyId)} is older than ${this.store.keyMaxAge}`;

    if (reason) {
      if (this.options.dryRun) {
        this.log(`would rotate the access key of IAM user ${user} (${reason}): ${KEY_STEPS.join(', ')}`);
        return this.report;
      }
      await this.rotate(live, this.machine.steps, reason);
      return this.report;
    }

    // Same key, but the Secret must still say what the config says (bucket, endpoint, region, prefix).
    const wanted = objstoreConfigYaml(this.store, live.credentials);
    if (live.secret?.data[this.store.key] !== wanted) {
      if (this.options.dryRun) {
        this.log(`would rewrite Secret ${this.secretRef} to match objectStorage and restart its readers`);
        return this.report;
      }
      await this.write(live.credentials, live.annotations);
      this.log(`rewrote Secret ${this.secretRef} to match objectStorage`);
      await this.roll(live.credentials!.accessKeyId);
    } else {
      this.log(`object storage: Secret ${this.secretRef} is up to date`);
    }
    return this.report;
  }

  private async roll(accessKeyId: string | undefined): Promise<void> {
    const checksum = consumerChecksum(objstoreConfigYaml(this.store), accessKeyId);
    const rolled = await rollWorkloads(
      this.client,
      this.plan.objstoreConsumers,
      OBJSTORE_CHECKSUM_ANNOTATION,
      checksum,
      { ...this.options, log: (line) => this.log(line) },
    );
    this.report.rolled.push(...rolled);
  }

  private async rotate(start: KeyRecord, steps: readonly Step<KeyRecord>[], reason: string): Promise<void> {
    this.api();
    this.log(`access key rotation for IAM user ${this.store.iamUserName!}: ${reason}`);
    await runSteps(this.machine, steps, start, this.options);
  }

  /** The key rotation's steps; each returns the key and annotations to store with its state. */
  private keyRotation(): StepMachine<KeyRecord> {
    return {
      what: 'access key rotation',
      secretRef: this.secretRef,
      annotation: KEY_STATE_ANNOTATION,
      commit: async (record, state) => {
        await this.write(record.credentials, { ...record.annotations, [KEY_STATE_ANNOTATION]: state });
        return this.read();
      },
      steps: stepsInOrder<KeyStep, KeyRecord>(KEY_RECORDED_AFTER, {
        'keys:create': {
          run: async (live) => {
            const user = this.store.iamUserName!;
            const api = this.api();
            const annotations = live.annotations;
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
            const next: Record<string, string> = { ...annotations, [KEY_ID_ANNOTATION]: created.accessKeyId };
            delete next[CREATING_ANNOTATION];
            if (live.credentials) next[PREVIOUS_KEY_ANNOTATION] = live.credentials.accessKeyId;
            else delete next[PREVIOUS_KEY_ANNOTATION];
            // The new key and the state in one write: a key that reached IAM but not the Secret is an orphan (see above).
            return {
              ...live,
              credentials: { accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey },
              annotations: next,
            };
          },
          recorded: (live) => {
            this.log(
              `created access key ${maskKeyId(live.credentials!.accessKeyId)} and wrote it to Secret ${this.secretRef}`,
            );
            this.report.rotated = true;
          },
        },
        'keys:roll': async (live) => {
          await this.roll(live.credentials?.accessKeyId);
          return live;
        },
        'keys:verify': async (live) => {
          if (!live.credentials)
            throw new Error(
              `Secret ${this.secretRef} lost its access key mid-rotation: set ${KEY_STATE_ANNOTATION} to idle and run rotate again`,
            );
          await this.api().verify(live.credentials);
          this.log(`verified access key ${maskKeyId(live.credentials.accessKeyId)}`);
          return live;
        },
        'keys:delete-old': {
          run: async (live) => {
            const previous = live.annotations[PREVIOUS_KEY_ANNOTATION];
            if (previous && previous !== live.credentials?.accessKeyId) {
              const deleted = await this.api().delete(this.store.iamUserName!, previous);
              this.log(
                deleted
                  ? `deleted old access key ${maskKeyId(previous)}`
                  : `old access key ${maskKeyId(previous)} was already deleted`,
              );
            }
            const { [PREVIOUS_KEY_ANNOTATION]: _previous, ...annotations } = live.annotations;
            return { ...live, annotations };
          },
          recorded: () => this.log('access key rotation complete'),
        },
      }),
    };
  }

  private async checkIrsa(): Promise<ObjstoreReport> {
    const live = await readSecret(this.client, this.plan.namespace, this.store.secretName);
    const wanted = objstoreConfigYaml(this.store);
    // In irsa mode the Secret is part of the rendered set: apply/reconcile own it, rotate only reports.
    if (!live) this.log(`object storage: Secret ${this.secretRef} is missing: run thanos-gitops apply`);
    else if (live.data[this.store.key] !== wanted)
      this.log(
        `object storage: Secret ${this.secretRef} differs from objectStorage: run thanos-gitops apply (or reconcile)`,
      );
    else this.log(`object storage: Secret ${this.secretRef} is up to date (IRSA, no keys)`);
    return this.report;
  }
}

export async function reconcileObjectStorage(
  client: KubeClient,
  plan: SecurityPlan,
  options: ObjstoreOptions = {},
): Promise<ObjstoreReport> {
  if (!plan.objectStorage) return { actions: [], rotated: false, rolled: [] };
  return new ObjstoreRotation(client, plan, options).run();
}
