import { describe, expect, it } from 'vitest';
import { ReadBudget } from './read-budget.js';

describe('ReadBudget', () => {
  it('lets one second of packets through, then asks for the time that pays the debt', () => {
    let t = 0;
    const b = new ReadBudget(500, () => t);
    expect(b.spend(300)).toBe(0);
    expect(b.spend(200)).toBe(0);
    expect(b.spend(100)).toBe(200); // 100 packets of debt at 500/s
    t = 200;
    expect(b.spend(0)).toBe(0);
  });

  it('saves up at most one second, however long it was idle', () => {
    let t = 0;
    const b = new ReadBudget(100, () => t);
    t = 60_000;
    expect(b.spend(100)).toBe(0);
    expect(b.spend(50)).toBe(500);
  });

  it('refills continuously between reads', () => {
    let t = 0;
    const b = new ReadBudget(1000, () => t);
    expect(b.spend(1000)).toBe(0);
    t = 250;
    expect(b.spend(250)).toBe(0);
    expect(b.spend(10)).toBe(10);
  });
});
