// When a lab's checks run. Runs are expensive (pings wait for replies), so at most `limit` run at
// once over all labs, and per lab at most one runs and one waits: a request while one already waits
// joins it (coalesced) — its caller gets that run's result, which started after it asked, so it
// sees the kernel as it was at the request or later. Other work on a lab (a reset) is queued in the
// same line, so a run never reads a lab that is being destroyed and re-created.
//
// Two things keep a student's fix from waiting behind runs that no longer matter:
// - Urgent before background: a run asked for because the lab's kernel state changed (or by a
//   person: a request, a join, a reset) takes the next free slot before runs asked for by a
//   terminal's Enter or the periodic tick, which re-check a lab on the off chance (every
//   BACKGROUND_EVERY-th slot still goes to the oldest background run, so none waits forever).
// - Overtaking: a run whose lab changes while its probes run describes a lab that is no more; it is
//   abandoned at once (its ping left to end by itself, its result never reported) and a fresh run
//   starts in the same slot after OVERTAKE_SETTLE_MS (the rest of the change's burst of events),
//   instead of the change waiting for the stale run's failing pings to time out. At most
//   MAX_OVERTAKES in a row, so a run whose own `command` check changes its lab cannot loop.
import type { CheckRun } from '@patchbay/protocol';

export type Trigger = CheckRun['trigger'];

/** Which trigger a coalesced run reports: the most specific one asked for. */
const TRIGGER_RANK: Record<Trigger, number> = { periodic: 0, change: 1, start: 2, request: 3, reset: 4 };
export const strongerTrigger = (a: Trigger, b: Trigger): Trigger => (TRIGGER_RANK[b] > TRIGGER_RANK[a] ? b : a);

/** A run overtaken this many times in a row finishes the next time (what it then misses, watch.ts runs once more). */
export const MAX_OVERTAKES = 2;
/** Between an overtaken run and its fresh one: the rest of the changing command's events arrive. */
export const OVERTAKE_SETTLE_MS = 50;
/** One slot in this many goes to the oldest background waiter while urgent ones wait. */
export const BACKGROUND_EVERY = 4;

/** A place in a Semaphore's queue: background until promoted. */
export class QueueTicket {
  /** Set by the semaphore while the ticket waits in its background queue. */
  onPromote: (() => void) | undefined;

  constructor(public background = false) {}

  /** Moves a waiting background ticket to the end of the urgent queue. */
  promote(): void {
    if (!this.background) return;
    this.background = false;
    this.onPromote?.();
  }
}

/**
 * A counting semaphore: FIFO, urgent waiters before background ones, and background holders at most
 * `backgroundLimit` at once (the rest of the slots kept for urgent work). While both wait, one slot
 * in BACKGROUND_EVERY still goes to the oldest background waiter, so none waits forever.
 */
export class Semaphore {
  private free: number;
  private backgroundActive = 0;
  private readonly urgent: (() => void)[] = [];
  private readonly background: (() => void)[] = [];
  /** Slots given to urgent waiters while background ones waited, since a background one got one. */
  private urgentStreak = 0;
  readonly backgroundLimit: number;

  constructor(
    readonly limit: number,
    backgroundLimit = limit,
  ) {
    this.free = limit;
    this.backgroundLimit = Math.max(1, Math.min(limit, backgroundLimit));
  }

  get active(): number {
    return this.limit - this.free;
  }

  /** Waiting now (urgent, background). */
  get queued(): { urgent: number; background: number } {
    return { urgent: this.urgent.length, background: this.background.length };
  }

  async use<T>(fn: () => Promise<T>, ticket?: QueueTicket): Promise<T> {
    let background = !!ticket?.background;
    if (this.free > 0 && (!background || this.backgroundActive < this.backgroundLimit)) this.take(background);
    else background = await new Promise<boolean>((go) => this.wait(go, ticket));
    try {
      return await fn();
    } finally {
      this.free++;
      if (background) this.backgroundActive--;
      this.dispatch();
    }
  }

