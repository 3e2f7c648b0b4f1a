import { z } from 'zod';
import { stackConfigSchema } from './schema.js';

/** The JSON Schema of the stack config file (what users write, so the input side of the zod schema). */
export function stackSchemaJson(): string {
  const schema = z.toJSONSchema(stackConfigSchema, { io: 'input', target: 'draft-2020-12' });
  const document = {
    $schema: schema.$schema,
    $id: 'urn:thanos-gitops:schema:thanos-stack:v1alpha1',
    title: 'ThanosStack',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
