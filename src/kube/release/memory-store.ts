import { SUMMARY_DESCRIPTION_CHARS, type Release, type ReleaseInfo, type ReleaseStatus } from './record.js';
import type { ReleaseStore } from './store.js';

/**
 * Records in this process's memory, for tests of what is built on a store. Each record is kept serialized and read back
 * as a fresh copy, and its summary apart from it, so callers see what the Secret store gives them: a copy, never the
 * object they stored, and a status or summary description that an update changes without rewriting the record.
 */
export class MemoryReleaseStore implements ReleaseStore {
  private readonly records = new Map<number, { summary: ReleaseInfo; record: string; state: Record<string, string> }>();

  constructor(readonly environment: string) {}

  async list(): Promise<ReleaseInfo[]> {
    return [...this.records.values()].map(({ summary }) => ({ ...summary }));
  }

  async get(revision: number): Promise<Release | undefined> {
    const stored = this.records.get(revision);
    if (!stored) return undefined;
    return { ...(JSON.parse(stored.record) as Release), status: stored.summary.status };
  }

  async create(release: Release): Promise<void> {
    if (this.records.has(release.revision))
      throw new Error(`release revision ${release.revision} of environment ${this.environment} already exists`);
    const summary: ReleaseInfo = {
      environment: this.environment,
      revision: release.revision,
      time: release.time,
      status: release.status,
      objects: release.manifests.length,
    };
    if (release.sourceCommit) summary.sourceCommit = release.sourceCommit;
    if (release.description) summary.description = release.description.slice(0, SUMMARY_DESCRIPTION_CHARS);
    this.records.set(release.revision, { summary, record: JSON.stringify(release), state: {} });
  }

  async update(revision: number, change: { status: ReleaseStatus; description?: string | undefined }): Promise<void> {
    const stored = this.records.get(revision);
    if (!stored) throw new Error(`release revision ${revision} of environment ${this.environment} not found`);
    stored.summary.status = change.status;
    if (change.description) stored.summary.description = change.description.slice(0, SUMMARY_DESCRIPTION_CHARS);
  }

  async mergeState(revision: number, entries: Record<string, string>): Promise<void> {
    const stored = this.records.get(revision);
    if (!stored) throw new Error(`release revision ${revision} of environment ${this.environment} not found`);
    Object.assign(stored.state, entries);
  }

  async state(revision: number): Promise<Record<string, string>> {
    const stored = this.records.get(revision);
    if (!stored) throw new Error(`release revision ${revision} of environment ${this.environment} not found`);
    return { ...stored.state };
  }

  async delete(revision: number): Promise<void> {
    this.records.delete(revision);
  }
}
