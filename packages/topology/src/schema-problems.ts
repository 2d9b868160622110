// TypeBox errors → problems in words a student reads ("must be a list, not the text "x""), with
// paths in our notation (`checks[2].from`). One translator for both file formats: the lab parser
// (parse-structure.ts) and the scenario parser (@patchbay/scenarios) each add their own codes and
// the special cases of their format on top of it.
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { closest } from './validate-context.js';
import { plural } from './plural.js';

/** What kind of mistake an error is; each format maps kinds to its own problem codes. */
export type SchemaErrorKind =
  | 'required'
  | 'unknown-field'
  | 'type'
  | 'enum'
  | 'range'
  | 'pattern'
  | 'min-items'
  | 'min-length'
  | 'union'
  | 'other';

/**
 * The errors of `value` against `schema`, minus the echoes: a missing required field also fails
 * its type check (undefined is not a string), and is reported once, as missing.
 */
export function schemaErrors(schema: TSchema, value: unknown): ValueError[] {
  const errors = [...Value.Errors(schema, value)];
  const required = new Set(errors.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty).map((e) => e.path));
  return errors.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty || !required.has(e.path));
}

/** One error in words, and its kind. */
export function translateSchemaError(e: ValueError): { kind: SchemaErrorKind; message: string } {
  const s = e.schema as Record<string, unknown>;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return { kind: 'required', message: 'required' };
    case ValueErrorType.ObjectAdditionalProperties: {
      const key = decodePointerToken(e.path.slice(e.path.lastIndexOf('/') + 1));
      const known = Object.keys((s.properties as object | undefined) ?? {});
      const guess = closest(key, known);
      return {
        kind: 'unknown-field',
        message: guess ? `unknown field; did you mean ${guess}?` : `unknown field (fields here: ${known.join(', ')})`,
      };
    }
    case ValueErrorType.Object:
      return { kind: 'type', message: `must be a map of fields (key: value), not ${describeValue(e.value)}` };
    case ValueErrorType.Array:
      return { kind: 'type', message: `must be a list, not ${describeValue(e.value)}` };
    case ValueErrorType.String:
      return { kind: 'type', message: `must be text, not ${describeValue(e.value)}` };
    case ValueErrorType.Number:
      return { kind: 'type', message: `must be a number, not ${describeValue(e.value)}` };
    case ValueErrorType.Integer:
      return { kind: 'type', message: `must be a whole number, not ${describeValue(e.value)}` };
    case ValueErrorType.Boolean:
      return { kind: 'type', message: `must be true or false, not ${describeValue(e.value)}` };
    case ValueErrorType.Literal:
      return { kind: 'enum', message: `must be ${String(s.const)}, not ${describeValue(e.value)}` };
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
      return {
        kind: 'range',
        message: `${String(e.value)} must be a whole number from ${String(s.minimum)} to ${String(s.maximum)}`,
      };
    case ValueErrorType.StringPattern:
      return {
        kind: 'pattern',
        message: `${describeValue(e.value)} does not have the expected form (${String(s.pattern)})`,
      };
    case ValueErrorType.StringMinLength:
      return { kind: 'min-length', message: 'must not be empty' };
    case ValueErrorType.ArrayMinItems:
      return { kind: 'min-items', message: `needs at least ${plural(Number(s.minItems), 'entry', 'entries')}` };
    case ValueErrorType.Union: {
      const choices = literalChoices(e.schema);
      if (choices)
        return { kind: 'enum', message: `must be one of ${choices.join(', ')}, not ${describeValue(e.value)}` };
      return {
        kind: 'union',
        message: `has the wrong type (${typeof s.description === 'string' ? s.description : 'see the schema'}), not ${describeValue(e.value)}`,
      };
    }
    default:
      return { kind: 'other', message: e.message };
  }
}

/** The values a union of literals allows (`beginner, intermediate, advanced`); undefined for any other schema. */
export function literalChoices(schema: TSchema): string[] | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!anyOf || !anyOf.every((s) => 'const' in s)) return undefined;
  return anyOf.map((s) => String((s as unknown as { const: unknown }).const));
}

/** A value as words: `the text "x"`, `the number 5`, `a list`, `nothing` (YAML `key:` with no value). */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (the field is empty)';
  if (typeof v === 'string') return `the text "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return typeof v;
}

export const decodePointerToken = (t: string): string => t.replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * JSON pointer (`/nodes/web/routes/0/via`) → our notation (`nodes.web.routes[0].via`), walking
 * `root` so that map keys that look like numbers stay keys. `prefix` is the path of `root` itself.
 */
export function pointerToPath(root: unknown, pointer: string, prefix = ''): string {
  let path = prefix;
  let cur: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const token = decodePointerToken(raw);
    if (Array.isArray(cur)) path += `[${token}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(token)) path += path ? `.${token}` : token;
    else path += `[${JSON.stringify(token)}]`;
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[token] : undefined;
  }
  return path;
}
