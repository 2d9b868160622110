// Which exercise labs changed in the kernel, so their checks run again on their own. One
// NamespaceWatcher (one helper process) for every watched lab, in its default mode: only what a
// student changes counts (links and their up/down state, addresses, routes, forwarding, permanent
// FDB entries); ARP neighbours and learned FDB entries, which the checks' own pings change, never
// reach us. As a second guard against a run triggering itself (a `command` check may touch the
// lab), a change seen during a lab's own run is held until the run ends and then triggers ONE more
// run — not another after that one if it, too, saw changes: a student's change is never lost, and a
// run that changes its own lab cannot loop. Changes are debounced: a burst (link, addresses,
// routes of one `ip` command) becomes one run.
//
// A watcher's sockets keep namespaces alive after `ip netns del`: a lab is unwatched before it is
// destroyed or reset (`release`), and the helper exits when no lab is watched.
import type { Engine } from '@patchbay/engine';
import { listNamespaces, NamespaceWatcher } from '@patchbay/kernel';
import type { FastifyBaseLogger } from 'fastify';

export const CHANGE_DEBOUNCE_MS = 400;

export interface LabChangeWatchOptions {
  engine: Engine;
  log: FastifyBaseLogger;
  /** A watched lab changed (debounced; held while the lab's own run is in flight). */
  onChange: (lab: string) => void;
  debounceMs?: number;
}

