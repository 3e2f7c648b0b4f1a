// The release payload the Action sends and the reconciler accepts. The Action checks a release against the same
// schema before invoking, so a bad one never leaves the runner.
import * as z from 'zod';
import { environmentNameProblem, isEnvironmentName } from '../model/environment.js';

/** Lambda's synchronous (RequestResponse) payload limit, request and response alike. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const kubeObjectSchema = z
  .object({
    apiVersion: z.string().min(1, 'apiVersion is empty'),
    kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'kind must be a Kubernetes kind such as StatefulSet'),
    metadata: z
      .object({
        name: z.string().regex(NAME, 'metadata.name must be a DNS subdomain (lower case letters, digits, - and .)'),
        namespace: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'metadata.namespace must be a DNS label')
          .optional(),
      })
      .passthrough(),
  })
  .passthrough();

const manifestSchema = z.union([
  z.object({ file: z.string().min(1), object: kubeObjectSchema }).strict(),
  kubeObjectSchema,
]);

/** The non-secret stack-config sections rotation works from (the stack config's `tls:` and `objectStorage:`). */
export const securitySettingsSchema = z
  .object({
    tls: z.record(z.string(), z.unknown()).optional(),
    objectStorage: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const releaseSchema = z
  .object({
    repository: z
      .string()
      .regex(/^[^/\s]+\/[^/\s]+$/, 'repository must be owner/name')
      .describe('GitHub repository, owner/name'),
    commit: z
      .string()
      .regex(/^[0-9a-f]{7,64}$/, 'commit must be a hex git sha')
      .describe('The commit the manifests were rendered from'),
    actor: z.string().min(1).describe('Who caused the release (GitHub actor)'),
    environment: z
      .string()
      .refine(isEnvironmentName, { error: (issue) => environmentNameProblem(String(issue.input)) }),
    manifests: z.array(manifestSchema).describe('KubeObjects, or {file, object} manifests as rendered'),
    settings: securitySettingsSchema
      .optional()
      .describe('tls/objectStorage stack-config sections for scheduled rotation'),
  })
  .strict();

export type ReleasePayload = z.infer<typeof releaseSchema>;

export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(event)'}: ${issue.message}`)
    .join('; ');
}
