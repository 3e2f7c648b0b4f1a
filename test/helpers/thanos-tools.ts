/**
 * The real programs the real-Thanos suites run, built (once, cached) by test/thanos/build.sh: the Thanos binary
 * the example pins, the Go remote-write client and the moto S3/STS stand-in. A missing toolchain or a failed build
 * throws with the script's own message and the command to run; nothing here skips.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCa, issueLeaf } from '../../src/rotation/pki/x509.js';

export const thanosBuildScript = fileURLToPath(new URL('../thanos/build.sh', import.meta.url));

const built = new Map<string, Promise<string>>();

/** Path of a build.sh target (`thanos`, `remote-write`, `moto`); builds it on first use. */
export function buildTool(target: 'thanos' | 'remote-write' | 'moto'): Promise<string> {
  let promise = built.get(target);
  if (!promise) {
    promise = new Promise<string>((resolve, reject) => {
      const child = execFile(
        'bash',
        [thanosBuildScript, target],
        { maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const result = stdout.trim().split('\n').pop() ?? '';
          if (error || !result) {
            reject(
              new Error(
                `bash ${thanosBuildScript} ${target} failed (${error?.message ?? 'no path printed'}):\n${stderr.trim().split('\n').slice(-25).join('\n')}\nRun it by hand to see everything; it needs Go and the Go module proxy (thanos, remote-write) or python3-venv and PyPI (moto).`,
              ),
            );
            return;
          }
          resolve(result);
        },
      );
      child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    });
    built.set(target, promise);
  }
  return promise;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The S3 and STS stand-in (moto) on <ip>:443 with a certificate for the AWS names the rendered objstore config dials. */
export interface S3StandIn {
  ip: string;
  /** CA file to give the pods as SSL_CERT_FILE. */
  caFile: string;
  /** /etc/hosts entries: the AWS host names -> ip. */
  hosts: Record<string, string>;
  /** Object keys in the bucket. */
  listKeys(bucket: string): Promise<string[]>;
  stop(): Promise<void>;
  /** moto's request log (one line per request). */
  logFile: string;
}

/**
 * Starts moto on `ip`:443 (TLS with a test CA), creates `bucket` in `region`. The names are those Thanos v0.42.4's
 * S3 client (minio-go) dials for endpoint s3.<region>.amazonaws.com: the dual-stack virtual-host name of the bucket,
 * and STS for IRSA's AssumeRoleWithWebIdentity.
 */
export async function startS3StandIn(options: {
  ip: string;
  dir: string;
  bucket: string;
  region: string;
  /** Runs a command where the stand-in's AWS names resolve to `ip` (the pod runner's spawnInCluster). */
  spawnInCluster: (command: string, args: string[]) => ChildProcess;
  /** Called with the /etc/hosts entries before the stand-in is first used. */
  addHosts: (hosts: Record<string, string>) => void;
}): Promise<S3StandIn> {
  const { ip, dir, bucket, region } = options;
  const moto = await buildTool('moto');
  const python = path.join(path.dirname(moto), 'python');
  mkdirSync(dir, { recursive: true });
  const names = [
    `s3.${region}.amazonaws.com`,
    `${bucket}.s3.${region}.amazonaws.com`,
    `s3.dualstack.${region}.amazonaws.com`,
    `${bucket}.s3.dualstack.${region}.amazonaws.com`,
    's3.amazonaws.com',
    `${bucket}.s3.amazonaws.com`,
    'sts.amazonaws.com',
    `sts.${region}.amazonaws.com`,
  ];
  const ca = await createCa({ commonName: 'pod-runner S3 stand-in CA', validityMs: 86_400_000 });
  const leaf = await issueLeaf(ca, {
    subject: { commonName: names[0]! },
    dnsNames: names,
    usages: ['serverAuth'],
    validityMs: 86_400_000,
  });
  const caFile = path.join(dir, 'ca.crt');
  writeFileSync(caFile, ca.certificate);
  writeFileSync(path.join(dir, 'tls.crt'), leaf.certificate);
  writeFileSync(path.join(dir, 'tls.key'), leaf.privateKey, { mode: 0o600 });
  const logFile = path.join(dir, 'moto.log');
  const child: ChildProcess = spawn(
    'sh',
    [
      '-c',
      `exec setpriv --pdeathsig KILL -- "$@" >>"${logFile}" 2>&1`,
      'sh',
      moto,
      '-H',
      ip,
      '-p',
      '443',
      '-c',
      path.join(dir, 'tls.crt'),
      '-k',
      path.join(dir, 'tls.key'),
    ],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const hosts = Object.fromEntries(names.map((n) => [n, ip]));
  options.addHosts(hosts);

  // The test's own bucket calls dial the same AWS name as Thanos, with the same CA: no verification is skipped.
  const boto = (script: string) =>
    new Promise<string>((resolve, reject) => {
      const run = options.spawnInCluster(python, [
        '-c',
        `import boto3,sys,json\ns3=boto3.client('s3',endpoint_url='https://s3.${region}.amazonaws.com',region_name='${region}',aws_access_key_id='test',aws_secret_access_key='test',verify='${caFile}')\n${script}`,
      ]);
      run.stdin?.end();
      let stdout = '';
      let stderr = '';
      run.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      run.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      run.once('close', (code) =>
        code === 0
          ? resolve(stdout)
          : reject(
              new Error(
                `boto3 against the stand-in failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
              ),
            ),
      );
    });
  for (let attempt = 0; ; attempt++) {
    try {
      // The certificate names AWS hosts, not the IP: boto3 verifies the chain and skips the name via server_hostname.
      await boto(`s3.create_bucket(Bucket='${bucket}', CreateBucketConfiguration={'LocationConstraint': '${region}'})`);
      break;
    } catch (error) {
      if (attempt > 60) {
        child.kill('SIGKILL');
        throw new Error(
          `the S3 stand-in (moto on ${ip}:443) did not come up: ${(error as Error).message}; log: ${logFile}`,
        );
      }
      await sleep(500);
    }
  }
  return {
    ip,
    caFile,
    logFile,
    hosts,
    async listKeys(name: string) {
      const out = await boto(
        `r=s3.list_objects_v2(Bucket='${name}')\nprint(json.dumps([o['Key'] for o in r.get('Contents',[])]))`,
      );
      return JSON.parse(out.trim()) as string[];
    },
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      child.kill('SIGKILL');
    },
  };
}
