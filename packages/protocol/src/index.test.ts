import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { ApplyResponseSchema, LabDocument, ProblemsErrorSchema } from './index.js';

describe('protocol schemas', () => {
  it('accept what the server sends', () => {
    expect(
      Value.Check(ProblemsErrorSchema, {
        error: 'bad',
        code: 'invalid',
        problems: [{ path: 'name', message: 'm', code: 'c' }],
      }),
    ).toBe(true);
    const ok = {
      lab: 'x',
      revision: 1,
      ops: [],
      drift: [],
      timings: { observeMs: 1, planMs: 0, executeMs: 2, verifyMs: 0, totalMs: 3 },
      dryRun: false,
    };
    expect(Value.Check(ApplyResponseSchema, ok)).toBe(true);
  });
  it('use the lab file schema for documents', () => {
    expect(Value.Check(LabDocument, { name: 'x', nodes: {}, links: [] })).toBe(true);
    expect(Value.Check(LabDocument, { name: 'x', nodes: {}, links: [], extra: 1 })).toBe(false);
  });
});
