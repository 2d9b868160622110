// The captures' store on its own (real files in a temporary folder): memory stays within its cap,
// the oldest ended captures go to files first (0600) and then away beyond the files' cap, running
// captures alone filling memory are refused, a capture's file goes with it, and start empties the folder.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaptureStore } from './capture-store.js';
import { PcapRing } from './pcap-ring.js';

const KIB = 1024;
const HEADER = Buffer.alloc(24, 1);
let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'patchbay-capture-store-'));
  dir = join(root, 'captures');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A capture of `kib` KiB in blocks of 1 KiB (each block admitted first, as the hub does). */
function fill(store: CaptureStore, id: string, lab: string, kib: number, ringBytes = 64 * KIB): PcapRing {
  const ring = new PcapRing(ringBytes);
  ring.header = HEADER;
  store.add(id, lab, ring);
  for (let i = 0; i < kib; i++) {
    const data = Buffer.alloc(KIB, i % 256);
    if (!store.admit(id, data.length)) break;
    ring.push({ data, records: 1 });
  }
  return ring;
}

describe('the captures store', () => {
  it('keeps memory within its cap by writing the oldest ended captures to 0600 files, read back whole', async () => {
    const dropped: string[] = [];
    const store = new CaptureStore({ memoryBytes: 100 * KIB, diskBytes: 1024 * KIB, dir }, (id) => dropped.push(id));
    const first = fill(store, 'a', 'lab1', 40).file();
    store.ended('a');
    fill(store, 'b', 'lab2', 40);
    store.ended('b');
    expect(store.memoryBytes()).toBeGreaterThan(80 * KIB);
    // A third capture needs room: the oldest ended one (a) is written out, b stays in memory.
    fill(store, 'c', 'lab3', 40);
    expect(store.memoryBytes()).toBeLessThanOrEqual(100 * KIB);
    expect(store.where('a')).toBe('disk');
    expect(store.where('b')).toBe('memory');
    expect(readdirSync(dir)).toEqual(['a.pcap']);
    expect(statSync(join(dir, 'a.pcap')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(await store.file('a')).toEqual(first);
    expect(store.storage()).toMatchObject({ spilled: 1, dropped: 0, diskBytes: first.length, captures: 3 });
    expect(store.bytesHeld('lab1')).toEqual({ memoryBytes: 0, diskBytes: first.length });
    expect(dropped).toEqual([]);
    // Removing a capture (its lab destroyed) removes its file.
    store.remove('a');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('drops the oldest files beyond the disk cap, and drops rather than writes with diskBytes 0', () => {
    const dropped: string[] = [];
    const store = new CaptureStore({ memoryBytes: 64 * KIB, diskBytes: 70 * KIB, dir }, (id) => dropped.push(id));
    for (const id of ['a', 'b', 'c', 'd']) {
      fill(store, id, 'lab', 40);
      store.ended(id);
    }
    // Each new capture pushed the previous one out of memory; two files of 40 KiB exceed 70 KiB.
    expect(dropped).toEqual(['a', 'b']);
    expect(readdirSync(dir).sort()).toEqual(['c.pcap']);
    expect(store.storage().diskBytes).toBeLessThanOrEqual(70 * KIB);

    const noFiles = new CaptureStore({ memoryBytes: 64 * KIB, diskBytes: 0, dir: join(root, 'none') }, (id) =>
      dropped.push(`none:${id}`),
    );
    fill(noFiles, 'x', 'lab', 40);
    noFiles.ended('x');
    fill(noFiles, 'y', 'lab', 40);
    expect(dropped).toContain('none:x');
    expect(existsSync(join(root, 'none'))).toBe(false);
    expect(noFiles.storage()).toMatchObject({ diskBytes: 0, diskCapBytes: 0, dropped: 1 });
  });

  it('refuses a running capture a block when running captures alone fill memory', () => {
    const store = new CaptureStore({ memoryBytes: 100 * KIB, diskBytes: 1024 * KIB, dir }, () => undefined);
    const a = fill(store, 'a', 'lab', 60);
    const b = fill(store, 'b', 'lab', 60);
    expect(a.bytes).toBe(60 * KIB);
    expect(b.bytes).toBeLessThan(40 * KIB);
    expect(store.storage().memoryStopped).toBe(1);
    expect(store.memoryBytes()).toBeLessThanOrEqual(100 * KIB);
    // A ring at its own size drops its oldest block for a new one: that needs no room.
    const small = new CaptureStore({ memoryBytes: 64 * KIB, diskBytes: 0 }, () => undefined);
    const ring = fill(small, 'r', 'lab', 200, 32 * KIB);
    expect(ring.packets).toBe(32);
    expect(small.storage().memoryStopped).toBe(0);
  });

  it('empties its folder at start (what a killed server left)', () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'left-over.pcap'), 'x');
    new CaptureStore({ memoryBytes: 64 * KIB, diskBytes: 64 * KIB, dir }, () => undefined);
    expect(readdirSync(dir)).toEqual([]);
  });
});
