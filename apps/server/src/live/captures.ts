// Packet captures over socket.io (`capture:start|subscribe|unsubscribe|stop`). One capture is a
// tcpdump in the node's namespace writing pcap, a ring of its most recent records kept for
// download, and a decoder tcpdump (in the same namespace, so a capture on `any` names each packet's
// interface as the node sees it) turning the same records into lines, which are batched and sent
// to every subscriber with credit-based flow control: a subscriber holds at most `inflightBatches`
// unacknowledged batches; beyond that its lines are dropped and counted, never queued. Memory per
// capture is therefore bounded by the ring, one pipe chunk for the decoder and the batches in flight,
// whatever the packet rate or the client's speed; all captures' rings together are bounded by the
// store (capture-store.ts: beyond a server-wide cap, ended ones go to files, then away). A capture
// ends at a limit (seconds, packets, bytes), on `capture:stop`, when its last subscriber leaves,
// when the server's memory for captures is full (`memory`), or when its namespace goes away.
import {
  parseTcpdumpLine,
  PcapError,
  PcapSplitter,
  startCapture,
  startDecoder,
  type CaptureHandle,
  type DecoderHandle,
} from '@patchbay/kernel';
import {
  CAPTURE_LIMIT_DEFAULTS,
  CaptureRefSchema,
  type CaptureEndReason,
  type CaptureInfo,
  type CaptureLine,
  type CaptureStorage,
  type LiveAck,
} from '@patchbay/protocol';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import { CaptureStore } from './capture-store.js';
import type { LabProcesses } from './lab-processes.js';
import { placeOf } from './lab-node.js';
import { captureInputProblem, captureStartInput } from './capture-input.js';
import { PcapRing } from './pcap-ring.js';
import { ReadBudget } from './read-budget.js';
import type { LiveSocket } from './socket.js';
import { streamIdsOf } from './stream-ids.js';

export interface CaptureHubOptions {
  /** pcap kept per capture for download (the most recent packets). */
  ringBytes: number;
  /** Captures running at once, server-wide and per socket. */
  maxRunning: number;
  maxPerSocket: number;
  /** Ended captures kept (for download) per lab; the oldest goes first. */
  keepEndedPerLab: number;
  /** Lines per `capture:lines` batch, and unacknowledged batches per subscriber. */
  batchLines: number;
  inflightBatches: number;
  /** A batch not acknowledged within this long gives its credit back (the client is gone or broken). */
  ackTimeoutMs: number;
  statusIntervalMs: number;
  /** The longest and largest capture anyone may ask for (PATCHBAY_LIMITS). */
  maxSeconds: number;
  maxBytes: number;
  /** pcap bytes in memory over all captures, and in files of `spillDir` (see CaptureStore). */
  memoryBytes: number;
  diskBytes: number;
  spillDir?: string;
  /** Packets per second read from all of a student's captures together (ReadBudget); 0: unbounded. */
  studentPacketsPerSecond: number;
}

export const CAPTURE_HUB_DEFAULTS: CaptureHubOptions = Object.freeze({
  ringBytes: 8 * 1024 * 1024,
  maxRunning: 32,
  maxPerSocket: 4,
  keepEndedPerLab: 8,
  batchLines: 256,
  inflightBatches: 4,
  ackTimeoutMs: 10_000,
  statusIntervalMs: 1000,
  maxSeconds: 3600,
  maxBytes: 256 * 1024 * 1024,
  memoryBytes: 256 * 1024 * 1024,
  diskBytes: 1024 * 1024 * 1024,
  studentPacketsPerSecond: 500,
});

/** How long the decoder may take to print its last lines after the capture ended. */
const DECODER_DRAIN_MS = 2000;

interface Subscriber {
  socket: LiveSocket;
  credit: number;
  dropped: number;
}

interface CaptureRun {
  info: CaptureInfo;
  ns: string;
  owner: string;
  ring: PcapRing;
  subscribers: Map<string, Subscriber>;
  handle?: CaptureHandle;
  decoder?: DecoderHandle;
  batch: CaptureLine[];
  flushQueued: boolean;
  /** Settles when the capture has ended and its last lines and status were sent. */
  ended: Promise<void>;
  stop(reason: CaptureEndReason): void;
}

export const captureDownloadPath = (lab: string, id: string): string =>
  `/api/labs/${encodeURIComponent(lab)}/captures/${id}/pcap`;

export class CaptureHub {
  private readonly captures = new Map<string, CaptureRun>();
  private readonly options: CaptureHubOptions;
  private readonly store: CaptureStore;
  /** Each student lab's read budget, shared by its captures (as many as labs with a capture). */
  private readonly budgets = new Map<string, ReadBudget>();

