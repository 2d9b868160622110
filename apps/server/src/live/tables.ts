// Live kernel tables (`tables:subscribe` / `tables:unsubscribe`): a subscriber gets the lab's
// state once (`tables:snapshot`, as `patchbay state --json`), then `tables:delta` for each
// namespace that changed. Changes come from the kernel, not from polling: one NamespaceWatcher in
// `allEvents` mode (one helper process for every subscribed lab) reports which namespace changed;
// just that namespace is read again and sent to the lab's subscribers. The watcher's sockets keep
// namespaces alive, so a lab's namespaces are unwatched with its last subscriber and before the lab
// is destroyed, and the helper exits when no lab is watched and when the server closes. Each subscriber has a LatestOutbox: deltas are
// acknowledged, and a client that falls behind gets the latest state of each namespace (the ones
// in between are coalesced and counted), so its queue never outgrows the lab. While a lab has
// subscribers, its interface counters are sampled once per second (`tables:counters`, counters.ts).
import { EngineError, namespaceView, labState, type NamespaceView } from '@patchbay/engine';
import { listNamespaces, NamespaceWatcher } from '@patchbay/kernel';
import { TablesSubscribeSchema, type LiveAck, type TablesDelta } from '@patchbay/protocol';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import { sampleCounters } from './counters.js';
import { LatestOutbox } from './outbox.js';
import type { LiveIo, LiveSocket } from './socket.js';

/**
 * A namespace is read again this soon after its first change (so the burst one change causes —
 * link, addresses, routes — lands in one read), and at most once per TABLES_MIN_INTERVAL_MS (so a
 * storm of changes, e.g. FDB churn, costs a bounded number of reads and never starves).
 */
export const TABLES_SETTLE_MS = 2;
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
  /** Which subscribed lab a watched namespace belongs to. */
  private readonly labOfNamespace = new Map<string, LabWatch>();
  private watcher: NamespaceWatcher | undefined;

  constructor(
    private readonly app: FastifyInstance,
    private readonly io: LiveIo,
  ) {}

  /** The watcher (one helper process) while it watches this lab (for tests and diagnostics). */
  watcherOf(lab: string): NamespaceWatcher | undefined {
    return this.labs.has(lab) ? this.watcher : undefined;
  }

  private sharedWatcher(): NamespaceWatcher {
    if (this.watcher && !this.watcher.isClosed) return this.watcher;
    const watcher = new NamespaceWatcher({ allEvents: true });
    watcher.on('change', (ns) => {
      const w = this.labOfNamespace.get(ns);
      if (w) this.changed(w, ns);
    });
    watcher.on('lost', (reason) => {
      this.app.log.warn({ reason }, 'live tables: the namespace watcher died');
      if (this.watcher !== watcher) return;
      this.watcher = undefined;
      // Subscribers keep their last state; a new subscription starts a new watcher.
      for (const w of this.labs.values()) {
        w.closed = true;
        w.stopCounters();
      }
      this.labs.clear();
      this.labOfNamespace.clear();
    });
    this.watcher = watcher;
    return watcher;
  }

  register(socket: LiveSocket): void {
    const mine = new Set<string>();
    socket.on('tables:subscribe', async (payload, ack) => {
      const reply = (res: LiveAck) => (typeof ack === 'function' ? ack(res) : undefined);
      if (!Value.Check(TablesSubscribeSchema, payload)) return reply({ ok: false, error: 'invalid tables:subscribe payload: { lab }' });
      const { lab } = payload;
      if (!this.app.auth.scopeCovers(socket.data.scope, lab)) return reply({ ok: false, error: `this token does not cover lab ${lab}` });
      if (mine.has(lab) && this.labs.get(lab)?.subscribers.has(socket.id)) return reply({ ok: true, id: tablesRoom(lab) });
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
      if (typeof lab === 'string' && mine.has(lab)) void this.leave(socket, lab, mine).catch((err: Error) => this.app.log.warn({ lab, err: err.message }, 'live tables: leaving failed'));
    });
    socket.on('disconnect', () => {
      for (const lab of [...mine]) void this.leave(socket, lab, mine).catch((err: Error) => this.app.log.warn({ lab, err: err.message }, 'live tables: leaving failed'));
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
    const w: LabWatch = { lab, ready: Promise.resolve(), subscribers: new Map(), pending: new Map(), namespaces: new Map(), closed: false, stopCounters: () => undefined };
    w.ready = this.watchNamespaces(w);
    w.ready.catch(() => undefined);
    w.stopCounters = sampleCounters(this.io, {
      lab,
      prefix: this.app.engine.labNamespacePrefix(lab),
      room: tablesRoom(lab),
      namespaces: () => [...this.labOfNamespace].filter(([, owner]) => owner === w).map(([ns]) => ns),
      watcher: () => (w.closed ? undefined : this.watcher),
      onError: (err) => this.app.log.debug({ lab, err: err.message }, 'live tables: reading counters failed'),
    });
    this.labs.set(lab, w);
    return w;
  }

  /** Watches the lab's namespaces that exist; stops watching those that no longer do. */
  private async watchNamespaces(w: LabWatch): Promise<void> {
    const entry = await this.app.engine.entry(w.lab);
    const present = new Set(await listNamespaces(this.app.engine.labNamespacePrefix(w.lab)));
    const wanted = entry.namespaces.filter((n) => present.has(n));
    const gone = [...w.namespaces.keys()].filter((n) => !present.has(n));
    if (w.closed) return;
    const watcher = this.sharedWatcher();
    for (const n of gone) {
      w.namespaces.delete(n);
      this.labOfNamespace.delete(n);
    }
    await watcher.unwatch(gone);
    for (const n of wanted) this.labOfNamespace.set(n, w);
    await watcher.watch(wanted);
  }

  /** After the lab was changed: watch its new namespaces, let go of removed ones. */
  async refresh(lab: string): Promise<void> {
    const w = this.labs.get(lab);
    if (!w || w.closed) return;
    await this.watchNamespaces(w).catch((err: Error) => this.app.log.warn({ lab, err: err.message }, 'live tables: watching failed'));
  }

  private changed(w: LabWatch, ns: string): void {
    if (w.closed) return;
    let s = w.namespaces.get(ns);
    if (!s) w.namespaces.set(ns, (s = { reading: false, again: false, lastRead: -Infinity }));
    if (s.reading) {
      s.again = true;
      return;
    }
    if (s.timer) return; // a read is already due
    const wait = Math.max(TABLES_SETTLE_MS, s.lastRead + TABLES_MIN_INTERVAL_MS - performance.now());
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

  /** Stops watching a lab (the watcher's sockets would keep its namespaces alive); the helper exits with the last lab. */
  async closeLab(lab: string): Promise<void> {
    const w = this.labs.get(lab);
    if (!w) return;
    this.labs.delete(lab);
    w.closed = true;
    w.stopCounters();
    for (const s of w.namespaces.values()) if (s.timer) clearTimeout(s.timer);
    await w.ready.catch(() => undefined); // a watch() still running must not re-add them after
    const mine = [...this.labOfNamespace].filter(([, owner]) => owner === w).map(([ns]) => ns);
    for (const ns of mine) this.labOfNamespace.delete(ns);
    const watcher = this.watcher;
    if (!watcher) return;
    if (this.labs.size === 0) {
      this.watcher = undefined;
      await watcher.close();
    } else {
      // A watcher that exited meanwhile holds no socket any more: nothing left to release.
      await watcher.unwatch(mine).catch(() => undefined);
    }
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.labs.keys()].map((lab) => this.closeLab(lab)));
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
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
