// Captures over socket.io against the real kernel: ICMP lines with timestamps, the pcap download read
// back by tcpdump, limits, subscribers, bad input, a flood that stays within bounded memory and
// reports drops, and no tcpdump left behind by a destroyed lab or a closed server.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNamespace } from '@patchbay/kernel';
import type { CaptureLine, CaptureStartInput, CaptureStatus, LiveAck } from '@patchbay/protocol';
import { parseLabText } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { auth, exampleText, liveServer, streamId, type LiveClient } from './test-support.js';

const RING_BYTES = 256 * 1024;
const BATCH = 64;
const INFLIGHT = 2;
const STUDENT_PACKETS_PER_SECOND = 100;
const live = liveServer('pbs5-', {
  captures: {
    ringBytes: RING_BYTES,
    batchLines: BATCH,
    inflightBatches: INFLIGHT,
    statusIntervalMs: 200,
    studentPacketsPerSecond: STUDENT_PACKETS_PER_SECOND,
  },
});
const STUDENT = 'pbs5-student-token-0123456789';
const LAB = 'two-containers';
const NS_WEB = 'pbs5-two-containers.ns-web';
const NS_DB = 'pbs5-two-containers.ns-db';

async function connect(): Promise<LiveClient> {
  const c = live.client();
  await new Promise<void>((resolve, reject) => {
    c.once('connect', resolve);
    c.once('connect_error', reject);
  });
  return c;
}

/** A subscriber that records lines and statuses; `ack: false` never acknowledges (a stuck client). */
function watch(c: LiveClient, opts: { ack: boolean } = { ack: true }) {
  const lines: CaptureLine[] = [];
  const statuses: CaptureStatus[] = [];
  let batches = 0;
  c.on('capture:lines', (e, ack) => {
    batches++;
    lines.push(...e.lines);
    if (opts.ack) ack();
  });
  c.on('capture:status', (s) => statuses.push(s));
  return {
    lines,
    statuses,
    get batches() {
      return batches;
    },
    ended: () => statuses.find((s) => s.state === 'ended'),
  };
}

async function start(c: LiveClient, payload: Omit<CaptureStartInput, 'id'>): Promise<string> {
  const ack = await c.emitWithAck('capture:start', { id: streamId(), ...payload });
  if (!ack.ok) throw new Error(ack.error);
  return ack.id;
}

const ping = (from: string, to: string, count = 2) =>
  runInNamespace(from, 'ping', ['-c', String(count), '-i', '0.2', '-W', '2', to]);
const pids = (ns: string): string => execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).trim();

