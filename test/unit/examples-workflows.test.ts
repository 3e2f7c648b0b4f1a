import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

describe('example deploy workflow', () => {
  it('runs its deploy job in the GitHub environment the example infra trusts for the apply role', () => {
    const workflow = parse(readFileSync(join(ROOT, 'examples/workflows/thanos-deploy.yml'), 'utf8')) as {
      jobs: Record<string, { environment?: string; steps: Array<{ with?: Record<string, string> }> }>;
      permissions: Record<string, string>;
    };
    const context = (
      JSON.parse(readFileSync(join(ROOT, 'infra/cdk.json'), 'utf8')) as { context: Record<string, string> }
    ).context;
    expect(context.githubEnvironment).toBe('production');
    expect(workflow.jobs.deploy?.environment).toBe(context.githubEnvironment);
    // OIDC only, no stored AWS keys.
    expect(workflow.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(JSON.stringify(workflow)).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY/i);
  });
});
