// What an instructor sees of who is in a class, against the real kernel (prefix pbsdi-): a name is
// one student's in a session (a second join with it is refused, in any case, and no lab is made),
// while the browser that joined under it gets its own seat back with the token it kept; the lab
// list names a student lab's student and session; the server says where it listens, so the
// dashboard can tell whether the join link reaches other machines.
import { listNamespaces } from '@patchbay/kernel';
import type { Joined, LabList, ServerStatus, Session } from '@patchbay/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, testLab, type TestServer } from './test-support.js';

const PREFIX = 'pbsdi-';
const lab = testLab(PREFIX);
let s: TestServer;
let port = 0;

beforeAll(async () => {
  s = await lab.server({ exercises: { periodicMs: 600_000 } }, { joinsPerMinute: 600, joinBurst: 50 });
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = s.app.server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
});
afterAll(async () => {
  await lab.cleanup();
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, payload?: object, headers = auth) =>
  s.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
const join = (code: string, name: string, rejoin?: string) =>
  s.app.inject({
    method: 'POST',
    url: '/api/join',
    payload: { code, name, ...(rejoin !== undefined ? { rejoin } : {}) },
  });
const open = async (body: object = {}): Promise<Session> => {
  const r = await call('POST', '/api/sessions', { scenario: 'link-down', ...body });
  expect(r.statusCode, r.body).toBe(201);
  return r.json<Session>();
};
const names = async (id: string) =>
  (await call('GET', `/api/sessions/${id}`)).json<Session>().students.map((st) => st.name);

/** Runs `body` with sessions it opens; whatever happens, they are ended (their labs destroyed) and no namespace stays. */
async function withSessions(body: (open: (b?: object) => Promise<Session>) => Promise<void>): Promise<void> {
  const opened: Session[] = [];
  try {
    await body(async (b) => {
      const session = await open(b);
      opened.push(session);
      return session;
    });
  } finally {
    for (const o of opened) await call('DELETE', `/api/sessions/${o.id}`);
    await call('DELETE', '/api/labs/desk');
  }
  expect(await listNamespaces(PREFIX)).toEqual([]);
}

describe('names in a session', () => {
  it('refuses a name already taken (in any case), saying so; no lab is made; another session may use it', () =>
    withSessions(async (open) => {
      const session = await open();
      const ana = await join(session.code, 'Ana');
      expect(ana.statusCode, ana.body).toBe(200);
      for (const again of ['Ana', '  ana ', 'ANA']) {
        const r = await join(session.code, again);
        expect(r.statusCode, r.body).toBe(409);
        expect(r.json()).toMatchObject({
          code: 'name-taken',
          error: expect.stringMatching(/^the name .* is taken in this session: choose another/),
        });
      }
      expect(await names(session.id)).toEqual(['Ana']);
      expect(await listNamespaces(`${PREFIX}s${session.code.toLowerCase()}-02.`)).toEqual([]);

      const other = await open();
      expect((await join(other.code, 'Ana')).statusCode).toBe(200);
    }));

  it('gives the seat back to the browser that holds its token (even locked or full); not to another token, nor after removal', () =>
    withSessions(async (open) => {
      const session = await open({ seatLimit: 2 });
      const ana = (await join(session.code, 'Ana')).json<Joined>();
      const bea = (await join(session.code, 'Bea')).json<Joined>();
      const before = await listNamespaces(`${PREFIX}${ana.lab}.`);
      expect(before).toHaveLength(3);
      expect((await call('PATCH', `/api/sessions/${session.id}`, { locked: true })).statusCode).toBe(200);

      // A reload of the join page in Ana's browser: her seat, her lab, her token, nothing new made.
      const again = await join(session.code, 'ana', ana.token);
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json()).toEqual(ana);
      expect(await listNamespaces(`${PREFIX}${ana.lab}.`)).toEqual(before);
      expect(await names(session.id)).toEqual(['Ana', 'Bea']);

      // Bea's token does not buy Ana's seat; a malformed one is no token at all.
      for (const token of [bea.token, 'not a token']) {
        const r = await join(session.code, 'Ana', token);
        expect(r.statusCode, r.body).toBe(409);
        expect(r.json()).toMatchObject({ code: 'name-taken' });
      }
      // Ana's token under another name is a new student: refused here because the session is locked.
      expect((await join(session.code, 'Cleo', ana.token)).json()).toMatchObject({ code: 'session-locked' });

      // Removed, Ana's token no longer holds a seat; her name is free for a new join.
      expect((await call('DELETE', `/api/sessions/${session.id}/students/${ana.student}`)).statusCode).toBe(200);
      expect(await listNamespaces(`${PREFIX}${ana.lab}.`)).toEqual([]);
      expect((await call('PATCH', `/api/sessions/${session.id}`, { locked: false })).statusCode).toBe(200);
      const back = await join(session.code, 'Ana', ana.token);
      expect(back.statusCode, back.body).toBe(200);
      expect(back.json<Joined>().lab).not.toBe(ana.lab);
      expect(back.json<Joined>().token).not.toBe(ana.token);

      // Once the session ended, no seat comes back.
      const newAna = back.json<Joined>();
      expect((await call('DELETE', `/api/sessions/${session.id}`)).statusCode).toBe(200);
      expect((await join(session.code, 'Ana', newAna.token)).statusCode).toBe(410);
    }));
});

describe('labs of students', () => {
  it("lists a student's lab with its student and session; other labs without; a student sees only theirs", () =>
    withSessions(async (open) => {
      const session = await open();
      const ana = (await join(session.code, 'Ana')).json<Joined>();
      const plain = { name: 'desk', nodes: { ns1: { kind: 'netns' } }, links: [] };
      expect((await call('PUT', '/api/labs/desk', plain)).statusCode).toBe(200);
      const { labs } = (await call('GET', '/api/labs')).json<LabList>();
      expect(labs.find((l) => l.name === ana.lab)?.student).toEqual({
        session: session.id,
        code: session.code,
        exercise: session.scenario.title,
        student: ana.student,
        name: 'Ana',
      });
      expect(labs.find((l) => l.name === 'desk')).toBeDefined();
      expect(labs.find((l) => l.name === 'desk')?.student).toBeUndefined();
      const own = (await call('GET', '/api/labs', undefined, as(ana.token))).json<LabList>();
      expect(own.labs.map((l) => [l.name, l.student?.name])).toEqual([[ana.lab, 'Ana']]);
    }));
});

describe('where the server listens', () => {
  it('says the address it is bound to, whether only this machine reaches it, and its host name', async () => {
    const status = (await call('GET', '/api/status')).json<ServerStatus>();
    expect(status.listen).toEqual({
      address: '127.0.0.1',
      port,
      loopbackOnly: true,
      hostName: expect.any(String),
      https: false,
    });
    expect(status.listen?.hostName.length).toBeGreaterThan(0);
  });
});