describe('captures over socket.io', () => {
  it('streams the ICMP lines of a ping with timestamps; the pcap download reads back with tcpdump -r', async () => {
    const c = await connect();
    const w = watch(c);
    const id = await start(c, { lab: LAB, node: 'ns-db', interface: 'veth-db', filter: 'icmp' });
    const before = Date.now();
    await ping(NS_WEB, '192.168.100.20', 3);
    await expect.poll(() => w.lines.length, { timeout: 5000 }).toBeGreaterThanOrEqual(6);
    const requests = w.lines.filter((l) => /192\.168\.100\.10 > 192\.168\.100\.20: ICMP echo request/.test(l.text));
    expect(requests).toHaveLength(3);
    for (const l of w.lines) expect(Math.abs(l.ts! - before)).toBeLessThan(30_000);

    c.emit('capture:stop', { id });
    await expect.poll(() => w.ended(), { timeout: 5000 }).toBeDefined();
    expect(w.ended()).toMatchObject({
      id,
      reason: 'stopped',
      packets: 6,
      interface: 'veth-db',
      kernelDropped: 0,
      decoderDropped: 0,
      dropped: 0,
    });

    const res = await live.server.app.inject({
      method: 'GET',
      url: `/api/labs/${LAB}/captures/${id}/pcap`,
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.tcpdump.pcap');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="two-containers-ns-db-veth-db-\d{8}T\d{6}Z\.pcap"$/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-pcap-'));
    try {
      writeFileSync(join(dir, 'c.pcap'), res.rawPayload);
      const text = execFileSync('tcpdump', ['-r', join(dir, 'c.pcap'), '-nn'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      expect(text.split('\n').filter((l) => /ICMP echo re(quest|ply)/.test(l))).toHaveLength(6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const list = await live.server.app.inject({ method: 'GET', url: `/api/labs/${LAB}/captures`, headers: auth });
    expect(list.json().captures.find((x: { id: string }) => x.id === id)).toMatchObject({
      state: 'ended',
      pcapPackets: 6,
    });
    expect(
      (await live.server.app.inject({ method: 'GET', url: `/api/labs/${LAB}/captures/${id}/pcap` })).statusCode,
    ).toBe(401);
  });

  it("is named by its starter's id: lines and status carry it, the pcap is at it, another connection cannot take it", async () => {
    const c = await connect();
    const w = watch(c);
    const id = streamId();
    const events: string[] = [];
    c.on('capture:lines', (e) => events.push(e.id));
    c.on('capture:status', (e) => events.push(e.id));
    expect(
      await c.emitWithAck('capture:start', { id, lab: LAB, node: 'ns-db', interface: 'veth-db', filter: 'icmp' }),
    ).toEqual({ ok: true, id });
    await ping(NS_WEB, '192.168.100.20', 1);
    await expect.poll(() => w.lines.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    // A capture's id names it on the server: another connection's start with it is refused, and
    // this connection may not use it again either.
    const other = await connect();
    expect(await other.emitWithAck('capture:start', { id, lab: LAB, node: 'ns-web' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/names another capture on this server/),
      problems: [{ path: 'id', code: 'stream.id-taken' }],
    });
    expect(await c.emitWithAck('capture:start', { id, lab: LAB, node: 'ns-web' })).toMatchObject({
      ok: false,
      problems: [{ code: 'stream.id-reused' }],
    });
    expect(await c.emitWithAck('capture:start', { id: 'no', lab: LAB, node: 'ns-web' })).toMatchObject({
      ok: false,
      problems: [{ path: 'id' }],
    });
    c.emit('capture:stop', { id });
    await expect.poll(() => w.ended(), { timeout: 5000 }).toMatchObject({ id, reason: 'stopped' });
    expect(new Set(events)).toEqual(new Set([id]));
    expect(live.server.app.captures.list(LAB).filter((x) => x.state === 'running')).toEqual([]);
    const res = await live.server.app.inject({
      method: 'GET',
      url: `/api/labs/${LAB}/captures/${id}/pcap`,
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
  });

  it('captures on a bridge in its host by default, with link headers on request', async () => {
    const c = await connect();
    const w = watch(c);
    await start(c, { lab: LAB, node: 'br0', filter: 'icmp', linkHeaders: true, limits: { packets: 4 } });
    // Pinging the bridge's own address: the packets cross the bridge device itself.
    await ping(NS_WEB, '192.168.100.1', 2);
    await expect.poll(() => w.ended(), { timeout: 5000 }).toBeDefined();
    expect(w.ended()).toMatchObject({ interface: 'br0', reason: 'packets', packets: 4 });
    const mac = '[0-9a-f]{2}(?::[0-9a-f]{2}){5}';
    const request = new RegExp(
      `^${mac} > ${mac}, ethertype IPv4 \\(0x0800\\), length \\d+: 192\\.168\\.100\\.10 > 192\\.168\\.100\\.1: ICMP echo request`,
    );
    expect(w.lines.filter((l) => request.test(l.text))).toHaveLength(2);
  });

  it('ends at its packet and time limits', async () => {
    const c = await connect();
    const w = watch(c);
    await start(c, { lab: LAB, node: 'ns-db', interface: 'veth-db', filter: 'icmp', limits: { packets: 3 } });
    await ping(NS_WEB, '192.168.100.20', 3);
    await expect.poll(() => w.ended(), { timeout: 5000 }).toBeDefined();
    expect(w.ended()).toMatchObject({ reason: 'packets', packets: 3 });

    const t = watch(await connect());
    const c2 = await connect();
    c2.on('capture:status', (s) => t.statuses.push(s));
    await start(c2, { lab: LAB, node: 'ns-db', limits: { seconds: 1 } });
    await expect.poll(() => t.ended(), { timeout: 5000 }).toBeDefined();
    expect(t.ended()).toMatchObject({ reason: 'seconds', interface: 'any' });
  });

  it('lives while someone subscribes, and dies with its last subscriber', async () => {
    const a = await connect();
    const b = await connect();
    const wb = watch(b);
    const id = await start(a, { lab: LAB, node: 'ns-db', interface: 'veth-db' });
    expect(await b.emitWithAck('capture:subscribe', { id })).toEqual({ ok: true, id });
    expect(pids(NS_DB)).not.toBe('');
    a.disconnect();
    await new Promise((r) => setTimeout(r, 300));
    expect(wb.ended()).toBeUndefined();
    b.emit('capture:unsubscribe', { id });
    await expect
      .poll(() => live.server.app.captures.list(LAB).find((x) => x.id === id)?.state, { timeout: 5000 })
      .toBe('ended');
    expect(live.server.app.captures.list(LAB).find((x) => x.id === id)?.reason).toBe('unsubscribed');
    expect(pids(NS_DB)).toBe('');
  });

  it('refuses bad input with a clear error and starts nothing', async () => {
    const c = await connect();
    const startRaw = (p: Record<string, unknown>): Promise<LiveAck> =>
      c.emitWithAck('capture:start', { id: streamId(), ...p } as unknown as CaptureStartInput);
    const syntax = await startRaw({ lab: LAB, node: 'ns-db', filter: 'icmp and and' });
    expect(syntax).toMatchObject({ ok: false, error: expect.stringMatching(/tcpdump: .*syntax error/) });
    expect(await startRaw({ lab: LAB, node: 'ns-db', filter: 'icmp\n-w /tmp/x' })).toMatchObject({
      ok: false,
      problems: [{ path: 'filter' }],
    });
    expect(await startRaw({ lab: LAB, node: 'ns-db', interface: '-w' })).toMatchObject({
      ok: false,
      problems: [{ path: 'interface' }],
    });
    expect(await startRaw({ lab: LAB, node: 'ns-db', interface: 'eth9' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('eth9'),
    });
    expect(await startRaw({ lab: LAB, node: 'nope' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('no node named nope'),
    });
    expect(await startRaw({ lab: 'nope', node: 'x' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('no lab named nope'),
    });
    expect(await startRaw({ lab: LAB, node: 'ns-db', limits: { seconds: 0 } })).toMatchObject({
      ok: false,
      problems: [{ path: 'limits.seconds' }],
    });
    expect(await startRaw({ lab: LAB, node: 'ns-db', extra: 1 })).toMatchObject({ ok: false });
    expect(await c.emitWithAck('capture:subscribe', { id: 'nope' })).toMatchObject({ ok: false });
    const res = await live.server.app.inject({
      method: 'GET',
      url: `/api/labs/${LAB}/captures/00000000-0000-0000-0000-000000000000/pcap`,
      headers: auth,
    });
    expect(res.statusCode).toBe(404);
    expect(
      (
        await live.server.app.inject({
          method: 'GET',
          url: `/api/labs/${LAB}/captures/..%2F..%2Fetc/pcap`,
          headers: auth,
        })
      ).statusCode,
    ).toBe(400);
    expect(pids(NS_DB)).toBe('');
    expect(live.server.app.captures.list(LAB).every((x) => x.state === 'ended')).toBe(true);
  });

  it('keeps memory bounded under a flood with a client that never acknowledges, and counts the drops', async () => {
    const c = await connect();
    const w = watch(c, { ack: false });
    const heapBefore = process.memoryUsage().heapUsed;
    const id = await start(c, { lab: LAB, node: 'ns-db', interface: 'veth-db' });
    // ~2 s of flood ping with 1000-byte payloads: tens of thousands of packets, many MB of pcap.
    await runInNamespace(NS_WEB, 'ping', ['-f', '-q', '-s', '1000', '-w', '2', '192.168.100.20'], {
      timeoutMs: 10_000,
    });
    const status = await (async () => {
      c.emit('capture:stop', { id });
      await expect.poll(() => w.ended(), { timeout: 5000 }).toBeDefined();
      return w.ended()!;
    })();
    expect(status.packets).toBeGreaterThan(5000);
    expect(status.bytes).toBeGreaterThan(5 * RING_BYTES);
    // The client got at most its credit of batches; everything else was dropped and counted.
    expect(w.batches).toBeLessThanOrEqual(INFLIGHT);
    expect(w.lines.length).toBeLessThanOrEqual(INFLIGHT * BATCH);
    expect(status.dropped + status.decoderDropped).toBeGreaterThan(status.packets / 2);
    // The pcap kept is the ring: at most its size plus one pipe chunk.
    expect(status.pcapBytes).toBeLessThanOrEqual(RING_BYTES + 65536 + 24);
    expect(status.pcapPackets).toBeLessThan(status.packets);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it("reads a student's captures at most at the student's packet rate (the kernel keeps or drops the rest); an instructor's in full", async () => {
    await live.server.app.store.tokens.add(STUDENT, 'student', LAB);
    const student = await live.connected(STUDENT);
    const instructor = await connect();
    const ws = watch(student);
    const wi = watch(instructor);
    const sid = await start(student, { lab: LAB, node: 'ns-db', interface: 'veth-db', filter: 'icmp' });
    const iid = await start(instructor, { lab: LAB, node: 'ns-db', interface: 'veth-db', filter: 'icmp' });
    // 2 s of ping at 500/s: ~2,000 packets on veth-db (requests and replies); 1 kB each, so the pipe
    // the server stops reading holds few of them (a full pipe is read at once when reading resumes)
    await runInNamespace(NS_WEB, 'ping', ['-q', '-i', '0.002', '-s', '1000', '-w', '2', '192.168.100.20'], {
      timeoutMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 500));
    const read = (w: ReturnType<typeof watch>) => w.statuses.at(-1)?.packets ?? 0;
    // 2.5 s at 100/s after a one-second burst, and what the last read before a pause held
    expect(read(wi)).toBeGreaterThan(1500);
    expect(read(ws)).toBeLessThan(STUDENT_PACKETS_PER_SECOND * 3.5 + 150);
    expect(ws.statuses.at(-1)).toMatchObject({ readLimit: STUDENT_PACKETS_PER_SECOND });
    expect(ws.statuses.at(-1)!.readPausedMs).toBeGreaterThan(1000);
    expect(wi.statuses.at(-1)!.readLimit).toBeUndefined();
    for (const [c, id, w] of [
      [student, sid, ws],
      [instructor, iid, wi],
    ] as const) {
      c.emit('capture:stop', { id });
      await expect.poll(() => w.ended(), { timeout: 5000 }).toBeDefined();
    }
    expect(ws.ended()!.reason).toBe('stopped');
    expect(pids(NS_DB)).toBe('');
  });

  it('stops captures in namespaces an apply removes or a destroy takes, leaving no namespace alive', async () => {
    const text = exampleText('two-containers.yaml').replace('name: two-containers', 'name: cap-b');
    const lab = parseLabText(text).lab!;
    await live.server.engine.apply(lab);
    const c = await connect();
    const w = watch(c);
    await start(c, { lab: 'cap-b', node: 'ns-db' });
    const wWeb = watch(await connect());
    const c2 = await connect();
    c2.on('capture:status', (s) => wWeb.statuses.push(s));
    await start(c2, { lab: 'cap-b', node: 'ns-web' });

    // An apply without ns-db: its capture stops first, ns-web's keeps running.
    const withoutDb = parseLabText(
      text.replace(/\n {2}ns-db:\n(?: {4}.*\n)+/, '\n').replace(/\n {2}- a: \{ node: ns-db.*\n.*\n/, '\n'),
    ).lab!;
    expect(Object.keys(withoutDb.nodes)).not.toContain('ns-db');
    const put = await live.server.app.inject({
      method: 'PUT',
      url: '/api/labs/cap-b',
      headers: auth,
      payload: withoutDb,
    });
    expect(put.statusCode).toBe(200);
    expect(w.ended()).toMatchObject({ reason: 'lab-changed' });
    expect(wWeb.ended()).toBeUndefined();

    const del = await live.server.app.inject({ method: 'DELETE', url: '/api/labs/cap-b', headers: auth });
    expect(del.statusCode).toBe(200);
    await expect.poll(() => wWeb.ended(), { timeout: 5000 }).toMatchObject({ reason: 'lab-changed' });
    const lsns = execFileSync('lsns', ['-t', 'net', '-n', '-o', 'NSFS,COMMAND'], { encoding: 'utf8' });
    expect(lsns).not.toMatch(/cap-b|tcpdump/);
    expect(live.server.app.captures.list('cap-b')).toEqual([]);
  });

  it('closing the server stops its captures and leaves no tcpdump', async () => {
    const c = await connect();
    await start(c, { lab: LAB, node: 'ns-db', interface: 'veth-db' });
    await start(c, { lab: LAB, node: 'ns-web' });
    expect(pids(NS_DB)).not.toBe('');
    await live.server.app.close();
    expect(pids(NS_DB)).toBe('');
    expect(pids(NS_WEB)).toBe('');
  });
});
