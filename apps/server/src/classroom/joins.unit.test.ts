// The pure parts of who may join and how long a session lives: the join rate per address and the
// idle rule of sessions.
import { describe, expect, it } from 'vitest';
import { JoinRate } from './join-rate.js';
import { sessionIdle, type SessionActivity } from './session-expiry.js';

describe('join rate', () => {
  it('allows the burst per address, then refuses with the seconds to wait; addresses are apart', () => {
    const rate = new JoinRate(6, 3);
    expect([rate.take('a'), rate.take('a'), rate.take('a')]).toEqual([undefined, undefined, undefined]);
    const wait = rate.take('a');
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(10); // 6 a minute: one every 10 s
    expect(rate.take('b')).toBeUndefined();
    expect(rate.size).toBe(2);
  });
});

describe('idle sessions', () => {
  const HOUR = 3_600_000;
  const base: SessionActivity = { createdAt: 0, touchedAt: undefined, dashboardOpen: false, students: [] };

  it('counts from the latest sign of life: opening, the server start, the instructor, any student', () => {
    expect(sessionIdle(base, 8 * HOUR, 8 * HOUR, 0)).toBe(true);
    expect(sessionIdle(base, 8 * HOUR - 1, 8 * HOUR, 0)).toBe(false);
    expect(sessionIdle(base, 8 * HOUR, 8 * HOUR, HOUR)).toBe(false); // a restart gives a full period
    expect(sessionIdle({ ...base, touchedAt: HOUR }, 8 * HOUR, 8 * HOUR, 0)).toBe(false);
    const students = [
      { lastSeen: undefined, connected: false },
      { lastSeen: 2 * HOUR, connected: false },
    ];
    expect(sessionIdle({ ...base, students }, 9 * HOUR, 8 * HOUR, 0)).toBe(false);
    expect(sessionIdle({ ...base, students }, 10 * HOUR, 8 * HOUR, 0)).toBe(true);
  });

  it('is never idle while a student is connected or a dashboard is open, nor with an idle time of 0', () => {
    const late = 100 * HOUR;
    expect(sessionIdle({ ...base, dashboardOpen: true }, late, HOUR, 0)).toBe(false);
    expect(sessionIdle({ ...base, students: [{ lastSeen: 0, connected: true }] }, late, HOUR, 0)).toBe(false);
    expect(sessionIdle(base, late, 0, 0)).toBe(false);
  });
});
