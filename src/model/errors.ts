/**
 * The base of every error thanos-gitops raises on purpose. Its message is complete on its own (what is wrong, where,
 * and the fix), so entry points print it as is; the standard `cause` option (`new XError(message, { cause })`) keeps
 * the error it was raised from (a git or HTTP failure, a file that is not UTF-8) for logs and debuggers, without
 * repeating that error's stack in the message.
 */
export class ThanosGitopsError extends Error {
  override name = 'ThanosGitopsError';
}
