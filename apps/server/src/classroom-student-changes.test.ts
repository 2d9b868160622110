// What the instructor sees and decides of a student's own changes, and what a student is told of
// the instructor's, against the real kernel (prefix pbsrs-): an instructor's reset of a student's
// lab (`exercise:reset` to every page on the lab, the student's terminals closing with why, the
// exercise view remembering when); a student's applies and destroys through the API recorded and
// sent to the dashboard; a terminals-only session refusing them (403) and telling the student's page.
import { listNamespaces } from '@patchbay/kernel';
import type {
  ExerciseResetEvent,
  ExerciseSettingsEvent,
  ExerciseView,
  Joined,
  Session,
  SessionProgressEvent,
  SessionSettingsEvent,
  TerminalExit,
} from '@patchbay/protocol';
import type { Lab } from '@patchbay/topology';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './store/store.js';
import { auth, liveServer, streamId, TOKEN } from './test-support.js';

const PREFIX = 'pbsrs-';
const served = liveServer(PREFIX, { exercises: { periodicMs: 600_000 } }, undefined, { example: false });
/** Sessions a test opened: ended after it, also when it failed. */
const opened: Session[] = [];
afterEach(async () => {
  for (const session of opened.splice(0)) await call('DELETE', `/api/sessions/${session.id}`);
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, payload?: object, headers = auth) =>
  served.server.app.inject({ method, url: path, headers, ...(payload ? { payload } : {}) });

async function openSession(): Promise<Session> {
  const r = await call('POST', '/api/sessions', { scenario: 'link-down' });
  expect(r.statusCode, r.body).toBe(201);
  opened.push(r.json<Session>());
  return r.json<Session>();
}

async function join(session: Session, name: string): Promise<Joined> {
  const r = await served.server.app.inject({ method: 'POST', url: '/api/join', payload: { code: session.code, name } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json<Joined>();
}

const connect = (token: string) => served.connected(token);

/** The student's lab with db's eth0 up (the exercise's fix), as a document to apply. */
async function fixedLab(j: Joined): Promise<Lab> {
  const doc = (await call('GET', `/api/labs/${j.lab}`, undefined, as(j.token))).json<Lab>();
  const link = doc.links.find((l) => l.a.node === 'db');
  if (!link) throw new Error('link-down has a link from db');
  delete link.a.up;
  return doc;
}

async function end(session: Session): Promise<void> {
  opened.splice(opened.indexOf(session), 1);
  expect((await call('DELETE', `/api/sessions/${session.id}`)).statusCode).toBe(200);
  expect(await listNamespaces(PREFIX)).toEqual([]);
}

describe('an instructor resets a student', () => {
  it('every page on the lab hears `exercise:reset` (by instructor), the terminal closes saying why, the view remembers when', async () => {
    const session = await openSession();
    const ada = await join(session, 'Ada');
    const student = await connect(ada.token);
    const teacher = await connect(TOKEN);
    const resets: ExerciseResetEvent[] = [];
    const looks: ExerciseResetEvent[] = [];
    student.on('exercise:reset', (e) => resets.push(e));
    teacher.on('exercise:reset', (e) => looks.push(e));
    expect(await student.emitWithAck('exercise:subscribe', { lab: ada.lab })).toMatchObject({ ok: true });
    expect(await teacher.emitWithAck('exercise:subscribe', { lab: ada.lab })).toMatchObject({ ok: true });
    const exits: TerminalExit[] = [];
    student.on('terminal:exit', (e) => exits.push(e));
    student.on('terminal:output', (_e, ack) => ack());
    const id = streamId();
    expect(
      await student.emitWithAck('terminal:open', { id, lab: ada.lab, node: 'web', cols: 80, rows: 24 }),
    ).toMatchObject({ ok: true });

    const before = Date.now();
    const r = await call('POST', `/api/sessions/${session.id}/students/${ada.student}/reset`);
    expect(r.statusCode, r.body).toBe(200);
    await expect.poll(() => resets).toEqual([{ lab: ada.lab, by: 'instructor', at: expect.any(String) }]);
    await expect.poll(() => looks).toEqual(resets);
    expect(Date.parse(resets[0]!.at)).toBeGreaterThanOrEqual(before - 1000);
    await expect
      .poll(() => exits)
      .toEqual([{ id, reason: 'lab-reset', message: expect.stringContaining('your instructor reset your lab') }]);
    const view = (await call('GET', `/api/labs/${ada.lab}/exercise`, undefined, as(ada.token))).json<ExerciseView>();
    expect(view).toMatchObject({ instructorResetAt: resets[0]!.at, terminalsOnly: false });

    // The student's own reset: their pages hear it too, but it is not the instructor's.
    const own = await call('POST', `/api/labs/${ada.lab}/reset`, undefined, as(ada.token));
    expect(own.statusCode, own.body).toBe(200);
    await expect.poll(() => resets.map((e) => e.by)).toEqual(['instructor', 'student']);
    const again = (await call('GET', `/api/labs/${ada.lab}/exercise`, undefined, as(ada.token))).json<ExerciseView>();
    expect(again.instructorResetAt).toBe(resets[0]!.at);
    student.disconnect();
    teacher.disconnect();
    await end(session);
  });
});

describe("a student's own changes through the API", () => {
  it('are recorded per student (applies and destroys, not dry runs) and sent to the dashboard', async () => {
    const session = await openSession();
    const ada = await join(session, 'Ada');
    await join(session, 'Bob'); // a second student, whose row stays unmarked
    const teacher = await connect(TOKEN);
    const progress: SessionProgressEvent[] = [];
    teacher.on('session:progress', (e) => progress.push(e));
    expect(await teacher.emitWithAck('session:subscribe', { session: session.id })).toMatchObject({ ok: true });
    const fixed = await fixedLab(ada);

    const dry = await call('PUT', `/api/labs/${ada.lab}?dryRun=true`, fixed, as(ada.token));
    expect(dry.statusCode, dry.body).toBe(200);
    const students = async () => (await call('GET', `/api/sessions/${session.id}`)).json<Session>().students;
    expect((await students()).every((st) => st.apiChanges === undefined)).toBe(true);

    const before = new Date().toISOString();
    const applied = await call('PUT', `/api/labs/${ada.lab}`, fixed, as(ada.token));
    expect(applied.statusCode, applied.body).toBe(200);
    const [a1, b1] = await students();
    expect(a1).toMatchObject({ name: 'Ada', apiChanges: { count: 1, lastAt: expect.any(String) } });
    expect(a1!.apiChanges!.lastAt >= before).toBe(true);
    expect(b1!.apiChanges).toBeUndefined();
    await expect
      .poll(() => progress.some((e) => e.student.name === 'Ada' && e.student.apiChanges?.count === 1))
      .toBe(true);

    // An instructor's apply of the same lab is not the student's.
    expect((await call('PUT', `/api/labs/${ada.lab}`, fixed)).statusCode).toBe(200);
    const destroyed = await call('DELETE', `/api/labs/${ada.lab}`, undefined, as(ada.token));
    expect(destroyed.statusCode, destroyed.body).toBe(200);
    expect((await students())[0]!.apiChanges).toMatchObject({ count: 2 });
    teacher.disconnect();
    await end(session);
  });
});

describe('a terminals-only session', () => {
  it("refuses a student's apply and destroy (403 terminals-only), tells their page and the dashboards, allows a reset", async () => {
    const session = await openSession();
    expect(session.terminalsOnly).toBe(false);
    const ada = await join(session, 'Ada');
    const student = await connect(ada.token);
    const teacher = await connect(TOKEN);
    const pageSettings: ExerciseSettingsEvent[] = [];
    const dashSettings: SessionSettingsEvent[] = [];
    student.on('exercise:settings', (e) => pageSettings.push(e));
    teacher.on('session:settings', (e) => dashSettings.push(e));
    expect(await student.emitWithAck('exercise:subscribe', { lab: ada.lab })).toMatchObject({ ok: true });
    expect(await teacher.emitWithAck('session:subscribe', { session: session.id })).toMatchObject({ ok: true });
    const fixed = await fixedLab(ada);

    // Only an instructor may set it.
    expect(
      (await call('PATCH', `/api/sessions/${session.id}`, { terminalsOnly: true }, as(ada.token))).statusCode,
    ).toBe(403);
    const on = await call('PATCH', `/api/sessions/${session.id}`, { terminalsOnly: true });
    expect(on.statusCode, on.body).toBe(200);
    expect(on.json()).toMatchObject({ terminalsOnly: true, locked: false });
    await expect.poll(() => pageSettings).toEqual([{ lab: ada.lab, terminalsOnly: true }]);
    await expect
      .poll(() => dashSettings)
      .toEqual([{ session: session.id, seatLimit: session.seatLimit, locked: false, terminalsOnly: true }]);
    const view = (await call('GET', `/api/labs/${ada.lab}/exercise`, undefined, as(ada.token))).json<ExerciseView>();
    expect(view.terminalsOnly).toBe(true);

    const refused = await call('PUT', `/api/labs/${ada.lab}`, fixed, as(ada.token));
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'terminals-only', error: expect.stringContaining('terminals only') });
    const noDestroy = await call('DELETE', `/api/labs/${ada.lab}`, undefined, as(ada.token));
    expect(noDestroy.statusCode, noDestroy.body).toBe(403);
    expect(noDestroy.json()).toMatchObject({ code: 'terminals-only' });
    // Nothing changed: db's eth0 is still down in the lab, and nothing was recorded.
    const doc = (await call('GET', `/api/labs/${ada.lab}`, undefined, as(ada.token))).json<Lab>();
    expect(doc.links.find((l) => l.a.node === 'db')?.a.up).toBe(false);
    expect(await listNamespaces(`${PREFIX}${ada.lab}.`)).toHaveLength(3);
    expect((await call('GET', `/api/sessions/${session.id}`)).json<Session>().students[0]!.apiChanges).toBeUndefined();
    // A dry run changes nothing: allowed; a reset too; an instructor's apply too.
    expect((await call('PUT', `/api/labs/${ada.lab}?dryRun=true`, fixed, as(ada.token))).statusCode).toBe(200);
    expect((await call('POST', `/api/labs/${ada.lab}/reset`, undefined, as(ada.token))).statusCode).toBe(200);
    expect((await call('PUT', `/api/labs/${ada.lab}`, fixed)).statusCode).toBe(200);

    // Off again: the student may apply again.
    const off = await call('PATCH', `/api/sessions/${session.id}`, { terminalsOnly: false });
    expect(off.json()).toMatchObject({ terminalsOnly: false });
    await expect.poll(() => pageSettings.map((e) => e.terminalsOnly)).toEqual([true, false]);
    expect((await call('PUT', `/api/labs/${ada.lab}`, fixed, as(ada.token))).statusCode).toBe(200);
    student.disconnect();
    teacher.disconnect();
    await end(session);
  });

  it('is kept in the database: a session stays terminals only after a restart', async () => {
    const session = await openSession();
    expect((await call('PATCH', `/api/sessions/${session.id}`, { terminalsOnly: true })).statusCode).toBe(200);
    // What a restarted server reads: the database, through a connection of its own.
    const store = openStore(served.dataDir);
    try {
      expect(await store.sessions.get(session.id)).toMatchObject({ terminalsOnly: true, locked: false });
    } finally {
      await store.close();
    }
    await end(session);
  });
});
