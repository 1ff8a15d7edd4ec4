/**
 * The JSON Schema of scenario files, generated from the zod schema (its input side: what
 * users write), for editors via `# yaml-language-server: $schema=…` or `"$schema"`.
 * Draft-07, which yaml-language-server and VS Code understand fully.
 */
import { z } from 'zod';
import { scenarioSchema } from './schema.js';

export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-07' }) as Record<string, unknown>;
}

/** The exact text of the committed `scenario.schema.json`. */
export function scenarioJsonSchemaText(): string {
  return JSON.stringify(scenarioJsonSchema(), null, 2) + '\n';
}
