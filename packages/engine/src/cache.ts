// What a long-lived engine knows of its namespaces between applies. States handed out are the
// cached objects themselves (no copy: this is the hot path of an incremental apply); callers treat
// them as read-only, except for the derived veth peer fields `resolveVethPeers` fills in.
// With a subscription to the
// watch registry feeding it, a namespace is read again only after the kernel reported a change in
// it (or when its iptables or ebtables matter: the watcher reports nf_tables changes too, but the
// diff of an apply must never rest on a missed event). Without one, every
// read goes to the kernel, as a one-shot CLI run must.
import { observeNamespaces, type ObserveOptions } from '@patchbay/kernel';
import type { KernelState, NamespaceState } from '@patchbay/topology';
import type { WatchRegistry, WatchSubscription } from './watch-registry.js';

export class ObservationCache {
  private readonly states = new Map<string, NamespaceState>();
  /** Bumped on every change event: a read that raced with a change is not cached. */
  private readonly generation = new Map<string, number>();

  private readonly watcher?: WatchSubscription;

  /** `registry`: watch what is read (a long-lived engine); without it nothing is kept. */
  constructor(private readonly registry?: WatchRegistry) {
    this.watcher = registry?.subscribe({
      change: (ns) => this.invalidate(ns),
      lost: () => {
        for (const ns of [...this.states.keys()]) this.invalidate(ns);
      },
    });
  }

  get watching(): boolean {
    return this.watcher !== undefined;
  }

  invalidate(ns: string): void {
    this.states.delete(ns);
    this.generation.set(ns, (this.generation.get(ns) ?? 0) + 1);
  }

  /** States to keep once the watcher has reported the changes made before them (rememberWhenSettled). */
  private settling?: Promise<void>;

  /** Like observeNamespaces, but serves unchanged namespaces from memory when watching. */
  async observe(names: readonly string[], opts: ObserveOptions = {}): Promise<KernelState> {
    if (!this.watcher) return observeNamespaces(names, opts);
    // States kept after the last apply must be kept before anything is read: kept later, they
    // could replace what this read (and a change made since) shows.
    if (this.settling) await this.settling;
    return this.observeNow(names, opts);
  }

  /** observe, for a cache that watches, without waiting for the states being kept. */
  private async observeNow(names: readonly string[], opts: ObserveOptions = {}): Promise<KernelState> {
    const watcher = this.watcher;
    if (!watcher) return observeNamespaces(names, opts);
    const unique = [...new Set(names)];
    // before reading: no change can slip between read and watch (those held and watched already
    // need nothing: asking again for all 201 namespaces of a star cost each incremental apply ~0.5 ms)
    const registry = this.registry!;
    const unwatched = unique.filter((n) => !watcher.names.has(n) || !registry.isWatching(n));
    if (unwatched.length) await watcher.watch(unwatched);
    const toRead = unique.filter(
      (n) => !this.states.has(n) || opts.iptables?.has(n) || opts.ip6tables?.has(n) || opts.ebtables?.has(n),
    );
    const before = new Map(toRead.map((n) => [n, this.generation.get(n) ?? 0]));
    const fresh = toRead.length ? await observeNamespaces(toRead, opts) : { namespaces: {} };
    const namespaces: Record<string, NamespaceState> = {};
    for (const n of unique) {
      const read = fresh.namespaces[n];
      if (read) {
        if ((this.generation.get(n) ?? 0) === before.get(n)) this.states.set(n, read);
        namespaces[n] = read;
      } else if (!toRead.includes(n) && this.states.has(n)) {
        namespaces[n] = this.states.get(n)!;
      }
    }
    return { namespaces };
  }

  /**
   * After changing the kernel: waits until the watcher has reported every change made so far (our
   * own included), and returns a mark for `remember`. Without a watcher: undefined.
   */
  async settle(): Promise<Map<string, number> | undefined> {
    if (!this.watcher) return undefined;
    await this.registry!.sync();
    return new Map(this.generation);
  }

  /**
   * Keeps `states` (each read after changes of its own namespace were made) once the watcher has
   * reported every change made so far, unless one was reported since: `settle` then `remember`, in
   * the background; then watches and reads the namespaces `fresh` (just made). The next `observe`
   * waits for it.
   */
  rememberWhenSettled(states: readonly NamespaceState[], fresh: readonly string[] = []): void {
    if (!this.watcher || (states.length === 0 && fresh.length === 0)) return;
    const previous = this.settling;
    const settling = (async () => {
      await previous;
      const mark = await this.settle();
      for (const state of states) this.remember(state, mark);
      // Namespaces just made are watched from now on, and read once (a read made before the
      // watching began is not kept): that was the next apply's to do, ~2.5 ms of removing a node.
      if (fresh.length) await this.observeNow(fresh);
    })().catch(() => undefined); // not kept: the next read goes to the kernel
    this.settling = settling;
    void settling.then(() => {
      if (this.settling === settling) this.settling = undefined;
    });
  }

  /** Keeps `state` (read after `settle`'s changes were made) unless a change was reported since `mark`. */
  remember(state: NamespaceState, mark: Map<string, number> | undefined): void {
    if (!mark || !this.watcher?.names.has(state.name) || !this.registry!.isWatching(state.name)) return;
    if ((this.generation.get(state.name) ?? 0) === (mark.get(state.name) ?? 0)) this.states.set(state.name, state);
  }

  /** Call before deleting namespaces: a watched namespace is kept alive by the watcher's socket. */
  async forget(names: readonly string[]): Promise<void> {
    // the last apply's states being kept may watch a namespace this is about to let go
    if (this.settling) await this.settling;
    for (const n of names) this.invalidate(n);
    await this.watcher?.unwatch(names);
  }

  async close(): Promise<void> {
    this.states.clear();
    await this.watcher?.close();
  }
}
