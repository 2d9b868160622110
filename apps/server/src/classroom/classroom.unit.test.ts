// The pure parts of class sessions: codes, lab names, student names, views, and the scheduler.
import { builtinScenario } from '@patchbay/scenarios/library';
import { NAME_RE } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import type { StudentRow } from '../store/store.js';
import {
  CODE_ALPHABET,
  CODE_LENGTH,
  cleanStudentName,
  newSessionCode,
  normalizeCode,
  studentLabName,
} from './codes.js';
import {
  BACKGROUND_EVERY,
  CheckScheduler,
  MAX_OVERTAKES,
  ProgressRepeats,
  QueueTicket,
  Semaphore,
  strongerTrigger,
  type Trigger,
} from './scheduler.js';
import { exerciseView, revealedHints, sessionView, studentProgress } from './views.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('codes and names', () => {
  it('draws codes from an unambiguous alphabet; students may type them in any case', () => {
    for (let i = 0; i < 200; i++) {
      const code = newSessionCode();
      expect(code).toHaveLength(CODE_LENGTH);
      expect([...code].every((c) => CODE_ALPHABET.includes(c))).toBe(true);
    }
    expect(normalizeCode(' k7pq2m ')).toBe('K7PQ2M');
  });

  it('names student labs validly, even for the longest code and many students', () => {
    expect(studentLabName('K7PQ2M', 3)).toBe('sk7pq2m-03');
    expect(studentLabName('K7PQ2M', 200)).toBe('sk7pq2m-200');
    expect(studentLabName('A'.repeat(16), 99_999)).toMatch(NAME_RE);
    expect(studentLabName('A'.repeat(16), 99_999).length).toBeLessThanOrEqual(24);
  });

  it('trims names and refuses empty, long, control and invisible characters', () => {
    expect(cleanStudentName('  Ada   Lovelace ')).toEqual({ name: 'Ada Lovelace' });
    expect(cleanStudentName('Zoë 🙂')).toEqual({ name: 'Zoë 🙂' });
    for (const bad of [
      '   ',
      '\t',
      'a\u0000b',
      'x\u001b[2J',
      'evil\u202egnp',
      'zero\u200bwidth',
      'lone\ud800',
      'n'.repeat(41),
    ]) {
      const r = cleanStudentName(bad);
      expect('problem' in r, JSON.stringify(bad)).toBe(true);
      if ('problem' in r) expect(r.problem).toMatchObject({ path: 'name', code: 'name.invalid' });
    }
  });
});

