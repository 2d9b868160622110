import { TerminalOpenSchema } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { payloadProblems } from './payload-problems.js';

describe('payloadProblems', () => {
  it('lists every problem once, in words, with the stream’s code', () => {
    expect(payloadProblems(TerminalOpenSchema, { node: 5, cols: 80, rows: 24, extra: true }, 'terminal.invalid')).toEqual([
      { path: 'lab', message: 'required', code: 'terminal.invalid' },
      { path: 'extra', message: expect.stringMatching(/^unknown field/), code: 'terminal.invalid' },
      { path: 'node', message: 'must be text, not the number 5', code: 'terminal.invalid' },
    ]);
  });
});
