// A socket payload that does not match its schema: its problems, in the same words and paths as
// the lab and scenario parsers give (topology's schema-problems.ts), with the stream's own code.
import type { Problem } from '@patchbay/protocol';
import { pointerToPath, schemaErrors, translateSchemaError, plural } from '@patchbay/topology';
import type { TSchema } from '@sinclair/typebox';

/**
 * Problems reported per payload, at most. A hostile payload can carry thousands of unknown keys;
 * putting each in words (with a "did you mean") would hold the event loop for a noticeable time,
 * and no client needs more than the first few to see what is wrong.
 */
export const MAX_PAYLOAD_PROBLEMS = 20;

export function payloadProblems(schema: TSchema, payload: unknown, code: string): Problem[] {
  const errors = schemaErrors(schema, payload);
  const problems: Problem[] = errors
    .slice(0, MAX_PAYLOAD_PROBLEMS)
    .map((e) => ({ path: pointerToPath(payload, e.path), message: translateSchemaError(e).message, code }));
  const more = errors.length - problems.length;
  if (more > 0) problems.push({ path: '', message: `and ${plural(more, 'more problem')}`, code });
  return problems;
}
