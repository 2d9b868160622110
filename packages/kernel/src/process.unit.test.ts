import type { Op } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { validateOp } from './execute.js';
import { normalizeRouteDst } from './observe.js';
import { assertNamespaceName, createLimiter, mapLimit, parseBatchErrors } from './process.js';

function op(partial: Partial<Op>): Op {
  return {
    phase: 'link',
    tool: 'ip',
    ns: 'pb-lab.a',
    args: ['link', 'add', 'br0', 'type', 'bridge'],
    kind: 'link',
    action: 'add',
    subject: { node: 'a' },
    reason: 'test',
    ...partial,
  };
}

describe('process helpers', () => {
  it('assertNamespaceName accepts lab names and rejects paths and options', () => {
    expect(() => assertNamespaceName('pb-lab.node')).not.toThrow();
    expect(() => assertNamespaceName('pb-lab._host')).not.toThrow();
    for (const bad of ['', '-x', '../etc', 'a/b', 'A', 'a b', 'a;b', '_x', 'x'.repeat(82)]) {
      expect(() => assertNamespaceName(bad)).toThrow();
    }
  });
  it('parseBatchErrors maps message lines to batch line numbers', () => {
    const { errors, trailing } = parseBatchErrors(
      'Cannot find device "x2"\nCommand failed -:3\nRTNETLINK answers: No such process\nCommand failed -:4\nwarning\n',
    );
    expect([...errors]).toEqual([
      [3, 'Cannot find device "x2"'],
      [4, 'RTNETLINK answers: No such process'],
    ]);
    expect(trailing).toBe('warning');
  });
  it('mapLimit keeps order and bounds concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n * 3));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
    expect(await mapLimit([], 3, async () => 1)).toEqual([]);
  });
  it('createLimiter bounds concurrency, also for calls that arrive while others finish', async () => {
    const slot = createLimiter(2);
    let inFlight = 0;
    let peak = 0;
    const job = (ms: number) =>
      slot(async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, ms));
        inFlight--;
        return ms;
      });
    const first = [job(6), job(3), job(9), job(3)];
    // Late arrivals, queued after a slot has been handed over to a waiting call.
    const late = new Promise<number[]>((resolve) => setTimeout(() => resolve(Promise.all([job(2), job(2)])), 4));
    expect(await Promise.all(first)).toEqual([6, 3, 9, 3]);
    expect(await late).toEqual([2, 2]);
    expect(peak).toBe(2);
    await expect(slot(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await slot(async () => 'freed after a failure')).toBe('freed after a failure');
  });
  it('validateOp rejects anything that could break a batch line', () => {
    expect(() => validateOp(op({}))).not.toThrow();
    expect(() => validateOp(op({ args: ['link', 'add', 'a b'] }))).toThrow(/unsafe/);
    expect(() => validateOp(op({ args: ['link', 'set', 'lo', 'alias', '"x"'] }))).toThrow(/unsafe/);
    expect(() => validateOp(op({ args: ['link', '#'] }))).toThrow(/unsafe/);
    expect(() => validateOp(op({ args: ['link', 'a\nlink'] }))).toThrow(/unsafe/);
    expect(() => validateOp(op({ args: ['link', ''] }))).toThrow(/unsafe/);
    expect(() => validateOp(op({ ns: '../x' }))).toThrow(/namespace/);
    expect(() => validateOp(op({ tool: 'netns', ns: '', args: ['netns', 'exec', 'x', 'sh'] }))).toThrow(/netns/);
    expect(() => validateOp(op({ tool: 'netns', ns: '', args: ['netns', 'add', 'pb-x'] }))).not.toThrow();
    expect(() => validateOp(op({ tool: 'sysctl', args: ['net.ipv4.ip_forward=1', 'x=2'] }))).toThrow(/sysctl/);
  });
  it('normalizeRouteDst adds /32 to host routes', () => {
    expect(normalizeRouteDst('10.0.1.2')).toBe('10.0.1.2/32');
    expect(normalizeRouteDst('10.0.0.0/24')).toBe('10.0.0.0/24');
    expect(normalizeRouteDst('default')).toBe('default');
  });
});
