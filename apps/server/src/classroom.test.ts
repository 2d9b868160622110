// Class sessions against the real kernel (prefix pbs10-): a session from link-down, two students
// each confined to their own lab, check runs triggered by a real fix in the kernel and by Enter in
// a terminal, live results and progress, hints, resets, a restart, and the end of the session.
import { execInNamespace, listNamespaces } from '@patchbay/kernel';
import type { CheckRun, Joined, Session, SessionProgressEvent } from '@patchbay/protocol';
import { namespaceName } from '@patchbay/topology';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, streamId, testLab, TOKEN, type LiveClient, type TestServer } from './test-support.js';

const PREFIX = 'pbs10-';
const lab = testLab(PREFIX);
const LIVE = { exercises: { periodicMs: 600_000 } };
let s: TestServer;
let url = '';
const clients: LiveClient[] = [];

async function start(): Promise<void> {
  s = await lab.server(LIVE);
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = s.app.server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}
beforeAll(start);
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await lab.cleanup();
});

/** A connected client that records the classroom events it gets. */
async function client(token: string) {
  const c: LiveClient = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  clients.push(c);
  const runs: CheckRun[] = [];
  const progress: SessionProgressEvent[] = [];
  const ended: string[] = [];
  c.on('exercise:results', (r) => runs.push(r));
  c.on('session:progress', (p) => progress.push(p));
  c.on('session:ended', (e) => ended.push(e.session));
  await new Promise<void>((resolve, reject) => (c.once('connect', resolve), c.once('connect_error', reject)));
  return { c, runs, progress, ended };
}

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const req = (
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  headers: Record<string, string> = auth,
  payload?: unknown,
) => s.app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });

let session: Session;
let ada: Joined;
let bob: Joined;

