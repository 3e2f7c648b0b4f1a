import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';
import {
  objectStorageSchema,
  parseSettingDuration as parseDuration,
  tlsSchema,
} from '../../src/config/tls-objstore-schema.js';
import { applySecurity, IRSA_ANNOTATION, SecurityConfigError } from '../../src/render/tls-objstore-overlay.js';
import { securityPlan } from '../../src/rotation/security-plan.js';

const GOLDENS = join(import.meta.dirname, '../../../shared/kube-thanos');

function golden(name: 'example' | 'all'): ManifestSet {
  const dir = join(GOLDENS, name);
  return readdirSync(dir)
    .sort()
    .map((file) => ({ file, object: parse(readFileSync(join(dir, file), 'utf8')) as KubeObject }));
}

function find(set: ManifestSet, file: string): KubeObject {
  const manifest = set.find((m) => m.file === file);
  if (!manifest) throw new Error(`no ${file} in set`);
  return manifest.object;
}

interface TestContainer {
  args: string[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  image: string;
}
function pod(object: KubeObject): {
  containers: TestContainer[];
  volumes?: { name: string; secret?: { secretName: string; defaultMode?: number } }[];
} {
  return (object.spec as { template: { spec: ReturnType<typeof pod> } }).template.spec;
}
const args = (object: KubeObject) => pod(object).containers[0]!.args;

const S3 = { type: 'S3', bucket: 'metrics', endpoint: 's3.eu-west-1.amazonaws.com', region: 'eu-west-1' } as const;
const ROLE = 'arn:aws:iam::123456789012:role/thanos-objstore';

describe('applySecurity without tls/objectStorage', () => {
  it.each(['example', 'all'] as const)('returns the %s set unchanged (same array, same objects)', (name) => {
    const set = golden(name);
    const snapshot = JSON.stringify(set);
    const result = applySecurity(set, { namespace: 'thanos' });
    expect(result).toBe(set);
    expect(JSON.stringify(result)).toBe(snapshot);
  });
});

describe('remote-write mTLS', () => {
  it('wires the router with server TLS flags, a client CA and mounted Secret volumes; ingestors untouched', () => {
    const set = golden('example');
    const before = JSON.stringify(set);
    const out = applySecurity(set, {
      namespace: 'thanos',
      tls: { remoteWrite: { tenantCertificateField: 'organization', minVersion: '1.3' } },
    });
    expect(JSON.stringify(set)).toBe(before); // input not mutated
    const router = find(out, 'thanos-receive-router-deployment.yaml');
    expect(args(router).slice(-5)).toEqual([
      '--remote-write.server-tls-cert=/etc/thanos/tls/remote-write/tls.crt',
      '--remote-write.server-tls-key=/etc/thanos/tls/remote-write/tls.key',
      '--remote-write.server-tls-client-ca=/etc/thanos/tls/ca/ca.crt',
      '--remote-write.server-tls-min-version=1.3',
      '--receive.tenant-certificate-field=organization',
    ]);
    expect(pod(router).volumes).toEqual([
      { configMap: { name: 'hashring-config' }, name: 'hashring-config' },
      { name: 'tls-ca-bundle', secret: { defaultMode: 0o440, secretName: 'thanos-gitops-ca-bundle' } },
      { name: 'remote-write-tls', secret: { defaultMode: 0o440, secretName: 'thanos-receive-router-tls' } },
    ]);
    expect(pod(router).containers[0]!.volumeMounts).toEqual([
      { mountPath: '/var/lib/thanos-receive', name: 'hashring-config' },
      { mountPath: '/etc/thanos/tls/ca', name: 'tls-ca-bundle', readOnly: true },
      { mountPath: '/etc/thanos/tls/remote-write', name: 'remote-write-tls', readOnly: true },
    ]);
    for (const file of [
      'thanos-receive-ingestor-default-statefulSet.yaml',
      'thanos-store-statefulSet.yaml',
      'thanos-query-deployment.yaml',
    ]) {
      expect(find(out, file)).toBe(find(set, file));
    }
    expect(out).toHaveLength(set.length);
  });

  it('leaves the min-version flag to Thanos (default 1.3) unless set', () => {
    const out = applySecurity(golden('example'), { namespace: 'thanos', tls: {} });
    const flags = args(find(out, 'thanos-receive-router-deployment.yaml'));
    expect(flags.some((a) => a.startsWith('--remote-write.server-tls-min-version'))).toBe(false);
    expect(flags.some((a) => a.startsWith('--receive.tenant-certificate-field'))).toBe(false);
  });

  it('refuses the tenant certificate field before Thanos v0.27.0, naming the path and the fix', () => {
    const set = golden('example');
    const router = find(set, 'thanos-receive-router-deployment.yaml');
    router.metadata.labels!['app.kubernetes.io/version'] = 'v0.26.0';
    pod(router).containers[0]!.image = 'quay.io/thanos/thanos:v0.26.0';
    const attempt = () =>
      applySecurity(set, { namespace: 'thanos', tls: { remoteWrite: { tenantCertificateField: 'commonName' } } });
    expect(attempt).toThrow(SecurityConfigError);
    expect(attempt).toThrow(
      /tls\.remoteWrite\.tenantCertificateField: .*v0\.27\.0 or later.*Deployment thanos\/thanos-receive-router runs 'v0\.26\.0'/,
    );
  });

  it('issues a router certificate for the names clients dial', () => {
    const plan = securityPlan(golden('example'), {
      namespace: 'thanos',
      tls: { remoteWrite: { dnsNames: ['metrics.example.com'] } },
    });
    const leaf = plan.leaves.find((l) => l.id === 'remote-write')!;
    expect(leaf.dnsNames).toEqual([
      'thanos-receive-router',
      'thanos-receive-router.thanos',
      'thanos-receive-router.thanos.svc',
      'thanos-receive-router.thanos.svc.cluster.local',
      'metrics.example.com',
    ]);
    expect(leaf.usages).toEqual(['serverAuth']);
    expect(plan.caReaders.map((o) => o.metadata.name)).toEqual(['thanos-receive-router']);
  });

  it('uses the single receive as the front door when there is no router (all)', () => {
    const out = applySecurity(golden('all'), { namespace: 'thanos', tls: {} });
    const receive = find(out, 'thanos-receive-statefulSet.yaml');
    expect(args(receive)).toContain('--remote-write.server-tls-client-ca=/etc/thanos/tls/ca/ca.crt');
    expect(args(find(out, 'thanos-receive-default-statefulSet.yaml')).some((a) => a.includes('tls'))).toBe(false);
  });
});

describe('gRPC mTLS', () => {
  it('secures router -> ingestor forwarding and query -> store/ingestor', () => {
    const out = applySecurity(golden('example'), { namespace: 'thanos', tls: { grpc: { enabled: true } } });
    expect(args(find(out, 'thanos-receive-router-deployment.yaml'))).toEqual(
      expect.arrayContaining([
        '--remote-write.client-tls-secure',
        '--remote-write.client-tls-cert=/etc/thanos/tls/grpc/tls.crt',
        '--remote-write.client-tls-key=/etc/thanos/tls/grpc/tls.key',
        '--remote-write.client-tls-ca=/etc/thanos/tls/ca/ca.crt',
      ]),
    );
    for (const file of ['thanos-receive-ingestor-default-statefulSet.yaml', 'thanos-store-statefulSet.yaml']) {
      expect(args(find(out, file)).slice(-3)).toEqual([
        '--grpc-server-tls-cert=/etc/thanos/tls/grpc/tls.crt',
        '--grpc-server-tls-key=/etc/thanos/tls/grpc/tls.key',
        '--grpc-server-tls-client-ca=/etc/thanos/tls/ca/ca.crt',
      ]);
      expect(pod(find(out, file)).volumes!.map((v) => v.name)).toEqual(
        expect.arrayContaining(['grpc-tls', 'tls-ca-bundle']),
      );
    }
    expect(args(find(out, 'thanos-query-deployment.yaml')).slice(-5)).toEqual([
      '--grpc-client-tls-secure',
      '--grpc-client-tls-cert=/etc/thanos/tls/grpc/tls.crt',
      '--grpc-client-tls-key=/etc/thanos/tls/grpc/tls.key',
      '--grpc-client-tls-ca=/etc/thanos/tls/ca/ca.crt',
      '--grpc-client-server-name=thanos-grpc.thanos.svc',
    ]);
  });

  it('puts the short <pod>.<svc>.<ns> hashring names into the gRPC certificate', () => {
    const plan = securityPlan(golden('all'), { namespace: 'thanos', tls: { grpc: { enabled: true } } });
    const leaf = plan.leaves.find((l) => l.id === 'grpc')!;
    for (const name of [
      'thanos-receive-default-0.thanos-receive-default.thanos',
      'thanos-receive-default-2.thanos-receive-default.thanos',
      'thanos-receive-region-1-1.thanos-receive-region-1.thanos',
      'thanos-receive-0.thanos-receive.thanos',
      'thanos-store.thanos.svc',
      'thanos-rule.thanos',
      'thanos-grpc.thanos.svc',
    ]) {
      expect(leaf.dnsNames).toContain(name);
    }
    expect(leaf.usages).toEqual(['serverAuth', 'clientAuth']);
    const readers = plan.caReaders.map((o) => o.metadata.name);
    expect(readers).toEqual(
      expect.arrayContaining(['thanos-query', 'thanos-store', 'thanos-rule', 'thanos-receive-default']),
    );
    expect(readers).not.toContain('thanos-compact');
  });

  it('refuses capnproto replication with gRPC TLS', () => {
    const set = golden('example');
    args(find(set, 'thanos-receive-router-deployment.yaml')).push('--receive.replication-protocol=capnproto');
    expect(() => applySecurity(set, { namespace: 'thanos', tls: { grpc: { enabled: true } } })).toThrow(
      /tls\.grpc\.enabled: .*capnproto.*protobuf/,
    );
  });
});

describe('tenant certificates', () => {
  it('puts the tenant id into the configured subject field and plans delivery', () => {
    const plan = securityPlan(golden('example'), {
      namespace: 'thanos',
      tls: {
        remoteWrite: { tenantCertificateField: 'organizationalUnit' },
        certificates: { tenants: [{ id: 'team-a' }, { id: 'team-b', namespace: 'team-b' }] },
        delivery: { namespace: 'monitoring' },
      },
    });
    const tenants = plan.leaves.filter((l) => l.tenant);
    expect(tenants.map((t) => [t.secretName, t.subject, t.usages, t.tenant?.deliverTo])).toEqual([
      [
        'thanos-tenant-team-a',
        { commonName: 'thanos-tenant-team-a', organizationalUnit: 'team-a' },
        ['clientAuth'],
        { namespace: 'monitoring', secretName: 'thanos-remote-write-team-a' },
      ],
      [
        'thanos-tenant-team-b',
        { commonName: 'thanos-tenant-team-b', organizationalUnit: 'team-b' },
        ['clientAuth'],
        { namespace: 'team-b', secretName: 'thanos-remote-write-team-b' },
      ],
    ]);
  });
});

describe('object storage', () => {
  it('annotates exactly the ServiceAccounts of components that read object storage and renders the Secret (IRSA, no keys)', () => {
    const set = golden('all');
    const out = applySecurity(set, {
      namespace: 'thanos',
      objectStorage: { ...S3, prefix: 'prod', irsaRoleArn: ROLE },
    });
    const annotated = out
      .filter((m) => m.object.kind === 'ServiceAccount' && m.object.metadata.annotations?.[IRSA_ANNOTATION] === ROLE)
      .map((m) => m.file)
      .sort();
    // kube-thanos gives shards and hashrings the same ServiceAccount name as their parent component.
    expect(annotated).toEqual([
      'thanos-bucket-replicate-serviceAccount.yaml',
      'thanos-bucket-serviceAccount.yaml',
      'thanos-compact-serviceAccount.yaml',
      'thanos-compact-shards-serviceAccount.yaml',
      'thanos-receive-hashrings-serviceAccount.yaml',
      'thanos-receive-serviceAccount.yaml',
      'thanos-rule-serviceAccount.yaml',
      'thanos-store-serviceAccount.yaml',
      'thanos-store-shards-serviceAccount.yaml',
    ]);
    for (const name of ['thanos-query', 'thanos-query-frontend']) {
      expect(
        out.find((m) => m.object.kind === 'ServiceAccount' && m.object.metadata.name === name)!.object.metadata
          .annotations,
      ).toEqual({});
    }
    const secret = out.at(-1)!;
    expect(secret.file).toBe('thanos-objectstorage-secret.yaml');
    expect(secret.object).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'thanos-objectstorage', namespace: 'thanos' },
    });
    const text = Buffer.from((secret.object.data as Record<string, string>)['thanos.yaml']!, 'base64').toString();
    expect(parse(text)).toEqual({
      type: 'S3',
      config: { bucket: 'metrics', endpoint: 's3.eu-west-1.amazonaws.com', region: 'eu-west-1' },
      prefix: 'prod',
    });
    expect(text).not.toMatch(/access_key|secret_key/);
    expect(out).toHaveLength(set.length + 1);
  });

  it('does not annotate the router or query in the example, and ingestors only when they ship blocks', () => {
    const out = applySecurity(golden('example'), { namespace: 'thanos', objectStorage: { ...S3, irsaRoleArn: ROLE } });
    const annotated = out.filter(
      (m) => m.object.kind === 'ServiceAccount' && m.object.metadata.annotations?.[IRSA_ANNOTATION],
    );
    expect(annotated.map((m) => m.object.metadata.name)).toEqual(['thanos-store']);
  });

  it('leaves the Secret to `rotate` in accessKeys mode (credentials never rendered)', () => {
    const set = golden('example');
    const out = applySecurity(set, {
      namespace: 'thanos',
      objectStorage: { ...S3, mode: 'accessKeys', iamUserName: 'thanos' },
    });
    expect(out).toHaveLength(set.length);
    expect(out.every((m, i) => m.object === set[i]!.object)).toBe(true);
  });

  it('names a Secret mismatch between the workloads and objectStorage', () => {
    expect(() =>
      applySecurity(golden('example'), { namespace: 'thanos', objectStorage: { ...S3, secretName: 'other' } }),
    ).toThrow(
      /objectStorage\.secretName: StatefulSet thanos\/thanos-store reads objstore Secret 'thanos-objectstorage' key 'thanos\.yaml'/,
    );
  });

  it('refuses a conflicting role ARN from serviceAccountAnnotations', () => {
    const set = golden('example');
    find(set, 'thanos-store-serviceAccount.yaml').metadata.annotations = {
      [IRSA_ANNOTATION]: 'arn:aws:iam::123456789012:role/other',
    };
    expect(() => applySecurity(set, { namespace: 'thanos', objectStorage: { ...S3, irsaRoleArn: ROLE } })).toThrow(
      /objectStorage\.irsaRoleArn: ServiceAccount thanos\/thanos-store already has/,
    );
  });
});

