// Build step (`node dist/write-schema.js`): writes the published JSON Schema, lab.schema.json, at
// the package root. The path is resolved from this compiled file (dist/ → ..), not from the
// working directory, so the build writes the same file wherever it is started from.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { labJsonSchema } from './schema.js';

const target = fileURLToPath(new URL('../lab.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(labJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
