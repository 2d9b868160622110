// Pings over socket.io against the real kernel: a real listening server, a real socket.io client.
import { execFileSync } from 'node:child_process';
import type { LiveAck, PingEvent, PingReply, PingStartInput, PingSummary } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { liveServer, streamId, type LiveClient } from './test-support.js';

type Client = LiveClient;
const live = liveServer('pbs3-');
const connect = (auth?: Record<string, unknown>): Client => live.client(auth);

async function connected(c: Client): Promise<void> {
  if (c.connected) return;
  await new Promise<void>((resolve, reject) => {
    c.once('connect', resolve);
    c.once('connect_error', reject);
  });
}

/** Starts a ping and collects its events until the summary. */
async function pingAll(c: Client, payload: Omit<PingStartInput, 'id'>) {
  await connected(c);
  const replies: PingReply[] = [];
  const events: PingEvent[] = [];
  const summary = new Promise<PingSummary>((resolve) => c.on('ping:summary', resolve));
  c.on('ping:reply', (r) => replies.push(r));
  c.on('ping:event', (e) => events.push(e));
  const ack = await c.emitWithAck('ping:start', { id: streamId(), ...payload });
  if (!ack.ok) throw new Error(ack.error);
  return { id: ack.id, replies, events, summary: await summary };
}

