export { ConfigError, formatIssue, type ConfigIssue } from './errors.js';
export { configSource, loadStackConfig, parseStackConfig, type ConfigSource } from './parse.js';
export {
  API_VERSION,
  COMPONENT_KEYS,
  KIND,
  componentOptions,
  stackConfigSchema,
  type ComponentKey,
  type ComponentParams,
  type StackConfig,
} from './schema.js';
export { resolveStack, type ResolvedComponent, type ResolvedStack } from './resolve.js';
