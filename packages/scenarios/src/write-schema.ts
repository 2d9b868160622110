// Build step (`node dist/write-schema.js`): writes the published JSON Schema, scenario.schema.json,
// at the package root. The only file here with node:* imports; nothing else imports it.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchema } from './schema.js';

const target = fileURLToPath(new URL('../scenario.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