  constructor(
    private readonly app: FastifyInstance,
    private readonly processes: LabProcesses,
    options: Partial<CaptureHubOptions> = {},
  ) {
    this.options = { ...CAPTURE_HUB_DEFAULTS, ...options };
    const o = this.options;
    this.store = new CaptureStore(
      { memoryBytes: o.memoryBytes, diskBytes: o.diskBytes, ...(o.spillDir ? { dir: o.spillDir } : {}) },
      (id) => this.captures.delete(id),
    );
  }

  register(socket: LiveSocket): void {
    socket.on('capture:start', async (payload, ack) => {
      const reply = (res: LiveAck) => (typeof ack === 'function' ? ack(res) : undefined);
      reply(await this.start(socket, payload));
    });
    socket.on('capture:subscribe', (payload, ack) => {
      const reply = (res: LiveAck) => (typeof ack === 'function' ? ack(res) : undefined);
      const run = this.find(socket, payload);
      if (!run) return reply({ ok: false, error: 'no such capture' });
      if (!run.subscribers.has(socket.id))
        run.subscribers.set(socket.id, { socket, credit: this.options.inflightBatches, dropped: 0 });
      reply({ ok: true, id: run.info.id });
      socket.emit('capture:status', { ...run.info, dropped: 0 });
    });
    socket.on('capture:unsubscribe', (payload) => {
      const run = this.find(socket, payload);
      if (run) this.unsubscribe(run, socket.id);
    });
    socket.on('capture:stop', (payload) => this.find(socket, payload)?.stop('stopped'));
    socket.on('disconnect', () => {
      for (const run of this.captures.values()) this.unsubscribe(run, socket.id);
    });
  }

  /** Captures of a lab, running and ended, newest first. */
  list(lab: string): CaptureInfo[] {
    return [...this.captures.values()]
      .filter((c) => c.info.lab === lab)
      .map((c) => ({ ...c.info, stored: this.store.where(c.info.id) }))
      .reverse();
  }

  /** The pcap bytes a lab's captures hold in memory and in files. */
  held(lab: string): { memoryBytes: number; diskBytes: number } {
    return this.store.bytesHeld(lab);
  }

  /** What all captures hold, with the caps. */
  storage(): CaptureStorage {
    return this.store.storage();
  }

  /** The capture's pcap file, or undefined when there is no such capture in this lab. */
  async pcap(lab: string, id: string): Promise<{ info: CaptureInfo; file: Buffer } | undefined> {
    const run = this.captures.get(id);
    if (!run || run.info.lab !== lab) return undefined;
    const file = await this.store.file(id);
    return file ? { info: { ...run.info, stored: this.store.where(id) }, file } : undefined;
  }

  /** Forgets a destroyed lab's ended captures and their files (its running ones were stopped by LabProcesses.release). */
  forget(lab: string): void {
    this.budgets.delete(lab);
    for (const [id, run] of this.captures) if (run.info.lab === lab && run.info.state === 'ended') this.delete(id);
  }

  private delete(id: string): void {
    this.captures.delete(id);
    this.store.remove(id);
  }

  /** Memory held by the captures' rings (for tests and benchmarks). */
  get pcapBytes(): number {
    let n = 0;
    for (const c of this.captures.values()) n += c.ring.bytes;
    return n;
  }

  private find(socket: LiveSocket, payload: unknown): CaptureRun | undefined {
    if (!Value.Check(CaptureRefSchema, payload)) return undefined;
    const run = this.captures.get(payload.id);
    return run && this.app.auth.scopeCovers(socket.data.scope, run.info.lab) ? run : undefined;
  }

  private unsubscribe(run: CaptureRun, socketId: string): void {
    if (run.subscribers.delete(socketId) && run.subscribers.size === 0 && run.info.state === 'running')
      run.stop('unsubscribed');
  }

  private running(owner?: string): number {
    let n = 0;
    for (const c of this.captures.values())
      if (c.info.state === 'running' && (owner === undefined || c.owner === owner)) n++;
    return n;
  }