describe('schemas', () => {
  it('rejects unknown keys and inconsistent modes with the path and the fix', () => {
    expect(tlsSchema.safeParse({ remoteWrite: { secretname: 'x' } }).error?.issues[0]).toMatchObject({
      code: 'unrecognized_keys',
      path: ['remoteWrite'],
    });
    const keys = objectStorageSchema.safeParse({ ...S3, mode: 'accessKeys' });
    expect(keys.error?.issues[0]).toMatchObject({
      path: ['iamUserName'],
      message: expect.stringContaining('mode accessKeys needs iamUserName'),
    });
    const arn = objectStorageSchema.safeParse({ ...S3, irsaRoleArn: 'role/x' });
    expect(arn.error?.issues[0]?.message).toMatch(/IAM role ARN/);
    expect(tlsSchema.safeParse({ certificates: { duration: '90 days' } }).error?.issues[0]?.message).toMatch(
      /2160h, 90d or 1h30m/,
    );
    expect(
      tlsSchema.safeParse({ certificates: { tenants: [{ id: 'a' }, { id: 'a' }] } }).error?.issues[0]?.path,
    ).toEqual(['certificates', 'tenants', 1, 'id']);
  });

  it('parses durations', () => {
    expect(parseDuration('90d')).toBe(90 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(() => parseDuration('1y')).toThrow(/invalid duration/);
  });
});