  private take(background: boolean): void {
    this.free--;
    if (background) this.backgroundActive++;
  }

  /** Queues a waiter; `go(background)` once it holds a slot (as background, or urgent after a promotion). */
  private wait(go: (background: boolean) => void, ticket: QueueTicket | undefined): void {
    if (!ticket?.background) return void this.urgent.push(() => go(false));
    const asBackground = () => go(true);
    this.background.push(asBackground);
    ticket.onPromote = () => {
      ticket.onPromote = undefined;
      const i = this.background.indexOf(asBackground);
      if (i < 0) return;
      this.background.splice(i, 1);
      this.urgent.push(() => go(false));
      this.dispatch();
    };
  }

  private dispatch(): void {
    while (this.free > 0) {
      const backgroundMay = this.background.length > 0 && this.backgroundActive < this.backgroundLimit;
      if (backgroundMay && (!this.urgent.length || this.urgentStreak >= BACKGROUND_EVERY - 1)) {
        this.urgentStreak = 0;
        this.take(true);
        this.background.shift()!();
      } else if (this.urgent.length) {
        if (this.background.length) this.urgentStreak++;
        this.take(false);
        this.urgent.shift()!();
      } else return;
    }
  }
}

export interface RunRequest {
  /** Asked for on the off chance (a terminal's Enter, the periodic tick): waits behind urgent runs. */
  background?: boolean;
}

interface Waiting<R> {
  trigger: Trigger;
  ticket: QueueTicket;
  /** Answered by a run overtaken and started afresh after this one was asked for: it does not run itself. */
  absorbed?: boolean;
  promise: Promise<R>;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

interface LabLine<R> {
  /** Settles when everything queued for the lab so far has finished. */
  tail: Promise<void>;
  /** The run waiting to start, which new requests join. */
  waiting?: Waiting<R>;
  /** The run whose probes may be running now: overtaken when the lab changes. */
  running?: { controller: AbortController; overtakes: number };
  /** The run about to start again after it was overtaken: new requests join it too. */
  restarting?: Waiting<R>;
  /** Operations queued or running. */
  pending: number;
}

export class CheckScheduler<R> {
  private readonly lines = new Map<string, LabLine<R>>();
  private readonly runs: Semaphore;
  private readonly settleMs: number;

  constructor(
    limit: number,
    private readonly execute: (lab: string, trigger: Trigger, signal: AbortSignal) => Promise<R>,
    { backgroundLimit = limit, settleMs = OVERTAKE_SETTLE_MS }: { backgroundLimit?: number; settleMs?: number } = {},
  ) {
    this.settleMs = settleMs;
    this.runs = new Semaphore(limit, backgroundLimit);
  }

  /** Runs in flight now (all labs). */
  get running(): number {
    return this.runs.active;
  }

  /** Whether the lab has a run or other work queued or running. */
  busy(lab: string): boolean {
    return this.lines.has(lab);
  }

  /** A run of the lab's checks: a new one, or the one already waiting to start. */
  request(lab: string, trigger: Trigger, opts: RunRequest = {}): Promise<R> {
    const line = this.line(lab);
    const joined = line.waiting ?? line.restarting;
    if (joined) {
      joined.trigger = strongerTrigger(joined.trigger, trigger);
      if (!opts.background) joined.ticket.promote();
      return joined.promise;
    }
    let resolve!: (r: R) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<R>((res, rej) => ((resolve = res), (reject = rej)));
    const waiting: Waiting<R> = { trigger, ticket: new QueueTicket(!!opts.background), promise, resolve, reject };
    line.waiting = waiting;
    this.enqueue(lab, line, async () => {
      if (line.waiting === waiting) line.waiting = undefined;
      if (waiting.absorbed) return;
      try {
        waiting.resolve(await this.runs.use(() => this.runUntilCurrent(lab, line, waiting), waiting.ticket));
      } catch (err) {
        waiting.reject(err);
      }
    });
    return promise;
  }

