import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, Reconnector, type Clock, type LinkState } from './backoff';

/** A clock that runs only when told: timers fire in `advance`. */
function fakeClock() {
  let now = 1_000_000;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = until;
  };
  return { clock, advance, pending: () => timers.size };
}

const noJitter = { ...DEFAULT_BACKOFF, jitter: 0 };

describe('backoffDelay', () => {
  it('grows by the factor from the base and stops at the maximum', () => {
    const opts = { baseMs: 1000, maxMs: 10_000, factor: 2, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n, opts))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
    ]);
    expect(backoffDelay(0, opts)).toBe(1000); // attempts count from 1
  });
  it('spreads by ± jitter, never beyond the maximum', () => {
    const opts = { baseMs: 1000, maxMs: 10_000, factor: 2, jitter: 0.25 };
    expect(backoffDelay(1, opts, () => 0)).toBe(750);
    expect(backoffDelay(1, opts, () => 1)).toBe(1250);
    expect(backoffDelay(3, opts, () => 0.5)).toBe(4000);
    expect(backoffDelay(9, opts, () => 1)).toBe(10_000);
  });
});

describe('Reconnector', () => {
  it('retries a lost link with growing delays, one attempt at a time, and starts over once back', () => {
    const { clock, advance, pending } = fakeClock();
    const states: LinkState[] = [];
    let attempts = 0;
    const r = new Reconnector(
      () => attempts++,
      (s) => states.push(s),
      noJitter,
      clock,
    );
    r.connected();
    const lostAt = clock.now();
    r.lost();
    r.lost(); // a second report while an attempt is scheduled changes nothing
    expect(pending()).toBe(1);
    expect(r.current).toEqual({ phase: 'away', attempt: 1, nextAt: lostAt + 1000, since: lostAt });
    advance(999);
    expect(attempts).toBe(0);
    advance(1);
    expect(attempts).toBe(1);
    r.lost(); // that attempt failed
    expect(r.current).toMatchObject({ phase: 'away', attempt: 2, nextAt: clock.now() + 1800, since: lostAt });
    advance(1800);
    expect(attempts).toBe(2);
    r.lost();
    expect(r.current).toMatchObject({ attempt: 3, nextAt: clock.now() + 3240 });
    r.connected();
    expect(r.current.phase).toBe('online');
    expect(pending()).toBe(0);
    r.lost(); // lost again later: from the first delay
    expect(r.current).toMatchObject({ attempt: 1, nextAt: clock.now() + 1000 });
    expect(states.map((s) => s.phase)).toEqual(['online', 'away', 'away', 'away', 'online', 'away']);
  });

  it('reaches the maximum delay and stays there during a long outage', () => {
    const { clock, advance } = fakeClock();
    const r = new Reconnector(
      () => r.lost(),
      () => undefined,
      noJitter,
      clock,
    );
    r.lost();
    advance(60_000);
    const s = r.current;
    expect(s.phase).toBe('away');
    if (s.phase === 'away') {
      expect(s.attempt).toBeGreaterThan(6);
      expect(s.nextAt - clock.now()).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
    }
  });

  it('stops on a refusal or when given up, and retries at once when asked', () => {
    const { clock, advance, pending } = fakeClock();
    let attempts = 0;
    const r = new Reconnector(
      () => attempts++,
      () => undefined,
      noJitter,
      clock,
    );
    r.lost();
    r.refused('the token is not valid');
    expect(r.current).toMatchObject({ phase: 'refused', reason: 'the token is not valid' });
    expect(pending()).toBe(0);
    advance(30_000);
    expect(attempts).toBe(0);
    r.lost();
    r.retryNow();
    expect(attempts).toBe(1);
    expect(pending()).toBe(0);
    r.lost();
    r.stop();
    advance(30_000);
    expect(attempts).toBe(1);
    expect(r.current).toEqual({ phase: 'idle' });
  });
});
