// The classroom's tables (migration 3) without a kernel: students, tokens, runs, the cap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckRun } from '@patchbay/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../db.js';
import { studentLabName } from './codes.js';

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
const run = (passed: number, at: string): CheckRun => ({ lab: 'x', results: [], passed, total: 3, at, ms: 1, trigger: 'change' });

describe('classroom store', () => {
  it('keeps sessions by code (any case), students in order with tokens for their lab only', () => {
    const s = open();
    expect(s.schemaVersion).toBe(3);
    expect(s.addSession({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: 'id: link-down' })).toMatchObject({ id: 'a', endedAt: null });
    expect(s.addSession({ id: 'b', code: 'ABCDEF', scenarioId: 'x', scenarioText: '' })).toBe(false); // code taken
    expect(s.sessionByCode('abcdef')?.id).toBe('a');
    const add = (id: string, token: string, max = 2) => s.addStudent({ id, session: 'a', name: id, token, labFor: (n) => studentLabName('ABCDEF', n), max });
    const one = add('one', 't1');
    const two = add('two', 't2');
    expect(add('three', 't3')).toBe('full');
    expect(one !== 'full' && two !== 'full' && [one.lab, two.lab]).toEqual(['sabcdef-01', 'sabcdef-02']);
    expect(s.findToken('t1')).toEqual({ role: 'student', lab: 'sabcdef-01' });
    expect(s.findToken('t3')).toBeUndefined();
    // A student removed (their lab could not be made): the next one never reuses a lab name.
    s.deleteStudent('two');
    expect(s.findToken('t2')).toBeUndefined();
    const four = add('four', 't4');
    expect(four !== 'full' && four.lab).toBe('sabcdef-03');
    expect(s.studentsOf('a').map((st) => st.id)).toEqual(['one', 'four']);
  });

  it('records runs; the first full pass stays as solvedAt; revoking a lab ends its tokens', () => {
    const s = open();
    s.addSession({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: '' });
    s.addStudent({ id: 'one', session: 'a', name: 'One', token: 't1', labFor: (n) => studentLabName('ABCDEF', n), max: 5 });
    expect(s.recordRun('one', run(1, 't1'))?.solvedAt).toBeNull();
    expect(s.recordRun('one', run(3, 't2'))?.solvedAt).toBe('t2');
    const after = s.recordRun('one', run(0, 't3'))!;
    expect(after.solvedAt).toBe('t2');
    expect(after.lastRun).toMatchObject({ passed: 0, at: 't3' });
    s.setHintsShown('one', 2);
    expect(s.studentByLab('sabcdef-01')?.hintsShown).toBe(2);
    expect(s.studentLabs()).toEqual(['sabcdef-01']);
    s.revokeLabTokens('sabcdef-01');
    expect(s.findToken('t1')).toBeUndefined();
    expect(s.studentLabs()).toEqual([]);
    const ended = s.endSession('a');
    expect(s.endSession('a')).toBe(ended); // the first end counts
  });
});
