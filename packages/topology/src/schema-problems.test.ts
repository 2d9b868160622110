import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { describeValue, pointerToPath, schemaErrors, translateSchemaError } from './schema-problems.js';

describe('pointerToPath', () => {
  it('uses [i] for list indexes and keeps numeric map keys as keys', () => {
    const root = { nodes: { web: { routes: [{ via: 1 }] }, '1': {} }, links: [{ a: {} }] };
    expect(pointerToPath(root, '/nodes/web/routes/0/via')).toBe('nodes.web.routes[0].via');
    expect(pointerToPath(root, '/links/0/a/interface')).toBe('links[0].a.interface');
    expect(pointerToPath(root, '/nodes/1/kind')).toBe('nodes["1"].kind');
    expect(pointerToPath(root, '')).toBe('');
  });
  it('puts a part of a file under its own path', () => {
    expect(pointerToPath({ mac: { node: 5 } }, '/mac/node', 'checks[2]')).toBe('checks[2].mac.node');
    expect(pointerToPath([{}], '/0', 'solution')).toBe('solution[0]');
  });
});

describe('translateSchemaError', () => {
  const Check = Type.Object(
    {
      id: Type.String({ minLength: 1 }),
      count: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
      level: Type.Optional(Type.Union([Type.Literal('beginner'), Type.Literal('advanced')])),
      steps: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    },
    { additionalProperties: false },
  );
  const words = (value: unknown) =>
    schemaErrors(Check, value).map((e) => [pointerToPath(value, e.path), translateSchemaError(e)]);

  it('reports a missing field once, as missing (not also as the wrong type)', () => {
    expect(words({})).toEqual([['id', { kind: 'required', message: 'required' }]]);
  });
  it('names the values it wanted and the one it got, in words', () => {
    expect(words({ id: 5, count: 11, level: 'expert', steps: [] })).toEqual([
      ['id', { kind: 'type', message: 'must be text, not the number 5' }],
      ['count', { kind: 'range', message: '11 must be a whole number from 1 to 10' }],
      ['level', { kind: 'enum', message: 'must be one of beginner, advanced, not the text "expert"' }],
      ['steps', { kind: 'min-items', message: 'needs at least 1 entry' }],
    ]);
    expect(words({ id: '' })).toEqual([['id', { kind: 'min-length', message: 'must not be empty' }]]);
  });
  it('guesses what an unknown field meant, or lists the fields there are', () => {
    expect(words({ id: 'a', cont: 1 })).toEqual([
      ['cont', { kind: 'unknown-field', message: 'unknown field; did you mean count?' }],
    ]);
    expect(words({ id: 'a', zzzzzz: 1 })).toEqual([
      ['zzzzzz', { kind: 'unknown-field', message: 'unknown field (fields here: id, count, level, steps)' }],
    ]);
  });
  it('describes values as a student would say them', () => {
    expect([null, 'x'.repeat(41), 3, true, [], {}].map(describeValue)).toEqual([
      'nothing (the field is empty)',
      `the text "${'x'.repeat(40)}…"`,
      'the number 3',
      'true',
      'a list',
      'a map',
    ]);
  });
});
