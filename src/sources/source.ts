import { stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { loadManifestDirectory } from './directory.js';
import { ManifestSourceError } from './errors.js';
import { loadJsonnet } from './jsonnet.js';
import type { ManifestSet } from '../model/objects.js';
import type { SourceSpec } from './spec.js';
import { assertWritableSet } from './check.js';
import { assertInsideRepository, repositoryRoot } from './repository.js';
import { objectProblem } from '../model/object-problem.js';
import { progressCounter, type ProgressListener } from '../model/progress.js';

export interface LoadOptions {
  /** Directory the spec's relative paths are resolved against (default: the process's). */
  cwd?: string;
  /** The jsonnet binary (default `$THANOS_GITOPS_JSONNET` or `jsonnet` on PATH). */
  jsonnetBinary?: string;
  /** The repository's directory, which jsonnet imports and symlinked manifests may read from (default: the git repository holding the source). */
  root?: string;
  /** Called as files are read and parsed, and as objects are checked. */
  progress?: ProgressListener;
}

/**
 * Loads the manifest set a source describes: a stack config rendered by our kube-thanos renderer, a jsonnet
 * entrypoint evaluated by the real `jsonnet`, or a directory of YAML. The set is checked for clashing file names
 * and duplicate objects, so whatever comes back can be written, diffed and applied.
 */
export async function loadManifestSet(spec: SourceSpec, options: LoadOptions = {}): Promise<ManifestSet> {
  const cwd = options.cwd ?? process.cwd();
  let set: ManifestSet;
  switch (spec.type) {
    case 'config': {
      const path = resolve(cwd, spec.config);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) {
        throw new ManifestSourceError(
          `stack config ${spec.config} does not exist; pass one with --config (examples/stack/thanos-stack.yaml is a starting point)`,
        );
      }
      await assertInsideRepository(
        path,
        options.root ?? (await repositoryRoot(dirname(path))) ?? dirname(path),
        `stack config ${spec.config}`,
      );
      // Loaded on demand: the jsonnet and directory sources need neither the schema nor the renderer.
      const [{ loadStackConfig }, { renderStack }] = await Promise.all([
        import('../config/index.js'),
        import('../render/index.js'),
      ]);
      try {
        // Keep the caller's spelling of the path so ConfigError messages name the file as the user wrote it.
        set = renderStack(await loadStackConfig(options.cwd === undefined ? spec.config : path));
      } catch (error) {
        // With an explicit cwd (the Action's workspace) name the file relative to it, as in the repository.
        if (options.cwd !== undefined && error instanceof Error)
          error.message = error.message.split(`${resolve(cwd)}${sep}`).join('');
        throw error;
      }
      break;
    }
    case 'jsonnet':
      set = await loadJsonnet(spec.entrypoint, spec.jpath, {
        cwd,
        ...(options.jsonnetBinary === undefined ? {} : { binary: options.jsonnetBinary }),
        ...(options.root === undefined ? {} : { root: options.root }),
      });
      break;
    case 'manifests':
      set = await loadManifestDirectory(spec.dir, cwd, options.root, options.progress);
      break;
  }
  // The directory and jsonnet sources check each object as they read it; a rendered stack config is checked here,
  // so every source refuses what the API server would refuse.
  if (spec.type === 'config') {
    const checked = progressCounter(options.progress, 'check', set.length);
    for (const { file, object } of set) {
      const problem = objectProblem(object);
      if (problem) throw new ManifestSourceError(`stack config ${spec.config}, rendered ${file}: ${problem}`);
      checked(file);
    }
  }
  assertWritableSet(set);
  return set;
}
