// When a lab's checks run. Runs are expensive (pings wait for replies), so at most `limit` run at
// once over all labs, and per lab at most one runs and one waits: a request while one already waits
// joins it (coalesced) — its caller gets that run's result, which started after it asked, so it
// sees the kernel as it was at the request or later. Other work on a lab (a reset) is queued in the
// same line, so a run never reads a lab that is being destroyed and re-created.
import type { CheckRun } from '@patchbay/protocol';

export type Trigger = CheckRun['trigger'];

/** Which trigger a coalesced run reports: the most specific one asked for. */
const TRIGGER_RANK: Record<Trigger, number> = { change: 0, start: 1, request: 2, reset: 3 };
export const strongerTrigger = (a: Trigger, b: Trigger): Trigger => (TRIGGER_RANK[b] > TRIGGER_RANK[a] ? b : a);

/** A counting semaphore (FIFO). */
export class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    this.free = limit;
  }

  get active(): number {
    return this.limit - this.free;
  }

  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

interface Waiting<R> {
  trigger: Trigger;
  promise: Promise<R>;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

interface LabLine<R> {
  /** Settles when everything queued for the lab so far has finished. */
  tail: Promise<void>;
  /** The run waiting to start, which new requests join. */
  waiting?: Waiting<R>;
  /** Operations queued or running. */
  pending: number;
}

export class CheckScheduler<R> {
  private readonly lines = new Map<string, LabLine<R>>();
  private readonly runs: Semaphore;

  constructor(
    limit: number,
    private readonly execute: (lab: string, trigger: Trigger) => Promise<R>,
  ) {
    this.runs = new Semaphore(limit);
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
  request(lab: string, trigger: Trigger): Promise<R> {
    const line = this.line(lab);
    if (line.waiting) {
      line.waiting.trigger = strongerTrigger(line.waiting.trigger, trigger);
      return line.waiting.promise;
    }
    let resolve!: (r: R) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<R>((res, rej) => ((resolve = res), (reject = rej)));
    const waiting: Waiting<R> = { trigger, promise, resolve, reject };
    line.waiting = waiting;
    this.enqueue(lab, line, async () => {
      if (line.waiting === waiting) line.waiting = undefined;
      try {
        waiting.resolve(await this.runs.use(() => this.execute(lab, waiting.trigger)));
      } catch (err) {
        waiting.reject(err);
      }
    });
    return promise;
  }

  /** Other work on the lab (a reset), in the same line as its runs: none runs meanwhile. */
  exclusive<T>(lab: string, fn: () => Promise<T>): Promise<T> {
    const line = this.line(lab);
    // A run waiting before this work would read the lab as it was: later requests wait for a run after it.
    line.waiting = undefined;
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
