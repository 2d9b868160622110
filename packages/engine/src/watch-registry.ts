// The one namespace watcher of a process, shared: the engine's observation cache, a server's live
// tables and its exercise checks all subscribe here, and each namespace is watched ONCE (one socket
// in one helper process, kernel watch.ts) however many subscribe to it. Subscriptions are
// ref-counted: the helper stops watching a namespace with its last subscriber, and exits when it
// watches nothing.
//
// A watched namespace is kept alive by the helper's socket after `ip netns del`, so the engine
// `release`s namespaces before deleting them: every subscription lets go of them, and they are
// fenced (never watched again) until the deletion is over. A lab subscription (`watchLab`) follows
// its lab: the engine calls `refreshLab` after each apply, and the subscription then watches the
// lab's namespaces of that moment.
import {
  NamespaceWatcher,
  type DecodedObject,
  type NamespaceCounters,
  type NeighbourFlush,
  type NeighbourFlushResult,
} from '@patchbay/kernel';
import type { LifecycleLog } from './lifecycle.js';

export interface WatchListener {
  /** Desired state of `ns` changed (links, addresses, routes, netconf, permanent FDB entries). */
  change?(ns: string): void;
  /**
   * Anything in `ns` changed, ARP neighbours, learned FDB entries and carrier included. `objects`:
   * what changed, decoded from the kernel's messages, when all of them could be (kernel live-patch.ts).
   */
  activity?(ns: string, objects?: readonly DecodedObject[]): void;
  /** The helper died: consider every namespace changed (a new helper watches them again). */
  lost?(reason: string): void;
  /** `ns` is about to be deleted: the subscription no longer holds it (a namespace of that name may come back). */
  released?(ns: string): void;
}

/** Where a lab subscription learns the lab's namespaces (the engine: journaled ones that exist). */
export interface LabNamespaceSource {
  labNamespaces(lab: string): Promise<string[]>;
}

export class WatchSubscription {
  /** Namespaces this subscription holds. */
  readonly names = new Set<string>();

  constructor(
    private readonly registry: WatchRegistry,
    readonly listener: WatchListener,
    /** Set for a lab subscription (`watchLab`). */
    readonly lab?: string,
  ) {}

  get namespaces(): string[] {
    return [...this.names].sort();
  }

  /** Watches `names` too; resolves once each is watched (a change after that is reported). */
  watch(names: readonly string[]): Promise<void> {
    return this.registry.add(this, names);
  }

  unwatch(names: readonly string[]): Promise<void> {
    return this.registry.remove(this, names);
  }

  close(): Promise<void> {
    return this.registry.unsubscribe(this);
  }
}

export class WatchRegistry {
  private watcher: NamespaceWatcher | undefined;
  private readonly refs = new Map<string, Set<WatchSubscription>>();
  private readonly labSubs = new Map<string, Set<WatchSubscription>>();
  /** Namespaces being deleted: never watched until the deletion is over. */
  private readonly fenced = new Map<string, number>();
  /** Helper operations, one after another (so a release can never be overtaken by a watch). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly labQueues = new Map<string, Promise<void>>();
  private started = 0;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: LabNamespaceSource,
    private log: LifecycleLog,
  ) {}

  setLog(log: LifecycleLog): void {
    this.log = log;
  }

  /** A subscription holding no namespace yet (`watch` adds some). */
  subscribe(listener: WatchListener): WatchSubscription {
    return new WatchSubscription(this, listener);
  }

  /** A subscription to lab `lab`'s namespaces, following the lab as it is applied and destroyed. */
  async watchLab(lab: string, listener: WatchListener): Promise<WatchSubscription> {
    const sub = new WatchSubscription(this, listener, lab);
    const subs = this.labSubs.get(lab) ?? new Set<WatchSubscription>();
    this.labSubs.set(lab, subs.add(sub));
    await this.syncLab(lab);
    return sub;
  }

  /** After lab `lab` changed (the engine, after an apply): its subscriptions watch its namespaces now. */
  refreshLab(lab: string): Promise<void> {
    return this.labSubs.has(lab) ? this.syncLab(lab) : Promise.resolve();
  }

  /** Labs with a lab subscription. */
  labs(): string[] {
    return [...this.labSubs.keys()];
  }

  /**
   * Before deleting `names`: every subscription lets go of them and the helper closes their
   * sockets. They stay fenced (not watched again) until `unfence`.
   */
  async release(names: readonly string[]): Promise<void> {
    for (const n of names) {
      this.fenced.set(n, (this.fenced.get(n) ?? 0) + 1);
      for (const s of this.refs.get(n) ?? []) {
        s.names.delete(n);
        s.listener.released?.(n);
      }
      this.refs.delete(n);
    }
    await this.reconcile(names);
  }

  /** The deletion of `names` is over (they may be created again and watched). */
  unfence(names: readonly string[]): void {
    for (const n of names) {
      const c = (this.fenced.get(n) ?? 1) - 1;
      if (c > 0) this.fenced.set(n, c);
      else this.fenced.delete(n);
    }
  }

  /** Resolves once every change the kernel reported before this call has been delivered. */
  async sync(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.watcher?.sync();
  }

  /** Interface counters of watched namespaces (one round trip to the helper). */
  counters(names: readonly string[]): Promise<NamespaceCounters> {
    const w = this.watcher;
    return w && !w.isClosed ? w.counters(names) : Promise.resolve({});
  }

  /** `ip neigh flush` done by the helper in watched namespaces; the others come back in `unknown`. */
  async flushNeighbours(flushes: readonly NeighbourFlush[]): Promise<NeighbourFlushResult> {
    await this.queue.catch(() => undefined);
    const w = this.watcher;
    return w && !w.isClosed ? w.flushNeighbours(flushes) : { flushed: 0, unknown: [...flushes], failed: [] };
  }

