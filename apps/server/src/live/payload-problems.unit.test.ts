import { TerminalOpenSchema } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { payloadProblems } from './payload-problems.js';

describe('payloadProblems', () => {
  it('lists every problem once, in words, with the stream’s code', () => {
    expect(
      payloadProblems(TerminalOpenSchema, { node: 5, cols: 80, rows: 24, extra: true }, 'terminal.invalid'),
    ).toEqual([
      { path: 'id', message: 'required', code: 'terminal.invalid' },
      { path: 'lab', message: 'required', code: 'terminal.invalid' },
      { path: 'extra', message: expect.stringMatching(/^unknown field/), code: 'terminal.invalid' },
      { path: 'node', message: 'must be text, not the number 5', code: 'terminal.invalid' },
    ]);
  });
});

describe('payloadProblems of a payload with thousands of mistakes', () => {
  it('reports the first few and how many more', () => {
    const payload = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const started = performance.now();
    const problems = payloadProblems(TerminalOpenSchema, payload, 'terminal.invalid');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(problems).toHaveLength(21);
    expect(problems.at(-1)).toEqual({ path: '', message: 'and 4985 more problems', code: 'terminal.invalid' });
  });
});
