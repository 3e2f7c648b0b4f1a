import { eksCredentials } from '../../kube/eks-cluster.js';
import { createEksToken, execCredentialApiVersion, formatExecCredential } from '../../kube/eks-token.js';
import { UsageError, type Command } from '../command.js';
import { parseFlags, rejectPositionals } from '../flags.js';

const usage = `Usage: thanos-gitops eks-token --cluster-name <name> [--region <region>] [--role-arn <arn>]
                                [--session-name <name>] [--external-id <id>]

Prints the ExecCredential JSON that 'aws eks get-token' prints (same token, same format), for a kubeconfig
exec entry or a quick check of the credentials the reconciler uses.

Options:
  --cluster-name <name>   EKS cluster name (the signed x-k8s-aws-id header)
  --region <region>       AWS region (default: AWS_REGION or AWS_DEFAULT_REGION)
  --role-arn <arn>        assume this role first and sign with its session
  --session-name <name>   role session name with --role-arn (default EKSGetTokenAuth, as aws-cli)
  --external-id <id>      sts:ExternalId with --role-arn, for cross-account trust policies

Credentials come from the AWS SDK's default chain (environment, profile, web identity, container, instance).
`;

export const eksTokenCommand: Command = {
  name: 'eks-token',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      'cluster-name': { type: 'string' },
      region: { type: 'string' },
      'role-arn': { type: 'string' },
      'session-name': { type: 'string' },
      'external-id': { type: 'string' },
    });
    rejectPositionals(positionals);
    const clusterName = values['cluster-name'];
    if (!clusterName) throw new UsageError('--cluster-name is required');
    const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError('no region: pass --region or set AWS_REGION');
    if ((values['session-name'] || values['external-id']) && !values['role-arn']) {
      throw new UsageError('--session-name and --external-id need --role-arn');
    }
    // THANOS_GITOPS_NOW pins the signing instant so tests can compare with aws-cli under faketime.
    const pinned = process.env.THANOS_GITOPS_NOW;
    const now = pinned ? new Date(pinned) : new Date();
    if (Number.isNaN(now.getTime())) throw new UsageError(`THANOS_GITOPS_NOW is not a date: '${pinned}'`);
    const credentials = eksCredentials({
      region,
      roleArn: values['role-arn'],
      sessionName: values['session-name'] ?? 'EKSGetTokenAuth',
      externalId: values['external-id'],
    });
    const token = await createEksToken({ clusterName, region, credentials: await credentials(), now });
    io.stdout(formatExecCredential(token, execCredentialApiVersion(process.env.KUBERNETES_EXEC_INFO)));
    return 0;
  },
};
