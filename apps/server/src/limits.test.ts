// Rate limits and quotas: the REST token bucket (429 + Retry-After), the per-connection event
// bucket (a refused ack, never silence), a student's concurrent pings and lab size, the capture
// length cap; and PATCHBAY_LIMITS parsing.
import { DEFAULT_SANDBOX_LIMITS, listNamespaces } from '@patchbay/kernel';
import { describe, expect, it } from 'vitest';
import { addressKey, DEFAULT_LIMITS, limitsFromEnv, Quotas, sandboxLimitsOf, TokenBucket } from './limits.js';
import { auth, exampleText, liveServer, streamId, type LiveClient } from './test-support.js';

const STUDENT = 'pbs9-student-token-0123456789';
const live = liveServer('pbs9-', undefined, {
  requestsPerSecond: 1,
  requestBurst: 3,
  eventsPerSecond: 1,
  eventBurst: 4,
  studentPings: 1,
  studentNodesPerLab: 2,
  captureMaxSeconds: 10,
  studentIdleSeconds: 1,
});

async function connect(token?: string): Promise<LiveClient> {
  const c = live.client(token ? { token } : undefined);
  await new Promise<void>((resolve, reject) => {
    c.once('connect', resolve);
    c.once('connect_error', reject);
  });
  return c;
}