const pingProcesses = (): string => {
  try {
    return execFileSync('pgrep', ['-a', '-f', '^ping -n -O -c 50 -i 0\\.2 .*192\\.168\\.100\\.20$'], {
      encoding: 'utf8',
    });
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
};

describe('ping over socket.io', () => {
  it('streams three replies and a summary', async () => {
    const r = await pingAll(connect(), {
      lab: 'two-containers',
      node: 'ns-web',
      target: '192.168.100.20',
      count: 3,
      intervalMs: 200,
    });
    expect(r.replies.map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(r.replies.every((x) => x.id === r.id && x.ttl > 0 && typeof x.rttMs === 'number')).toBe(true);
    expect(r.summary).toMatchObject({
      id: r.id,
      transmitted: 3,
      received: 3,
      lossPercent: 0,
      rttMinMs: expect.any(Number),
    });
  });

  it('reports an unused address as unreachable or timed out', async () => {
    const r = await pingAll(connect(), {
      lab: 'two-containers',
      node: 'ns-web',
      target: '192.168.100.99',
      count: 3,
      intervalMs: 200,
    });
    expect(r.replies).toEqual([]);
    expect(r.events.length).toBeGreaterThan(0);
    for (const e of r.events) expect(['unreachable', 'timeout']).toContain(e.type);
    expect(r.summary).toMatchObject({ received: 0, lossPercent: 100 });
  });

  it('refuses invalid targets, unknown labs and nodes', async () => {
    const c = connect();
    await connected(c);
    const start = (p: Record<string, unknown>): Promise<LiveAck> =>
      c.emitWithAck('ping:start', { id: streamId(), ...p } as unknown as PingStartInput);
    for (const target of ['1.2.3.999', '-f']) {
      const ack = await start({ lab: 'two-containers', node: 'ns-web', target });
      expect(ack).toMatchObject({ ok: false, problems: [expect.objectContaining({ path: 'target' })] });
    }
    expect(await start({ lab: 'two-containers', node: 'ns-web', target: '192.168.100.20', count: 0 })).toMatchObject({
      ok: false,
    });
    expect(await start({ lab: 'nope', node: 'ns-web', target: '192.168.100.20' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('nope'),
    });
    expect(await start({ lab: 'two-containers', node: 'nope', target: '192.168.100.20' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('nope'),
    });
  });

  it("names every event with the client's id; refuses a malformed id and an id used before on the connection", async () => {
    const c = connect();
    await connected(c);
    const id = `ping-${streamId()}`;
    const seen: string[] = [];
    c.on('ping:reply', (r) => seen.push(`reply ${r.id}`));
    const summary = new Promise<PingSummary>((resolve) => c.on('ping:summary', (s) => s.id === id && resolve(s)));
    const ack = await c.emitWithAck('ping:start', {
      id,
      lab: 'two-containers',
      node: 'ns-web',
      target: '192.168.100.20',
      count: 2,
      intervalMs: 200,
    });
    expect(ack).toEqual({ ok: true, id });
    const done = await summary;
    expect(done).toMatchObject({ id, transmitted: 2 });
    // Every reply carried the client's id (a reply may be lost on a busy machine: counted, not assumed).
    expect(seen).toEqual(Array.from({ length: done.received }, () => `reply ${id}`));
    expect(seen.length).toBeGreaterThan(0);

    const start = (p: Record<string, unknown>): Promise<LiveAck> =>
      c.emitWithAck('ping:start', p as unknown as PingStartInput);
    const base = { lab: 'two-containers', node: 'ns-web', target: '192.168.100.20', count: 1, intervalMs: 200 };
    for (const bad of ['short', 'x'.repeat(65), 'has space!', '../../etc', '']) {
      expect(await start({ ...base, id: bad })).toMatchObject({
        ok: false,
        problems: expect.arrayContaining([expect.objectContaining({ path: 'id' })]),
      });
    }
    expect(await start(base)).toMatchObject({
      ok: false,
      problems: expect.arrayContaining([expect.objectContaining({ path: 'id' })]),
    });
    // The id of a ping that ended, and of a start that was refused, cannot name another stream.
    expect(await start({ ...base, id })).toEqual({
      ok: false,
      error: expect.stringMatching(/was used before on this connection: choose a new id/),
      problems: [expect.objectContaining({ path: 'id', code: 'stream.id-reused' })],
    });
    const refusedId = streamId();
    expect(await start({ ...base, id: refusedId, node: 'nope' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('nope'),
    });
    expect(await start({ ...base, id: refusedId })).toMatchObject({
      ok: false,
      problems: [{ code: 'stream.id-reused' }],
    });
    // Another connection may use the same id for its own ping.
    const other = connect();
    await connected(other);
    const otherSummary = new Promise<PingSummary>((resolve) => other.on('ping:summary', resolve));
    expect(await other.emitWithAck('ping:start', { ...base, id })).toEqual({ ok: true, id });
    expect(await otherSummary).toMatchObject({ id });
  });

  it('refuses a connection without a valid token', async () => {
    for (const auth of [{}, { token: 'wrong' }]) {
      const err = await connected(connect(auth)).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/token/);
    }
  });

  it('allows at most 4 pings per socket', async () => {
    const c = connect();
    await connected(c);
    const p = { lab: 'two-containers', node: 'ns-web', target: '192.168.100.20', count: 20, intervalMs: 200 };
    const acks = await Promise.all(
      Array.from({ length: 5 }, () => c.emitWithAck('ping:start', { id: streamId(), ...p })),
    );
    expect(acks.filter((a) => a.ok)).toHaveLength(4);
    expect(acks.filter((a) => !a.ok)[0]).toMatchObject({ error: expect.stringContaining('4') });
    const summaries: PingSummary[] = [];
    const all = new Promise<void>((resolve) => c.on('ping:summary', (x) => summaries.push(x) === 4 && resolve()));
    for (const a of acks) if (a.ok) c.emit('ping:stop', { id: a.id });
    await all;
    expect(summaries.every((x) => x.transmitted < 20)).toBe(true);
  });

  it('kills the ping when the socket disconnects', async () => {
    const c = connect();
    await connected(c);
    const first = new Promise<void>((resolve) => c.once('ping:reply', () => resolve()));
    const ack = await c.emitWithAck('ping:start', {
      id: streamId(),
      lab: 'two-containers',
      node: 'ns-web',
      target: '192.168.100.20',
      count: 50,
      intervalMs: 200,
    });
    expect(ack.ok).toBe(true);
    await first;
    expect(pingProcesses()).toMatch(/ping/);
    c.disconnect();
    await new Promise((r) => setTimeout(r, 1500));
    expect(pingProcesses()).toBe('');
  });
});
