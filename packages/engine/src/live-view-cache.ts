// What the live views read of a namespace (`labState`: GET …/state, `patchbay state`, the tables'
// deltas, every check run), kept until the kernel reports any change in it. A class of 40 asked for
// each student's namespaces several times a second (the tables after each change, the checks after
// it, the page's state requests), and each read was four processes (`ip` twice, `bridge`,
// `iptables-save`): `pnpm bench:hostile` found the server's spawner at half a core with no student
// doing anything hostile. Kept per namespace, invalidated by the watcher's `activity` (any rtnetlink
// message: links, addresses, routes, rules, neighbours, learned FDB entries, netconf; and every
// nf_tables change, which is how iptables-nft and ebtables-nft write their rules), so a change made
// anywhere — an apply, a student's shell, the kernel's own ARP ageing — is read again, and
// an unchanged namespace costs one round trip to the watcher (`sync`) instead of four processes.
// When the watcher could decode every message of a report (addresses added, routes, neighbours,
// FDB entries: kernel live-patch.ts), the kept entry is brought up to date from them instead, so a
// student's `ip addr add` or an ARP entry reaches the tables with no process at all.
import {
  mapLimit,
  observeNamespaces,
  patchLiveRead,
  readLiveTables,
  type DecodedObject,
  type LiveTables,
} from '@patchbay/kernel';
import type { NamespaceState } from '@patchbay/topology';
import type { WatchRegistry, WatchSubscription } from './watch-registry.js';

export interface LiveRead {
  /** As observeNamespaces reads it with iptables (ebtables too for the bridge hosts asked for) and peer namespaces (veth peers not resolved). */
  state: NamespaceState;
  tables: LiveTables;
}

interface InflightRead {
  generation: number;
  epoch: number;
  ebtables: boolean;
  ip6tables: boolean;
  /** The namespace as the read found it (undefined: gone); a copy no caller holds. */
  read: Promise<LiveRead | undefined>;
}

/** Generations kept at most (one per namespace ever invalidated) before they are all forgotten at once. */
const MAX_GENERATIONS = 100_000;

export class LiveViewCache {
  private readonly entries = new Map<string, LiveRead>();
  /** Entries read with their ebtables (bridge hosts): one read without them does not serve a request for them. */
  private readonly withEbtables = new Set<string>();
  /** Likewise entries read with their ip6tables (namespaces of a lab with IPv6 rules or addresses). */
  private readonly withIp6tables = new Set<string>();
  /** Bumped on every report about a namespace: a read that raced with one is not kept. */
  private readonly generation = new Map<string, number>();
  /** Bumped when `generation` is forgotten, so no read begun before is kept. */
  private epoch = 0;
  private readonly watcher?: WatchSubscription;
  /**
   * Kernel reads in flight, per namespace, with the generation they began at: a request for the
   * same namespace meanwhile (a class's tables delta, check run and state request after one
   * change) joins the read instead of starting the same processes again, unless a report came in
   * after the read began.
   */
  private readonly inflight = new Map<string, InflightRead>();
  /** Namespaces served from memory, read from the kernel, and joined to a read in flight (tests, benchmarks). */
  hits = 0;
  misses = 0;
  joined = 0;
  /** Reports applied to a kept entry from the watcher's decoded objects (tests, benchmarks). */
  patched = 0;

  /** `registry`: watch what is read (a long-lived engine); without it every read goes to the kernel. */
  constructor(private readonly registry?: WatchRegistry) {
    this.watcher = registry?.subscribe({
      // `activity` comes with every report, `change` ones included (kernel watch.ts)
      activity: (ns, objects) => this.update(ns, objects),
      released: (ns) => this.invalidate(ns),
      lost: () => {
        for (const ns of [...this.entries.keys()]) this.invalidate(ns);
      },
    });
  }

  /** A report about `ns`: its kept entry patched from `objects` when they are given and apply, else dropped. */
  private update(ns: string, objects: readonly DecodedObject[] | undefined): void {
    const kept = this.entries.get(ns);
    if (!kept || !objects) return this.invalidate(ns);
    if (!patchLiveRead(kept.state, kept.tables, objects)) return this.invalidate(ns);
    this.patched++;
    // A read begun before this report saw the namespace without it: not to be kept.
    this.generation.set(ns, (this.generation.get(ns) ?? 0) + 1);
  }

