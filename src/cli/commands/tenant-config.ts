import { stringify } from 'yaml';
import { UsageError, type Command, type Io } from '../command.js';
import { parseFlags } from '../flags.js';
import { loadStackConfig } from '../../config/index.js';
import { rotationTargetFor } from '../../rotation/rotate.js';
import { securityPlan } from '../../rotation/security-plan.js';

const usage = `Usage: thanos-gitops tenant-config <tenant> --config <stack.yaml> [options]

Prints the Prometheus remote_write block for a tenant of the stack's tls: section: the router's
remote-write URL and the tls_config file paths of the tenant's delivered Secret (tls.crt, tls.key,
ca.crt), as the Prometheus Operator mounts spec.secrets (/etc/prometheus/secrets/<secret>/).

Options:
  --config <file>        stack config (required)
  --url <url>            remote-write URL (default: https://<router service>.<namespace>.svc:<port>/api/v1/receive)
  --cert-dir <dir>       where the Secret's files are mounted (default: /etc/prometheus/secrets/<secret name>)`;

interface ServicePort {
  name?: string;
  port?: number;
}

export const tenantConfigCommand: Command = {
  name: 'tenant-config',
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parseFlags(argv, {
      config: { type: 'string' },
      url: { type: 'string' },
      'cert-dir': { type: 'string' },
    });
    const [tenantId, extra] = positionals;
    if (!tenantId) throw new UsageError('name the tenant: thanos-gitops tenant-config <tenant> --config <stack.yaml>');
    if (extra) throw new UsageError(`unexpected argument '${extra}'`);
    if (!values.config) throw new UsageError('--config <stack.yaml> is required');
    const config = await loadStackConfig(values.config);
    if (!config.tls)
      throw new Error(
        `${values.config}: has no tls: section, so remote-write is not mTLS and tenants have no certificates; add tls: {certificates: {tenants: [{id: ${tenantId}}]}}`,
      );
    const target = rotationTargetFor(config);
    const plan = securityPlan(target.set, { namespace: target.namespace, tls: config.tls });
    const leaf = plan.leaves.find((l) => l.tenant?.id === tenantId);
    if (!leaf?.tenant) {
      const known = plan.leaves.filter((l) => l.tenant).map((l) => l.tenant!.id);
      throw new Error(
        `${values.config}: tls.certificates.tenants has no tenant '${tenantId}'${known.length ? ` (tenants: ${known.join(', ')})` : ''}; add {id: ${tenantId}} there and run thanos-gitops rotate`,
      );
    }
    if (!plan.tls!.remoteWrite.enabled)
      throw new Error(`${values.config}: tls.remoteWrite.enabled is false: remote-write is not served over TLS`);

    let url = values.url;
    if (!url) {
      const router = plan.leaves.find((l) => l.id === 'remote-write')!;
      const serviceName = router.commonName;
      const service = target.set.find(
        (m) => m.object.kind === 'Service' && m.object.metadata.name === serviceName,
      )?.object;
      const port =
        ((service?.spec as { ports?: ServicePort[] } | undefined)?.ports ?? []).find((p) => p.name === 'remote-write')
          ?.port ?? 19291;
      url = `https://${serviceName}.${target.namespace}.svc:${port}/api/v1/receive`;
    }
    const secret = leaf.tenant.deliverTo ?? { namespace: leaf.namespace, secretName: leaf.secretName };
    const dir = (values['cert-dir'] ?? `/etc/prometheus/secrets/${secret.secretName}`).replace(/\/+$/, '');
    const entry: Record<string, unknown> = {
      url,
      tls_config: { cert_file: `${dir}/tls.crt`, key_file: `${dir}/tls.key`, ca_file: `${dir}/ca.crt` },
    };
    // Without tenantCertificateField the router takes the tenant from the THANOS-TENANT header (Thanos default).
    if (!plan.tls!.remoteWrite.tenantCertificateField) entry.headers = { 'THANOS-TENANT': tenantId };
    const field = plan.tls!.remoteWrite.tenantCertificateField;
    io.stdout(
      `# Tenant ${tenantId}: ${field ? `the router reads the tenant from the client certificate's ${field}` : 'the tenant is sent in the THANOS-TENANT header'}.\n` +
        `# Mount Secret ${secret.namespace}/${secret.secretName} (kept current by thanos-gitops rotate) at ${dir}.\n` +
        stringify({ remote_write: [entry] }),
    );
    return 0;
  },
};