  isWatching(ns: string): boolean {
    return this.watcher?.isWatching(ns) ?? false;
  }

  /** How many subscriptions hold `ns`. */
  refCount(ns: string): number {
    return this.refs.get(ns)?.size ?? 0;
  }

  /** Namespaces held by at least one subscription. */
  watched(): string[] {
    return [...this.refs.keys()].sort();
  }

  /** The helper's process id while one runs. */
  get helperPid(): number | undefined {
    return this.watcher?.pid;
  }

  /** Helper processes started so far (one at a time; a new one after the last exited or died). */
  get helpersStarted(): number {
    return this.started;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await this.queue.catch(() => undefined);
    const w = this.watcher;
    this.watcher = undefined;
    this.refs.clear();
    this.labSubs.clear();
    await w?.close();
  }

  /** @internal WatchSubscription.watch */
  async add(sub: WatchSubscription, names: readonly string[]): Promise<void> {
    if (this.closed) throw new Error('the namespace watch registry is closed');
    const wanted = [...new Set(names)].filter((n) => !this.fenced.has(n));
    for (const n of wanted) {
      sub.names.add(n);
      const set = this.refs.get(n) ?? new Set<WatchSubscription>();
      this.refs.set(n, set.add(sub));
    }
    const failed = await this.reconcile(wanted);
    if (failed.size) throw [...failed.values()][0]!;
  }

  /** @internal WatchSubscription.unwatch */
  async remove(sub: WatchSubscription, names: readonly string[]): Promise<void> {
    for (const n of names) {
      sub.names.delete(n);
      const set = this.refs.get(n);
      if (set?.delete(sub) && set.size === 0) this.refs.delete(n);
    }
    await this.reconcile(names);
  }

  /** @internal WatchSubscription.close */
  async unsubscribe(sub: WatchSubscription): Promise<void> {
    if (sub.lab !== undefined) {
      const subs = this.labSubs.get(sub.lab);
      if (subs?.delete(sub) && subs.size === 0) this.labSubs.delete(sub.lab);
    }
    await this.remove(sub, [...sub.names]);
  }

  /** Brings the lab's subscriptions to the lab's namespaces of now (one sync per lab at a time). */
  private syncLab(lab: string): Promise<void> {
    const next = (this.labQueues.get(lab) ?? Promise.resolve()).then(async () => {
      const subs = [...(this.labSubs.get(lab) ?? [])];
      if (subs.length === 0) return;
      const now = new Set(await this.source.labNamespaces(lab));
      for (const sub of subs) {
        if (!this.labSubs.get(lab)?.has(sub)) continue; // closed meanwhile
        await this.remove(
          sub,
          sub.namespaces.filter((n) => !now.has(n)),
        );
        // A namespace deleted meanwhile cannot be watched: the next refresh settles it.
        await this.add(
          sub,
          [...now].filter((n) => !sub.names.has(n)),
        ).catch((err: Error) => this.log.warn({ lab, err: err.message }, 'watching a lab namespace failed'));
      }
    });
    const settled = next.catch((err: Error) =>
      this.log.warn({ lab, err: err.message }, "following a lab's namespaces failed"),
    );
    this.labQueues.set(lab, settled);
    void settled.finally(() => {
      if (this.labQueues.get(lab) === settled) this.labQueues.delete(lab);
    });
    return settled;
  }

  /** Makes the helper watch exactly the held, unfenced namespaces among `names`; the ones it could not watch. */
  private reconcile(names: readonly string[]): Promise<Map<string, Error>> {
    const run = async (): Promise<Map<string, Error>> => {
      const failed = new Map<string, Error>();
      const unique = [...new Set(names)];
      const drop = unique.filter((n) => !this.refs.has(n) || this.fenced.has(n));
      const keep = unique.filter((n) => this.refs.has(n) && !this.fenced.has(n));
      // A helper that exited meanwhile holds no socket any more: nothing to release there.
      if (this.watcher && drop.length) await this.watcher.unwatch(drop).catch(() => undefined);
      if (keep.length && !this.closed) {
        const helper = this.helper();
        await Promise.all(keep.map((n) => helper.watch([n]).catch((err: Error) => void failed.set(n, err))));
        for (const n of failed.keys()) {
          for (const s of this.refs.get(n) ?? []) s.names.delete(n);
          this.refs.delete(n);
        }
      }
      if (this.refs.size === 0 && this.watcher) {
        const w = this.watcher;
        this.watcher = undefined;
        await w.close();
      }
      return failed;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private helper(): NamespaceWatcher {
    if (this.watcher && !this.watcher.isClosed) return this.watcher;
    const w = new NamespaceWatcher();
    this.started++;
    const deliver = (ns: string, kind: 'change' | 'activity', objects?: readonly DecodedObject[]) => {
      for (const s of this.refs.get(ns) ?? []) {
        try {
          s.listener[kind]?.(ns, objects);
        } catch (err) {
          this.log.warn({ ns, err: (err as Error).message }, `a namespace ${kind} listener failed`);
        }
      }
    };
    w.on('change', (ns) => deliver(ns, 'change'));
    w.on('activity', (ns, objects) => deliver(ns, 'activity', objects));
    w.on('lost', (reason) => {
      if (this.watcher !== w) return;
      this.watcher = undefined;
      this.log.warn({ reason }, 'the namespace watcher died; watching again');
      const subs = new Set([...this.refs.values()].flatMap((s) => [...s]));
      for (const s of subs) s.listener.lost?.(reason);
      this.retry = setTimeout(() => void this.reconcile([...this.refs.keys()]), 1000);
      this.retry.unref();
    });
    this.watcher = w;
    return w;
  }
}