describe('a class session from link-down', () => {
  it('opens a session and two students join, each with a lab of their own', async () => {
    const r = await req('POST', '/api/sessions', auth, { scenario: 'link-down' });
    expect(r.statusCode, r.body).toBe(201);
    session = r.json();
    expect(session).toMatchObject({
      code: expect.stringMatching(/^[A-Z2-9]{6}$/),
      joinPath: `/join/${session.code}`,
      scenario: { id: 'link-down', checks: 3, hints: 2 },
      students: [],
    });
    // Public, the code in any case, the name trimmed.
    const j1 = await s.app.inject({
      method: 'POST',
      url: '/api/join',
      payload: { code: session.code.toLowerCase(), name: '  Ada  ' },
    });
    expect(j1.statusCode, j1.body).toBe(200);
    ada = j1.json();
    const j2 = await s.app.inject({ method: 'POST', url: '/api/join', payload: { code: session.code, name: 'Bob' } });
    expect(j2.statusCode, j2.body).toBe(200);
    bob = j2.json();
    expect(ada.lab).toBe(`s${session.code.toLowerCase()}-01`);
    expect(bob.lab).toBe(`s${session.code.toLowerCase()}-02`);
    expect(ada.token).not.toBe(bob.token);
    for (const j of [ada, bob]) expect(await listNamespaces(`${PREFIX}${j.lab}.`)).toHaveLength(3);
    const got = (await req('GET', `/api/sessions/${session.id}`)).json<Session>();
    expect(got.students.map((st) => [st.name, st.lab, st.total])).toEqual([
      ['Ada', ada.lab, 3],
      ['Bob', bob.lab, 3],
    ]);
    // One host: every student's lab is on the coordinator's own (local) agent.
    expect(got.students.map((st) => st.agent)).toEqual(['local', 'local']);
  });

  it("a student's token covers their own lab and nothing else", async () => {
    const mine = await req('GET', `/api/labs/${ada.lab}/exercise`, as(ada.token));
    expect(mine.statusCode, mine.body).toBe(200);
    const other = bob.lab;
    const attempts: ['GET' | 'POST' | 'PUT' | 'DELETE', string, unknown?][] = [
      ['GET', `/api/labs/${other}`],
      ['GET', `/api/labs/${other}/state`],
      ['GET', `/api/labs/${other}/exercise`],
      ['POST', `/api/labs/${other}/checks`],
      ['POST', `/api/labs/${other}/hints`],
      ['POST', `/api/labs/${other}/reset`],
      ['PUT', `/api/labs/${other}`, { name: other, nodes: {}, links: [] }],
      ['DELETE', `/api/labs/${other}`],
      ['GET', '/api/scenarios'],
      ['GET', '/api/sessions'],
      ['GET', `/api/sessions/${session.id}`],
      ['POST', '/api/sessions', { scenario: 'link-down' }],
      ['DELETE', `/api/sessions/${session.id}`],
      ['POST', `/api/sessions/${session.id}/students/${bob.student}/reset`],
    ];
    for (const [method, url, body] of attempts) {
      const r = await req(method, url, as(ada.token), body);
      expect([403, 404], `${method} ${url}: ${r.body}`).toContain(r.statusCode);
    }
    expect(await listNamespaces(`${PREFIX}${other}.`)).toHaveLength(3);
    const { c } = await client(ada.token);
    expect(await c.emitWithAck('exercise:subscribe', { lab: other })).toMatchObject({ ok: false });
    expect(await c.emitWithAck('session:subscribe', { session: session.id })).toMatchObject({ ok: false });
    expect(await c.emitWithAck('exercise:subscribe', { lab: 42 } as never)).toMatchObject({ ok: false });
    c.disconnect();
  });

  it('a fix in the kernel is checked on its own: results live to the student and the dashboard, and no endless runs', async () => {
    const student = await client(ada.token);
    const teacher = await client(TOKEN);
    expect(await student.c.emitWithAck('exercise:subscribe', { lab: ada.lab })).toEqual({
      ok: true,
      id: `exercise:${ada.lab}`,
    });
    expect(await teacher.c.emitWithAck('session:subscribe', { session: session.id })).toEqual({
      ok: true,
      id: `session:${session.id}`,
    });
    // The dashboard gets every student at once; the student the join's first run (now or when stored).
    await expect.poll(() => new Set(teacher.progress.map((p) => p.student.lab)).size).toBe(2);
    await expect.poll(() => student.runs.length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(student.runs[0]).toMatchObject({ lab: ada.lab, trigger: 'start', total: 3 });
    expect(student.runs[0]!.passed).toBeLessThan(3);

    const before = student.runs.length;
    const fix = await execInNamespace(namespaceName(PREFIX, ada.lab, 'db'), ['ip', 'link', 'set', 'eth0', 'up'], {
      stdio: 'pipe',
    });
    expect(fix.code).toBe(0);
    await expect.poll(() => student.runs.slice(before).find((r) => r.passed === 3), { timeout: 20_000 }).toBeTruthy();
    const solved = student.runs.slice(before).find((r) => r.passed === 3)!;
    expect(solved).toMatchObject({ lab: ada.lab, trigger: 'change', total: 3 });
    expect(solved.results.every((r) => r.pass)).toBe(true);
    await expect
      .poll(() => teacher.progress.find((p) => p.student.lab === ada.lab && p.student.passed === 3)?.student.solvedAt)
      .toBeTruthy();

    // The checks' own pings fill ARP and FDB tables: that never triggers another run.
    const settled = student.runs.length;
    await new Promise((r) => setTimeout(r, 3000));
    expect(student.runs.slice(settled)).toEqual([]);

    // Who is online: Ada's exercise is open (Bob's is not); when she leaves, the dashboard learns it.
    const latest = (lab: string) => teacher.progress.filter((p) => p.student.lab === lab).at(-1)?.student;
    expect(latest(ada.lab)?.online).toBe(true);
    expect(latest(bob.lab)?.online).toBe(false);
    student.c.disconnect();
    await expect.poll(() => latest(ada.lab)?.online).toBe(false);
    teacher.c.disconnect();
  });

  it('Enter in a terminal of the lab runs the checks (iptables makes no kernel event)', async () => {
    const student = await client(bob.token);
    expect(await student.c.emitWithAck('exercise:subscribe', { lab: bob.lab })).toMatchObject({ ok: true });
    await expect.poll(() => student.runs.length, { timeout: 20_000 }).toBeGreaterThan(0);
    const open = await student.c.emitWithAck('terminal:open', {
      id: streamId(),
      lab: bob.lab,
      node: 'web',
      cols: 80,
      rows: 24,
    });
    expect(open.ok, JSON.stringify(open)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // whatever opening a shell may have caused is over
    const before = student.runs.length;
    if (open.ok) student.c.emit('terminal:input', { id: open.id, data: 'true\r' });
    await expect.poll(() => student.runs.length, { timeout: 15_000 }).toBeGreaterThan(before);
    expect(student.runs.at(-1)).toMatchObject({ lab: bob.lab, trigger: 'change' });
    if (open.ok) student.c.emit('terminal:close', { id: open.id });
    student.c.disconnect();
  });

  it('reveals hints one by one, never more than there are', async () => {
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await req('POST', `/api/labs/${ada.lab}/hints`, as(ada.token));
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json().hintCount).toBe(2);
      seen.push(r.json().hints.length);
    }
    expect(seen).toEqual([1, 2, 2]);
    const view = (await req('GET', `/api/labs/${ada.lab}/exercise`, as(ada.token))).json();
    expect(view.hints).toHaveLength(2);
    expect(view.lastRun).toMatchObject({ passed: 3 });
    expect(JSON.stringify(view)).not.toContain('ip link set eth0 up');
  });

  it('a reset puts the lab back to failing; the instructor may reset a student', async () => {
    const r = await req('POST', `/api/labs/${ada.lab}/reset`, as(ada.token));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ lab: ada.lab, trigger: 'reset', total: 3 });
    expect(r.json().passed).toBeLessThan(3);
    const byTeacher = await req('POST', `/api/sessions/${session.id}/students/${bob.student}/reset`);
    expect(byTeacher.statusCode, byTeacher.body).toBe(200);
    expect(byTeacher.json()).toMatchObject({ lab: bob.lab, trigger: 'reset' });
    expect((await req('POST', `/api/sessions/${session.id}/students/${ada.student}x/reset`)).statusCode).toBe(404);
    const got = (await req('GET', `/api/sessions/${session.id}`)).json<Session>();
    const a = got.students.find((st) => st.id === ada.student)!;
    expect(a.passed).toBeLessThan(3);
    expect(a.solvedAt).toBeTruthy(); // solved once stays solved
    expect(a.hintsShown).toBe(2);
  });

  it('keeps sessions, students, tokens and progress across a restart', async () => {
    await s.app.close();
    await s.engine.close();
    await s.store.close();
    await start();
    const got = (await req('GET', `/api/sessions/${session.id}`)).json<Session>();
    expect(got.code).toBe(session.code);
    const a = got.students.find((st) => st.id === ada.student)!;
    expect(a).toMatchObject({
      name: 'Ada',
      lab: ada.lab,
      hintsShown: 2,
      total: 3,
      solvedAt: expect.any(String),
      lastCheckAt: expect.any(String),
    });
    const view = await req('GET', `/api/labs/${ada.lab}/exercise`, as(ada.token));
    expect(view.statusCode, view.body).toBe(200);
    expect(view.json()).toMatchObject({ session: session.id, lastRun: { trigger: 'reset' } });
    expect((await req('GET', '/api/sessions')).json<{ sessions: Session[] }>().sessions.map((x) => x.id)).toContain(
      session.id,
    );
  });

  it('ending the session destroys every student lab and revokes their tokens', async () => {
    const teacher = await client(TOKEN);
    expect(await teacher.c.emitWithAck('session:subscribe', { session: session.id })).toMatchObject({ ok: true });
    const student = await client(ada.token);
    const dropped = new Promise<void>((r) => student.c.once('disconnect', () => r()));
    const r = await req('DELETE', `/api/sessions/${session.id}`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ id: session.id, destroyed: [ada.lab, bob.lab].sort() });
    await dropped;
    for (const j of [ada, bob]) expect(await listNamespaces(`${PREFIX}${j.lab}.`)).toEqual([]);
    expect((await req('GET', `/api/labs/${ada.lab}/exercise`, as(ada.token))).statusCode).toBe(401);
    expect((await req('GET', `/api/labs/${bob.lab}`, as(bob.token))).statusCode).toBe(401);
    await expect.poll(() => teacher.ended).toEqual([session.id]);
    const got = (await req('GET', `/api/sessions/${session.id}`)).json<Session>();
    expect(got.endedAt).toBeTruthy();
    expect(got.students).toHaveLength(2); // the record of the class stays
    const late = await s.app.inject({
      method: 'POST',
      url: '/api/join',
      payload: { code: session.code, name: 'Late' },
    });
    expect(late.statusCode, late.body).toBe(410);
    expect((await req('POST', `/api/sessions/${session.id}/students/${ada.student}/reset`)).statusCode).toBe(409);
    // The instructor gets a lab-gone answer, not a re-created lab.
    expect((await req('POST', `/api/labs/${ada.lab}/reset`)).statusCode).toBe(409);
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });
});