describe('views', () => {
  const scenario = builtinScenario('link-down')!.scenario;
  const student: StudentRow = {
    id: 's1',
    session: 'x',
    seq: 1,
    name: 'Ada',
    lab: 'sabc-01',
    joinedAt: 't0',
    hintsShown: 1,
    lastRun: null,
    solvedAt: null,
    apiChanges: 0,
    lastApiChangeAt: null,
    instructorResetAt: null,
    movedAt: null,
    movedFrom: null,
  };

  it('shows no solution, and hints only as far as revealed', () => {
    const view = exerciseView('sabc-01', scenario, 1, undefined, { id: 'x', terminalsOnly: false });
    const text = JSON.stringify(view);
    expect(text).not.toContain('solution');
    expect(text).not.toContain(scenario.solution[0]!.run);
    expect(view.hints).toEqual([scenario.hints![0]]);
    expect(view.scenario.hintCount).toBe(2);
    expect(view.scenario.checks.map((c) => c.id)).toEqual(['db-eth0-up', 'web-to-db', 'bridge-learned-db']);
    expect(revealedHints(scenario, 99)).toHaveLength(2);
    expect(revealedHints(scenario, -1)).toEqual([]);
  });

  it("says in a session lab's view whether it is terminals only and when an instructor last reset it", () => {
    expect(exerciseView('sabc-01', scenario, 0, undefined)).not.toHaveProperty('terminalsOnly');
    const view = exerciseView('sabc-01', scenario, 0, undefined, {
      id: 'x',
      terminalsOnly: true,
      instructorResetAt: 't9',
    });
    expect(view).toMatchObject({ session: 'x', terminalsOnly: true, instructorResetAt: 't9' });
    expect(
      exerciseView('sabc-01', scenario, 0, undefined, { id: 'x', terminalsOnly: false, instructorResetAt: null }),
    ).not.toHaveProperty('instructorResetAt');
  });

  it('says whether the asker may use Why?: the scenario decides for a student (default yes), an instructor always may', () => {
    expect(exerciseView('sabc-01', scenario, 0, undefined).why).toBe(true);
    const closed = { ...scenario, why: false };
    expect(exerciseView('sabc-01', closed, 0, undefined).why).toBe(false);
    expect(exerciseView('sabc-01', closed, 0, undefined, undefined, 'student').why).toBe(false);
    expect(exerciseView('sabc-01', closed, 0, undefined, undefined, 'instructor').why).toBe(true);
    expect(exerciseView('sabc-01', { ...scenario, why: true }, 0, undefined).why).toBe(true);
  });

  it('marks a student who changed their lab through the API: how often, the latest', () => {
    expect(studentProgress(student, scenario)).not.toHaveProperty('apiChanges');
    expect(studentProgress({ ...student, apiChanges: 2, lastApiChangeAt: 't5' }, scenario)).toMatchObject({
      apiChanges: { count: 2, lastAt: 't5' },
    });
  });

  it('counts a student with no run yet as 0 of every check', () => {
    expect(studentProgress(student, scenario)).toEqual({
      id: 's1',
      name: 'Ada',
      lab: 'sabc-01',
      joinedAt: 't0',
      passed: 0,
      total: 3,
      hintsShown: 1,
      results: [],
    });
    const run = { lab: 'sabc-01', results: [], passed: 3, total: 3, at: 't1', ms: 5, trigger: 'change' as const };
    expect(studentProgress({ ...student, lastRun: run, solvedAt: 't1' }, scenario)).toMatchObject({
      passed: 3,
      lastCheckAt: 't1',
      solvedAt: 't1',
    });
    const row = {
      id: 'x',
      code: 'ABCDEF',
      scenarioId: 'link-down',
      scenarioText: '',
      createdAt: 't',
      endedAt: null,
      endReason: null,
      seatLimit: 12,
      locked: true,
      terminalsOnly: false,
    };
    const s = sessionView(row, scenario, [student], 60);
    expect(s).toMatchObject({
      joinPath: '/join/ABCDEF',
      scenario: { id: 'link-down', checks: 3, hints: 2 },
      students: [{ id: 's1' }],
      seatLimit: 12,
      locked: true,
    });
    expect('endedAt' in s).toBe(false);
    expect('endReason' in s).toBe(false);
    // A session opened before seats existed has the server's default; an ended one says why.
    expect(sessionView({ ...row, seatLimit: null, locked: false }, scenario, [], 60)).toMatchObject({
      seatLimit: 60,
      locked: false,
    });
    expect(sessionView({ ...row, endedAt: 'e', endReason: 'idle' }, scenario, [], 60)).toMatchObject({
      endedAt: 'e',
      endReason: 'idle',
    });
  });
});

describe('scheduler', () => {
  it('limits runs at once over all labs', async () => {
    const sem = new Semaphore(2);
    let active = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        sem.use(async () => ((most = Math.max(most, ++active)), await tick(5), active--)),
      ),
    );
    expect(most).toBe(2);
    expect(sem.active).toBe(0);
  });

  it('runs one per lab at a time, one waiting; requests while one waits join it', async () => {
    const started: Trigger[] = [];
    let release: () => void = () => undefined;
    const s = new CheckScheduler<number>(4, async (_lab, trigger) => {
      started.push(trigger);
      await new Promise<void>((r) => (release = r));
      return started.length;
    });
    const first = s.request('a', 'start');
    await tick();
    const second = s.request('a', 'change');
    const third = s.request('a', 'request');
    const fourth = s.request('a', 'change');
    expect(third).toBe(second);
    expect(fourth).toBe(second);
    expect(started).toEqual(['start']);
    release();
    expect(await first).toBe(1);
    await tick();
    expect(started).toEqual(['start', 'request']); // the waiting run reports the strongest trigger
    release();
    expect(await second).toBe(2);
    await tick();
    expect(s.busy('a')).toBe(false);
  });

  it('keeps other work on a lab in the same line, and a failed run fails only its callers', async () => {
    const order: string[] = [];
    const s = new CheckScheduler<string>(1, async (lab) => {
      order.push(`run ${lab}`);
      await tick(5);
      if (lab === 'bad') throw new Error('gone');
      return lab;
    });
    const run = s.request('a', 'change');
    const reset = s.exclusive('a', async () => (order.push('reset a'), 'done'));
    const after = s.request('a', 'reset');
    await expect(s.request('bad', 'change')).rejects.toThrow('gone');
    expect(await Promise.all([run, reset, after])).toEqual(['a', 'done', 'a']);
    expect(order.filter((o) => o.endsWith(' a'))).toEqual(['run a', 'reset a', 'run a']);
    await s.idle();
    expect(s.running).toBe(0);
  });

  it('ranks triggers', () => {
    expect(strongerTrigger('change', 'request')).toBe('request');
    expect(strongerTrigger('reset', 'change')).toBe('reset');
    expect(strongerTrigger('start', 'change')).toBe('start');
    expect(strongerTrigger('periodic', 'change')).toBe('change');
    expect(strongerTrigger('change', 'periodic')).toBe('change');
  });
});

