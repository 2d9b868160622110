// Which executor serves a namespace (nlexec.ts): always the same one for a name, so what one
// namespace is asked is answered in order; a lab's namespaces spread over all of them.
import { describe, expect, it } from 'vitest';
import { executorSlot } from './nlexec.js';

describe('executorSlot', () => {
  it('gives a namespace the same executor every time, within range', () => {
    for (const size of [1, 2, 3, 4]) {
      for (const ns of ['pb-lab._host', 'pb-lab.l0001', 'pbb-star200.l0200']) {
        const slot = executorSlot(ns, size);
        expect(slot).toBeGreaterThanOrEqual(0);
        expect(slot).toBeLessThan(size);
        expect(executorSlot(ns, size)).toBe(slot);
      }
    }
    expect(executorSlot('pb-lab.a', 1)).toBe(0);
  });

  it("spreads a 200-leaf star's namespaces over two executors about evenly", () => {
    const names = Array.from({ length: 200 }, (_, i) => `pbb-star200.l${String(i + 1).padStart(4, '0')}`);
    const first = names.filter((n) => executorSlot(n, 2) === 0).length;
    expect(first).toBeGreaterThan(70);
    expect(first).toBeLessThan(130);
  });
});
