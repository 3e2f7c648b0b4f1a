import { X509Certificate } from 'node:crypto';
import path from 'node:path/posix';
import type { KubeObject, ManifestSet } from '../model/objects.js';
import { describeObject } from '../model/objects.js';

/**
 * The plain-HTTP trap. Thanos v0.42.4 (pkg/tls/options.go, NewServerConfig) reads a client-CA file with
 * x509.CertPool.AppendCertsFromPEM and, when that finds no certificate, returns `errors.Wrap(err, ...)` with a nil
 * err: a nil config and no error, so the server starts and serves plain HTTP/gRPC with no client authentication.
 * An empty file, a file without PEM, or PEM blocks that do not parse all do this. A bundle with one good
 * certificate among garbage is accepted by Go but silently trusts less than it says; it is refused too.
 */
export const CA_FILE_FLAGS = [
  '--remote-write.server-tls-client-ca',
  '--grpc-server-tls-client-ca',
  '--grpc-client-tls-ca',
  '--remote-write.client-tls-ca',
] as const;

/** Why `text` must not be published as a CA bundle, or undefined when it is one or more parseable certificates. */
export function caBundleProblem(text: string): string | undefined {
  if (text.trim() === '') return 'it is empty';
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g)];
  if (blocks.length === 0) return 'it holds no PEM block';
  const outside = blocks.reduce((rest, block) => rest.replace(block[0], ''), text).trim();
  if (outside !== '') return `it has text outside its PEM blocks (${JSON.stringify(outside.slice(0, 20))}...)`;
  for (const [index, block] of blocks.entries()) {
    if (block[1] !== 'CERTIFICATE') return `PEM block ${index + 1} is a ${block[1]}, not a CERTIFICATE`;
    try {
      new X509Certificate(block[0]);
    } catch {
      return `PEM block ${index + 1} is not a parseable X.509 certificate`;
    }
  }
  return undefined;
}

/** Throws when `bundle` must not be written to `where` (a Secret key), naming the Thanos consequence and the fix. */
export function assertCaBundle(bundle: string, where: string, fix: string): void {
  const problem = caBundleProblem(bundle);
  if (problem) {
    throw new Error(
      `refusing to write CA bundle ${where}: ${problem}. Thanos (v0.42.4, pkg/tls/options.go) would then serve plain HTTP/gRPC ` +
        `without client authentication instead of failing. ${fix}`,
    );
  }
}

interface Container {
  name?: string;
  args?: string[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}

interface Volume {
  name: string;
  secret?: { secretName?: string; items?: { key: string; path: string }[] };
  configMap?: { name?: string; items?: { key: string; path: string }[] };
}

export interface CaBundleRefusal {
  /** The Secret or ConfigMap of the set that holds the bad bundle. */
  object: string;
  key: string;
  /** The workload and flag reading it. */
  reader: string;
  flag: string;
  problem: string;
}

function dataValue(object: KubeObject, key: string): string | undefined {
  if (object.kind === 'Secret') {
    const stringData = (object.stringData as Record<string, string> | undefined)?.[key];
    if (stringData !== undefined) return stringData;
    const data = (object.data as Record<string, string> | undefined)?.[key];
    return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
  }
  return (object.data as Record<string, string> | undefined)?.[key];
}

/**
 * Every Secret or ConfigMap in `set` that a workload of `set` mounts as a TLS CA file (CA_FILE_FLAGS) and whose
 * value would not load as a CA bundle (missing key, empty, not PEM, not certificates).
 */
export function caBundleRefusals(set: ManifestSet): CaBundleRefusal[] {
  const refusals: CaBundleRefusal[] = [];
  const byKey = new Map(
    set.map((m) => [`${m.object.kind}/${m.object.metadata.namespace ?? ''}/${m.object.metadata.name}`, m.object]),
  );
  for (const { object } of set) {
    const template = (
      object.spec as { template?: { spec?: { containers?: Container[]; volumes?: Volume[] } } } | undefined
    )?.template?.spec;
    if (!template?.containers) continue;
    for (const container of template.containers) {
      for (const arg of container.args ?? []) {
        const flag = CA_FILE_FLAGS.find((f) => arg.startsWith(`${f}=`));
        if (!flag) continue;
        const file = arg.slice(flag.length + 1);
        const mount = (container.volumeMounts ?? [])
          .filter((m) => file.startsWith(`${m.mountPath.replace(/\/+$/, '')}/`))
          .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
        if (!mount) continue;
        const volume = template.volumes?.find((v) => v.name === mount.name);
        const source = volume?.secret
          ? { kind: 'Secret', name: volume.secret.secretName, items: volume.secret.items }
          : volume?.configMap
            ? { kind: 'ConfigMap', name: volume.configMap.name, items: volume.configMap.items }
            : undefined;
        if (!source?.name) continue;
        const relative = path.relative(mount.mountPath, file);
        const key = source.items ? source.items.find((i) => i.path === relative)?.key : relative;
        const holder = byKey.get(`${source.kind}/${object.metadata.namespace ?? ''}/${source.name}`);
        // Objects the set does not carry (the bundle `rotate` writes) are checked where they are written.
        if (!holder) continue;
        const value = key === undefined ? undefined : dataValue(holder, key);
        const problem =
          value === undefined
            ? `it has no key ${key ?? relative}, so the file ${file} does not exist`
            : caBundleProblem(value);
        if (problem)
          refusals.push({
            object: describeObject(holder),
            key: key ?? relative,
            reader: describeObject(object),
            flag,
            problem,
          });
      }
    }
  }
  return refusals;
}

/** One line per refusal, with the consequence and the fix. */
export function formatCaBundleRefusal(refusal: CaBundleRefusal): string {
  return (
    `${refusal.object} key ${refusal.key}: ${refusal.problem}; ${refusal.reader} reads it with ${refusal.flag}, and Thanos (v0.42.4, ` +
    `pkg/tls/options.go) serves plain HTTP/gRPC without client authentication when that file holds no certificate. ` +
    `Fix: put PEM certificates there, or leave the Secret out of the set and let \`thanos-gitops rotate\` publish the bundle`
  );
}

/**
 * The set check every apply and plan of a Thanos stack runs before reading or writing the cluster (the resource
 * manager's SetCheck): one line per CA bundle the set would publish that Thanos would not load.
 */
export function caBundleCheck(set: ManifestSet): string[] {
  return caBundleRefusals(set).map(formatCaBundleRefusal);
}
