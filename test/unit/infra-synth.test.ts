import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const infra = join(root, 'infra');
let outdir: string;
let result: { stdout: string; stderr: string };

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/lambda/index.mjs'))) {
    throw new Error('dist/lambda/index.mjs is missing: run `npm run build` before this test (cdk synth packages it)');
  }
  outdir = mkdtempSync(join(tmpdir(), 'thanos-gitops-cdk-'));
  // The real aws-cdk CLI with the example context from infra/cdk.json, no AWS account or network needed.
  result = await run(join(root, 'node_modules/.bin/cdk'), ['synth', '--no-notices', '--quiet', '--output', outdir], {
    cwd: infra,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', AWS_EC2_METADATA_DISABLED: 'true' },
    timeout: 180_000,
  });
}, 200_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('npx cdk synth (offline, example context)', () => {
  it('writes the template, the Lambda asset and the rbac manifests', () => {
    const files = readdirSync(outdir);
    expect(files).toContain('ThanosGitops-production.template.json');
    expect(files).toContain('ThanosGitops-production.rbac.yaml');
    const asset = files.find((f) => f.startsWith('asset.'));
    expect(asset, 'the Lambda asset directory').toBeDefined();
    expect(readFileSync(join(outdir, asset!, 'index.mjs'))).toEqual(readFileSync(join(root, 'dist/lambda/index.mjs')));
  });

  it('synthesizes the expected resources', () => {
    const template = JSON.parse(readFileSync(join(outdir, 'ThanosGitops-production.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    const counts: Record<string, number> = {};
    for (const r of Object.values(template.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
    expect(counts).toEqual({
      'AWS::SQS::Queue': 1,
      'AWS::Logs::LogGroup': 2,
      'AWS::IAM::Role': 5,
      'AWS::IAM::Policy': 5,
      'AWS::Lambda::Function': 2,
      'AWS::Lambda::EventInvokeConfig': 1,
      'AWS::EKS::AccessEntry': 2,
      'AWS::IAM::OIDCProvider': 1,
      'AWS::Scheduler::Schedule': 2,
      'AWS::CloudWatch::Alarm': 3,
      'AWS::CDK::Metadata': 1,
    });
    expect(Object.keys(template.Resources)).toHaveLength(25);
  });

  it('the example app trusts the apply role only for the GitHub environment, the plan role only for pull requests', () => {
    const template = JSON.parse(readFileSync(join(outdir, 'ThanosGitops-production.template.json'), 'utf8')) as {
      Resources: Record<
        string,
        {
          Type: string;
          Properties: {
            AssumeRolePolicyDocument?: { Statement: Array<{ Condition?: { StringEquals?: Record<string, unknown> } }> };
          };
        }
      >;
    };
    const subjects = (prefix: string) => {
      const [role] = Object.entries(template.Resources).filter(
        ([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith(prefix),
      );
      return role![1].Properties.AssumeRolePolicyDocument!.Statement.map(
        (s) => s.Condition?.StringEquals?.['token.actions.githubusercontent.com:sub'],
      );
    };
    expect(subjects('GitHubApplyRole')).toEqual([
      [
        'repo:example-org/thanos-config:environment:production',
        'repo:example-org@1234567/thanos-config@890123456:environment:production',
      ],
    ]);
    expect(subjects('GitHubPlanRole')).toEqual([
      ['repo:example-org/thanos-config:pull_request', 'repo:example-org@1234567/thanos-config@890123456:pull_request'],
    ]);
    // No warning about branch trust: the example configures an environment.
    expect(result.stderr).not.toContain('apply role trusts every workflow');
  });

  it('ships exactly what `thanos-gitops rbac` prints', async () => {
    let cli = '';
    for (const mode of ['apply', 'plan']) {
      // The plan Role may read only the ApplySet parent of the stack's environment.
      const code = await main(
        ['rbac', '--namespace', 'thanos', '--mode', mode, ...(mode === 'plan' ? ['--environment', 'production'] : [])],
        { stdout: (t) => (cli += t), stderr: () => {} },
      );
      expect(code).toBe(0);
    }
    const shipped = readFileSync(join(outdir, 'ThanosGitops-production.rbac.yaml'), 'utf8');
    expect(shipped).toBe(cli);
    expect(parseAllDocuments(shipped).map((d) => d.get('kind'))).toEqual([
      'Role',
      'RoleBinding',
      'Role',
      'RoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
  });

  it('a bad context value fails synth naming the key and the fix', async () => {
    const failed = await run(
      join(root, 'node_modules/.bin/cdk'),
      ['synth', '--no-notices', '--quiet', '--output', join(outdir, 'bad'), '-c', 'rotationMode=accessKeys'],
      {
        cwd: infra,
        env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
        timeout: 180_000,
      },
    ).then(
      () => undefined,
      (error: { stderr: string }) => error,
    );
    expect(failed, 'synth should fail').toBeDefined();
    expect(failed!.stderr).toContain('context iamUserName: iamUserName is required when rotationMode is "accessKeys"');
  });
});