export class LabChangeWatch {
  private watcher: NamespaceWatcher | undefined;
  private readonly wanted = new Set<string>();
  private readonly nsOfLab = new Map<string, Set<string>>();
  private readonly labOfNs = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Labs whose own run is in flight (count). */
  private readonly running = new Map<string, number>();
  /** Labs that changed during their own run: one run follows it. */
  private readonly heldChange = new Set<string>();
  /** Labs whose current run is the one that followed a held change (its own held change is dropped). */
  private readonly followUp = new Set<string>();
  /** Watch operations of a lab, one after another. */
  private readonly ops = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly opts: LabChangeWatchOptions) {}

  /** Labs watched (or to be watched) now. */
  labs(): string[] {
    return [...this.wanted];
  }

  isWatched(lab: string): boolean {
    return this.wanted.has(lab);
  }

  /** The helper's process id while one runs (tests). */
  get pid(): number | undefined {
    return this.watcher?.pid;
  }

  /** Watches the lab (its namespaces that exist now) or stops watching it. */
  set(lab: string, want: boolean): Promise<void> {
    // Wanted again: sync anyway — the lab may have been wanted before its namespaces existed (a
    // student joining while another's lab is being built), and sync picks up the ones now present.
    if (!want && !this.wanted.has(lab)) return this.ops.get(lab) ?? Promise.resolve();
    if (want && !this.closed) this.wanted.add(lab);
    else this.wanted.delete(lab);
    return this.sync(lab);
  }

  /** After the lab's namespaces changed (an apply, a reset): watch the new ones, drop the gone ones. */
  refresh(lab: string): Promise<void> {
    return this.wanted.has(lab) ? this.sync(lab) : Promise.resolve();
  }

  /** Lets go of the lab's namespaces now (it is about to be destroyed); `refresh` watches it again. */
  release(lab: string): Promise<void> {
    return this.chain(lab, () => this.unwatchAll(lab));
  }

  /** The lab's own check run starts: changes seen until it ends are held. Returns the function ending it. */
  runStarted(lab: string): () => void {
    this.running.set(lab, (this.running.get(lab) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const n = (this.running.get(lab) ?? 1) - 1;
      if (n > 0) return void this.running.set(lab, n);
      this.running.delete(lab);
      const wasFollowUp = this.followUp.delete(lab);
      if (!this.heldChange.delete(lab) || wasFollowUp || this.closed || !this.wanted.has(lab)) return;
      this.followUp.add(lab);
      this.changed(lab);
    };
  }

  /** Whether the lab's own run is in flight (a change now is held until it ends). */
  isRunning(lab: string): boolean {
    return this.running.has(lab);
  }

  private sync(lab: string): Promise<void> {
    return this.chain(lab, async () => {
      if (!this.wanted.has(lab) || this.closed) {
        await this.unwatchAll(lab);
        this.heldChange.delete(lab);
        this.followUp.delete(lab);
        return;
      }
      const entry = await this.opts.engine.entry(lab).catch(() => undefined);
      const present = new Set(await listNamespaces(this.opts.engine.labNamespacePrefix(lab)));
      const want = new Set((entry?.namespaces ?? []).filter((n) => present.has(n)));
      const mine = this.nsOfLab.get(lab) ?? new Set<string>();
      const gone = [...mine].filter((n) => !want.has(n));
      const added = [...want].filter((n) => !mine.has(n));
      for (const n of gone) {
        mine.delete(n);
        this.labOfNs.delete(n);
      }
      if (gone.length && this.watcher) await this.watcher.unwatch(gone).catch(() => undefined);
      if (!this.wanted.has(lab) || this.closed || added.length === 0) return this.closeIfIdle();
      for (const n of added) {
        mine.add(n);
        this.labOfNs.set(n, lab);
      }
      this.nsOfLab.set(lab, mine);
      await this.shared().watch(added);
    });
  }

  private async unwatchAll(lab: string): Promise<void> {
    const mine = [...(this.nsOfLab.get(lab) ?? [])];
    this.nsOfLab.delete(lab);
    for (const n of mine) this.labOfNs.delete(n);
    const t = this.timers.get(lab);
    if (t) {
      clearTimeout(t);
      this.timers.delete(lab);
    }
    if (mine.length && this.watcher) await this.watcher.unwatch(mine).catch(() => undefined);
    await this.closeIfIdle();
  }

  private async closeIfIdle(): Promise<void> {
    if (this.labOfNs.size > 0 || !this.watcher) return;
    const w = this.watcher;
    this.watcher = undefined;
    await w.close();
  }

  private chain(lab: string, op: () => Promise<void>): Promise<void> {
    const next = (this.ops.get(lab) ?? Promise.resolve())
      .then(op)
      .catch((err: Error) => this.opts.log.warn({ lab, err: err.message }, 'exercise watch failed'));
    this.ops.set(lab, next);
    void next.finally(() => {
      if (this.ops.get(lab) === next) this.ops.delete(lab);
    });
    return next;
  }

  private shared(): NamespaceWatcher {
    if (this.watcher && !this.watcher.isClosed) return this.watcher;
    const w = new NamespaceWatcher();
    w.on('change', (ns) => {
      const lab = this.labOfNs.get(ns);
      if (lab) this.changed(lab);
    });
    w.on('lost', (reason) => {
      if (this.watcher !== w) return;
      this.opts.log.warn({ reason }, 'exercise watch: the namespace watcher died; watching again');
      this.watcher = undefined;
      this.nsOfLab.clear();
      this.labOfNs.clear();
      const again = setTimeout(() => {
        for (const lab of this.wanted) void this.sync(lab);
      }, 1000);
      again.unref();
    });
    this.watcher = w;
    return w;
  }

  private changed(lab: string): void {
    if (this.closed) return;
    if (this.isRunning(lab)) return void this.heldChange.add(lab);
    if (this.timers.has(lab)) return;
    const t = setTimeout(() => {
      this.timers.delete(lab);
      if (!this.wanted.has(lab)) return;
      if (this.isRunning(lab)) return void this.heldChange.add(lab);
      this.opts.onChange(lab);
    }, this.opts.debounceMs ?? CHANGE_DEBOUNCE_MS);
    this.timers.set(lab, t);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const lab of [...this.wanted]) this.wanted.delete(lab);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.ops.values()]);
    const w = this.watcher;
    this.watcher = undefined;
    this.nsOfLab.clear();
    this.labOfNs.clear();
    await w?.close();
  }
}
