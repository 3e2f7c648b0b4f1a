import * as z from 'zod';
import { COMPONENT_KEYS, stackConfigSchema } from './schema.js';

/** The JSON Schema of the stack config file (what users write, so the input side of the zod schema). */
export function stackSchemaJson(): string {
  const schema = z.toJSONSchema(stackConfigSchema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  > & {
    properties: Record<string, unknown>;
  };
  // The parser reads an empty section (`compact:`) as `{}`; editors validating the file should accept it too.
  for (const key of COMPONENT_KEYS) {
    const property = schema.properties[key];
    if (property !== undefined) schema.properties[key] = { anyOf: [property, { type: 'null' }] };
  }
  const document = {
    $schema: schema.$schema,
    $id: 'urn:thanos-gitops:schema:thanos-stack:v1alpha1',
    title: 'ThanosStack',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
