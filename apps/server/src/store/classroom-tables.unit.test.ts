// The classroom's tables (migrations 3 and 4) without a kernel: sessions, students, their tokens,
// runs, seats, the lock and the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckRun } from '@patchbay/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './store.js';
import { studentLabName, studentNameKey } from '../classroom/codes.js';

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
    expect(s.schemaVersion).toBe(5);
    expect(
      s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: 'id: link-down' }),
    ).toMatchObject({ id: 'a', endedAt: null });
    expect(s.sessions.add({ id: 'b', code: 'ABCDEF', scenarioId: 'x', scenarioText: '' })).toBe(false); // code taken
    expect(s.sessions.byCode('abcdef')?.id).toBe('a');
    const add = (id: string, token: string, max = 2) =>
      s.students.add({
        id,
        session: 'a',
        name: id,
        token,
        labFor: (n) => studentLabName('ABCDEF', n),
        max,
        nameKey: studentNameKey,
      });
    const one = add('one', tok(1));
    const two = add('two', tok(2));
    expect(add('three', tok(3))).toBe('full');
    expect(typeof one !== 'string' && typeof two !== 'string' && [one.lab, two.lab]).toEqual([
      'sabcdef-01',
      'sabcdef-02',
    ]);
    expect(s.tokens.find(tok(1))).toEqual({ role: 'student', lab: 'sabcdef-01' });
    expect(s.tokens.find(tok(3))).toBeUndefined();
    // A student removed (their lab could not be made): the next one never reuses a lab name.
    s.students.delete('two');
    expect(s.tokens.find(tok(2))).toBeUndefined();
    const four = add('four', tok(4));
    expect(typeof four !== 'string' && four.lab).toBe('sabcdef-03');
    expect(s.students.inSession('a').map((st) => st.id)).toEqual(['one', 'four']);
  });

  it("refuses a join beyond the session's own seats, while locked and once ended; the first end's reason stays", () => {
    const s = open();
    s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: '', seatLimit: 1 });
    const add = (id: string) =>
      s.students.add({
        id,
        session: 'a',
        name: id,
        token: `tok-${id}-0123456789abcdef`,
        labFor: (n) => studentLabName('ABCDEF', n),
        max: 60,
        nameKey: studentNameKey,
      });
    expect(s.sessions.get('a')).toMatchObject({ seatLimit: 1, locked: false, endReason: null });
    expect(add('one')).toMatchObject({ id: 'one' });
    expect(add('two')).toBe('full'); // the session's own 1 seat, not the default 60
    expect(s.sessions.update('a', { seatLimit: 3, locked: true })).toMatchObject({ seatLimit: 3, locked: true });
    expect(add('two')).toBe('locked');
    expect(s.tokens.find('tok-two-0123456789abcdef')).toBeUndefined();
    s.sessions.update('a', { locked: false });
    expect(add('two')).toMatchObject({ id: 'two' });
    expect(s.students.count('a')).toBe(2);
    s.sessions.end('a', 'idle');
    s.sessions.end('a', 'instructor');
    expect(s.sessions.get('a')).toMatchObject({ endReason: 'idle', endedAt: expect.any(String) });
    expect(add('three')).toBe('ended');
    expect(s.sessions.running()).toEqual([]);
    // A session opened before seats existed: the caller's default applies.
    s.sessions.add({ id: 'b', code: 'BCDEFG', scenarioId: 'x', scenarioText: '' });
    expect(s.sessions.get('b')?.seatLimit).toBeNull();
    const old = (id: string) =>
      s.students.add({
        id,
        session: 'b',
        name: id,
        token: `old-${id}-0123456789abcdef`,
        labFor: (n) => studentLabName('BCDEFG', n),
        max: 1,
        nameKey: studentNameKey,
      });
    expect(old('x1')).toMatchObject({ id: 'x1' });
    expect(old('x2')).toBe('full');
  });

  it('refuses a name a student of the session has, in any case and width, before the lock and the seats; other sessions may share it', () => {
    const s = open();
    s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: '', seatLimit: 2 });
    s.sessions.add({ id: 'b', code: 'BCDEFG', scenarioId: 'link-down', scenarioText: '' });
    let n = 0;
    const add = (session: string, name: string) =>
      s.students.add({
        id: `st${++n}`,
        session,
        name,
        token: tok(100 + n),
        labFor: (seq) => studentLabName(session === 'a' ? 'ABCDEF' : 'BCDEFG', seq),
        max: 5,
        nameKey: studentNameKey,
      });
    expect(add('a', 'Ana')).toMatchObject({ name: 'Ana' });
    for (const same of ['Ana', 'ana', 'ANA', 'Ａｎａ']) expect(add('a', same), same).toBe('name-taken');
    // Nothing was kept of the refused joins: no row, no token.
    expect(s.students.inSession('a').map((st) => st.name)).toEqual(['Ana']);
    expect(s.tokens.find(tok(102))).toBeUndefined();
    expect(add('b', 'Ana')).toMatchObject({ name: 'Ana', session: 'b' });
    expect(add('a', 'Bea')).toMatchObject({ name: 'Bea' });
    // Full and the name taken: the name is what the student can fix; so when locked.
    expect(add('a', 'ana')).toBe('name-taken');
    expect(add('a', 'Cleo')).toBe('full');
    s.sessions.update('a', { locked: true });
    expect(add('a', 'ana')).toBe('name-taken');
    expect(add('a', 'Cleo')).toBe('locked');
  });

  it('brings a database of version 3 up to 4: its sessions keep running, with the default seats and unlocked', () => {
    let s = open();
    s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: '', seatLimit: 5 });
    // Back to version 3, as a database written before migration 4 is.
    s.db.exec(`
      ALTER TABLE sessions DROP COLUMN terminals_only;
      ALTER TABLE students DROP COLUMN api_changes;
      ALTER TABLE students DROP COLUMN last_api_change_at;
      ALTER TABLE students DROP COLUMN instructor_reset_at;
      DELETE FROM migrations WHERE version = 5;
      ALTER TABLE sessions DROP COLUMN seat_limit;
      ALTER TABLE sessions DROP COLUMN locked;
      ALTER TABLE sessions DROP COLUMN end_reason;
      DELETE FROM migrations WHERE version = 4;
    `);
    expect(s.schemaVersion).toBe(3);
    s.close();
    s = db = openStore(dir);
    expect(s.schemaVersion).toBe(5);
    expect(s.sessions.get('a')).toMatchObject({ code: 'ABCDEF', seatLimit: null, locked: false, endReason: null });
    s.sessions.end('a');
    expect(s.sessions.get('a')?.endReason).toBe('instructor');
  });

  it('brings a database of version 4 up to 5: not terminals only, no change by a student, no reset by an instructor', () => {
    let s = open();
    s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: '', seatLimit: 5 });
    s.students.add({
      id: 'one',
      session: 'a',
      name: 'One',
      token: tok(1),
      labFor: (n) => studentLabName('ABCDEF', n),
      max: 5,
      nameKey: studentNameKey,
    });
    s.db.exec(`
      ALTER TABLE sessions DROP COLUMN terminals_only;
      ALTER TABLE students DROP COLUMN api_changes;
      ALTER TABLE students DROP COLUMN last_api_change_at;
      ALTER TABLE students DROP COLUMN instructor_reset_at;
      DELETE FROM migrations WHERE version = 5;
    `);
    expect(s.schemaVersion).toBe(4);
    s.close();
    s = db = openStore(dir);
    expect(s.schemaVersion).toBe(5);
    expect(s.sessions.get('a')).toMatchObject({ seatLimit: 5, terminalsOnly: false });
    expect(s.students.get('one')).toMatchObject({ apiChanges: 0, lastApiChangeAt: null, instructorResetAt: null });
    expect(s.sessions.update('a', { terminalsOnly: true })).toMatchObject({ terminalsOnly: true, seatLimit: 5 });
    expect(s.students.recordApiChange('one', 't1')).toMatchObject({ apiChanges: 1, lastApiChangeAt: 't1' });
    expect(s.students.recordApiChange('one', 't2')).toMatchObject({ apiChanges: 2, lastApiChangeAt: 't2' });
    s.students.recordInstructorReset('one', 't3');
    expect(s.students.byLab('sabcdef-01')).toMatchObject({ apiChanges: 2, instructorResetAt: 't3' });
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
      nameKey: studentNameKey,
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
