import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Value } from '@sinclair/typebox/value';
import { LAB_SCHEMA_ID, LabSchema, labJsonSchema } from './schema.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples');

describe('LabSchema', () => {
  it('accepts every spec example', () => {
    for (const f of readdirSync(EXAMPLES).filter((x) => x.endsWith('.yaml'))) {
      expect(Value.Check(LabSchema, parse(readFileSync(`${EXAMPLES}/${f}`, 'utf8'))), f).toBe(true);
    }
  });
  it('is published as plain draft-07 JSON Schema with descriptions', () => {
    const s = labJsonSchema();
    expect(s.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(s.$id).toBe(LAB_SCHEMA_ID);
    expect(s.title).toBe('Patchbay lab');
    expect(JSON.stringify(s)).toContain('"description"');
    expect(Object.getOwnPropertySymbols(s)).toEqual([]);
  });
  it('lab.schema.json is up to date (regenerate with the package build)', () => {
    const file = fileURLToPath(new URL('../lab.schema.json', import.meta.url));
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(labJsonSchema(), null, 2)}\n`);
  });
});
