// The classroom's tables (migration 3) without a kernel: sessions, students, their tokens, runs, the cap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckRun } from '@patchbay/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './store.js';
import { studentLabName } from '../classroom/codes.js';

let dir = '';
let db: Store | undefined;
afterEach(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});
const open = () => {
  dir = mkdtempSync(join(tmpdir(), 'patchbay-classroom-db-'));
  return (db = openStore(dir));
};
const run = (passed: number, at: string): CheckRun => ({
  lab: 'x',
  results: [],
  passed,
  total: 3,
  at,
  ms: 1,
  trigger: 'change',
});

/** A well-formed token (16+ base64url characters): the store refuses any other. */
const tok = (n: number): string => `student-token-${n}-0123456789`;
describe('classroom store', () => {
  it('keeps sessions by code (any case), students in order with tokens for their lab only', () => {
    const s = open();
    expect(s.schemaVersion).toBe(3);
    expect(
      s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: 'id: link-down' }),
    ).toMatchObject({ id: 'a', endedAt: null });
    expect(s.sessions.add({ id: 'b', code: 'ABCDEF', scenarioId: 'x', scenarioText: '' })).toBe(false); // code taken
    expect(s.sessions.byCode('abcdef')?.id).toBe('a');
    const add = (id: string, token: string, max = 2) =>
      s.students.add({ id, session: 'a', name: id, token, labFor: (n) => studentLabName('ABCDEF', n), max });
    const one = add('one', tok(1));
    const two = add('two', tok(2));
    expect(add('three', tok(3))).toBe('full');
    expect(one !== 'full' && two !== 'full' && [one.lab, two.lab]).toEqual(['sabcdef-01', 'sabcdef-02']);
    expect(s.tokens.find(tok(1))).toEqual({ role: 'student', lab: 'sabcdef-01' });
    expect(s.tokens.find(tok(3))).toBeUndefined();
    // A student removed (their lab could not be made): the next one never reuses a lab name.
    s.students.delete('two');
    expect(s.tokens.find(tok(2))).toBeUndefined();
    const four = add('four', tok(4));
    expect(four !== 'full' && four.lab).toBe('sabcdef-03');
    expect(s.students.inSession('a').map((st) => st.id)).toEqual(['one', 'four']);
  });

  it('records runs; the first full pass stays as solvedAt; revoking a lab ends its tokens', () => {
    const s = open();
    s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: '' });
    s.students.add({
      id: 'one',
      session: 'a',
      name: 'One',
      token: tok(1),
      labFor: (n) => studentLabName('ABCDEF', n),
      max: 5,
    });
    expect(s.students.recordRun('one', run(1, 't1'))?.solvedAt).toBeNull();
    expect(s.students.recordRun('one', run(3, 't2'))?.solvedAt).toBe('t2');
    const after = s.students.recordRun('one', run(0, 't3'))!;
    expect(after.solvedAt).toBe('t2');
    expect(after.lastRun).toMatchObject({ passed: 0, at: 't3' });
    s.students.setHintsShown('one', 2);
    expect(s.students.byLab('sabcdef-01')?.hintsShown).toBe(2);
    expect(s.tokens.studentLabs()).toEqual(['sabcdef-01']);
    s.tokens.revokeStudentTokens('sabcdef-01');
    expect(s.tokens.find(tok(1))).toBeUndefined();
    expect(s.tokens.studentLabs()).toEqual([]);
    const ended = s.sessions.end('a');
    expect(s.sessions.end('a')).toBe(ended); // the first end counts
  });
});
