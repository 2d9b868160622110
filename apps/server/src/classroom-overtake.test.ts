// A student's fix while a stale check run is in flight, against the real kernel (prefix pbsot-):
// the stale run (it read the lab before the fix) is overtaken — never reported — and every result
// the student and the request's caller get after the fix is of a run that started after it, green
// at once or after one settling repeat. Before overtaking, the
// stale run's failing result came first, once its failing pings had waited out their deadline,
// and the passing run followed only after the change's debounce and the queue.
import { runInNamespace } from '@patchbay/kernel';
import type { CheckRun, Joined, Session } from '@patchbay/protocol';
import { compile, type Lab } from '@patchbay/topology';
import { afterEach, describe, expect, it } from 'vitest';
import { auth, liveServer } from './test-support.js';

const PREFIX = 'pbsot-';
// No periodic runs: every run of the test is one it caused.
const served = liveServer(PREFIX, { exercises: { periodicMs: 600_000 } }, undefined, { example: false });
const opened: Session[] = [];
afterEach(async () => {
  for (const session of opened.splice(0)) await call('DELETE', `/api/sessions/${session.id}`);
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const call = (method: 'GET' | 'POST' | 'DELETE', path: string, payload?: object, headers = auth) =>
  served.server.app.inject({ method, url: path, headers, ...(payload ? { payload } : {}) });

describe('a fix while a stale check run is in flight', () => {
  it('overtakes the stale run: it is never sent; the fresh run (or its one settling repeat) is green', async () => {
    const created = await call('POST', '/api/sessions', { scenario: 'link-down' });
    expect(created.statusCode, created.body).toBe(201);
    const session = created.json<Session>();
    opened.push(session);
    const joined = await served.server.app.inject({
      method: 'POST',
      url: '/api/join',
      payload: { code: session.code, name: 'Ada' },
    });
    expect(joined.statusCode, joined.body).toBe(200);
    const ada = joined.json<Joined>();
    const student = await served.connected(ada.token);
    const results: CheckRun[] = [];
    student.on('exercise:results', (e) => results.push(e));
    expect(await student.emitWithAck('exercise:subscribe', { lab: ada.lab })).toMatchObject({ ok: true });
    const hub = served.server.app.exercises;
    // The join's own run first (failing: db's eth0 is down), so nothing else is in flight.
    await expect.poll(() => results.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => hub.watch.isRunning(ada.lab)).toBe(false);
    expect(results.at(-1)!.passed).toBeLessThan(results.at(-1)!.total);

    const lab = (await call('GET', `/api/labs/${ada.lab}`, undefined, as(ada.token))).json<Lab>();
    const dbNamespace = compile(lab, PREFIX).names.nodeNamespace['db']!;
    const asked = call('POST', `/api/labs/${ada.lab}/checks`, undefined, as(ada.token));
    // The run reads db's eth0 as down first, then waits on its failing ping: fix the lab then.
    await expect.poll(() => hub.watch.isRunning(ada.lab)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    const seenBeforeFix = results.length;
    const fixed = await runInNamespace(dbNamespace, 'ip', ['link', 'set', 'eth0', 'up']);
    expect(fixed.code, fixed.stderr).toBe(0);

    const answer = await asked;
    expect(answer.statusCode, answer.body).toBe(200);
    const run = answer.json<CheckRun>();
    const sawEthUp = (r: CheckRun) => r.results.find((c) => c.id === 'db-eth0-up')?.pass;
    // The caller asked before the fix, and is answered by the run that started after it.
    expect(sawEthUp(run)).toBe(true);
    // Green follows: that run, or the one repeat after it when the kernel was still settling (the
    // neighbour for db resolved again on its retransmit timer) — without waiting for Enter or a tick.
    await expect
      .poll(() => results.slice(seenBeforeFix).some((r) => r.passed === r.total), { timeout: 10_000 })
      .toBe(true);
    // The stale run would have ended by now (its pings wait at most ~1.2 s): it never reports.
    await new Promise((r) => setTimeout(r, 1500));
    const after = results.slice(seenBeforeFix);
    expect(after.map(sawEthUp)).toEqual(after.map(() => true));
    expect(after.length).toBeLessThanOrEqual(2);
    expect(after.at(-1)).toMatchObject({ lab: ada.lab, passed: run.total, total: run.total });
    student.disconnect();
  });
});
