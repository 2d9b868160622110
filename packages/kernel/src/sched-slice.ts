// Latency for what a student is waiting on: the server's event loop (it relays every keystroke and
// every echo) and the shells it starts get a short scheduler slice (helpers/sched-slice.py, EEVDF's
// custom slice, Linux 6.12+). A task that wakes with a short slice has an early virtual deadline,
// so the kernel runs it at once instead of after the slice of the CPU-bound work in front of it (a
// check run's commands, another lab's busy loop). It changes no one's share of the CPU: the weights
// and ceilings (sandbox-limits.ts) do that. Threads and children made later inherit it: node-pty's
// shells do; the spawner gives its own batch work the default slice back (helpers/spawner.py).
// Measured in `pnpm bench:hostile` (docs/benchmarks.md).
import { fileURLToPath } from 'node:url';
import { run } from './process.js';

export const SCHED_SLICE_SCRIPT = fileURLToPath(new URL('../helpers/sched-slice.py', import.meta.url));

/** The slice for latency-sensitive processes, in microseconds (the kernel's default here: 1,400). */
export const INTERACTIVE_SLICE_US = 300;

export interface SliceResult {
  pid: number;
  sliceUs: number;
  applied: boolean;
  /** Why not, when not applied (an older kernel, a real-time policy, a process gone). */
  reason?: string;
}

/** Gives process `pid` a scheduler slice of `sliceUs` µs (0: the kernel's default again). */
export async function setSchedulerSlice(pid: number, sliceUs: number): Promise<SliceResult> {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`invalid pid ${pid}`);
  if (!Number.isInteger(sliceUs) || (sliceUs !== 0 && (sliceUs < 100 || sliceUs > 100_000)))
    throw new Error(`invalid slice ${sliceUs} µs: 0 or 100..100000`);
  const r = await run('python3', ['-I', '-S', SCHED_SLICE_SCRIPT, String(pid), String(sliceUs)], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`sched-slice: ${r.stderr.trim() || `exit ${r.code}`}`);
  return JSON.parse(r.stdout) as SliceResult;
}

let own: Promise<SliceResult> | undefined;

/**
 * This process (the server) and the shells it will start get INTERACTIVE_SLICE_US; once per
 * process, later calls share the first one's answer. Never throws: a machine without custom slices
 * keeps the default, which only costs latency.
 */
export function useInteractiveSlice(): Promise<SliceResult> {
  own ??= setSchedulerSlice(process.pid, INTERACTIVE_SLICE_US).catch((err: unknown) => ({
    pid: process.pid,
    sliceUs: INTERACTIVE_SLICE_US,
    applied: false,
    reason: (err as Error).message,
  }));
  return own;
}
