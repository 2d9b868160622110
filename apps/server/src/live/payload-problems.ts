// A socket payload that does not match its schema: every problem, in the same words and paths as
// the lab and scenario parsers give (topology's schema-problems.ts), with the stream's own code.
import type { Problem } from '@patchbay/protocol';
import { pointerToPath, schemaErrors, translateSchemaError } from '@patchbay/topology';
import type { TSchema } from '@sinclair/typebox';

export function payloadProblems(schema: TSchema, payload: unknown, code: string): Problem[] {
  return schemaErrors(schema, payload).map((e) => ({ path: pointerToPath(payload, e.path), message: translateSchemaError(e).message, code }));
}
