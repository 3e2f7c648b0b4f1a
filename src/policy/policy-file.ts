// The apply policy file: its schema and reader. Kept apart from the policy's defaults and checks so that a run
// without a policy file (the CLI's default) never loads the schema library.
import * as z from 'zod';
import { parse as parseYaml } from 'yaml';
import { RESTRICTED_CHECKS } from './pod-security.js';

const KIND_ENTRY = /^[A-Z][A-Za-z0-9]*(\.[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$/;

export const applyPolicySchema = z
  .object({
    kinds: z
      .array(
        z
          .string()
          .regex(
            KIND_ENTRY,
            'a kind is `Kind` (core group or a well-known built-in kind) or `Kind.group`, e.g. Deployment.apps',
          ),
      )
      .min(1)
      .describe('Kinds the set may contain, group-qualified: `Kind.group`, or `Kind` for the core group'),
    podSecurity: z
      .object({
        profile: z
          .enum(['privileged', 'baseline', 'restricted'])
          .describe('Pod Security Standards profile every pod template must meet; privileged checks nothing'),
        skip: z
          .array(z.enum(RESTRICTED_CHECKS))
          .default([])
          .describe('restricted checks not enforced (only meaningful with profile restricted)'),
      })
      .strict(),
    serviceTypes: z
      .array(z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']))
      .min(1)
      .describe('Service types the set may create; headless Services are ClusterIP'),
    allowExternalIPs: z
      .boolean()
      .default(false)
      .describe('Services may set spec.externalIPs (lets a Service intercept traffic to any IP)'),
    serviceAccounts: z
      .enum(['inSet', 'any'])
      .describe('inSet: a pod template may only name a ServiceAccount the set defines (same namespace)'),
  })
  .strict();

export type ApplyPolicy = z.infer<typeof applyPolicySchema>;

/** Reads a policy file's text (YAML or JSON); every problem names the file, the field and what to write. */
export function parseApplyPolicy(text: string, file: string): ApplyPolicy {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new Error(
      `${file}: not YAML or JSON: ${(error as Error).message.split('\n')[0]}; fix: write the policy as a YAML mapping (see the README's "Apply policy")`,
    );
  }
  const result = applyPolicySchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues
      .slice(0, 10)
      .map((issue) => `  ${issue.path.length ? `.${issue.path.join('.')}` : '(document)'}: ${issue.message}`);
    throw new Error(
      `${file}: invalid apply policy:\n${problems.join('\n')}\nfix: correct these fields (the README's "Apply policy" lists every field and the default)`,
    );
  }
  return result.data;
}
