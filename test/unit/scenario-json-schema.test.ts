import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../../src/scenario/index.js';

describe('scenario.schema.json', () => {
  it('is committed and equals a fresh generation (run `npm run schema` after changing the schema)', () => {
    const committed = readFileSync(resolve(import.meta.dirname, '../../scenario.schema.json'), 'utf8');
    expect(committed).toBe(scenarioJsonSchemaText());
  });

  it('describes the input form: strict, defaults shown, string forms as patterns', () => {
    const schema = scenarioJsonSchema() as any;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['name', 'target', 'request', 'phases']);
    expect(schema.properties.seed.default).toBe(1);
    const phase = schema.properties.phases.items;
    expect(phase.additionalProperties).toBe(false);
    expect(JSON.stringify(phase.properties.duration)).toContain('(ms|s|m|h)');
    const http = schema.properties.target.oneOf.find((t: any) => t.properties.kind.const === 'http');
    expect(http.properties.apiKey.not).toEqual({});
    expect(http.properties.dialect.default).toBe('openai');
  });
});
