import { gunzipSync, gzipSync } from 'node:zlib';
import type { KubeObject } from '../../model/objects.js';
import { checkEnvironmentName } from '../../model/environment.js';
import type { KubeClient } from '../client.js';
import { SUMMARY_DESCRIPTION_CHARS, type Release, type ReleaseInfo, type ReleaseStatus } from './record.js';
import type { ReleaseStore } from './store.js';

const RELEASE_TYPE = 'thanos-gitops.io/release.v1';
const RELEASE_OWNER = 'thanos-gitops';

const MAX_SECRET_BYTES = 1024 * 1024;

export function releaseSecretName(environment: string, revision: number): string {
  return `thanos-gitops.release.v1.${environment}.v${revision}`;
}

/** data.release = base64(gzip(JSON)) as Helm stores it; the Secret API base64s those bytes once more on the wire. */
export function encodeRelease(release: Release): string {
  const inner = gzipSync(Buffer.from(JSON.stringify(release))).toString('base64');
  return Buffer.from(inner).toString('base64');
}

export function decodeRelease(wire: string): Release {
  const inner = Buffer.from(wire, 'base64').toString('utf8');
  return JSON.parse(gunzipSync(Buffer.from(inner, 'base64')).toString('utf8')) as Release;
}

/**
 * Records as Secrets `thanos-gitops.release.v1.<environment>.v<revision>` of type thanos-gitops.io/release.v1, Helm
 * style: the record in data.release, and what listings need in labels (name, owner, status, version) and annotations,
 * so a listing never reads a record. Status lives in the label: an update only relabels.
 */
export class SecretReleaseStore implements ReleaseStore {
  constructor(
    readonly client: KubeClient,
    readonly namespace: string,
    readonly environment: string,
  ) {
    checkEnvironmentName(environment);
  }

  private key(revision: number) {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: this.namespace,
      name: releaseSecretName(this.environment, revision),
    };
  }

  async list(): Promise<ReleaseInfo[]> {
    const items = await this.client.list(
      'v1',
      'Secret',
      this.namespace,
      `owner=${RELEASE_OWNER},name=${this.environment}`,
    );
    return items.filter((item) => item.type === RELEASE_TYPE).map(summaryOf);
  }

  async get(revision: number): Promise<Release | undefined> {
    const secret = await this.client.get(this.key(revision));
    const data = (secret?.data as Record<string, string> | undefined)?.release;
    if (!secret || !data) return undefined;
    const release = decodeRelease(data);
    release.status = (secret.metadata.labels?.status ?? release.status) as ReleaseStatus;
    return release;
  }

  async create(release: Release): Promise<void> {
    const wire = encodeRelease(release);
    const name = releaseSecretName(this.environment, release.revision);
    if (wire.length > MAX_SECRET_BYTES) {
      throw new Error(
        `release ${name} is ${wire.length} bytes compressed, over the 1 MiB Secret limit; split the environment into smaller sets`,
      );
    }
    const annotations: Record<string, string> = {
      'thanos-gitops.io/time': release.time,
      'thanos-gitops.io/objects': String(release.manifests.length),
    };
    if (release.sourceCommit) annotations['thanos-gitops.io/source-commit'] = release.sourceCommit;
    if (release.description)
      annotations['thanos-gitops.io/description'] = release.description.slice(0, SUMMARY_DESCRIPTION_CHARS);
    const labels = {
      name: this.environment,
      owner: RELEASE_OWNER,
      status: release.status,
      version: String(release.revision),
    };
    // A create, never an update: the API server refuses a name that exists (409 AlreadyExists).
    await this.client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: this.namespace, labels, annotations },
      type: RELEASE_TYPE,
      data: { release: wire },
    });
  }

  async update(revision: number, change: { status: ReleaseStatus; description?: string | undefined }): Promise<void> {
    const annotations = change.description
      ? { annotations: { 'thanos-gitops.io/description': change.description.slice(0, SUMMARY_DESCRIPTION_CHARS) } }
      : {};
    // A merge patch without a resourceVersion: the last status written wins, as for any label; a 404 when it is gone.
    await this.client.patchMerge(this.key(revision), {
      metadata: { labels: { status: change.status }, ...annotations },
    });
  }

  /** Kept as annotations of the revision's Secret, beside the listing's own. */
  async mergeState(revision: number, entries: Record<string, string>): Promise<void> {
    await this.client.patchMerge(this.key(revision), { metadata: { annotations: entries } });
  }

  async state(revision: number): Promise<Record<string, string>> {
    const secret = await this.client.get(this.key(revision));
    if (!secret) throw new Error(`release revision ${revision} of environment ${this.environment} not found`);
    return { ...(secret.metadata.annotations as Record<string, string> | undefined) };
  }

  async delete(revision: number): Promise<void> {
    await this.client.delete(this.key(revision));
  }
}

function summaryOf(secret: KubeObject): ReleaseInfo {
  const labels = secret.metadata.labels ?? {};
  const annotations = secret.metadata.annotations ?? {};
  const info: ReleaseInfo = {
    environment: labels.name ?? '',
    revision: Number(labels.version),
    time: annotations['thanos-gitops.io/time'] ?? String(secret.metadata.creationTimestamp ?? ''),
    status: (labels.status ?? 'failed') as ReleaseStatus,
    objects: Number(annotations['thanos-gitops.io/objects'] ?? 0),
  };
  if (annotations['thanos-gitops.io/source-commit']) info.sourceCommit = annotations['thanos-gitops.io/source-commit'];
  if (annotations['thanos-gitops.io/description']) info.description = annotations['thanos-gitops.io/description'];
  return info;
}
