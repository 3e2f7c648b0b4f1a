export { ManifestSourceError, SourceSpecError } from './errors.js';
export {
  DEFAULT_CONFIG_FILE,
  SOURCE_TYPES,
  describeSource,
  sourceSpecFrom,
  type SourceOptions,
  type SourceSpec,
  type SourceType,
} from './spec.js';
export { loadManifestSet, type LoadOptions } from './source.js';
export { loadJsonnet, type JsonnetOptions } from './jsonnet.js';
export { loadManifestDirectory, parseManifestFile, manifestFileName } from './directory.js';
export { assertWritableSet, conflictingDuplicates, duplicateWarnings, type DuplicateObject } from './check.js';
export {
  RENDER_RECORD,
  WriteAbortedError,
  formatManifestStream,
  writeManifestSet,
  type WriteOptions,
} from './writer.js';
export { GitError, loadManifestSetAtRef, resolveRef } from './git.js';
