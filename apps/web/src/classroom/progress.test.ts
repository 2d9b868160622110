import type { CheckRun, Session, StudentProgress } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import {
  agoText,
  applyProgress,
  applySettings,
  checkDots,
  checkDotText,
  checkTally,
  classSummary,
  clockText,
  durationText,
  joinErrorText,
  latestRun,
  normalizeCode,
  percent,
  seatsText,
  solved,
  solvedOnce,
  solvedText,
  sortStudents,
  summaryText,
  triggerText,
  withoutStudent,
} from './progress';

const run = (at: string, passed = 1): CheckRun => ({
  lab: 'l',
  results: [],
  passed,
  total: 3,
  at,
  ms: 10,
  trigger: 'change',
});
const student = (id: string, name: string, passed = 0, extra: Partial<StudentProgress> = {}): StudentProgress => ({
  id,
  name,
  lab: `lab-${id}`,
  joinedAt: '2025-01-01T10:00:00Z',
  passed,
  total: 3,
  hintsShown: 0,
  results: [],
  ...extra,
});
const session = (students: StudentProgress[]): Session => ({
  id: 's1',
  code: 'ABCD12',
  joinPath: '/join/ABCD12',
  scenario: { id: 'link-down', title: 't', level: 'beginner', summary: '', tags: [], checks: 3, hints: 2 },
  createdAt: '2025-01-01T09:59:00Z',
  seatLimit: 2,
  locked: false,
  terminalsOnly: false,
  students,
});

describe('summaries', () => {
  it('sums up a run', () => {
    expect(summaryText(2, 3)).toBe('2/3');
    expect(summaryText(undefined, 3)).toBe('–/3');
    expect(percent(2, 3)).toBe(67);
    expect(percent(5, 3)).toBe(100);
    expect(percent(0, 0)).toBe(0);
    expect(solved({ passed: 3, total: 3 })).toBe(true);
    expect(solved({ passed: 0, total: 0 })).toBe(false);
    expect(triggerText('reset')).toBe('after a reset');
    expect(triggerText('periodic')).toBe('on its regular re-check');
  });
  it('times', () => {
    expect(agoText('2025-01-01T10:00:00Z', Date.parse('2025-01-01T10:00:12Z'))).toBe('12 s ago');
    expect(agoText('2025-01-01T10:00:00Z', Date.parse('2025-01-01T10:05:00Z'))).toBe('5 min ago');
    expect(agoText(undefined)).toBe('');
    expect(durationText('2025-01-01T10:00:00Z', '2025-01-01T10:07:12Z')).toBe('7 min 12 s');
    expect(durationText('2025-01-01T10:00:00Z', '2025-01-01T10:00:09Z')).toBe('9 s');
  });
});

describe('latestRun', () => {
  it('keeps the later of a fetched run and a live one, whatever order they arrive in', () => {
    const old = run('2025-01-01T10:00:00Z', 1);
    const fresh = run('2025-01-01T10:00:05Z', 3);
    expect(latestRun(old, fresh)).toBe(fresh);
    expect(latestRun(fresh, old)).toBe(fresh);
    expect(latestRun(undefined, old)).toBe(old);
    expect(latestRun(old, undefined)).toBe(old);
  });
});

describe('applyProgress', () => {
  it('replaces a student, adds one who joined, ignores other sessions', () => {
    const s = session([student('a', 'Ann'), student('b', 'Bob')]);
    const next = applyProgress(s, { session: 's1', student: student('b', 'Bob', 3) });
    expect(next.students.map((x) => x.passed)).toEqual([0, 3]);
    expect(s.students[1]!.passed).toBe(0); // not mutated
    expect(applyProgress(s, { session: 's1', student: student('c', 'Cy') }).students).toHaveLength(3);
    expect(applyProgress(s, { session: 'other', student: student('c', 'Cy') })).toBe(s);
  });
  it('lists students by name and sums the class', () => {
    const students = [student('b', 'bob', 3, { hintsShown: 2 }), student('a', 'Ann', 1, { hintsShown: 1 })];
    expect(sortStudents(students).map((x) => x.name)).toEqual(['Ann', 'bob']);
    expect(classSummary(students)).toEqual({ students: 2, solved: 1, slipped: 0, hints: 3 });
    // Solved once and broken since: still counted as solved, and as slipped.
    const slipped = student('c', 'Cy', 0, { solvedAt: '2025-01-01T10:07:12Z' });
    expect(classSummary([...students, slipped])).toEqual({ students: 3, solved: 2, slipped: 1, hints: 3 });
  });
  it('says when a student solved, and where they are now if they broke it since', () => {
    const at = new Date('2025-01-01T10:30:00Z');
    const results = [{ id: 'a', title: 'a', pass: false, reason: 'no', seen: '' }];
    const solvedNow = student('a', 'Ann', 3, { solvedAt: '2025-01-01T10:07:12Z', results });
    const brokeSince = student('b', 'Bob', 0, { solvedAt: '2025-01-01T10:07:12Z', results });
    const clock = clockText('2025-01-01T10:07:12Z', at);
    expect(solvedText(solvedNow, at)).toBe(`${clock} (7 min 12 s)`);
    expect(solvedText(brokeSince, at)).toBe(`solved at ${clock} (7 min 12 s), now 0/3`);
    expect(solvedText(student('c', 'Cy', 2), at)).toBe('');
    expect(solvedOnce(brokeSince)).toBe(true);
    expect(solvedOnce(student('c', 'Cy', 2))).toBe(false);
  });
});

