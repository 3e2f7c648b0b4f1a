import type { Command } from '../command.js';

/**
 * Every CLI command, in the order `--help` lists them. A command's implementation (and its dependencies: the AWS
 * SDK, the Kubernetes client, x509) loads only when that command runs, which halves the start-up of `render`.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const commands: CommandEntry[] = [
  {
    name: 'render',
    summary: 'Render a source to kube-thanos style manifest files or a YAML stream',
    load: async () => (await import('./render.js')).renderCommand,
  },
  {
    name: 'validate',
    summary: 'Check that a source loads and renders to a consistent manifest set',
    load: async () => (await import('./validate.js')).validateCommand,
  },
  {
    name: 'diff',
    summary: 'Diff the manifests of a base (git ref or config) against the working tree or a head ref',
    load: async () => (await import('./diff.js')).diffCommand,
  },
  {
    name: 'plan',
    summary: 'Show what apply would change, computed by the server (dry-run), without writing',
    load: async () => (await import('./plan.js')).planCommand,
  },
  {
    name: 'apply',
    summary: 'Server-side apply a source to the cluster as one ApplySet, prune, and record a release',
    load: async () => (await import('./apply.js')).applyCommand,
  },
  {
    name: 'reconcile',
    summary: 'Detect drift from the deployed release and re-apply exactly the drifted objects',
    load: async () => (await import('./reconcile.js')).reconcileCommand,
  },
  {
    name: 'history',
    summary: 'List the release revisions recorded for an environment',
    load: async () => (await import('./history.js')).historyCommand,
  },
  {
    name: 'rollback',
    summary: 'Re-apply a recorded release revision as a new revision',
    load: async () => (await import('./rollback.js')).rollbackCommand,
  },
  {
    name: 'rotate',
    summary: 'Issue, renew and rotate mTLS certificates and object-storage keys (resumable)',
    load: async () => (await import('./rotate.js')).rotateCommand,
  },
  {
    name: 'tenant-config',
    summary: "Print a tenant's Prometheus remote_write block (mTLS)",
    load: async () => (await import('./tenant-config.js')).tenantConfigCommand,
  },
  {
    name: 'eks-token',
    summary: 'Print an EKS bearer token as ExecCredential JSON (like aws eks get-token)',
    load: async () => (await import('./eks-token.js')).eksTokenCommand,
  },
  {
    name: 'rbac',
    summary: 'Print the namespace Role/RoleBinding the apply or plan identity needs',
    load: async () => (await import('./rbac.js')).rbacCommand,
  },
];