  invalidate(ns: string): void {
    this.entries.delete(ns);
    this.withEbtables.delete(ns);
    this.withIp6tables.delete(ns);
    if (this.generation.size >= MAX_GENERATIONS && !this.generation.has(ns)) {
      this.generation.clear();
      this.entries.clear();
      this.withEbtables.clear();
      this.withIp6tables.clear();
      this.epoch++;
    }
    this.generation.set(ns, (this.generation.get(ns) ?? 0) + 1);
  }

  /**
   * Each of `names` that exists, read or served from memory; the results are the caller's own
   * copies (views resolve veth peers on them). `names` should exist: a missing one is not watched.
   */
  async read(
    names: readonly string[],
    concurrency: number,
    ebtables: ReadonlySet<string> = new Set(),
    ip6tables: ReadonlySet<string> = new Set(),
  ): Promise<Map<string, LiveRead>> {
    const unique = [...new Set(names)];
    const registry = this.registry;
    const watcher = this.watcher;
    if (!watcher || !registry) return this.readKernel(unique, concurrency, ebtables, ip6tables);
    // Watched before anything is read, and every change the kernel made so far delivered: what is
    // in memory now is what the kernel holds, unless a report says otherwise.
    const unwatched = unique.filter((n) => !watcher.names.has(n));
    // one that could not be watched (gone meanwhile, or being deleted) is read from the kernel
    if (unwatched.length) await watcher.watch(unwatched).catch(() => undefined);
    await registry.sync();
    const watched = (n: string) => watcher.names.has(n) && registry.isWatching(n);
    const out = new Map<string, LiveRead>();
    const misses: string[] = [];
    for (const n of unique) {
      const kept = this.entries.get(n);
      const complete =
        (!ebtables.has(n) || this.withEbtables.has(n)) && (!ip6tables.has(n) || this.withIp6tables.has(n));
      if (kept && watched(n) && complete) out.set(n, structuredClone(kept));
      else misses.push(n);
    }
    this.hits += out.size;
    if (misses.length === 0) return out;
    const epoch = this.epoch;
    const joins: [string, Promise<LiveRead | undefined>][] = [];
    const toRead: string[] = [];
    for (const n of misses) {
      const f = this.inflight.get(n);
      const current = f && f.epoch === epoch && f.generation === (this.generation.get(n) ?? 0);
      if (current && (!ebtables.has(n) || f.ebtables) && (!ip6tables.has(n) || f.ip6tables)) joins.push([n, f.read]);
      else toRead.push(n);
    }
    this.misses += toRead.length;
    this.joined += joins.length;
    if (toRead.length) {
      const before = new Map(toRead.map((n) => [n, this.generation.get(n) ?? 0]));
      const batch = this.readKernel(toRead, concurrency, ebtables, ip6tables);
      for (const n of toRead) {
        // A copy taken before this caller gets (and may change) the read.
        const read = batch.then((m) => {
          const r = m.get(n);
          return r && structuredClone(r);
        });
        const entry: InflightRead = {
          generation: before.get(n)!,
          epoch,
          ebtables: ebtables.has(n),
          ip6tables: ip6tables.has(n),
          read,
        };
        this.inflight.set(n, entry);
        void read
          .catch(() => undefined)
          .finally(() => {
            if (this.inflight.get(n) === entry) this.inflight.delete(n);
          });
      }
      const fresh = await batch;
      for (const [n, r] of fresh) {
        if (epoch === this.epoch && (this.generation.get(n) ?? 0) === before.get(n) && watched(n)) {
          this.entries.set(n, structuredClone(r));
          if (ebtables.has(n)) this.withEbtables.add(n);
          else this.withEbtables.delete(n);
          if (ip6tables.has(n)) this.withIp6tables.add(n);
          else this.withIp6tables.delete(n);
        }
        out.set(n, r);
      }
    }
    for (const [n, read] of joins) {
      const r = await read;
      if (r) out.set(n, structuredClone(r));
    }
    return out;
  }

  private async readKernel(
    names: string[],
    concurrency: number,
    ebtables: ReadonlySet<string>,
    ip6tables: ReadonlySet<string>,
  ): Promise<Map<string, LiveRead>> {
    const observed = await observeNamespaces(names, {
      iptables: new Set(names),
      ip6tables,
      ebtablesIfAvailable: ebtables,
      concurrency,
      peerNamespaces: true,
    });
    const out = new Map<string, LiveRead>();
    await mapLimit(Object.keys(observed.namespaces), concurrency, async (ns) => {
      out.set(ns, { state: observed.namespaces[ns]!, tables: await readLiveTables(ns) });
    });
    return out;
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.withEbtables.clear();
    this.withIp6tables.clear();
    this.inflight.clear();
    await this.watcher?.close();
  }
}
