import { mapLimit } from '../util.js';
import { withoutSecretValues, type Release, type ReleaseInfo, type ReleaseStatus } from './record.js';
import type { ReleaseStore } from './store.js';

/**
 * An environment's release history over any ReleaseStore: revision numbers, superseding the deployed revision and
 * trimming to the last `keep` records.
 */
export class ReleaseHistory {
  constructor(
    readonly store: ReleaseStore,
    readonly keep = 10,
  ) {}

  /** Every recorded revision, oldest first, from the summaries only. */
  async list(): Promise<ReleaseInfo[]> {
    return byRevision(await this.store.list());
  }

  /** The history as the caller listed it under the Lease it holds, oldest first; listed now when not given. */
  private async listedOrList(listed: readonly ReleaseInfo[] | undefined): Promise<ReleaseInfo[]> {
    return listed ? byRevision([...listed]) : this.list();
  }

  get(revision: number): Promise<Release | undefined> {
    return this.store.get(revision);
  }

  /**
   * The newest revision whose status is deployed: the one reconcile, drift and rotation start from. `listed` is the
   * history as this run listed it under the Lease it holds (read again when not given).
   */
  async deployed(listed?: readonly ReleaseInfo[]): Promise<Release | undefined> {
    const latest = (await this.listedOrList(listed)).filter((r) => r.status === 'deployed').at(-1);
    return latest ? this.get(latest.revision) : undefined;
  }

  /**
   * Records a new revision after the newest one. When it is deployed, earlier deployed revisions become superseded;
   * then history is trimmed to `keep` entries, never deleting the deployed one. A writer that lost the race for the
   * revision fails (the store refuses to overwrite a record); the Lease keeps writers apart. `listed` is the history
   * as this run listed it under the Lease it still holds (read again when not given).
   */
  async record(
    entry: Omit<Release, 'revision' | 'environment' | 'time'> & { time?: string },
    listed?: readonly ReleaseInfo[],
  ): Promise<Release> {
    const existing = await this.listedOrList(listed);
    const revision = (existing.at(-1)?.revision ?? 0) + 1;
    const { manifests, secretValues } = withoutSecretValues(entry.manifests);
    const release: Release = {
      environment: this.store.environment,
      revision,
      time: entry.time ?? new Date().toISOString(),
      ...entry,
      manifests,
    } as Release;
    if (Object.keys(secretValues).length > 0) release.secretValues = secretValues;
    await this.store.create(release);
    const superseded = release.status === 'deployed' ? existing.filter((r) => r.status === 'deployed') : [];
    await mapLimit(superseded, 4, (r) => this.setStatus(r.revision, 'superseded'));
    // The history as it now stands, without reading it again: the Lease keeps other writers out meanwhile.
    await this.trim([
      ...existing.map((r) => ({ revision: r.revision, status: superseded.includes(r) ? 'superseded' : r.status })),
      { revision, status: release.status },
    ]);
    return release;
  }

  setStatus(revision: number, status: ReleaseStatus, description?: string): Promise<void> {
    return this.store.update(revision, { status, description });
  }

  mergeState(revision: number, entries: Record<string, string>): Promise<void> {
    return this.store.mergeState(revision, entries);
  }

  state(revision: number): Promise<Record<string, string>> {
    return this.store.state(revision);
  }

  private async trim(all: ReadonlyArray<{ revision: number; status: ReleaseStatus }>): Promise<void> {
    const deployed = all.filter((r) => r.status === 'deployed').at(-1)?.revision;
    const excess = all.length - this.keep;
    if (excess <= 0) return;
    const victims = all.filter((r) => r.revision !== deployed).slice(0, excess);
    for (const victim of victims) await this.store.delete(victim.revision);
  }
}

function byRevision(releases: ReleaseInfo[]): ReleaseInfo[] {
  return releases.sort((a, b) => a.revision - b.revision);
}
