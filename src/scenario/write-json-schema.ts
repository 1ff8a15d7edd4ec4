/** `npm run schema`: regenerates scenario.schema.json at the repo root. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchemaText } from './json-schema.js';

const out = fileURLToPath(new URL('../../scenario.schema.json', import.meta.url));
writeFileSync(out, scenarioJsonSchemaText());
console.log(`wrote ${out}`);