  /**
   * The lab changed: its run in flight, if any, is abandoned and started afresh (same slot). False
   * when no run is in flight or it was overtaken MAX_OVERTAKES times already (it then finishes).
   */
  overtake(lab: string): boolean {
    const running = this.lines.get(lab)?.running;
    if (!running || running.controller.signal.aborted || running.overtakes >= MAX_OVERTAKES) return false;
    running.overtakes++;
    running.controller.abort();
    return true;
  }

  /** Runs the waiting run; when it is overtaken, again after the settle time, in the slot it holds. */
  private async runUntilCurrent(lab: string, line: LabLine<R>, waiting: Waiting<R>): Promise<R> {
    let overtakes = 0;
    for (;;) {
      const running = { controller: new AbortController(), overtakes };
      line.running = running;
      try {
        return await this.execute(lab, waiting.trigger, running.controller.signal);
      } catch (err) {
        if (!running.controller.signal.aborted) throw err;
      } finally {
        if (line.running === running) line.running = undefined;
      }
      overtakes = running.overtakes;
      // The run queued behind this one would start after it anyway: the fresh run answers it too.
      const queued = line.waiting;
      if (queued) {
        line.waiting = undefined;
        queued.absorbed = true;
        waiting.trigger = strongerTrigger(waiting.trigger, queued.trigger);
        waiting.promise.then(queued.resolve, queued.reject);
      }
      line.restarting = waiting;
      await new Promise((r) => setTimeout(r, this.settleMs));
      line.restarting = undefined;
    }
  }

  /** Other work on the lab (a reset), in the same line as its runs: none runs meanwhile. */
  exclusive<T>(lab: string, fn: () => Promise<T>): Promise<T> {
    const line = this.line(lab);
    // A run waiting before this work would read the lab as it was: later requests wait for a run after it.
    line.waiting = undefined;
    line.restarting = undefined;
    return new Promise<T>((resolve, reject) => this.enqueue(lab, line, () => fn().then(resolve, reject)));
  }

  private line(lab: string): LabLine<R> {
    let line = this.lines.get(lab);
    if (!line) this.lines.set(lab, (line = { tail: Promise.resolve(), pending: 0 }));
    return line;
  }

  private enqueue(lab: string, line: LabLine<R>, op: () => Promise<void>): void {
    line.pending++;
    line.tail = line.tail.then(op).finally(() => {
      if (--line.pending === 0 && this.lines.get(lab) === line) this.lines.delete(lab);
    });
  }

  /** Settles once everything queued now has finished (shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.lines.values()].map((l) => l.tail));
  }
}

/**
 * A run that passes more checks than the lab's run before, but not all, came right after a
 * student's step while the kernel may still be settling: a neighbour being resolved again on its
 * retransmit timer (up to a second when a ping of the student's own kept it probing), a carrier
 * coming up, a bridge learning. Nothing the watch reports marks the end of that, so the checks
 * run once more at once (urgent) instead of at the next Enter or tick; a run that made no
 * progress (a failing lab being poked) is not repeated, and neither is the repeat itself.
 */
export class ProgressRepeats {
  /** Checks each lab's latest run passed. */
  private readonly lastPassed = new Map<string, number>();
  /** Labs whose next run is the repeat of a run that made progress. */
  private readonly repeating = new Set<string>();

  /** Whether the lab's checks run once more at once after `run`. */
  after(lab: string, run: { passed: number; total: number }): boolean {
    const before = this.lastPassed.get(lab);
    this.lastPassed.set(lab, run.passed);
    if (this.repeating.delete(lab)) return false;
    if (before === undefined || run.passed <= before || run.passed === run.total) return false;
    this.repeating.add(lab);
    return true;
  }

  forget(lab: string): void {
    this.lastPassed.delete(lab);
    this.repeating.delete(lab);
  }
}
