// Where the captures' pcaps are held, with a server-wide bound on memory: every capture's ring
// (running and ended) counts against `memoryBytes`. When a running capture's next block would go
// past it, the oldest ended captures still in memory are written to files (0600, in a folder of the
// data directory emptied at start) until it fits; when only running captures are left in memory and
// it still does not fit, that capture is refused the block (the hub stops it, reason `memory`). Files
// are bounded too (`diskBytes`): beyond it the oldest ended captures are dropped altogether, and with
// `diskBytes` 0 (or no folder) ended captures are dropped instead of written. A lab's files go with
// the lab (`remove`). Writes are synchronous: one ring (≤ the ring size, 8 MiB by default) at a time,
// only as many as the next block needs, so the event loop is held for a few milliseconds at most.
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaptureStorage } from '@patchbay/protocol';
import type { PcapRing } from './pcap-ring.js';

export interface CaptureStoreOptions {
  /** pcap bytes held in memory, all captures together. */
  memoryBytes: number;
  /** pcap bytes of ended captures kept in files; 0: ended captures are dropped rather than written. */
  diskBytes: number;
  /** The folder for those files (created 0700, emptied at start); without one, nothing is written. */
  dir?: string;
}

interface Held {
  id: string;
  lab: string;
  ring: PcapRing;
  /** Order of ending (undefined while running): the oldest ended go first. */
  endedSeq?: number;
  /** Once written out: the file and its size (the ring is then empty). */
  file?: { path: string; bytes: number };
  /** What `admit` let its ring grow by: its share of `counted`. */
  counted: number;
}

export class CaptureStore {
  private readonly held = new Map<string, Held>();
  private seq = 0;
  private spilled = 0;
  private dropped = 0;
  private memoryStopped = 0;
  /** The ring growth admitted so far, less what went: decides `admit` without walking every capture. */
  private counted = 0;

  /** `drop` is told of every ended capture dropped to stay within the caps (the hub forgets it). */
  constructor(
    private readonly options: CaptureStoreOptions,
    private readonly drop: (id: string) => void,
  ) {
    if (options.dir && options.diskBytes > 0) {
      // What a previous run left (it crashed or was killed): no capture refers to it any more.
      rmSync(options.dir, { recursive: true, force: true });
      mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    }
  }

  add(id: string, lab: string, ring: PcapRing): void {
    this.held.set(id, { id, lab, ring, counted: 0 });
  }

  /**
   * Whether the capture's ring may take a block of `n` bytes: true when it fits in memory (ended
   * captures written out or dropped to make room), false when running captures alone fill it.
   */
  admit(id: string, n: number): boolean {
    const h = this.held.get(id);
    if (!h) return true;
    // What the ring will hold once it has the block (its header included), less what is counted of it.
    const growth = h.ring.held + h.ring.growthOf(n) - h.counted;
    const fits = () => growth <= 0 || this.counted + growth <= this.options.memoryBytes;
    if (!fits()) for (const old of this.endedInMemory()) if ((this.evict(old), fits())) break;
    if (!fits()) {
      this.memoryStopped++;
      return false;
    }
    h.counted += growth;
    this.counted += growth;
    return true;
  }

  /** The capture has ended (or is stopping): from now on it may be written out or dropped, oldest first. */
  ended(id: string): void {
    const h = this.held.get(id);
    if (h && h.endedSeq === undefined) h.endedSeq = this.seq++;
  }

  /** The pcap file, wherever it is; undefined when its file has gone (dropped meanwhile). */
  async file(id: string): Promise<Buffer | undefined> {
    const h = this.held.get(id);
    if (!h) return undefined;
    if (!h.file) return h.ring.file();
    try {
      return await readFile(h.file.path);
    } catch {
      return undefined;
    }
  }

  where(id: string): 'memory' | 'disk' {
    return this.held.get(id)?.file ? 'disk' : 'memory';
  }

  /** Forgets the capture and removes its file. */
  remove(id: string): void {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    this.uncount(h);
    if (h.file) unlinkQuietly(h.file.path);
  }

  /** Bytes held, in memory and in files: all captures', or one lab's. */
  bytesHeld(lab?: string): { memoryBytes: number; diskBytes: number } {
    let memoryBytes = 0;
    let diskBytes = 0;
    for (const h of this.held.values()) {
      if (lab !== undefined && h.lab !== lab) continue;
      memoryBytes += h.ring.held;
      diskBytes += h.file?.bytes ?? 0;
    }
    return { memoryBytes, diskBytes };
  }

  storage(): CaptureStorage {
    return {
      ...this.bytesHeld(),
      memoryCapBytes: this.options.memoryBytes,
      diskCapBytes: this.writes() ? this.options.diskBytes : 0,
      captures: this.held.size,
      spilled: this.spilled,
      dropped: this.dropped,
      memoryStopped: this.memoryStopped,
    };
  }

  memoryBytes(): number {
    let n = 0;
    for (const h of this.held.values()) n += h.ring.held;
    return n;
  }

  private writes(): boolean {
    return this.options.dir !== undefined && this.options.diskBytes > 0;
  }

  private endedInMemory(): Held[] {
    return [...this.held.values()]
      .filter((h) => h.endedSeq !== undefined && !h.file && h.ring.held > 0)
      .sort((a, b) => a.endedSeq! - b.endedSeq!);
  }

  /** Moves an ended capture out of memory: to a file, or (no files, or larger than they may hold) away. */
  private evict(h: Held): void {
    const data = h.ring.file();
    h.ring.clear();
    h.ring.header = undefined;
    this.uncount(h);
    if (!this.writes() || data.length > this.options.diskBytes) return this.forget(h);
    const path = join(this.options.dir!, `${h.id}.pcap`);
    try {
      writeFileSync(path, data, { mode: 0o600 });
    } catch {
      unlinkQuietly(path);
      return this.forget(h); // a full disk: the capture is dropped rather than kept in memory
    }
    h.file = { path, bytes: data.length };
    this.spilled++;
    // Files beyond their cap: the oldest ended captures go (this one last).
    let disk = this.bytesHeld().diskBytes;
    const onDisk = [...this.held.values()].filter((x) => x.file).sort((a, b) => a.endedSeq! - b.endedSeq!);
    for (const old of onDisk) {
      if (disk <= this.options.diskBytes) break;
      disk -= old.file!.bytes;
      this.forget(old);
    }
  }

  private uncount(h: Held): void {
    this.counted -= h.counted;
    h.counted = 0;
  }

  private forget(h: Held): void {
    this.remove(h.id);
    this.dropped++;
    this.drop(h.id);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
