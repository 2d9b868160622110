// Captures' memory is bounded server-wide (PATCHBAY_LIMITS captureMemoryBytes, lowered here): the
// ended captures of several labs together go past the cap, the oldest go to files in the data
// directory and still download whole; running captures that would go past it stop with reason
// `memory`; the figures show in the captures list and in GET /api/status; a destroyed lab's files go.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNamespace } from '@patchbay/kernel';
import type { CaptureInfo, CaptureList, CaptureStatus, ServerStatus } from '@patchbay/protocol';
import { parseLabText } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { auth, exampleText, liveServer, streamId, type LiveClient } from './test-support.js';

const KIB = 1024;
const RING = 96 * KIB;
const CAP = 256 * KIB;
const live = liveServer(
  'pbscm-',
  { captures: { ringBytes: RING, statusIntervalMs: 200 } },
  { captureMemoryBytes: CAP, captureDiskBytes: 64 * 1024 * KIB },
);
const LABS = ['two-containers', 'second'];
const ns = (lab: string, node: string) => `pbscm-${lab}.${node}`;

async function connect(): Promise<LiveClient> {
  const c = live.client();
  await new Promise<void>((resolve, reject) => (c.once('connect', resolve), c.once('connect_error', reject)));
  return c;
}

/** Starts a capture on ns-db's veth; resolves with its id and a getter for its final status. */
async function start(c: LiveClient, lab: string) {
  const id = streamId();
  let ended: CaptureStatus | undefined;
  c.on('capture:status', (s) => {
    if (s.id === id && s.state === 'ended') ended = s;
  });
  c.on('capture:lines', (_e, ack) => ack());
  const ack = await c.emitWithAck('capture:start', { id, lab, node: 'ns-db', interface: 'veth-db', filter: 'icmp' });
  if (!ack.ok) throw new Error(ack.error);
  return { id, ended: () => ended };
}

/** ~80 KiB of ICMP through ns-db's veth (40 requests and 40 replies of 1000 bytes). */
const traffic = (lab: string) =>
  runInNamespace(ns(lab, 'ns-web'), 'ping', ['-c', '40', '-i', '0.01', '-s', '1000', '-q', '192.168.100.20']);

const get = async <T>(url: string): Promise<T> => {
  const res = await live.server.app.inject({ method: 'GET', url, headers: auth });
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json<T>();
};

describe("captures' memory, server-wide", () => {
  it('ended captures of several labs beyond the cap go to files (0600), still download whole; memory stays within it', async () => {
    await live.server.engine.apply({ ...parseLabText(exampleText('two-containers.yaml')).lab!, name: 'second' });
    const c = await connect();
    const ended: { id: string; lab: string }[] = [];
    // Six captures of ~80 KiB, one after another across two labs: ~480 KiB of ended pcaps for a 256 KiB cap.
    for (let k = 0; k < 6; k++) {
      const lab = LABS[k % 2]!;
      const cap = await start(c, lab);
      await traffic(lab);
      await expect
        .poll(() => live.server.app.captures.list(lab).find((x) => x.id === cap.id)?.pcapPackets, {
          timeout: 5000,
        })
        .toBeGreaterThanOrEqual(80);
      c.emit('capture:stop', { id: cap.id });
      await expect.poll(cap.ended, { timeout: 5000 }).toBeDefined();
      ended.push({ id: cap.id, lab });
      expect(live.server.app.captures.pcapBytes).toBeLessThanOrEqual(CAP);
    }
    const status = await get<ServerStatus>('/api/status');
    expect(status.captures).toMatchObject({ memoryCapBytes: CAP, captures: 6, dropped: 0, memoryStopped: 0 });
    expect(status.captures.memoryBytes).toBeLessThanOrEqual(CAP);
    expect(status.captures.spilled).toBeGreaterThanOrEqual(2);
    expect(status.rssBytes).toBeGreaterThan(0);
    // The CPU hog guard's figures ride along (engine cpu-hog-guard.test.ts demotes a lab for real).
    expect(status.cpuHogs).toEqual({ demoted: expect.any(Array) as string[], demotions: expect.any(Number) as number });

    // The oldest capture is in a file of the data directory, readable by the server's user only.
    const first = ended[0]!;
    const list = await get<CaptureList>(`/api/labs/${first.lab}/captures`);
    const info = list.captures.find((x) => x.id === first.id)!;
    expect(info).toMatchObject({ state: 'ended', stored: 'disk' });
    expect(list.held!.diskBytes).toBeGreaterThan(0);
    expect(list.server).toMatchObject({ memoryCapBytes: CAP });
    const dir = join(live.server.engine.settings.dataDir, 'captures');
    expect(statSync(join(dir, `${first.id}.pcap`)).mode & 0o777).toBe(0o600);
    const pcap = await live.server.app.inject({
      method: 'GET',
      url: `/api/labs/${first.lab}/captures/${first.id}/pcap`,
      headers: auth,
    });
    expect(pcap.statusCode).toBe(200);
    const tmp = mkdtempSync(join(tmpdir(), 'patchbay-pcap-'));
    try {
      writeFileSync(join(tmp, 'c.pcap'), pcap.rawPayload);
      const text = execFileSync('tcpdump', ['-r', join(tmp, 'c.pcap'), '-nn'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      expect(text.split('\n').filter((l) => /ICMP echo re(quest|ply)/.test(l))).toHaveLength(info.pcapPackets);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }

    // The second lab destroyed: its captures' files go with it, the first lab's stay.
    const secondFiles = ended.filter((e) => e.lab === 'second').map((e) => `${e.id}.pcap`);
    await live.server.engine.destroy('second');
    const left = readdirSync(dir);
    for (const f of secondFiles) expect(left).not.toContain(f);
    expect(left).toContain(`${first.id}.pcap`);
  });

  it('running captures that would go past the cap stop with reason `memory` and say why', async () => {
    const c = await connect();
    // Three running captures whose rings (96 KiB each) would hold 288 KiB: past the 256 KiB cap.
    const caps = [await start(c, LABS[0]!), await start(c, LABS[0]!), await start(c, LABS[0]!)];
    for (let k = 0; k < 3; k++) await traffic(LABS[0]!);
    await expect.poll(() => caps.filter((x) => x.ended()?.reason === 'memory').length, { timeout: 5000 }).toBe(1);
    const stopped = caps.find((x) => x.ended()?.reason === 'memory')!.ended()!;
    expect(stopped.message).toMatch(/memory for captures \(0\.3 MiB\) is full of running captures/);
    expect(live.server.app.captures.pcapBytes).toBeLessThanOrEqual(CAP);
    const status = await get<ServerStatus>('/api/status');
    expect(status.captures.memoryStopped).toBe(1);
    expect(status.captures.memoryBytes).toBeLessThanOrEqual(CAP);
    for (const x of caps) c.emit('capture:stop', { id: x.id });
    await expect.poll(() => caps.every((x) => x.ended()), { timeout: 5000 }).toBe(true);
    const running = (await get<CaptureList>(`/api/labs/${LABS[0]}/captures`)).captures.filter(
      (x: CaptureInfo) => x.state === 'running',
    );
    expect(running).toEqual([]);
  });
});
