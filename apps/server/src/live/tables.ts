// Live kernel tables (`tables:subscribe` / `tables:unsubscribe`): a subscriber gets the lab's
// state once (`tables:snapshot`, as `patchbay state --json`), then `tables:delta` for each
// namespace that changed. Changes come from the kernel, not from polling: a lab subscription to
// the engine's watch registry (the server's one namespace watcher, shared with the engine and the
// exercise checks) reports `activity` — any change, ARP neighbours and learned FDB entries
// included — in a namespace; just that namespace is read again and sent to the lab's subscribers.
// The subscription follows the lab's namespaces as it is applied; the engine releases them before
// deleting any, and a destroyed lab's subscription ends (`destroyed` event, live plugin). Each
// subscriber has a LatestOutbox: deltas are acknowledged, and a client that falls behind gets the
// latest state of each namespace (the ones in between are coalesced and counted), so its queue
// never outgrows the lab. While a lab has subscribers, its interface counters are sampled once
// per second (`tables:counters`, counters.ts).
import { EngineError, namespaceView, labState, type NamespaceView, type WatchSubscription } from '@patchbay/engine';
import { TablesSubscribeSchema, type LiveAck, type TablesDelta } from '@patchbay/protocol';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import { sampleCounters } from './counters.js';
import { LatestOutbox } from './outbox.js';
import type { LiveIo, LiveSocket } from './socket.js';

/**
 * A namespace is read again this soon after its first change (so the burst one change causes —
 * link, addresses, routes — lands in one read), and at most once per TABLES_MIN_INTERVAL_MS (so a
 * storm of changes, e.g. FDB churn, costs a bounded number of reads and never starves). A change
 * the watcher decoded whole (addresses, routes, neighbours, FDB entries) has patched the engine's
 * kept read already and costs no process: its delta goes out at once (TABLES_DECODED_SETTLE_MS).
 */
export const TABLES_SETTLE_MS = 2;
export const TABLES_DECODED_SETTLE_MS = 0;
export const TABLES_MIN_INTERVAL_MS = 20;
/** Unacknowledged deltas per subscriber, and how long an unacknowledged one holds its credit. */
export const TABLES_INFLIGHT = 8;
const ACK_TIMEOUT_MS = 10_000;

export const tablesRoom = (lab: string): string => `tables:${lab}`;

interface NsState {
  timer?: NodeJS.Timeout;
  lastRead: number;
  reading: boolean;
  again: boolean;
}

interface LabWatch {
  lab: string;
  /** Resolves once the lab's namespaces are watched. */
  ready: Promise<void>;
  /** The lab subscription to the watch registry (once ready). */
  subscription?: WatchSubscription;
  subscribers: Map<string, LatestOutbox<TablesDelta>>;
  /** Sockets whose snapshot is being read: deltas skip them, and the namespaces changed meanwhile are sent after it. */
  pending: Map<string, Set<string>>;
  namespaces: Map<string, NsState>;
  closed: boolean;
  /** Stops the lab's `tables:counters` sampling. */
  stopCounters: () => void;
}

export class TablesHub {
  private readonly labs = new Map<string, LabWatch>();

  constructor(
    private readonly app: FastifyInstance,
    private readonly io: LiveIo,
  ) {}

  /** The namespaces watched for lab `lab`'s subscribers now (tests and diagnostics). */
  watchedNamespaces(lab: string): string[] | undefined {
    const w = this.labs.get(lab);
    return w && !w.closed ? (w.subscription?.namespaces ?? []) : undefined;
  }

  register(socket: LiveSocket): void {
    const mine = new Set<string>();
    socket.on('tables:subscribe', async (payload, ack) => {
      const reply = (res: LiveAck) => (typeof ack === 'function' ? ack(res) : undefined);
      if (!Value.Check(TablesSubscribeSchema, payload))
        return reply({ ok: false, error: 'invalid tables:subscribe payload: { lab }' });
      const { lab } = payload;
      if (!this.app.auth.scopeCovers(socket.data.scope, lab))
        return reply({ ok: false, error: `this token does not cover lab ${lab}` });
      if (mine.has(lab) && this.labs.get(lab)?.subscribers.has(socket.id))
        return reply({ ok: true, id: tablesRoom(lab) });
      try {
        await this.app.engine.entry(lab);
      } catch (err) {
        return reply({ ok: false, error: err instanceof EngineError ? err.message : `no lab named ${lab}` });
      }
      if (socket.disconnected) return;
      mine.add(lab);
      const w = this.ensure(lab);
      const outbox = new LatestOutbox<TablesDelta>(TABLES_INFLIGHT, (delta, coalesced, taken) =>
        socket.timeout(ACK_TIMEOUT_MS).emit('tables:delta', { ...delta, coalesced }, taken),
      );
      w.subscribers.set(socket.id, outbox);
      w.pending.set(socket.id, new Set());
      await socket.join(tablesRoom(lab));
      try {
        await w.ready;
        const state = await labState(this.app.engine, lab);
        if (!mine.has(lab)) return reply({ ok: false, error: 'unsubscribed before the snapshot was read' });
        reply({ ok: true, id: tablesRoom(lab) });
        socket.emit('tables:snapshot', { lab, state });
        // Namespaces that changed while the snapshot was read: sent again, now in order.
        const missed = w.pending.get(socket.id) ?? new Set<string>();
        w.pending.delete(socket.id);
        for (const ns of missed) {
          const view = await namespaceView(this.app.engine, lab, ns).catch(() => undefined);
          if (view && mine.has(lab)) outbox.push(ns, deltaOf(view));
        }
      } catch (err) {
        await this.leave(socket, lab, mine);
        reply({ ok: false, error: (err as Error).message });
      }
    });
    socket.on('tables:unsubscribe', (payload) => {
      const lab = payload !== null && typeof payload === 'object' ? payload.lab : undefined;
      if (typeof lab === 'string' && mine.has(lab))
        void this.leave(socket, lab, mine).catch((err: Error) =>
          this.app.log.warn({ lab, err: err.message }, 'live tables: leaving failed'),
        );
    });
    socket.on('disconnect', () => {
      for (const lab of [...mine])
        void this.leave(socket, lab, mine).catch((err: Error) =>
          this.app.log.warn({ lab, err: err.message }, 'live tables: leaving failed'),
        );
    });
  }

