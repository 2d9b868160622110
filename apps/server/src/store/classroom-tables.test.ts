// The classroom's tables (migrations 3 to 5) without a kernel, on both databases (SQLite and the
// throw-away PostgreSQL of test/database-servers.ts): sessions, students, their tokens, runs,
// seats, the lock and the end.
import type { CheckRun } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { freshBackendPerTest, STORE_KINDS } from '../../test/store-backends.js';
import type { Store } from './store-api.js';
import { studentLabName, studentNameKey } from '../classroom/codes.js';

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
/** What undoes each migration from 4 on, newest first: a test turns a fresh database into one
 *  written before migration N by running the undo of every migration from the newest down to N. */
const UNDO: [version: number, sql: string][] = [
  [
    6,
    `DROP TABLE lab_placements;
     DROP TABLE agents;
     ALTER TABLE students DROP COLUMN moved_at;
     ALTER TABLE students DROP COLUMN moved_from;`,
  ],
  [
    5,
    `ALTER TABLE sessions DROP COLUMN terminals_only;
     ALTER TABLE students DROP COLUMN api_changes;
     ALTER TABLE students DROP COLUMN last_api_change_at;
     ALTER TABLE students DROP COLUMN instructor_reset_at;`,
  ],
  [
    4,
    `ALTER TABLE sessions DROP COLUMN seat_limit;
     ALTER TABLE sessions DROP COLUMN locked;
     ALTER TABLE sessions DROP COLUMN end_reason;`,
  ],
];
const LATEST = UNDO[0]![0];
const undoDownTo = (version: number): string =>
  UNDO.filter(([v]) => v > version)
    .map(([v, sql]) => `${sql}\n     DELETE FROM migrations WHERE version = ${v};`)
    .join('\n');

