// Change notifications for many namespaces from one helper process (helpers/nswatch.py): it holds
// an rtnetlink socket inside each watched namespace and reports which namespaces changed. A
// long-lived engine uses this to know which namespaces it must read again, instead of reading
// every namespace of a lab before every apply; the live tables use its `activity` events. One
// watcher serves a whole server: the engine's WatchRegistry shares it, ref-counting each namespace.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DecodedObject } from './live-patch.js';
import { CHILD_ENV, assertNamespaceName } from './process.js';

const HELPER = fileURLToPath(new URL('../helpers/nswatch.py', import.meta.url));

interface HelperLine {
  sync?: string;
  neigh?: string;
  flushed?: number;
  unknown?: string[];
  errors?: Record<string, string>;
  counters?: string;
  /** With `counters`: per namespace, per interface [rxPackets, txPackets, rxBytes, txBytes, rxDropped, txDropped]. */
  stats?: Record<string, Record<string, number[]>>;
  ns?: string;
  events?: number;
  /** Messages of any kind (neighbours, learned FDB entries, carrier changes too). */
  all?: number;
  /** Messages of this report the helper could not decode (links, rules, netconf, nf_tables, lost ones). */
  opaque?: number;
  /** The addresses, routes, neighbours and FDB entries the report's messages describe (helpers/nldecode.py). */
  objects?: DecodedObject[];
  watching?: boolean;
  error?: string;
}

export interface NamespaceWatcherOptions {
  /**
   * Report every rtnetlink change: also ARP neighbours, learned bridge FDB entries and carrier or
   * operstate changes (the live tables want them; the engine, which only cares about desired
   * state, does not). Off by default.
   */
  allEvents?: boolean;
}

/** An interface's counters (the kernel's `rtnl_link_stats64`), since the interface was created. */
export interface InterfaceCounters {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxDropped: number;
  txDropped: number;
}

/** `ip neigh flush to ADDRESS dev DEV` in namespace NS. */
export interface NeighbourFlush {
  ns: string;
  dev: string;
  address: string;
}

export interface NeighbourFlushResult {
  /** Flushes done (an entry deleted, or none to delete). */
  flushed: number;
  /** Flushes the helper could not do (namespace not watched): to be run some other way. */
  unknown: NeighbourFlush[];
  /** Flushes that failed, with the kernel's answer. */
  failed: { flush: NeighbourFlush; error: string }[];
}

/** Per namespace, per interface name. */
export type NamespaceCounters = Record<string, Record<string, InterfaceCounters>>;

export interface NamespaceWatcherEvents {
  /** Something in `ns` changed (links, addresses, routes, netconf, permanent FDB entries). */
  change: [ns: string];
  /**
   * Anything in `ns` changed, desired state or not (ARP neighbours, learned FDB entries, carrier):
   * what the live tables show. Emitted after `change` when both apply. `objects`: what changed,
   * decoded from the kernel's messages, when every message of the report could be decoded
   * (addresses added, routes, neighbours, FDB entries); undefined when the namespace must be read.
   */
  activity: [ns: string, objects?: readonly DecodedObject[]];
  /** The helper died; every namespace must be considered changed. */
  lost: [reason: string];
}