  private async start(socket: LiveSocket, payload: unknown): Promise<LiveAck> {
    const parsed = captureStartInput(payload);
    if ('refusal' in parsed) return parsed.refusal;
    const opts = parsed.input;
    const reused = streamIdsOf(socket).claim(opts.id, 'capture');
    if (reused)
      return { ok: false, error: reused, problems: [{ path: 'id', message: reused, code: 'stream.id-reused' }] };
    if (!this.app.auth.scopeCovers(socket.data.scope, opts.lab))
      return { ok: false, error: `this token does not cover lab ${opts.lab}` };
    const problem = captureInputProblem(opts);
    if (problem) return problem;
    if (this.running(socket.id) >= this.options.maxPerSocket)
      return { ok: false, error: `at most ${this.options.maxPerSocket} captures at a time per connection` };
    if (this.running() >= this.options.maxRunning)
      return { ok: false, error: `the server runs at most ${this.options.maxRunning} captures at a time` };
    const limits = { ...CAPTURE_LIMIT_DEFAULTS, ...opts.limits };
    limits.bytes = Math.min(limits.bytes, this.options.maxBytes);
    if (limits.seconds > this.options.maxSeconds)
      return { ok: false, error: `a capture may last at most ${this.options.maxSeconds} s on this server` };
    const tooFast = this.app.quotas.startCapture(socket.data.scope);
    if (tooFast) return { ok: false, error: tooFast };
    const quota = this.app.quotas.acquire(socket.data.scope, 'capture');
    if ('error' in quota) return { ok: false, error: quota.error };
    const place = await placeOf(this.app, opts.lab, opts.node);
    if ('error' in place) return (quota(), { ok: false, error: place.error });
    if (socket.disconnected) return (quota(), { ok: false, error: 'disconnected' });
    // A capture's id is also its name on the server (capture:subscribe, the pcap's address): checked
    // here, with no await before launch() registers it, so two connections cannot both take it.
    const id = opts.id;
    if (this.captures.has(id)) {
      quota();
      const error = `the id ${id} names another capture on this server: choose a new id (e.g. a random UUID)`;
      return { ok: false, error, problems: [{ path: 'id', message: error, code: 'stream.id-taken' }] };
    }
    const info: CaptureInfo = {
      id,
      lab: opts.lab,
      node: opts.node,
      interface: opts.interface ?? place.bridgeDevice ?? 'any',
      filter: opts.filter?.trim() ?? '',
      linkHeaders: opts.linkHeaders,
      limits,
      state: 'running',
      startedAt: Date.now(),
      packets: 0,
      bytes: 0,
      decoderDropped: 0,
      pcapBytes: 0,
      pcapPackets: 0,
      download: captureDownloadPath(opts.lab, id),
    };
    const budgeted = socket.data.scope?.role === 'student' || socket.data.readBudgetOf === opts.lab;
    const budget = budgeted ? this.budgetOf(opts.lab) : undefined;
    if (budget) info.readLimit = budget.perSecond;
    const run = this.launch(info, place.ns, socket, opts.snaplen, budget);
    void run.ended.then(quota);
    try {
      await run.handle!.ready;
    } catch (err) {
      run.stop('error');
      await run.ended;
      this.delete(id);
      return { ok: false, error: `tcpdump: ${(err as Error).message}` };
    }
    if (socket.disconnected) run.stop('unsubscribed');
    return { ok: true, id };
  }

  private budgetOf(lab: string): ReadBudget | undefined {
    const perSecond = this.options.studentPacketsPerSecond;
    if (perSecond <= 0) return undefined;
    let budget = this.budgets.get(lab);
    if (!budget) {
      if (this.budgets.size >= 100_000) this.budgets.clear();
      budget = new ReadBudget(perSecond);
      this.budgets.set(lab, budget);
    }
    return budget;
  }