describe('limits', () => {
  it('reads PATCHBAY_LIMITS over the defaults and refuses bad values with the reason', () => {
    expect(limitsFromEnv(undefined)).toEqual(DEFAULT_LIMITS);
    expect(limitsFromEnv('{"studentTerminals": 1}')).toEqual({ ...DEFAULT_LIMITS, studentTerminals: 1 });
    expect(() => limitsFromEnv('{"studentTerminals": -1}')).toThrow(/studentTerminals/);
    expect(() => limitsFromEnv('{"nope": 1}')).toThrow(/not valid/);
    expect(() => limitsFromEnv('[1]')).toThrow(/not valid/);
    expect(() => limitsFromEnv('{')).toThrow(/not JSON/);
    expect(() => limitsFromEnv('{"sessionSeats": 80, "sessionSeatsMax": 50}')).toThrow(/sessionSeats/);
    expect(limitsFromEnv('{"joinsPerMinute": 2, "sessionIdleSeconds": 0}')).toMatchObject({
      joinsPerMinute: 2,
      sessionIdleSeconds: 0,
    });
  });

  it('keys client addresses: IPv4 as it is, IPv4-mapped as IPv4, IPv6 by its /64', () => {
    expect(addressKey('10.1.2.3')).toBe('a:10.1.2.3');
    expect(addressKey('::ffff:10.1.2.3')).toBe('a:10.1.2.3');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('a:2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('a:2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('a:2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('a:0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('a:fe80:0:0:0::/64');
  });

  it("reads the students' sandbox limits (processes, memory, CPU weight and ceiling, open files) and hands them to the engine", () => {
    const l = limitsFromEnv(
      '{"studentProcesses": 128, "studentMemoryMiB": 256, "studentCpuWeight": 50, "studentCpuPercent": 0, "studentOpenFiles": 4096}',
    );
    expect(sandboxLimitsOf(l)).toEqual({
      processes: 128,
      memoryMiB: 256,
      cpuWeight: 50,
      cpuPercent: 0,
      openFiles: 4096,
    });
    expect(sandboxLimitsOf(DEFAULT_LIMITS)).toEqual(DEFAULT_SANDBOX_LIMITS);
    expect(() => limitsFromEnv('{"studentProcesses": 4}')).toThrow(/studentProcesses/); // a shell needs more
    expect(() => limitsFromEnv('{"studentMemoryMiB": 0.5}')).toThrow(/studentMemoryMiB/);
    expect(() => limitsFromEnv('{"studentCpuWeight": 20000}')).toThrow(/studentCpuWeight/);
    expect(live.server.engine.settings.sandboxLimits).toEqual(DEFAULT_SANDBOX_LIMITS); // none given to this server
  });

  it('a token bucket allows its burst, then its rate', () => {
    const b = new TokenBucket(0.5, 2); // slow enough that no token comes back while the test runs
    expect([b.take(), b.take(), b.take()]).toEqual([true, true, false]);
    expect(b.retryAfterS).toBe(2);
  });

  it("a student's capture starts are bounded per minute (burst, then the rate); instructors are not", () => {
    const q = new Quotas({ ...DEFAULT_LIMITS, studentCaptureStartsPerMinute: 1, studentCaptureStartBurst: 2 });
    const a = { role: 'student' as const, lab: 'a' };
    expect([q.startCapture(a), q.startCapture(a)]).toEqual([undefined, undefined]);
    expect(q.startCapture(a)).toMatch(
      /^quota: a student may start at most 1 capture a minute \(2 at once\); retry in \d+ s$/,
    );
    expect(q.startCapture({ role: 'student', lab: 'b' })).toBeUndefined(); // each lab its own
    for (let i = 0; i < 10; i++) expect(q.startCapture({ role: 'instructor' })).toBeUndefined();
  });

  it('quotas count per student lab, release once, and do not bound instructors', () => {
    const q = new Quotas({ ...DEFAULT_LIMITS, studentCaptures: 1 });
    const s = { role: 'student' as const, lab: 'a' };
    const first = q.acquire(s, 'capture');
    expect(typeof first).toBe('function');
    expect(q.acquire(s, 'capture')).toEqual({ error: 'quota: a student may run at most 1 capture at a time' });
    expect(typeof q.acquire({ role: 'student', lab: 'b' }, 'capture')).toBe('function');
    (first as () => void)();
    (first as () => void)();
    expect(typeof q.acquire(s, 'capture')).toBe('function');
    expect(typeof q.acquire(s, 'capture')).toBe('object');
    for (let i = 0; i < 10; i++) expect(typeof q.acquire({ role: 'instructor' }, 'capture')).toBe('function');
  });

  it('answers 429 with Retry-After beyond the REST rate; each token has its own bucket; health is exempt', async () => {
    const { app } = live.server;
    await app.store.tokens.add(STUDENT, 'student', 'two-containers');
    const codes = [];
    for (let i = 0; i < 5; i++)
      codes.push((await app.inject({ method: 'GET', url: '/api/labs', headers: auth })).statusCode);
    expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
    const limited = await app.inject({ method: 'GET', url: '/api/labs', headers: auth });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json()).toMatchObject({ code: 'rate-limited', error: expect.stringContaining('too many requests') });
    expect(
      (await app.inject({ method: 'GET', url: '/api/labs', headers: { authorization: `Bearer ${STUDENT}` } }))
        .statusCode,
    ).toBe(200);
    for (let i = 0; i < 10; i++) expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });

  it("a student's lab may not exceed its node quota (nothing changed)", async () => {
    const { app } = live.server;
    const res = await app.inject({
      method: 'PUT',
      url: '/api/labs/two-containers',
      headers: { authorization: `Bearer ${STUDENT}`, 'content-type': 'application/yaml' },
      payload: exampleText('two-containers.yaml'),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'quota', error: expect.stringContaining('at most 2 nodes') });
  });

  it("refuses a student's second concurrent ping, a too long capture, and events beyond the rate (with an ack)", async () => {
    const c = await connect(STUDENT);
    const first = await c.emitWithAck('ping:start', {
      id: streamId(),
      lab: 'two-containers',
      node: 'ns-web',
      target: '192.168.100.20',
      count: 2,
      intervalMs: 200,
    });
    expect(first).toMatchObject({ ok: true });
    expect(
      await c.emitWithAck('ping:start', {
        id: streamId(),
        lab: 'two-containers',
        node: 'ns-web',
        target: '192.168.100.20',
        count: 1,
      }),
    ).toEqual({
      ok: false,
      error: 'quota: a student may run at most 1 ping at a time',
    });
    expect(
      await c.emitWithAck('capture:start', {
        id: streamId(),
        lab: 'two-containers',
        node: 'ns-db',
        limits: { seconds: 20 },
      }),
    ).toMatchObject({ ok: false, error: expect.stringContaining('at most 10 s') });
    // Spend what is left of the burst (4 at most): the next event is refused through its ack.
    for (let i = 0; i < 5; i++) c.emit('tables:unsubscribe', { lab: 'two-containers' });
    const refused = await c.emitWithAck('tables:subscribe', { lab: 'two-containers' });
    expect(refused).toMatchObject({ ok: false, error: expect.stringContaining('rate limited') });
    await new Promise((r) => setTimeout(r, 1500));
    expect(
      await c.emitWithAck('ping:start', {
        id: streamId(),
        lab: 'two-containers',
        node: 'ns-web',
        target: '192.168.100.20',
        count: 1,
      }),
    ).toMatchObject({ ok: true });
  });

  it("destroys a student's lab once it has been idle (no request, no connection) for studentIdleSeconds", async () => {
    const { app } = live.server;
    const c = await connect(STUDENT);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await app.activity.sweep()).toEqual([]); // connected: never idle
    c.disconnect();
    await new Promise((r) => setTimeout(r, 300));
    expect(await app.activity.sweep()).toEqual([]); // disconnecting counts as activity
    await new Promise((r) => setTimeout(r, 1200));
    expect(await app.activity.sweep()).toEqual(['two-containers']);
    expect(await listNamespaces('pbs9-two-containers.')).toEqual([]);
    expect(
      (await app.inject({ method: 'GET', url: '/api/labs', headers: { authorization: `Bearer ${STUDENT}` } })).json(),
    ).toEqual({ labs: [] });
  });
});
