import type { CheckRun } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { clockText } from './progress';
import { nextResult, resultText } from './final-result';

const run = (at: string, passed: number, total = 3): CheckRun => ({
  lab: 'l',
  results: [],
  passed,
  total,
  at,
  ms: 5,
  trigger: 'change',
});

describe('a student result', () => {
  it('keeps the latest counts and the first solve, ignoring an older run', () => {
    let r = nextResult(undefined, run('2025-01-01T10:00:00Z', 1));
    expect(r).toEqual({ passed: 1, total: 3, at: '2025-01-01T10:00:00Z' });
    r = nextResult(r, run('2025-01-01T10:05:00Z', 3));
    expect(r.solvedAt).toBe('2025-01-01T10:05:00Z');
    r = nextResult(r, run('2025-01-01T10:09:00Z', 0));
    expect(r).toEqual({ passed: 0, total: 3, at: '2025-01-01T10:09:00Z', solvedAt: '2025-01-01T10:05:00Z' });
    expect(nextResult(r, run('2025-01-01T10:01:00Z', 2))).toBe(r);
  });
  it('reads as counts, when, and solved or not (and where it is now)', () => {
    const now = new Date('2025-01-01T11:00:00Z');
    const c = (iso: string) => clockText(iso, now);
    expect(resultText({ passed: 1, total: 3, at: '2025-01-01T10:00:00Z' }, now)).toBe(
      `1/3 checks passed (at ${c('2025-01-01T10:00:00Z')}) · not solved`,
    );
    expect(resultText({ passed: 3, total: 3, at: '2025-01-01T10:06:00Z', solvedAt: '2025-01-01T10:05:00Z' }, now)).toBe(
      `3/3 checks passed (at ${c('2025-01-01T10:06:00Z')}) · solved at ${c('2025-01-01T10:05:00Z')}`,
    );
    expect(resultText({ passed: 0, total: 3, at: '2025-01-01T10:09:00Z', solvedAt: '2025-01-01T10:05:00Z' }, now)).toBe(
      `0/3 checks passed (at ${c('2025-01-01T10:09:00Z')}) · solved earlier, at ${c('2025-01-01T10:05:00Z')}`,
    );
  });
});
