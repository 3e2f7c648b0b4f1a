import { UsageError, type Command, type Io } from '../command.js';
import { loadStackConfig } from '../../config/index.js';
import {
  clientFromFlags,
  kubeconfigFlagOptions,
  leaseDurationUsage,
  leaseOptionsFromFlags,
  parseDuration,
  parseFlags,
  rejectPositionals,
} from '../flags.js';
import { formatRotateReport, rotateTarget, rotationTargetFor, type RotateOptions } from '../../rotation/rotate.js';
import { awsAccessKeyApi } from '../../rotation/objstore/access-keys.js';

const usage = `Usage: thanos-gitops rotate --config <stack.yaml> [options]

Issues and renews the mTLS certificates of the stack's tls: section (a CA, the router and gRPC server
certificates, one client certificate per tenant) and keeps the objstore Secret equal to objectStorage:,
rotating the IAM user's access key in accessKeys mode. Runs under the namespace Lease that apply uses.
Every step is persisted on the cluster (annotations on the CA and objstore Secrets): a run that is
interrupted resumes where it stopped. Leaf renewals need no restart (Thanos reloads certificate files);
a CA rotation restarts the pods that read the CA bundle, twice, via a pod-template checksum annotation
owned by the field manager thanos-gitops-rotation.

Options:
  --config <file>             stack config (required)
  --kubeconfig <file>         kubeconfig (default: $KUBECONFIG or ~/.kube/config)
  --context <name>            kubeconfig context
  --namespace, -n <ns>        the stack's namespace (checked against the config; default: from the config)
  --force-ca-rotation         rotate the CA now, even if it is not due
  --force-key-rotation        rotate the objstore access key now (accessKeys mode)
  --renew-leaves              re-issue every leaf certificate now, with fresh keys
  --dry-run                   print what would happen; write nothing (to the cluster or to IAM)
  --rollout-timeout <d>       how long to wait for restarted workloads (default 10m)
  --propagation-delay <d>     how long kubelet may take to sync re-issued certificates into pods
                              before the old CA is dropped (default 2m)
${leaseDurationUsage}

Ctrl-C or SIGTERM stops at the next request, releases the Lease and exits 130 or 143; the next run resumes.

Exit codes: 0 done (or nothing to do), 1 failure (run again: it resumes), 2 usage.`;

export const rotateCommand: Command = {
  name: 'rotate',
  interruptible: true,
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parseFlags(argv, {
      config: { type: 'string' },
      ...kubeconfigFlagOptions,
      'force-ca-rotation': { type: 'boolean' },
      'force-key-rotation': { type: 'boolean' },
      'renew-leaves': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'rollout-timeout': { type: 'string' },
      'propagation-delay': { type: 'string' },
      'lease-duration': { type: 'string' },
    });
    rejectPositionals(positionals);
    if (!values.config) throw new UsageError('--config <stack.yaml> is required');
    const config = await loadStackConfig(values.config);
    if (!config.tls && !config.objectStorage) {
      throw new Error(
        `${values.config}: has neither a tls: nor an objectStorage: section, so there is nothing to rotate`,
      );
    }
    const target = rotationTargetFor(config);
    if (values.namespace && values.namespace !== target.namespace) {
      throw new UsageError(
        `--namespace ${values.namespace} does not match the config, which renders into namespace ${target.namespace}`,
      );
    }
    const options: RotateOptions = {
      // A dry run is quick and its report (stdout) lists every line: logging them as they happen too printed each
      // twice. A real run logs progress to stderr as it goes (a CA rotation waits for rollouts).
      ...(values['dry-run'] ? {} : { log: (line: string) => io.stderr(`${line}\n`) }),
      ...(values['force-ca-rotation'] ? { forceCaRotation: true } : {}),
      ...(values['force-key-rotation'] ? { forceKeyRotation: true } : {}),
      ...(values['renew-leaves'] ? { forceLeafRenewal: true } : {}),
      ...(values['dry-run'] ? { dryRun: true } : {}),
      rolloutTimeoutMs: values['rollout-timeout']
        ? parseDuration(values['rollout-timeout'], '--rollout-timeout')
        : 600_000,
      ...(values['propagation-delay']
        ? { propagationDelayMs: parseDuration(values['propagation-delay'], '--propagation-delay') }
        : {}),
      ...(config.objectStorage?.mode === 'accessKeys'
        ? { accessKeys: awsAccessKeyApi({ region: config.objectStorage.region }) }
        : {}),
    };
    const lease = leaseOptionsFromFlags(values);
    if (lease) options.lease = lease;
    const client = await clientFromFlags(values, io.signal);
    try {
      const report = await rotateTarget(client, target, options);
      io.stdout(formatRotateReport(report));
      return 0;
    } finally {
      client.close();
    }
  },
};
