// Time to issue a CA and 100 tenant client certificates (ECDSA P-256, fresh key each) in-process, next to what
// an operator would otherwise script: the openssl CLI (one key+CSR and one signing call per certificate).
// Run: node --import tsx bench/pki.ts [tenants=100] [runs=5]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCa, issueLeaf } from '../src/rotation/pki/x509.js';

const tenants = Number(process.argv[2] ?? 100);
const runs = Number(process.argv[3] ?? 5);
const DAY = 86_400_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function ours(): Promise<{ ca: number; leaves: number }> {
  const t0 = performance.now();
  const ca = await createCa({ commonName: 'bench CA', validityMs: 365 * DAY });
  const t1 = performance.now();
  for (let i = 0; i < tenants; i++) {
    await issueLeaf(ca, {
      subject: { commonName: `thanos-tenant-${i}`, organization: `tenant-${i}` },
      dnsNames: [],
      usages: ['clientAuth'],
      validityMs: 90 * DAY,
    });
  }
  return { ca: t1 - t0, leaves: performance.now() - t1 };
}

function openssl(): { ca: number; leaves: number } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pki-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    run(['version']);
  } catch {
    return undefined;
  }
  try {
    writeFileSync(
      join(dir, 'client.ext'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
    );
    const t0 = performance.now();
    run([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '365',
      '-subj',
      '/CN=bench CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const t1 = performance.now();
    for (let i = 0; i < tenants; i++) {
      run([
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `t${i}.key`,
        '-out',
        `t${i}.csr`,
        '-subj',
        `/O=tenant-${i}/CN=thanos-tenant-${i}`,
      ]);
      run([
        'x509',
        '-req',
        '-in',
        `t${i}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `t${i}.crt`,
        '-days',
        '90',
        '-extfile',
        'client.ext',
      ]);
    }
    return { ca: t1 - t0, leaves: performance.now() - t1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await ours(); // warm-up: module loading and JIT are not what we measure
const samples = [];
for (let i = 0; i < runs; i++) samples.push(await ours());
const ca = median(samples.map((s) => s.ca));
const leaves = median(samples.map((s) => s.leaves));
const reference = openssl();

const rows: [string, string, string, string, string][] = [
  ['tool', 'CA (ms)', `${tenants} tenant certs (ms)`, 'per cert (ms)', 'total (ms)'],
  [
    'thanos-gitops (in-process)',
    ca.toFixed(1),
    leaves.toFixed(1),
    (leaves / tenants).toFixed(2),
    (ca + leaves).toFixed(1),
  ],
];
if (reference) {
  rows.push([
    'openssl CLI (2 calls/cert)',
    reference.ca.toFixed(1),
    reference.leaves.toFixed(1),
    (reference.leaves / tenants).toFixed(2),
    (reference.ca + reference.leaves).toFixed(1),
  ]);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log(`PKI issuance: ECDSA P-256, fresh key per certificate; median of ${runs} runs (openssl: 1 run)`);
for (const row of rows)
  console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
if (reference)
  console.log(
    `ratio thanos-gitops / openssl (total): ${((ca + leaves) / (reference.ca + reference.leaves)).toFixed(3)}`,
  );
