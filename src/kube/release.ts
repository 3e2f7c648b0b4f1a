import { gunzipSync, gzipSync } from 'node:zlib';
import type { KubeObject, ManifestSet } from '../manifests/types.js';
import type { KubeClient } from './client.js';
import { mapLimit } from './util.js';

export const RELEASE_TYPE = 'thanos-gitops.io/release.v1';
export const RELEASE_OWNER = 'thanos-gitops';
/** `pending`: an ordered apply is under way; its annotations say which step it reached. */
export type ReleaseStatus = 'deployed' | 'superseded' | 'failed' | 'pending';

/** One recorded apply, stored Helm-style in a Secret per revision. */
export interface Release {
  environment: string;
  revision: number;
  sourceCommit?: string;
  time: string;
  status: ReleaseStatus;
  /** What happened, e.g. "rollback to 3" or the failure message. */
  description?: string;
  manifests: ManifestSet;
}

/** Summary without manifests (history listing never needs Secret contents). */
export type ReleaseInfo = Omit<Release, 'manifests'> & { objects: number };

const MAX_SECRET_BYTES = 1024 * 1024;

export function releaseSecretName(environment: string, revision: number): string {
  return `thanos-gitops.release.v1.${environment}.v${revision}`;
}

function labelsFor(environment: string, revision: number, status: ReleaseStatus): Record<string, string> {
  return { name: environment, owner: RELEASE_OWNER, status, version: String(revision) };
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

export class ReleaseHistory {
  constructor(
    readonly client: KubeClient,
    readonly namespace: string,
    readonly environment: string,
    readonly keep = 10,
  ) {}

  private selector(extra = ''): string {
    return `owner=${RELEASE_OWNER},name=${this.environment}${extra}`;
  }

  private async secrets(extra = ''): Promise<KubeObject[]> {
    const items = await this.client.list('v1', 'Secret', this.namespace, this.selector(extra));
    return items.filter((item) => item.type === RELEASE_TYPE);
  }

  private static info(secret: KubeObject): ReleaseInfo {
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

  /** Every recorded revision, oldest first, from labels and annotations only. */
  async list(): Promise<ReleaseInfo[]> {
    return (await this.secrets()).map((secret) => ReleaseHistory.info(secret)).sort((a, b) => a.revision - b.revision);
  }

  async get(revision: number): Promise<Release | undefined> {
    const secret = await this.client.get({ apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name: releaseSecretName(this.environment, revision) });
    const data = (secret?.data as Record<string, string> | undefined)?.release;
    if (!secret || !data) return undefined;
    const release = decodeRelease(data);
    // Labels are the source of truth for status: superseding only relabels.
    release.status = (secret.metadata.labels?.status ?? release.status) as ReleaseStatus;
    return release;
  }

  async deployed(): Promise<Release | undefined> {
    const latest = (await this.list()).filter((r) => r.status === 'deployed').at(-1);
    return latest ? this.get(latest.revision) : undefined;
  }

  /**
   * Records a new revision. When it is deployed, earlier deployed revisions become superseded; then history is trimmed
   * to `keep` entries, never deleting the deployed one.
   */
  async record(entry: Omit<Release, 'revision' | 'environment' | 'time'> & { time?: string }): Promise<Release> {
    const existing = await this.list();
    const revision = (existing.at(-1)?.revision ?? 0) + 1;
    const release: Release = { environment: this.environment, revision, time: entry.time ?? new Date().toISOString(), ...entry } as Release;
    const wire = encodeRelease(release);
    if (wire.length > MAX_SECRET_BYTES) {
      throw new Error(`release ${releaseSecretName(this.environment, revision)} is ${wire.length} bytes compressed, over the 1 MiB Secret limit; split the environment into smaller sets`);
    }
    const annotations: Record<string, string> = { 'thanos-gitops.io/time': release.time, 'thanos-gitops.io/objects': String(release.manifests.length) };
    if (release.sourceCommit) annotations['thanos-gitops.io/source-commit'] = release.sourceCommit;
    if (release.description) annotations['thanos-gitops.io/description'] = release.description.slice(0, 1000);
    await this.client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: releaseSecretName(this.environment, revision), namespace: this.namespace, labels: labelsFor(this.environment, revision, release.status), annotations },
      type: RELEASE_TYPE,
      data: { release: wire },
    });
    if (release.status === 'deployed') {
      await mapLimit(
        existing.filter((r) => r.status === 'deployed'),
        4,
        (r) => this.setStatus(r.revision, 'superseded'),
      );
    }
    await this.trim();
    return release;
  }

  /** Merges annotations into a revision's Secret (the ordered apply's step state). */
  async annotate(revision: number, annotations: Record<string, string>): Promise<void> {
    await this.client.patchMerge({ apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name: releaseSecretName(this.environment, revision) }, { metadata: { annotations } });
  }

  async annotations(revision: number): Promise<Record<string, string>> {
    const secret = await this.client.get({ apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name: releaseSecretName(this.environment, revision) });
    return (secret?.metadata.annotations as Record<string, string> | undefined) ?? {};
  }

  async setStatus(revision: number, status: ReleaseStatus, description?: string): Promise<void> {
    const patch: Record<string, unknown> = { metadata: { labels: { status }, ...(description ? { annotations: { 'thanos-gitops.io/description': description.slice(0, 1000) } } : {}) } };
    await this.client.patchMerge({ apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name: releaseSecretName(this.environment, revision) }, patch);
  }

  private async trim(): Promise<void> {
    const all = await this.list();
    const deployed = all.filter((r) => r.status === 'deployed').at(-1)?.revision;
    const excess = all.length - this.keep;
    if (excess <= 0) return;
    const victims = all.filter((r) => r.revision !== deployed).slice(0, excess);
    for (const victim of victims) {
      await this.client.delete({ apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name: releaseSecretName(this.environment, victim.revision) });
    }
  }
}
