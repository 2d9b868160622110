// Reconnecting with backoff, as plain logic (no socket, no fetch, no real clock): a `Reconnector`
// is told that its link was lost, that an attempt failed, or that it is back, and decides when the
// next attempt runs. The connection manager (connection.ts) drives one per socket and one for REST.

export interface BackoffOptions {
  /** The delay before the first attempt. */
  baseMs: number;
  /** The delay never grows beyond this. */
  maxMs: number;
  /** Each attempt waits `factor` times longer than the previous one. */
  factor: number;
  /** ± this fraction of randomness, so a class of browsers does not knock at the same instant. */
  jitter: number;
}

// A restarted server is back within a few seconds (labs are re-adopted in about 1 s): the first
// attempts come quickly, and a long outage costs a knock every 10 s per page.
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 10_000, factor: 1.8, jitter: 0.2 };

/** The wait before attempt `attempt` (1 for the first), within [delay·(1−jitter), delay·(1+jitter)] and ≤ maxMs. */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const plain = Math.min(opts.maxMs, opts.baseMs * opts.factor ** (n - 1));
  const spread = 1 + opts.jitter * (2 * random() - 1);
  return Math.round(Math.min(opts.maxMs, plain * spread));
}

/** Where a link stands. */
export type LinkState =
  | { phase: 'online'; since: number }
  /** Lost: attempt `attempt` runs at `nextAt` (or runs now, `nextAt` passed); `since`: when it was lost. */
  | { phase: 'away'; attempt: number; nextAt: number; since: number }
  /** The server answered but refused (a token no longer valid): no more attempts, the page says why. */
  | { phase: 'refused'; reason: string; since: number }
  /** Not started, or given up by the page. */
  | { phase: 'idle' };

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};

export class Reconnector {
  private state: LinkState = { phase: 'idle' };
  private timer: unknown;
  private attempts = 0;

  constructor(
    /** Makes one attempt; its outcome comes back as `connected()` or `lost()`. */
    private readonly attempt: () => void,
    private readonly onState: (s: LinkState) => void,
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly clock: Clock = realClock,
    private readonly random: () => number = Math.random,
  ) {}

  get current(): LinkState {
    return this.state;
  }

  /** The link works (again): attempts start from 1 the next time it is lost. */
  connected(): void {
    this.cancel();
    this.attempts = 0;
    this.set({ phase: 'online', since: this.clock.now() });
  }

  /** The link was lost, or an attempt failed: the next attempt is scheduled (one at a time). */
  lost(): void {
    if (this.timer !== undefined) return;
    const since = this.state.phase === 'away' ? this.state.since : this.clock.now();
    this.attempts += 1;
    const delay = backoffDelay(this.attempts, this.opts, this.random);
    this.set({ phase: 'away', attempt: this.attempts, nextAt: this.clock.now() + delay, since });
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.attempt();
    }, delay);
  }

  /** The server refused the link (not a network failure): no more attempts until `lost()` again. */
  refused(reason: string): void {
    this.cancel();
    this.attempts = 0;
    this.set({ phase: 'refused', reason, since: this.clock.now() });
  }

  /** The page gave the link up (it closed the socket, or knows it is over). */
  stop(): void {
    this.cancel();
    this.attempts = 0;
    this.set({ phase: 'idle' });
  }

  /** Run the pending attempt now (the user asked, or the browser came back online). */
  retryNow(): void {
    if (this.timer === undefined) return;
    this.cancel();
    this.attempt();
  }

  private cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private set(s: LinkState): void {
    this.state = s;
    this.onState(s);
  }
}
