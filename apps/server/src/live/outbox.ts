// Flow control for "latest state per key" streams (the live tables): a subscriber has at most
// `credit` messages unacknowledged; while it has none, a newer message for the same key replaces
// the one waiting (counted as coalesced), so what waits is at most one message per key — bounded
// by the lab's size, never by the rate of changes or the client's speed.
export class LatestOutbox<T> {
  private readonly waiting = new Map<string, T>();
  /** Messages replaced by a newer one for the same key before they could be sent. */
  coalesced = 0;

  constructor(
    private credit: number,
    /** Sends `value`; must call `taken` once the client acknowledged it (or gave up on it). */
    private readonly send: (value: T, coalesced: number, taken: () => void) => void,
  ) {}

  get waitingCount(): number {
    return this.waiting.size;
  }

  push(key: string, value: T): void {
    if (this.credit > 0 && this.waiting.size === 0) return this.emit(value);
    if (this.waiting.has(key)) {
      this.coalesced++;
      this.waiting.delete(key); // re-inserted last: keys go out in the order of their latest change
    }
    this.waiting.set(key, value);
    this.pump();
  }

  private pump(): void {
    while (this.credit > 0 && this.waiting.size > 0) {
      const [key, value] = this.waiting.entries().next().value as [string, T];
      this.waiting.delete(key);
      this.emit(value);
    }
  }

  private emit(value: T): void {
    this.credit--;
    let done = false;
    this.send(value, this.coalesced, () => {
      if (done) return;
      done = true;
      this.credit++;
      this.pump();
    });
  }
}
