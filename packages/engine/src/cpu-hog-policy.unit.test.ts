// When a lab counts as a CPU hog: pure decisions from throttling counters (no kernel).
import { describe, expect, it } from 'vitest';
import { CpuHogPolicy } from './cpu-hog-policy.js';

/** Feeds one sample per second: each entry the periods and throttled periods of that second. */
function feed(policy: CpuHogPolicy, seconds: [number, number][], group = 'lab.p.a') {
  let periods = 0;
  let throttled = 0;
  const out = [policy.sample(new Map([[group, { periods, throttled }]]))];
  for (const [p, t] of seconds) {
    periods += p;
    throttled += t;
    out.push(policy.sample(new Map([[group, { periods, throttled }]])));
  }
  return out;
}

describe('CpuHogPolicy', () => {
  it('demotes a lab held at its ceiling for 5 seconds in a row, not before', () => {
    const policy = new CpuHogPolicy();
    const d = feed(policy, [
      [10, 10],
      [10, 9],
      [10, 10],
      [10, 8],
      [10, 10],
    ]);
    expect(d.slice(0, 5).every((x) => x.demote.length === 0)).toBe(true);
    expect(d[5]!.demote).toEqual(['lab.p.a']);
    expect(policy.demoted()).toEqual(['lab.p.a']);
  });

  it('ordinary work (check runs: two seconds at the ceiling every few seconds; half-held seconds) is never demoted', () => {
    const policy = new CpuHogPolicy();
    const d = feed(policy, [
      [10, 10],
      [10, 10],
      [10, 0],
      [10, 10],
      [10, 9],
      [10, 2],
      [10, 10],
      [10, 7],
      [10, 10],
      [10, 10],
      [10, 6],
      [3, 0],
      [0, 0],
    ]);
    expect(d.flatMap((x) => x.demote)).toEqual([]);
  });

  it('restores a demoted lab after 10 calm seconds in a row; a throttled second starts the count again', () => {
    const policy = new CpuHogPolicy();
    const busy: [number, number][] = Array.from({ length: 5 }, () => [10, 10]);
    const calm = (n: number): [number, number][] => Array.from({ length: n }, () => [5, 0]);
    const d = feed(policy, [...busy, ...calm(9), [10, 1], ...calm(9), [2, 0]]);
    const restoredAt = d.findIndex((x) => x.restore.length > 0);
    expect(restoredAt).toBe(5 + 9 + 1 + 10);
    expect(policy.demoted()).toEqual([]);
  });

  it('forgets groups that are gone, and starts over when counters go back (the group was made again)', () => {
    const policy = new CpuHogPolicy({ demoteAfter: 1, restoreAfter: 1, busyShare: 0.5 });
    policy.sample(new Map([['g', { periods: 100, throttled: 100 }]]));
    expect(policy.sample(new Map([['g', { periods: 110, throttled: 110 }]])).demote).toEqual(['g']);
    expect(policy.sample(new Map()).demote).toEqual([]);
    expect(policy.demoted()).toEqual([]);
    // made again: lower counters are a new baseline, not a busy second
    policy.sample(new Map([['g', { periods: 5, throttled: 5 }]]));
    expect(policy.sample(new Map([['g', { periods: 4, throttled: 4 }]])).demote).toEqual([]);
  });
});
