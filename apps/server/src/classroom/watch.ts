// Which exercise labs changed in the kernel, so their checks run again on their own. Only
// desired-state changes count (the registry's `change`, not `activity`): what a student changes
// (links and their up/down state, addresses, routes, forwarding, permanent FDB entries); ARP
// neighbours and learned FDB entries, which the checks' own pings change, never reach us. As a second guard against a run triggering itself (a `command` check may touch the
// lab), a change seen during a lab's own run is held until the run ends and then triggers ONE more
// run — not another after that one if it, too, saw changes: a student's change is never lost, and a
// run that changes its own lab cannot loop. Changes are debounced: a burst (link, addresses,
// routes of one `ip` command) becomes one run. A change during the lab's own run does not wait for
// it: the run is overtaken (abandoned and started afresh at once, scheduler.ts) — a run reading a
// lab that changed under it would only report what is no more — up to MAX_OVERTAKES in a row; past
// that, the change is held as above.
//
// The namespaces are watched through the engine's watch registry (one helper process for the
// whole server, shared with the engine and the live tables; each namespace watched once): a lab
// subscription follows the lab as it is applied, reset or destroyed, so nothing here has to be
// told when the lab's namespaces change.
import type { WatchListener } from '@patchbay/engine';
import type { FastifyBaseLogger } from 'fastify';

/**
 * The events of one `ip` command arrive within a few ms; 100 ms merges them without making a
 * student wait (400 ms before runs could be overtaken: then a run started early on a lab still
 * changing kept its slot until its failing pings timed out).
 */
export const CHANGE_DEBOUNCE_MS = 100;

/** What the watch needs of the engine's watch registry. */
export interface LabWatchSource {
  watchLab(lab: string, listener: WatchListener): Promise<{ close(): Promise<void> }>;
}

export interface LabChangeWatchOptions {
  watches: LabWatchSource;
  log: FastifyBaseLogger;
  /** A watched lab changed (debounced; held while the lab's own run is in flight and not overtaken). */
  onChange: (lab: string) => void;
  /** The lab changed while its own run is in flight: true when that run is abandoned and started afresh (scheduler.ts). */
  overtake?: (lab: string) => boolean;
  debounceMs?: number;
}

export class LabChangeWatch {
  private readonly wanted = new Set<string>();
  /** The registry's lab subscriptions of the labs watched. */
  private readonly subscriptions = new Map<string, { close(): Promise<void> }>();
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

  /** Watches the lab (it follows the lab's namespaces from then on) or stops watching it. */
  set(lab: string, want: boolean): Promise<void> {
    if (!want && !this.wanted.has(lab)) return this.ops.get(lab) ?? Promise.resolve();
    if (want && !this.closed) this.wanted.add(lab);
    else this.wanted.delete(lab);
    return this.sync(lab);
  }

  /**
   * The lab's own check run starts: changes seen until it ends overtake it or are held. Returns the
   * function ending it; `abandoned`: the run was overtaken and starts afresh, so what it held (and
   * whether it is a follow-up) carries over to the fresh run.
   */
  runStarted(lab: string): (abandoned?: boolean) => void {
    this.running.set(lab, (this.running.get(lab) ?? 0) + 1);
    let ended = false;
    return (abandoned = false) => {
      if (ended) return;
      ended = true;
      const n = (this.running.get(lab) ?? 1) - 1;
      if (n > 0) return void this.running.set(lab, n);
      this.running.delete(lab);
      if (abandoned) return;
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
      const sub = this.subscriptions.get(lab);
      if (!this.wanted.has(lab) || this.closed) {
        this.subscriptions.delete(lab);
        const t = this.timers.get(lab);
        if (t) {
          clearTimeout(t);
          this.timers.delete(lab);
        }
        this.heldChange.delete(lab);
        this.followUp.delete(lab);
        await sub?.close();
        return;
      }
      if (sub) return;
      this.subscriptions.set(
        lab,
        await this.opts.watches.watchLab(lab, {
          change: () => this.changed(lab),
          // The helper died: changes may have been missed, so the checks run again.
          lost: () => this.changed(lab),
        }),
      );
    });
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

  private changed(lab: string): void {
    if (this.closed) return;
    if (this.isRunning(lab)) return this.whileRunning(lab);
    if (this.timers.has(lab)) return;
    const t = setTimeout(() => {
      this.timers.delete(lab);
      if (!this.wanted.has(lab)) return;
      if (this.isRunning(lab)) return this.whileRunning(lab);
      this.opts.onChange(lab);
    }, this.opts.debounceMs ?? CHANGE_DEBOUNCE_MS);
    this.timers.set(lab, t);
  }

  /** A change during the lab's own run: the run starts afresh (overtaken) or, when it may not be, one follows it. */
  private whileRunning(lab: string): void {
    if (this.opts.overtake?.(lab)) return;
    this.heldChange.add(lab);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const lab of [...this.wanted]) this.wanted.delete(lab);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.ops.values()]);
    const subs = [...this.subscriptions.values()];
    this.subscriptions.clear();
    await Promise.allSettled(subs.map((s) => s.close()));
  }
}
