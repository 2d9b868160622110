import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Value } from '@sinclair/typebox/value';
import { SCENARIO_SCHEMA_ID, ScenarioSchema, scenarioJsonSchema } from './schema.js';
import { EXAMPLE } from '../test/example.js';

describe('ScenarioSchema', () => {
  it('accepts the SCENARIO-FORMAT example', () => {
    expect(Value.Check(ScenarioSchema, parse(EXAMPLE))).toBe(true);
  });
  it('is published as plain draft-07 JSON Schema with descriptions', () => {
    const s = scenarioJsonSchema();
    expect(s.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(s.$id).toBe(SCENARIO_SCHEMA_ID);
    expect(s.title).toBe('Patchbay scenario');
    expect(JSON.stringify(s)).toContain('"description"');
    expect(Object.getOwnPropertySymbols(s)).toEqual([]);
  });
  it('scenario.schema.json is up to date (regenerate with the package build)', () => {
    const file = fileURLToPath(new URL('../scenario.schema.json', import.meta.url));
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  });
});
