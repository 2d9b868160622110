import { describe, expect, it } from 'vitest';
import { LatestOutbox } from './outbox.js';

describe('LatestOutbox', () => {
  it('sends while it has credit, then keeps only the latest message per key until acknowledged', () => {
    const sent: { v: string; coalesced: number; taken: () => void }[] = [];
    const box = new LatestOutbox<string>(2, (v, coalesced, taken) => sent.push({ v, coalesced, taken }));
    box.push('a', 'a1');
    box.push('b', 'b1');
    box.push('a', 'a2');
    box.push('a', 'a3');
    box.push('c', 'c1');
    box.push('a', 'a4');
    expect(sent.map((s) => s.v)).toEqual(['a1', 'b1']);
    expect(box.waitingCount).toBe(2);
    expect(box.coalesced).toBe(2);
    sent[0]!.taken();
    sent[0]!.taken(); // a second call gives no extra credit
    expect(sent.map((s) => s.v)).toEqual(['a1', 'b1', 'c1']);
    sent[1]!.taken();
    expect(sent.map((s) => s.v)).toEqual(['a1', 'b1', 'c1', 'a4']);
    expect(sent[3]!.coalesced).toBe(2);
    expect(box.waitingCount).toBe(0);
  });

  it('holds at most one message per key whatever the rate', () => {
    const box = new LatestOutbox<number>(1, () => undefined);
    for (let i = 0; i < 100_000; i++) box.push(`ns${i % 10}`, i);
    expect(box.waitingCount).toBe(10);
    expect(box.coalesced).toBe(100_000 - 1 - 10);
  });
});
