import { ThanosGitopsError } from '../model/errors.js';

/**
 * A manifest source or output that cannot be used as given. The message is complete on its own (it names the
 * file, the location and the fix), so callers print it as is, without a stack trace.
 */
export class ManifestSourceError extends ThanosGitopsError {
  override name = 'ManifestSourceError';
}

/** Source options that contradict each other or are missing; the CLI turns these into usage errors (exit 2). */
export class SourceSpecError extends ThanosGitopsError {
  override name = 'SourceSpecError';
}