export class NamespaceWatcher extends EventEmitter<NamespaceWatcherEvents> {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly watching = new Set<string>();
  private readonly pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }[]>();
  private readonly counterWaiters = new Map<
    string,
    { resolve: (c: NamespaceCounters) => void; reject: (e: Error) => void }
  >();
  private readonly neighWaiters = new Map<
    string,
    { items: Map<string, NeighbourFlush>; resolve: (r: NeighbourFlushResult) => void; reject: (e: Error) => void }
  >();
  private closed = false;
  /** The helper has exited (closed or died): nothing written to it is ever answered. */
  private exited = false;
  /** The helper's process id (to check from outside that it is gone). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True once `close()` was called (the helper is gone or going). */
  get isClosed(): boolean {
    return this.closed;
  }
  private syncCounter = 0;

  constructor(opts: NamespaceWatcherOptions = {}) {
    super();
    this.child = spawn('python3', ['-u', HELPER, ...(opts.allEvents ? ['--all-events'] : [])], {
      env: { ...CHILD_ENV },
      stdio: 'pipe',
    });
    this.child.stderr.resume();
    createInterface({ input: this.child.stdout }).on('line', (line) => this.onLine(line));
    this.child.on('exit', (code, signal) => {
      const reason = `namespace watcher exited (${signal ?? code})`;
      this.exited = true;
      this.watching.clear();
      for (const waiters of this.pending.values()) for (const w of waiters) w.reject(new Error(reason));
      this.pending.clear();
      for (const w of this.counterWaiters.values()) w.reject(new Error(reason));
      this.counterWaiters.clear();
      for (const w of this.neighWaiters.values()) w.reject(new Error(reason));
      this.neighWaiters.clear();
      if (!this.closed) this.emit('lost', reason);
    });
    this.child.stdin.on('error', () => undefined);
  }

  private onLine(line: string): void {
    let msg: HelperLine;
    try {
      msg = JSON.parse(line) as HelperLine;
    } catch {
      return;
    }
    if (msg.sync !== undefined) {
      const waiters = this.pending.get(`sync ${msg.sync}`) ?? [];
      this.pending.delete(`sync ${msg.sync}`);
      for (const w of waiters) w.resolve();
      return;
    }
    if (msg.neigh !== undefined) {
      const waiter = this.neighWaiters.get(msg.neigh);
      this.neighWaiters.delete(msg.neigh);
      if (!waiter) return;
      const item = (key: string) => waiter.items.get(key)!;
      waiter.resolve({
        flushed: msg.flushed ?? 0,
        unknown: (msg.unknown ?? []).filter((k) => waiter.items.has(k)).map(item),
        failed: Object.entries(msg.errors ?? {})
          .filter(([k]) => waiter.items.has(k))
          .map(([k, error]) => ({ flush: item(k), error })),
      });
      return;
    }
    if (msg.counters !== undefined) {
      const waiter = this.counterWaiters.get(msg.counters);
      this.counterWaiters.delete(msg.counters);
      waiter?.resolve(countersOf(msg.stats ?? {}));
      return;
    }
    if (!msg.ns) return;
    if (msg.watching !== undefined || msg.error) {
      if (msg.watching) this.watching.add(msg.ns);
      const key = `${msg.watching === false ? 'del' : 'add'} ${msg.ns}`;
      const waiters = this.pending.get(key) ?? [];
      this.pending.delete(key);
      for (const w of waiters) {
        if (msg.error) w.reject(new Error(`watch ${msg.ns}: ${msg.error}`));
        else w.resolve();
      }
      return;
    }
    if (msg.events) this.emit('change', msg.ns);
    if (msg.all ?? msg.events)
      this.emit('activity', msg.ns, msg.opaque === 0 && msg.objects?.length ? msg.objects : undefined);
  }

  isWatching(ns: string): boolean {
    return this.watching.has(ns);
  }

  private request(verb: 'add' | 'del', names: readonly string[]): Promise<void> {
    if (names.length === 0) return Promise.resolve();
    // A helper that is gone holds no socket: a `del` has nothing left to do.
    if (this.closed || this.exited)
      return verb === 'del'
        ? Promise.resolve()
        : Promise.reject(new Error(this.closed ? 'namespace watcher is closed' : 'namespace watcher exited'));
    names.forEach(assertNamespaceName);
    const acks = names.map(
      (ns) =>
        new Promise<void>((resolve, reject) => {
          const key = `${verb} ${ns}`;
          const list = this.pending.get(key) ?? [];
          list.push({ resolve, reject });
          this.pending.set(key, list);
        }),
    );
    this.child.stdin.write(names.map((n) => `${verb} ${n}\n`).join(''));
    return Promise.all(acks).then(() => undefined);
  }

  /** Starts watching `names`; resolves once every one is watched (a change after that is reported). */
  watch(names: readonly string[]): Promise<void> {
    return this.request(
      'add',
      [...new Set(names)].filter((n) => !this.watching.has(n)),
    );
  }

  /** Stops watching `names` and closes their sockets (which would keep a deleted namespace alive). */
  unwatch(names: readonly string[]): Promise<void> {
    const known = [...new Set(names)].filter((n) => this.watching.delete(n));
    return this.request('del', known);
  }

  /**
   * Resolves once every change the kernel reported before this call has been emitted as `change`.
   * After applying a plan, this tells the engine's own changes from later ones.
   */
  sync(): Promise<void> {
    // A helper that died has said so (`lost`: every namespace counts as changed); waiting for its
    // answer would wait forever.
    if (this.closed || this.exited) return Promise.resolve();
    const token = String(++this.syncCounter);
    const done = new Promise<void>((resolve, reject) => this.pending.set(`sync ${token}`, [{ resolve, reject }]));
    this.child.stdin.write(`sync ${token}\n`);
    return done;
  }

  /**
   * The interface counters of `namespaces` (those not watched are left out), read by the helper
   * through a netlink socket it holds in each namespace: one round trip, no process spawned.
   */
  counters(namespaces: readonly string[]): Promise<NamespaceCounters> {
    if (this.closed || this.exited)
      return Promise.reject(new Error(this.closed ? 'namespace watcher is closed' : 'namespace watcher exited'));
    const names = [...new Set(namespaces)].filter((n) => this.watching.has(n));
    names.forEach(assertNamespaceName);
    if (names.length === 0) return Promise.resolve({});
    const token = String(++this.syncCounter);
    const done = new Promise<NamespaceCounters>((resolve, reject) =>
      this.counterWaiters.set(token, { resolve, reject }),
    );
    this.child.stdin.write(`counters ${token} ${names.join(' ')}\n`);
    return done;
  }

  /**
   * `ip neigh flush to ADDRESS dev DEV` in each watched namespace, done by the helper over the
   * netlink socket it holds there (helpers/nlneigh.py: it knows which entries exist, so a flush
   * of a missing one costs nothing): one round trip, no process. Namespaces not watched come back
   * in `unknown`.
   */
  flushNeighbours(flushes: readonly NeighbourFlush[]): Promise<NeighbourFlushResult> {
    if (this.closed || this.exited)
      return Promise.reject(new Error(this.closed ? 'namespace watcher is closed' : 'namespace watcher exited'));
    const items = new Map<string, NeighbourFlush>();
    const unknown: NeighbourFlush[] = [];
    for (const f of flushes) {
      assertNamespaceName(f.ns);
      // interface names and addresses travel as one token: nothing that could split it
      if (!this.watching.has(f.ns) || !/^[^\s/]{1,15}$/.test(f.dev) || !/^[0-9a-fA-F.:]{2,45}$/.test(f.address))
        unknown.push(f);
      else items.set(`${f.ns}/${f.dev}/${f.address}`, f);
    }
    if (items.size === 0) return Promise.resolve({ flushed: 0, unknown, failed: [] });
    const token = String(++this.syncCounter);
    const done = new Promise<NeighbourFlushResult>((resolve, reject) =>
      this.neighWaiters.set(token, { items, resolve, reject }),
    );
    this.child.stdin.write(`neigh-flush ${token} ${[...items.keys()].join(' ')}\n`);
    return done.then((r) => ({ ...r, unknown: [...unknown, ...r.unknown] }));
  }

  /** Stops the helper (its sockets would otherwise keep deleted namespaces alive). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.exited) return; // its 'exit' has been and gone
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}

function countersOf(stats: Record<string, Record<string, number[]>>): NamespaceCounters {
  const out: NamespaceCounters = {};
  for (const [ns, links] of Object.entries(stats)) {
    const mine: Record<string, InterfaceCounters> = (out[ns] = {});
    for (const [
      name,
      [rxPackets = 0, txPackets = 0, rxBytes = 0, txBytes = 0, rxDropped = 0, txDropped = 0] = [],
    ] of Object.entries(links)) {
      mine[name] = { rxPackets, txPackets, rxBytes, txBytes, rxDropped, txDropped };
    }
  }
  return out;
}
