// Who may join a class, against the real kernel (prefix pbs13-): the join rate per client address
// (429 + Retry-After before any lab is made), the seat limit an instructor sets, the lock, and
// removing a student (lab destroyed, token revoked, connections told and closed, seat free again).
import { listNamespaces } from '@patchbay/kernel';
import type {
  ExerciseClosedEvent,
  Joined,
  Session,
  SessionSettingsEvent,
  SessionStudentRemovedEvent,
} from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { auth, liveServer, TOKEN } from './test-support.js';

const PREFIX = 'pbs13-';
const served = liveServer(
  PREFIX,
  { exercises: { periodicMs: 600_000 } },
  { joinsPerMinute: 1, joinBurst: 3, sessionSeats: 4, sessionSeatsMax: 5 },
  { example: false },
);

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, payload?: object, headers = auth) =>
  served.server.app.inject({ method, url: path, headers, ...(payload ? { payload } : {}) });
/** Every join of a test from an address of its own: the join rate is per address. */
const join = (code: string, name: string, from: string) =>
  served.server.app.inject({ method: 'POST', url: '/api/join', payload: { code, name }, remoteAddress: from });
const open = async (body: object): Promise<Session> => {
  const r = await call('POST', '/api/sessions', { scenario: 'link-down', ...body });
  expect(r.statusCode, r.body).toBe(201);
  return r.json<Session>();
};
const labsOf = (j: Joined) => listNamespaces(`${PREFIX}${j.lab}.`);

const connect = (token: string) => served.connected(token);

