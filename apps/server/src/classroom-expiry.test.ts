// Idle class sessions end, against the real kernel (prefix pbs14-; the idle time shortened to 1 s):
// a connected student or an open dashboard keeps a session alive, any request about it counts as
// activity, and once nobody used it for the idle time it ends as if its instructor had ended it —
// labs destroyed, tokens revoked, joins refused, the dashboard told why.
import { listNamespaces } from '@patchbay/kernel';
import type { Joined, Session, SessionEndedEvent } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { auth, liveServer, TOKEN } from './test-support.js';

const PREFIX = 'pbs14-';
// studentIdleSeconds 0: only the session's expiry removes labs here.
const served = liveServer(
  PREFIX,
  { exercises: { periodicMs: 600_000 } },
  { sessionIdleSeconds: 1, studentIdleSeconds: 0 },
  { example: false },
);

const idle = () => new Promise((r) => setTimeout(r, 1300));
const as = (token: string) => ({ authorization: `Bearer ${token}` });

const connect = (token: string) => served.connected(token);

describe('idle sessions', () => {
  it('ends a session nobody used for sessionIdleSeconds: its labs go, its tokens stop, joins are refused', async () => {
    const session = (
      await served.server.app.inject({
        method: 'POST',
        url: '/api/sessions',
        headers: auth,
        payload: { scenario: 'link-down' },
      })
    ).json<Session>();
    const joined = await served.server.app.inject({
      method: 'POST',
      url: '/api/join',
      payload: { code: session.code, name: 'Ada' },
    });
    expect(joined.statusCode, joined.body).toBe(200);
    const ada = joined.json<Joined>();
    expect(await listNamespaces(`${PREFIX}${ada.lab}.`)).toHaveLength(3);

    // A connected student keeps it alive, however long.
    const student = await connect(ada.token);
    await idle();
    expect(await served.server.app.activity.expireSessions()).toEqual([]);
    // So does an open dashboard.
    const teacher = await connect(TOKEN);
    const ended: SessionEndedEvent[] = [];
    teacher.on('session:ended', (e) => ended.push(e));
    expect(await teacher.emitWithAck('session:subscribe', { session: session.id })).toMatchObject({ ok: true });
    student.disconnect();
    await idle();
    expect(await served.server.app.activity.expireSessions()).toEqual([]);
    // The instructor's request about the session counts as activity too (the dashboard goes first).
    teacher.emit('session:unsubscribe', { session: session.id });
    await idle();
    expect(
      (await served.server.app.inject({ method: 'GET', url: `/api/sessions/${session.id}`, headers: auth })).statusCode,
    ).toBe(200);
    expect(await served.server.app.activity.expireSessions()).toEqual([]);
    // So does a student's request.
    await new Promise((r) => setTimeout(r, 700));
    expect(
      (await served.server.app.inject({ method: 'GET', url: `/api/labs/${ada.lab}/exercise`, headers: as(ada.token) }))
        .statusCode,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 700));
    expect(await served.server.app.activity.expireSessions()).toEqual([]);

    // Then nobody: it ends, as if the instructor had ended it.
    expect(await teacher.emitWithAck('session:subscribe', { session: session.id })).toMatchObject({ ok: true });
    teacher.emit('session:unsubscribe', { session: session.id });
    await idle();
    expect(await served.server.app.activity.expireSessions()).toEqual([session.id]);
    expect(await listNamespaces(`${PREFIX}${ada.lab}.`)).toEqual([]);
    expect(
      (await served.server.app.inject({ method: 'GET', url: `/api/labs/${ada.lab}/exercise`, headers: as(ada.token) }))
        .statusCode,
    ).toBe(401);
    const late = await served.server.app.inject({
      method: 'POST',
      url: '/api/join',
      payload: { code: session.code, name: 'Late' },
    });
    expect(late.statusCode, late.body).toBe(410);
    const view = (
      await served.server.app.inject({ method: 'GET', url: `/api/sessions/${session.id}`, headers: auth })
    ).json<Session>();
    expect(view).toMatchObject({ endedAt: expect.any(String), endReason: 'idle', students: [{ name: 'Ada' }] });
    // The dashboard's subscription ended before: a dashboard open at expiry would have kept it. Ended sessions stay ended.
    expect(ended).toEqual([]);
    expect(await served.server.app.activity.expireSessions()).toEqual([]);
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });

  it('ends an empty session too, and never one ended by its instructor twice', async () => {
    const session = (
      await served.server.app.inject({
        method: 'POST',
        url: '/api/sessions',
        headers: auth,
        payload: { scenario: 'link-down' },
      })
    ).json<Session>();
    const other = (
      await served.server.app.inject({
        method: 'POST',
        url: '/api/sessions',
        headers: auth,
        payload: { scenario: 'link-down' },
      })
    ).json<Session>();
    expect(
      (await served.server.app.inject({ method: 'DELETE', url: `/api/sessions/${other.id}`, headers: auth })).json(),
    ).toMatchObject({ destroyed: [] });
    await idle();
    expect(await served.server.app.activity.expireSessions()).toEqual([session.id]);
    const views = (await served.server.app.inject({ method: 'GET', url: '/api/sessions', headers: auth })).json<{
      sessions: Session[];
    }>().sessions;
    expect(views.find((v) => v.id === other.id)?.endReason).toBe('instructor');
    expect(views.find((v) => v.id === session.id)?.endReason).toBe('idle');
  });
});