  /** Starts the two processes and wires them; the run is registered at once (counted against the limits). */
  private launch(
    info: CaptureInfo,
    ns: string,
    socket: LiveSocket,
    snaplen: number,
    budget: ReadBudget | undefined,
  ): CaptureRun {
    const o = this.options;
    let readPaused = false;
    const splitter = new PcapSplitter();
    const ring = new PcapRing(o.ringBytes);
    let decoderBlocked = false;
    let endedResolve: () => void = () => undefined;
    const run: CaptureRun = {
      info,
      ns,
      owner: socket.id,
      ring,
      subscribers: new Map([[socket.id, { socket, credit: o.inflightBatches, dropped: 0 }]]),
      batch: [],
      flushQueued: false,
      ended: new Promise<void>((resolve) => (endedResolve = resolve)),
      stop: (reason) => {
        if (info.state !== 'running') return;
        info.reason ??= reason;
        run.handle?.stop();
      },
    };
    this.captures.set(info.id, run);
    this.store.add(info.id, info.lab, ring);

    // tcpdump and its decoder run in the lab's sandbox group: a capture of a flood costs the
    // student's CPU and memory budget, not the server's (and the other students')
    const limits = this.app.engine.sandboxLimits(info.lab);
    run.decoder = startDecoder(
      ns,
      info.linkHeaders,
      (line) => {
        run.batch.push(parseTcpdumpLine(line));
        if (run.batch.length >= o.batchLines) this.flush(run);
        else if (!run.flushQueued) {
          run.flushQueued = true;
          setImmediate(() => this.flush(run));
        }
      },
      limits,
    );
    const feed = (bytes: Buffer, records: number) => {
      if (decoderBlocked) {
        info.decoderDropped += records;
      } else if (!run.decoder!.write(bytes)) {
        decoderBlocked = true;
        run.decoder!.onDrain(() => (decoderBlocked = false));
      }
    };
    run.handle = startCapture(
      ns,
      {
        interface: info.interface,
        ...(info.filter ? { filter: info.filter } : {}),
        packets: info.limits.packets,
        snaplen,
      },
      (chunk) => {
        let block;
        try {
          const hadHeader = splitter.header !== undefined;
          block = splitter.push(chunk);
          if (!hadHeader && splitter.header) {
            ring.header = splitter.header.bytes;
            feed(splitter.header.bytes, 0);
          }
        } catch (err) {
          info.message = err instanceof PcapError ? err.message : String(err);
          run.stop('error');
          return;
        }
        if (!block) return;
        if (info.reason === 'memory') return; // stopping for memory: nothing more is kept
        if (!this.store.admit(info.id, block.data.length)) {
          info.message = `the server's memory for captures (${mib(o.memoryBytes)}) is full of running captures`;
          run.stop('memory');
          // What it holds may go to a file at once, to make room for the captures that go on.
          this.store.ended(info.id);
          return;
        }
        info.packets += block.records;
        info.bytes += block.data.length;
        ring.push(block);
        feed(block.data, block.records);
        if (info.bytes >= info.limits.bytes) run.stop('bytes');
        if (budget && !readPaused && !info.reason) {
          const wait = budget.spend(block.records);
          if (wait > 0) {
            readPaused = true;
            run.handle!.pause();
            setTimeout(() => {
              readPaused = false;
              info.readPausedMs = (info.readPausedMs ?? 0) + wait;
              run.handle!.resume();
            }, wait);
          }
        } else if (budget) budget.spend(block.records);
      },
      limits,
    );
    const unregister = this.processes.add({ lab: info.lab, ns, stop: (why) => run.stop(why), done: run.ended });
    const deadline = setTimeout(() => run.stop('seconds'), info.limits.seconds * 1000);
    const status = setInterval(() => this.sendStatus(run), o.statusIntervalMs);

    void run.handle.done.then(async (exit) => {
      clearTimeout(deadline);
      clearInterval(status);
      if (exit.kernelDropped !== undefined) info.kernelDropped = exit.kernelDropped;
      if (!info.reason) info.reason = exit.code === 0 && info.packets >= info.limits.packets ? 'packets' : 'exited';
      if (exit.message && (info.reason === 'exited' || info.reason === 'error')) info.message ??= exit.message;
      run.decoder!.end();
      const drained = await Promise.race([
        run.decoder!.done.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), DECODER_DRAIN_MS)),
      ]);
      if (!drained) run.decoder!.kill();
      await run.decoder!.done;
      this.flush(run);
      info.state = 'ended';
      info.endedAt = Date.now();
      this.sendStatus(run);
      run.subscribers.clear();
      unregister();
      this.store.ended(info.id);
      this.evictEnded(info.lab);
      endedResolve();
    });
    return run;
  }

  private flush(run: CaptureRun): void {
    run.flushQueued = false;
    if (run.batch.length === 0) return;
    const lines = run.batch;
    run.batch = [];
    for (const sub of run.subscribers.values()) {
      if (sub.credit <= 0 || sub.socket.disconnected) {
        sub.dropped += lines.length;
        continue;
      }
      sub.credit--;
      sub.socket
        .timeout(this.options.ackTimeoutMs)
        .emit('capture:lines', { id: run.info.id, lines, dropped: sub.dropped }, () => {
          sub.credit++;
        });
    }
  }

  private sendStatus(run: CaptureRun): void {
    if (this.store.where(run.info.id) === 'memory') {
      run.info.pcapBytes = run.ring.header ? run.ring.header.length + run.ring.bytes : 0;
      run.info.pcapPackets = run.ring.packets;
    }
    for (const sub of run.subscribers.values())
      sub.socket.emit('capture:status', { ...run.info, stored: this.store.where(run.info.id), dropped: sub.dropped });
  }

  private evictEnded(lab: string): void {
    const ended = [...this.captures.values()].filter((c) => c.info.lab === lab && c.info.state === 'ended');
    for (const old of ended.slice(0, Math.max(0, ended.length - this.options.keepEndedPerLab)))
      this.delete(old.info.id);
  }
}

const mib = (n: number): string => `${Math.round((n / 2 ** 20) * 10) / 10} MiB`;
