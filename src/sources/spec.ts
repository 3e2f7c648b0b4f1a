import { SourceSpecError } from './errors.js';

/** Where a manifest set comes from. */
export type SourceSpec =
  | { type: 'config'; config: string }
  | { type: 'jsonnet'; entrypoint: string; jpath: string[] }
  | { type: 'manifests'; dir: string };

export const SOURCE_TYPES = ['config', 'jsonnet', 'manifests'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** The stack config used when no source is named, the same default as the Action's `config` input. */
export const DEFAULT_CONFIG_FILE = 'thanos-stack.yaml';

/** Loose source options as they come from CLI flags or Action inputs (empty strings count as unset). */
export interface SourceOptions {
  source?: string | undefined;
  config?: string | undefined;
  entrypoint?: string | undefined;
  jpath?: readonly string[] | undefined;
  dir?: string | undefined;
}

function given(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/**
 * Builds a SourceSpec from loose options. Without an explicit source the type follows the options given
 * (`entrypoint` means jsonnet, `dir` means manifests, otherwise the stack config), so a flag never silently loses.
 */
export function sourceSpecFrom(options: SourceOptions): SourceSpec {
  const jpath = (options.jpath ?? []).filter((entry) => entry.trim() !== '');
  let type: SourceType;
  if (given(options.source)) {
    if (!(SOURCE_TYPES as readonly string[]).includes(options.source)) {
      throw new SourceSpecError(`unknown source '${options.source}': use one of ${SOURCE_TYPES.join(', ')}`);
    }
    type = options.source as SourceType;
  } else if (given(options.entrypoint)) {
    type = 'jsonnet';
  } else if (given(options.dir)) {
    type = 'manifests';
  } else {
    type = 'config';
  }

  const stray: string[] = [];
  if (type !== 'config' && given(options.config)) stray.push('config');
  if (type !== 'jsonnet' && given(options.entrypoint)) stray.push('entrypoint');
  if (type !== 'jsonnet' && jpath.length > 0) stray.push('jpath');
  if (type !== 'manifests' && given(options.dir)) stray.push('dir');
  if (stray.length > 0) {
    throw new SourceSpecError(
      `${stray.map((name) => `'${name}'`).join(' and ')} ${stray.length === 1 ? 'does' : 'do'} not apply to the ${type} source; ` +
        `drop ${stray.length === 1 ? 'it' : 'them'} or choose the matching source`,
    );
  }

  switch (type) {
    case 'config':
      return { type, config: given(options.config) ? options.config : DEFAULT_CONFIG_FILE };
    case 'jsonnet':
      if (!given(options.entrypoint)) {
        throw new SourceSpecError("the jsonnet source needs an entrypoint file (e.g. 'entrypoint: thanos.jsonnet')");
      }
      return { type, entrypoint: options.entrypoint, jpath };
    case 'manifests':
      if (!given(options.dir)) {
        throw new SourceSpecError("the manifests source needs a directory (e.g. 'dir: deploy/thanos')");
      }
      return { type, dir: options.dir };
  }
}

/** A short human label such as `stack config thanos-stack.yaml`, used in messages and reports. */
export function describeSource(spec: SourceSpec): string {
  switch (spec.type) {
    case 'config':
      return `stack config ${spec.config}`;
    case 'jsonnet':
      return `jsonnet ${spec.entrypoint}`;
    case 'manifests':
      return `manifests directory ${spec.dir}`;
  }
}