describe('scheduler: urgent runs and overtaking', () => {
  it('gives a free slot to urgent waiters before background ones, and keeps slots for urgent work', async () => {
    const sem = new Semaphore(2, 1);
    const order: string[] = [];
    const hold = (name: string, ms: number, background: boolean) =>
      sem.use(async () => (order.push(name), await tick(ms)), new QueueTicket(background));
    const runs = [
      hold('bg-1', 10, true),
      hold('bg-2', 10, true),
      hold('urgent-1', 10, false),
      hold('urgent-2', 5, false),
    ];
    await tick();
    // bg-2 may not take the second slot (one background at a time): urgent-1 does.
    expect(order).toEqual(['bg-1', 'urgent-1']);
    await Promise.all(runs);
    expect(order).toEqual(['bg-1', 'urgent-1', 'urgent-2', 'bg-2']);
  });

  it('moves a background waiter to the urgent queue when it is promoted', async () => {
    const sem = new Semaphore(1);
    const order: string[] = [];
    const blocker = sem.use(() => tick(5));
    const late = new QueueTicket(true);
    const runs = [
      sem.use(async () => void order.push('background'), new QueueTicket(true)),
      sem.use(async () => void order.push('promoted'), late),
      sem.use(async () => void order.push('urgent'), new QueueTicket(false)),
    ];
    late.promote();
    await Promise.all([blocker, ...runs]);
    expect(order).toEqual(['urgent', 'promoted', 'background']);
  });

  it('lets one background waiter in every few slots while urgent ones keep coming', async () => {
    const sem = new Semaphore(1);
    const order: string[] = [];
    const blocker = sem.use(() => tick(2));
    const runs = [sem.use(async () => void order.push('bg'), new QueueTicket(true))];
    for (let i = 0; i < 6; i++) runs.push(sem.use(async () => void order.push(`u${i}`)));
    await Promise.all([blocker, ...runs]);
    expect(order.indexOf('bg')).toBe(BACKGROUND_EVERY - 1);
  });

  it('a run overtaken while it runs is started afresh in its slot; its callers and the one waiting get the fresh run', async () => {
    const signals: AbortSignal[] = [];
    const s = new CheckScheduler<number>(
      1,
      async (_lab, _trigger, signal) => {
        signals.push(signal);
        const n = signals.length;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 20);
          signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('abandoned'))));
        });
        return n;
      },
      { settleMs: 1 },
    );
    const first = s.request('a', 'request');
    await tick();
    const queued = s.request('a', 'change', { background: true }); // waits behind the run in flight
    expect(s.overtake('a')).toBe(true);
    expect(await first).toBe(2);
    expect(await queued).toBe(2); // answered by the fresh run, which started after it asked
    expect(signals.map((x) => x.aborted)).toEqual([true, false]);
    await s.idle();
    expect(s.overtake('a')).toBe(false); // nothing in flight
  });

  it('overtakes one run at most MAX_OVERTAKES times; then it finishes', async () => {
    let started = 0;
    const s = new CheckScheduler<number>(
      1,
      async (_lab, _trigger, signal) => {
        started++;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 15);
          signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('abandoned'))));
        });
        return started;
      },
      { settleMs: 1 },
    );
    const run = s.request('a', 'change');
    const overtaken: boolean[] = [];
    for (let i = 0; i <= MAX_OVERTAKES; i++) {
      await tick(5);
      overtaken.push(s.overtake('a'));
    }
    expect(overtaken).toEqual([...Array.from({ length: MAX_OVERTAKES }, () => true), false]);
    expect(await run).toBe(MAX_OVERTAKES + 1);
  });
});

describe('progress repeats', () => {
  it('repeats a run that passed more checks than the one before, but not all, once', () => {
    const r = new ProgressRepeats();
    expect(r.after('a', { passed: 0, total: 3 })).toBe(false); // the first run: nothing to compare
    expect(r.after('a', { passed: 1, total: 3 })).toBe(true); // progress: once more at once
    expect(r.after('a', { passed: 2, total: 3 })).toBe(false); // the repeat itself is not repeated
    expect(r.after('a', { passed: 2, total: 3 })).toBe(false); // no progress
    expect(r.after('a', { passed: 3, total: 3 })).toBe(false); // all passed: nothing to settle
    expect(r.after('b', { passed: 1, total: 3 })).toBe(false); // labs are apart
    r.forget('a');
    expect(r.after('a', { passed: 2, total: 3 })).toBe(false); // forgotten: a first run again
  });
});