describe.each(STORE_KINDS)('classroom store (%s)', (kind) => {
  const backend = freshBackendPerTest(kind);
  const open = async (): Promise<Store> => (await backend()).open();

  it('keeps sessions by code (any case), students in order with tokens for their lab only', async () => {
    const s = await open();
    expect(await s.schemaVersion()).toBe(LATEST);
    expect(
      await s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: 'id: link-down' }),
    ).toMatchObject({ id: 'a', endedAt: null });
    expect(await s.sessions.add({ id: 'b', code: 'ABCDEF', scenarioId: 'x', scenarioText: '' })).toBe(false); // code taken
    expect((await s.sessions.byCode('abcdef'))?.id).toBe('a');
    const add = async (id: string, token: string, max = 2) =>
      await s.students.add({
        id,
        session: 'a',
        name: id,
        token,
        labFor: (n) => studentLabName('ABCDEF', n),
        max,
        nameKey: studentNameKey,
      });
    const one = await add('one', tok(1));
    const two = await add('two', tok(2));
    expect(await add('three', tok(3))).toBe('full');
    expect(typeof one !== 'string' && typeof two !== 'string' && [one.lab, two.lab]).toEqual([
      'sabcdef-01',
      'sabcdef-02',
    ]);
    expect(await s.tokens.find(tok(1))).toEqual({ role: 'student', lab: 'sabcdef-01' });
    expect(await s.tokens.find(tok(3))).toBeUndefined();
    // A student removed (their lab could not be made): the next one never reuses a lab name.
    await s.students.delete('two');
    expect(await s.tokens.find(tok(2))).toBeUndefined();
    const four = await add('four', tok(4));
    expect(typeof four !== 'string' && four.lab).toBe('sabcdef-03');
    expect((await s.students.inSession('a')).map((st) => st.id)).toEqual(['one', 'four']);
  });

  it("refuses a join beyond the session's own seats, while locked and once ended; the first end's reason stays", async () => {
    const s = await open();
    await s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: '', seatLimit: 1 });
    const add = async (id: string) =>
      await s.students.add({
        id,
        session: 'a',
        name: id,
        token: `tok-${id}-0123456789abcdef`,
        labFor: (n) => studentLabName('ABCDEF', n),
        max: 60,
        nameKey: studentNameKey,
      });
    expect(await s.sessions.get('a')).toMatchObject({ seatLimit: 1, locked: false, endReason: null });
    expect(await add('one')).toMatchObject({ id: 'one' });
    expect(await add('two')).toBe('full'); // the session's own 1 seat, not the default 60
    expect(await s.sessions.update('a', { seatLimit: 3, locked: true })).toMatchObject({ seatLimit: 3, locked: true });
    expect(await add('two')).toBe('locked');
    expect(await s.tokens.find('tok-two-0123456789abcdef')).toBeUndefined();
    await s.sessions.update('a', { locked: false });
    expect(await add('two')).toMatchObject({ id: 'two' });
    expect(await s.students.count('a')).toBe(2);
    await s.sessions.end('a', 'idle');
    await s.sessions.end('a', 'instructor');
    expect(await s.sessions.get('a')).toMatchObject({ endReason: 'idle', endedAt: expect.any(String) });
    expect(await add('three')).toBe('ended');
    expect(await s.sessions.running()).toEqual([]);
    // A session opened before seats existed: the caller's default applies.
    await s.sessions.add({ id: 'b', code: 'BCDEFG', scenarioId: 'x', scenarioText: '' });
    expect((await s.sessions.get('b'))?.seatLimit).toBeNull();
    const old = async (id: string) =>
      await s.students.add({
        id,
        session: 'b',
        name: id,
        token: `old-${id}-0123456789abcdef`,
        labFor: (n) => studentLabName('BCDEFG', n),
        max: 1,
        nameKey: studentNameKey,
      });
    expect(await old('x1')).toMatchObject({ id: 'x1' });
    expect(await old('x2')).toBe('full');
  });

  it('refuses a name a student of the session has, in any case and width, before the lock and the seats; other sessions may share it', async () => {
    const s = await open();
    await s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: '', seatLimit: 2 });
    await s.sessions.add({ id: 'b', code: 'BCDEFG', scenarioId: 'link-down', scenarioText: '' });
    let n = 0;
    const add = async (session: string, name: string) =>
      await s.students.add({
        id: `st${++n}`,
        session,
        name,
        token: tok(100 + n),
        labFor: (seq) => studentLabName(session === 'a' ? 'ABCDEF' : 'BCDEFG', seq),
        max: 5,
        nameKey: studentNameKey,
      });
    expect(await add('a', 'Ana')).toMatchObject({ name: 'Ana' });
    for (const same of ['Ana', 'ana', 'ANA', 'Ａｎａ']) expect(await add('a', same), same).toBe('name-taken');
    // Nothing was kept of the refused joins: no row, no token.
    expect((await s.students.inSession('a')).map((st) => st.name)).toEqual(['Ana']);
    expect(await s.tokens.find(tok(102))).toBeUndefined();
    expect(await add('b', 'Ana')).toMatchObject({ name: 'Ana', session: 'b' });
    expect(await add('a', 'Bea')).toMatchObject({ name: 'Bea' });
    // Full and the name taken: the name is what the student can fix; so when locked.
    expect(await add('a', 'ana')).toBe('name-taken');
    expect(await add('a', 'Cleo')).toBe('full');
    await s.sessions.update('a', { locked: true });
    expect(await add('a', 'ana')).toBe('name-taken');
    expect(await add('a', 'Cleo')).toBe('locked');
  });

  it('brings a database of version 3 up to 4: its sessions keep running, with the default seats and unlocked', async () => {
    const db = await backend();
    let s = await db.open();
    await s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: '', seatLimit: 5 });
    // Back to version 3, as a database written before migration 4 is.
    await db.exec(undoDownTo(3));
    expect(await s.schemaVersion()).toBe(3);
    await s.close();
    s = await db.open();
    expect(await s.schemaVersion()).toBe(LATEST);
    expect(await s.sessions.get('a')).toMatchObject({
      code: 'ABCDEF',
      seatLimit: null,
      locked: false,
      endReason: null,
    });
    await s.sessions.end('a');
    expect((await s.sessions.get('a'))?.endReason).toBe('instructor');
  });

  it('brings a database of version 4 up to date: not terminals only, no change by a student, no reset by an instructor', async () => {
    const db = await backend();
    let s = await db.open();
    await s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: '', seatLimit: 5 });
    await s.students.add({
      id: 'one',
      session: 'a',
      name: 'One',
      token: tok(1),
      labFor: (n) => studentLabName('ABCDEF', n),
      max: 5,
      nameKey: studentNameKey,
    });
    await db.exec(undoDownTo(4));
    expect(await s.schemaVersion()).toBe(4);
    await s.close();
    s = await db.open();
    expect(await s.schemaVersion()).toBe(LATEST);
    expect(await s.sessions.get('a')).toMatchObject({ seatLimit: 5, terminalsOnly: false });
    expect(await s.students.get('one')).toMatchObject({
      apiChanges: 0,
      lastApiChangeAt: null,
      instructorResetAt: null,
    });
    expect(await s.sessions.update('a', { terminalsOnly: true })).toMatchObject({ terminalsOnly: true, seatLimit: 5 });
    expect(await s.students.recordApiChange('one', 't1')).toMatchObject({ apiChanges: 1, lastApiChangeAt: 't1' });
    expect(await s.students.recordApiChange('one', 't2')).toMatchObject({ apiChanges: 2, lastApiChangeAt: 't2' });
    await s.students.recordInstructorReset('one', 't3');
    expect(await s.students.byLab('sabcdef-01')).toMatchObject({ apiChanges: 2, instructorResetAt: 't3' });
  });

  it('records runs; the first full pass stays as solvedAt; revoking a lab ends its tokens', async () => {
    const s = await open();
    await s.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'link-down', scenarioText: '' });
    await s.students.add({
      id: 'one',
      session: 'a',
      name: 'One',
      token: tok(1),
      labFor: (n) => studentLabName('ABCDEF', n),
      max: 5,
      nameKey: studentNameKey,
    });
    expect((await s.students.recordRun('one', run(1, 't1')))?.solvedAt).toBeNull();
    expect((await s.students.recordRun('one', run(3, 't2')))?.solvedAt).toBe('t2');
    const after = (await s.students.recordRun('one', run(0, 't3')))!;
    expect(after.solvedAt).toBe('t2');
    expect(after.lastRun).toMatchObject({ passed: 0, at: 't3' });
    await s.students.setHintsShown('one', 2);
    expect((await s.students.byLab('sabcdef-01'))?.hintsShown).toBe(2);
    expect(await s.tokens.studentLabs()).toEqual(['sabcdef-01']);
    await s.tokens.revokeStudentTokens('sabcdef-01');
    expect(await s.tokens.find(tok(1))).toBeUndefined();
    expect(await s.tokens.studentLabs()).toEqual([]);
    const ended = await s.sessions.end('a');
    expect(await s.sessions.end('a')).toBe(ended); // the first end counts
  });
});