describe('joins', () => {
  it('limits joins per client address: 429 with Retry-After once the burst is spent, other addresses unaffected', async () => {
    const session = await open({});
    // Wrong codes cost as much as right ones (guessing codes is slowed too).
    for (let i = 0; i < 3; i++) expect((await join('ZZZZ99', 'Guess', '10.9.0.1')).statusCode).toBe(404);
    const refused = await join(session.code, 'Flood', '10.9.0.1');
    expect(refused.statusCode, refused.body).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'rate-limited', error: expect.stringContaining('joins') });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await call('GET', `/api/sessions/${session.id}`)).json<Session>().students).toEqual([]);
    expect(await listNamespaces(PREFIX)).toEqual([]);
    // Another address has its own bucket.
    expect((await join('ZZZZ99', 'Other', '10.9.0.2')).statusCode).toBe(404);
    expect((await call('DELETE', `/api/sessions/${session.id}`)).statusCode).toBe(200);
  });

  it('takes at most the seats the instructor set; the limit can change while the session runs', async () => {
    expect((await call('POST', '/api/sessions', { scenario: 'link-down', seatLimit: 6 })).statusCode).toBe(400);
    expect((await call('POST', '/api/sessions', { scenario: 'link-down', seatLimit: 0 })).statusCode).toBe(400);
    const session = await open({ seatLimit: 1 });
    expect(session).toMatchObject({ seatLimit: 1, locked: false });
    const ada = await join(session.code, 'Ada', '10.9.1.1');
    expect(ada.statusCode, ada.body).toBe(200);
    const full = await join(session.code, 'Bob', '10.9.1.2');
    expect(full.statusCode, full.body).toBe(409);
    expect(full.json()).toMatchObject({ code: 'session-full', error: expect.stringContaining('1 seats') });
    expect(await listNamespaces(`${PREFIX}s${session.code.toLowerCase()}-02.`)).toEqual([]);

    const more = await call('PATCH', `/api/sessions/${session.id}`, { seatLimit: 2 });
    expect(more.statusCode, more.body).toBe(200);
    expect(more.json()).toMatchObject({ seatLimit: 2, locked: false, students: [{ name: 'Ada' }] });
    expect((await call('PATCH', `/api/sessions/${session.id}`, { seatLimit: 99 })).statusCode).toBe(400);
    expect((await call('PATCH', `/api/sessions/${session.id}`, {})).statusCode).toBe(400);
    expect((await call('PATCH', `/api/sessions/${session.id}`, { seats: 3 })).statusCode).toBe(400);
    const bob = await join(session.code, 'Bob', '10.9.1.2');
    expect(bob.statusCode, bob.body).toBe(200);
    // A student may not change the session.
    expect(
      (await call('PATCH', `/api/sessions/${session.id}`, { seatLimit: 5 }, as(bob.json<Joined>().token))).statusCode,
    ).toBe(403);
    expect((await call('DELETE', `/api/sessions/${session.id}`)).json().destroyed).toHaveLength(2);
    expect((await call('PATCH', `/api/sessions/${session.id}`, { locked: true })).statusCode).toBe(409);
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });

  it('a locked session takes nobody new; those in it go on; unlocked, it takes students again', async () => {
    const session = await open({});
    const ada = (await join(session.code, 'Ada', '10.9.2.1')).json<Joined>();
    const teacher = await connect(TOKEN);
    const settings: SessionSettingsEvent[] = [];
    teacher.on('session:settings', (e) => settings.push(e));
    expect(await teacher.emitWithAck('session:subscribe', { session: session.id })).toMatchObject({ ok: true });

    const locked = await call('PATCH', `/api/sessions/${session.id}`, { locked: true });
    expect(locked.statusCode, locked.body).toBe(200);
    expect(locked.json()).toMatchObject({ locked: true });
    await expect
      .poll(() => settings)
      .toEqual([{ session: session.id, seatLimit: 4, locked: true, terminalsOnly: false }]);
    const refused = await join(session.code, 'Late', '10.9.2.2');
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'session-locked', error: expect.stringContaining('locked') });
    expect((await call('GET', `/api/labs/${ada.lab}/exercise`, undefined, as(ada.token))).statusCode).toBe(200);
    expect(await labsOf(ada)).toHaveLength(3);

    expect((await call('PATCH', `/api/sessions/${session.id}`, { locked: false })).json()).toMatchObject({
      locked: false,
    });
    const late = await join(session.code, 'Late', '10.9.2.2');
    expect(late.statusCode, late.body).toBe(200);
    teacher.disconnect();
    expect((await call('DELETE', `/api/sessions/${session.id}`)).statusCode).toBe(200);
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });

  it('removes a student: lab destroyed, token revoked, their connection told and closed, the dashboard told, the seat free', async () => {
    const session = await open({ seatLimit: 2 });
    const ada = (await join(session.code, 'Ada', '10.9.3.1')).json<Joined>();
    const bob = (await join(session.code, 'Bob', '10.9.3.2')).json<Joined>();
    expect(await labsOf(ada)).toHaveLength(3);

    const teacher = await connect(TOKEN);
    const removedEvents: SessionStudentRemovedEvent[] = [];
    teacher.on('session:student-removed', (e) => removedEvents.push(e));
    expect(await teacher.emitWithAck('session:subscribe', { session: session.id })).toMatchObject({ ok: true });
    const student = await connect(ada.token);
    expect(await student.emitWithAck('exercise:subscribe', { lab: ada.lab })).toMatchObject({ ok: true });
    const closed: ExerciseClosedEvent[] = [];
    student.on('exercise:closed', (e) => closed.push(e));
    const dropped = new Promise<void>((r) => student.once('disconnect', () => r()));

    // Only an instructor may remove; a student token (even their own) may not.
    expect(
      (await call('DELETE', `/api/sessions/${session.id}/students/${bob.student}`, undefined, as(ada.token)))
        .statusCode,
    ).toBe(403);
    const r = await call('DELETE', `/api/sessions/${session.id}/students/${ada.student}`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ session: session.id, student: ada.student, lab: ada.lab, destroyed: true });
    await dropped;
    expect(closed).toEqual([{ lab: ada.lab, reason: 'removed' }]);
    await expect.poll(() => removedEvents).toEqual([{ session: session.id, student: ada.student }]);
    expect(await labsOf(ada)).toEqual([]);
    expect((await call('GET', `/api/labs/${ada.lab}/exercise`, undefined, as(ada.token))).statusCode).toBe(401);
    expect((await call('POST', `/api/labs/${ada.lab}/reset`, undefined, as(ada.token))).statusCode).toBe(401);
    await expect(connect(ada.token)).rejects.toThrow(/not valid/);
    const view = (await call('GET', `/api/sessions/${session.id}`)).json<Session>();
    expect(view.students.map((st) => st.name)).toEqual(['Bob']);
    // Bob goes on; the seat Ada had is free again (a new lab: lab names are never reused).
    expect((await call('GET', `/api/labs/${bob.lab}/exercise`, undefined, as(bob.token))).statusCode).toBe(200);
    const cleo = await join(session.code, 'Cleo', '10.9.3.3');
    expect(cleo.statusCode, cleo.body).toBe(200);
    expect(cleo.json<Joined>().lab).toBe(`s${session.code.toLowerCase()}-03`);
    // Removing again, or a student of another session: 404.
    expect((await call('DELETE', `/api/sessions/${session.id}/students/${ada.student}`)).statusCode).toBe(404);
    expect((await call('DELETE', `/api/sessions/no-such/students/${bob.student}`)).statusCode).toBe(404);
    teacher.disconnect();
    expect((await call('DELETE', `/api/sessions/${session.id}`)).json().destroyed).toHaveLength(2);
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });

  it('a reset racing the removal never leaves the lab behind', async () => {
    const session = await open({});
    const dee = (await join(session.code, 'Dee', '10.9.4.1')).json<Joined>();
    // The student's own reset and the instructor's removal at once, in either order of arrival.
    const [reset, removed] = await Promise.all([
      call('POST', `/api/labs/${dee.lab}/reset`, undefined, as(dee.token)),
      call('DELETE', `/api/sessions/${session.id}/students/${dee.student}`),
    ]);
    expect(removed.statusCode, removed.body).toBe(200);
    // Done before the removal (200), refused once it was removed (410), or cut off by the revoked token (401).
    expect([200, 401, 410], reset.body).toContain(reset.statusCode);
    expect(await labsOf(dee)).toEqual([]);
    expect((await call('POST', `/api/labs/${dee.lab}/reset`, undefined, as(dee.token))).statusCode).toBe(401);
    expect(await labsOf(dee)).toEqual([]);
    expect((await call('DELETE', `/api/sessions/${session.id}`)).json().destroyed).toEqual([]);
  });
});
