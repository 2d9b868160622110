// The checks of a `capture:start` payload that need nothing but the payload: its schema (with the
// defaults filled in), the capture filter and the interface name. Each answers the refusal to send
// back (with the problems, by path), or the checked input.
import { captureFilterProblem, interfaceNameProblem } from '@patchbay/kernel';
import { CaptureStartSchema, type CaptureStart, type LiveAck } from '@patchbay/protocol';
import { Value } from '@sinclair/typebox/value';
import { payloadProblems } from './payload-problems.js';

type Refusal = Extract<LiveAck, { ok: false }>;

/** The payload with its defaults, or why it is not a capture:start. */
export function captureStartInput(payload: unknown): { input: CaptureStart } | { refusal: Refusal } {
  const input: unknown =
    payload !== null && typeof payload === 'object' ? Value.Default(CaptureStartSchema, Value.Clone(payload)) : payload;
  if (Value.Check(CaptureStartSchema, input)) return { input };
  return {
    refusal: {
      ok: false,
      error: 'invalid capture:start payload',
      problems: payloadProblems(CaptureStartSchema, input, 'capture.invalid'),
    },
  };
}

/** What is wrong with the filter or the interface name, if anything. */
export function captureInputProblem(opts: CaptureStart): Refusal | undefined {
  const filterProblem = captureFilterProblem(opts.filter);
  if (filterProblem)
    return {
      ok: false,
      error: filterProblem,
      problems: [{ path: 'filter', message: filterProblem, code: 'capture.filter' }],
    };
  if (opts.interface !== undefined && opts.interface !== 'any') {
    const bad = interfaceNameProblem(opts.interface);
    if (bad)
      return { ok: false, error: bad, problems: [{ path: 'interface', message: bad, code: 'capture.interface' }] };
  }
  return undefined;
}
