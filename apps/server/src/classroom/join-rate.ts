// How often one client address may try to join a class (`POST /api/join`, whatever the outcome: a
// wrong code costs as much as a right one, so guessing codes is slowed too): a token bucket per
// address, `joinBurst` saved up, refilled at `joinsPerMinute`. Its own buckets, apart from the
// generic REST rate limit: a join realizes a whole lab, so it is worth far fewer per minute than a
// request. Addresses whose bucket is full again are forgotten, so memory stays bounded.
import { TokenBucket } from '../limits.js';

/** Addresses remembered at most; beyond it the oldest is forgotten (it gets a full bucket again). */
const MAX_ADDRESSES = 50_000;

export class JoinRate {
  private readonly buckets = new Map<string, { bucket: TokenBucket; seen: number }>();
  private readonly ratePerSecond: number;
  /** A bucket untouched this long is full again: keeping it changes nothing. */
  private readonly refillMs: number;
  private lastSweep = performance.now();

  constructor(
    readonly perMinute: number,
    readonly burst: number,
  ) {
    this.ratePerSecond = perMinute / 60;
    this.refillMs = (burst / this.ratePerSecond) * 1000;
  }

  /** Takes a join for `address`: undefined when allowed, else the seconds to wait (Retry-After). */
  take(address: string): number | undefined {
    const now = performance.now();
    this.sweep(now);
    let entry = this.buckets.get(address);
    if (!entry) {
      if (this.buckets.size >= MAX_ADDRESSES) this.buckets.delete(this.buckets.keys().next().value!);
      entry = { bucket: new TokenBucket(this.ratePerSecond, this.burst), seen: now };
      this.buckets.set(address, entry);
    }
    entry.seen = now;
    return entry.bucket.take() ? undefined : entry.bucket.retryAfterS;
  }

  /** Addresses remembered now (for tests). */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < Math.min(60_000, this.refillMs)) return;
    this.lastSweep = now;
    for (const [address, entry] of this.buckets) if (now - entry.seen >= this.refillMs) this.buckets.delete(address);
  }
}
