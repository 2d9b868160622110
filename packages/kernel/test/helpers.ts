// Hand-written plan operations for the kernel tests (the planner lives in @patchbay/topology).
import type { Op, Phase, Tool } from '@patchbay/topology';
import { deleteNamespaces, executePlan, listNamespaces } from '../src/index.js';

export function op(phase: Phase, tool: Tool, ns: string, args: string[], input?: string): Op {
  const o: Op = { phase, tool, ns, args, kind: 'link', action: 'add', subject: { node: ns }, reason: 'test' };
  if (input !== undefined) o.input = input;
  return o;
}

export const ip = (phase: Phase, ns: string, line: string): Op => op(phase, 'ip', ns, line.split(' '));
export const netnsAdd = (ns: string): Op => op('namespace', 'netns', '', ['netns', 'add', ns]);

export async function cleanup(prefix: string): Promise<void> {
  const left = await listNamespaces(prefix);
  if (left.length > 0) await deleteNamespaces(left);
}

export const isRoot = process.getuid?.() === 0;

/** Runs `ops` with the rtnetlink executor on (the default) or off (PATCHBAY_NLEXEC=0: `ip` and
 *  nsowner.py, as before it), reading back what the configure batches did; the variable is restored. */
export async function executeEither(ops: Op[], executor = true) {
  const saved = process.env['PATCHBAY_NLEXEC'];
  if (executor) delete process.env['PATCHBAY_NLEXEC'];
  else process.env['PATCHBAY_NLEXEC'] = '0';
  try {
    return await executePlan(ops, { readBack: true });
  } finally {
    if (saved === undefined) delete process.env['PATCHBAY_NLEXEC'];
    else process.env['PATCHBAY_NLEXEC'] = saved;
  }
}
