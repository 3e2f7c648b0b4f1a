import { UsageError, type Command } from '../command.js';
import { parseFlags, rejectPositionals } from '../flags.js';
import { DEFAULT_GROUPS, rbacManifests, type RbacMode } from '../../kube/rbac.js';
import { formatManifestStream } from '../../sources/writer.js';
import { environmentNameProblem } from '../../model/environment.js';

const usage = `Usage: thanos-gitops rbac --namespace <ns> [-n <ns>...] [--mode apply|plan] [--group <group>]

Prints the namespace Role and RoleBinding (YAML) the reconciler's Kubernetes identity needs. A cluster admin applies
them once; the EKS access entry created by the infra stack maps the function's IAM role to the group.

Options:
  --namespace, -n <ns>  target namespace (repeat for several; one Role + RoleBinding in each)
  --mode <mode>      apply (default: read, create, patch, update, delete, the lock Lease) or plan (read, create,
                     patch for server-side dry-run; no delete, no Lease writes, no Secrets but the ApplySet parent,
                     no pods; plus a ValidatingAdmissionPolicy with which the API server denies every write of the
                     plan identity that is not a dry-run: Kubernetes >= 1.30)
  --group <group>    Kubernetes group to bind (default: ${DEFAULT_GROUPS.apply} or ${DEFAULT_GROUPS.plan})
  --user <user>      also bind this user (repeatable; for clusters without access entries)
  --name <name>      Role and RoleBinding name (default: thanos-gitops-<mode>)
  --environment <e>  plan: environment whose ApplySet parent Secret (thanos-gitops-<e>) plan may read
                     (repeatable; default: default)

Example:
  thanos-gitops rbac --namespace thanos --mode apply | kubectl apply -f -
`;

export const rbacCommand: Command = {
  name: 'rbac',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      namespace: { type: 'string', short: 'n', multiple: true },
      mode: { type: 'string', default: 'apply' },
      group: { type: 'string' },
      user: { type: 'string', multiple: true },
      name: { type: 'string' },
      environment: { type: 'string', multiple: true },
    });
    rejectPositionals(positionals);
    const namespaces = values.namespace ?? [];
    if (namespaces.length === 0) throw new UsageError('--namespace is required');
    const mode = values.mode;
    if (mode !== 'apply' && mode !== 'plan') throw new UsageError(`--mode must be 'apply' or 'plan', got '${mode}'`);
    for (const environment of values.environment ?? []) {
      const problem = environmentNameProblem(environment, '--environment');
      if (problem !== undefined) throw new UsageError(problem);
    }
    const set = rbacManifests({
      namespaces,
      mode: mode satisfies RbacMode,
      ...(values.group !== undefined && { group: values.group }),
      ...(values.name !== undefined && { name: values.name }),
      ...(values.user !== undefined && { users: values.user }),
      ...(values.environment !== undefined && { environments: values.environment }),
    });
    io.stdout(formatManifestStream(set, { sourceComments: false }));
    return 0;
  },
};
