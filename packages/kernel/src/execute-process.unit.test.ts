// A `run:` process op (topology run.ts) is the engine's to carry out: a plan's batch refuses it
// before running anything, rather than pass its command line to a tool.
import { describe, expect, it } from 'vitest';
import { desiredProcesses, planProcesses, type Lab } from '@patchbay/topology';
import { executePlan, validateOp } from './execute.js';

describe('process ops in executePlan', () => {
  const lab: Lab = { name: 'x', nodes: { a: { kind: 'netns', run: ['sleep 9'] } }, links: [] };
  const [start] = planProcesses(desiredProcesses(lab, 'pb-'), []);

  it('are refused, with nothing run', async () => {
    expect(() => validateOp(start!)).toThrow(/carried out by the engine/);
    await expect(executePlan([start!])).rejects.toThrow(/carried out by the engine/);
  });
});