describe('seats, lock and removal', () => {
  it('takes a settings event of its own session only', () => {
    const s = session([]);
    expect(applySettings(s, { session: 's1', seatLimit: 30, locked: true, terminalsOnly: true })).toMatchObject({
      seatLimit: 30,
      locked: true,
      terminalsOnly: true,
    });
    expect(applySettings(s, { session: 'other', seatLimit: 30, locked: true, terminalsOnly: true })).toBe(s);
  });
  it('drops a removed student, leaves the others', () => {
    const s = session([student('a', 'Ann'), student('b', 'Bob')]);
    expect(withoutStudent(s, { session: 's1', student: 'a' }).students.map((x) => x.id)).toEqual(['b']);
    expect(withoutStudent(s, { session: 'other', student: 'a' })).toBe(s);
    expect(s.students).toHaveLength(2); // not mutated
  });
  it('counts seats, full at the limit and beyond it', () => {
    expect(seatsText(session([student('a', 'Ann')]))).toEqual({ text: '1/2 seats', full: false });
    expect(seatsText(session([student('a', 'Ann'), student('b', 'Bob')]))).toEqual({ text: '2/2 seats', full: true });
    expect(seatsText({ students: [student('a', 'Ann'), student('b', 'Bob')], seatLimit: 1 })).toEqual({
      text: '2/1 seat',
      full: true,
    });
  });
});

describe('checkDots', () => {
  it('one dot per check in order, with the reason and what was seen', () => {
    const dots = checkDots(
      [
        { id: 'x', title: 'X' },
        { id: 'y', title: 'Y' },
      ],
      [{ id: 'y', title: 'Y', pass: false, reason: 'no reply', seen: 'ping: 2 sent, 0 received' }],
    );
    expect(dots).toEqual([
      { id: 'x', title: 'X', state: 'unknown', reason: 'not checked yet' },
      { id: 'y', title: 'Y', state: 'fail', reason: 'no reply — ping: 2 sent, 0 received' },
    ]);
  });
  it('uses the results themselves when the checks are not known', () => {
    expect(checkDots([], [{ id: 'a', title: 'A', pass: true, reason: '', seen: 'up' }])).toEqual([
      { id: 'a', title: 'A', state: 'pass', reason: 'up' },
    ]);
  });
});

describe('joining', () => {
  it('says what a failed join means', () => {
    expect(joinErrorText(0, 'x')).toMatch(/Cannot reach/);
    expect(joinErrorText(404, 'unknown code')).toMatch(/No class session has this code/);
    expect(joinErrorText(410, '')).toMatch(/ended/);
    expect(joinErrorText(400, 'name: too long')).toBe('That does not work: name: too long');
    expect(joinErrorText(500, '')).toBe('The server answered 500.');
    expect(joinErrorText(409, 'this class session is full: all 30 seats are taken; ask your instructor')).toBe(
      'This class session is full: all 30 seats are taken; ask your instructor.',
    );
    expect(joinErrorText(409, '')).toMatch(/no new students/);
  });
  it('tidies a typed code', () => {
    expect(normalizeCode(' ab-12 cd ')).toBe('ab12cd');
  });
});

describe('checkTally', () => {
  it('counts, per check, the students passing it and those who ran it', () => {
    const r = (id: string, pass: boolean) => ({ id, title: id, pass, reason: '', seen: '' });
    const students = [
      student('a', 'Ann', 2, { results: [r('up', true), r('ping', true), r('fdb', false)] }),
      student('b', 'Bob', 1, { results: [r('up', true), r('ping', false), r('fdb', false)] }),
      student('c', 'Cy'), // no run yet
    ];
    const checks = [
      { id: 'up', title: 'up' },
      { id: 'ping', title: 'ping' },
      { id: 'fdb', title: 'fdb' },
    ];
    expect(checkTally(checks, students)).toEqual([
      { id: 'up', title: 'up', passing: 2, ran: 2 },
      { id: 'ping', title: 'ping', passing: 1, ran: 2 },
      { id: 'fdb', title: 'fdb', passing: 0, ran: 2 },
    ]);
  });
});

describe('checkDotText', () => {
  it('says the check, whether it passes, and why it fails, in words', () => {
    const [pass, fail, unknown] = checkDots(
      [
        { id: 'a', title: 'ns1 reaches ns2' },
        { id: 'b', title: 'eth0 is up' },
        { id: 'c', title: 'a route' },
      ],
      [
        { id: 'a', title: 'ns1 reaches ns2', pass: true, reason: '', seen: '' },
        { id: 'b', title: 'eth0 is up', pass: false, reason: 'eth0 is DOWN', seen: 'state DOWN' },
      ],
    );
    expect(checkDotText(pass!)).toBe('ns1 reaches ns2: passes');
    expect(checkDotText(fail!)).toBe('eth0 is up: fails — eth0 is DOWN — state DOWN');
    expect(checkDotText(unknown!)).toBe('a route: not checked yet');
  });
});