  private async leave(socket: LiveSocket, lab: string, mine: Set<string>): Promise<void> {
    mine.delete(lab);
    await socket.leave(tablesRoom(lab));
    const w = this.labs.get(lab);
    if (!w) return;
    w.subscribers.delete(socket.id);
    w.pending.delete(socket.id);
    if (w.subscribers.size === 0) await this.closeLab(lab);
  }

  private ensure(lab: string): LabWatch {
    const existing = this.labs.get(lab);
    if (existing) return existing;
    const w: LabWatch = {
      lab,
      ready: Promise.resolve(),
      subscribers: new Map(),
      pending: new Map(),
      namespaces: new Map(),
      closed: false,
      stopCounters: () => undefined,
    };
    const watches = this.app.engine.watches;
    w.ready = watches
      .watchLab(lab, {
        activity: (ns, objects) => this.changed(w, ns, objects !== undefined),
        // The helper died (a new one watches again): what changed meanwhile is read again.
        lost: () => {
          for (const ns of w.subscription?.namespaces ?? []) this.changed(w, ns);
        },
      })
      .then(async (subscription) => {
        if (w.closed) return subscription.close();
        w.subscription = subscription;
      });
    w.ready.catch(() => undefined);
    w.stopCounters = sampleCounters(this.io, {
      lab,
      prefix: this.app.engine.labNamespacePrefix(lab),
      room: tablesRoom(lab),
      namespaces: () => w.subscription?.namespaces ?? [],
      read: (namespaces) => (w.closed ? undefined : watches.counters(namespaces)),
      onError: (err) => this.app.log.debug({ lab, err: err.message }, 'live tables: reading counters failed'),
    });
    this.labs.set(lab, w);
    return w;
  }

  /** Before the engine deletes `namespaces` of the lab (its `removing` event): no read of them is due any more. */
  forgetNamespaces(lab: string, namespaces: readonly string[]): void {
    const w = this.labs.get(lab);
    if (!w) return;
    for (const ns of namespaces) {
      const s = w.namespaces.get(ns);
      if (s?.timer) clearTimeout(s.timer);
      w.namespaces.delete(ns);
    }
  }

  private changed(w: LabWatch, ns: string, decoded = false): void {
    if (w.closed) return;
    let s = w.namespaces.get(ns);
    if (!s) w.namespaces.set(ns, (s = { reading: false, again: false, lastRead: -Infinity }));
    if (s.reading) {
      s.again = true;
      return;
    }
    if (s.timer) return; // a read is already due
    const settle = decoded ? TABLES_DECODED_SETTLE_MS : TABLES_SETTLE_MS;
    const wait = Math.max(settle, s.lastRead + TABLES_MIN_INTERVAL_MS - performance.now());
    // at once, not through a timer (Node waits at least 1 ms for one)
    if (wait <= 0) return void this.reread(w, ns, s);
    s.timer = setTimeout(() => void this.reread(w, ns, s), wait);
  }

  private async reread(w: LabWatch, ns: string, s: NsState): Promise<void> {
    s.timer = undefined;
    s.reading = true;
    s.lastRead = performance.now();
    try {
      if (w.closed) return;
      const view = await namespaceView(this.app.engine, w.lab, ns);
      if (w.closed) return;
      for (const missed of w.pending.values()) missed.add(ns);
      const delta = deltaOf(view);
      for (const [id, outbox] of w.subscribers) if (!w.pending.has(id)) outbox.push(ns, delta);
    } catch (err) {
      // Typically the namespace went away while it was read (the lab is being changed).
      this.app.log.debug({ lab: w.lab, ns, err: (err as Error).message }, 'live tables: re-read failed');
    } finally {
      s.reading = false;
      if (s.again && !w.closed) {
        s.again = false;
        this.changed(w, ns);
      }
    }
  }

  /** Ends the lab's watch (its last subscriber left, or the lab was destroyed). */
  async closeLab(lab: string): Promise<void> {
    const w = this.labs.get(lab);
    if (!w) return;
    this.labs.delete(lab);
    w.closed = true;
    w.stopCounters();
    for (const s of w.namespaces.values()) if (s.timer) clearTimeout(s.timer);
    await w.ready.catch(() => undefined); // a subscription still being made is closed when it arrives
    await w.subscription?.close();
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.labs.keys()].map((lab) => this.closeLab(lab)));
  }
}

function deltaOf(view: NamespaceView): TablesDelta {
  return {
    lab: view.lab,
    namespace: view.namespace,
    node: view.node?.node ?? view.namespace,
    state: { revision: view.revision, ...(view.node ? { node: view.node } : {}), bridges: view.bridges },
    coalesced: 0,
  };
}
