import type { Release, ReleaseInfo, ReleaseStatus } from './record.js';

/**
 * Where one environment's release records live, one record per revision. A store only keeps records: superseding,
 * trimming and the choice of revision numbers are ReleaseHistory's, so they behave the same over every store (Helm
 * splits its storage the same way: pkg/storage over the drivers of pkg/storage/driver).
 */
export interface ReleaseStore {
  readonly environment: string;
  /** A summary of every record (no manifests), in no particular order. */
  list(): Promise<ReleaseInfo[]>;
  get(revision: number): Promise<Release | undefined>;
  /** Stores a new record; throws "already exists" when its revision is taken (another writer recorded it first). */
  create(release: Release): Promise<void>;
  /**
   * Sets a record's status, and the description its summary shows; the record's own description stays the one it was
   * created with. Throws "not found" when the record is gone.
   */
  update(revision: number, change: { status: ReleaseStatus; description?: string | undefined }): Promise<void>;
  /** Deletes a record; one already gone is no error (two writers may trim the same revision). */
  delete(revision: number): Promise<void>;
}
