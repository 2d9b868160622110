// A lab that keeps using its whole CPU ceiling (a fork bomb, a spinning script, a capture of a
// flood) is demoted to the kernel's idle class for its group (`cpu.idle`, cgroup v1 and v2, Linux
// 5.15+): any other lab's task that wakes (a student's shell echoing a key) then preempts it at
// once, instead of waiting for the end of its slice. The ceiling bounds how much CPU a busy lab
// takes; `cpu.idle` bounds how long the others wait for it. Only the files of the lab's own group
// are read and written (sandbox-limits.ts says where they are).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { CGROUP_PARENT, assertSandboxGroup, layoutIfAny } from './sandbox-limits.js';

export interface CpuThrottling {
  /** Enforcement periods (100 ms each) in which the group was runnable, since it was made. */
  periods: number;
  /** Of those, the periods in which it used its whole ceiling and was held. */
  throttled: number;
}

function cpuDir(group: string): string | undefined {
  assertSandboxGroup(group);
  const layout = layoutIfAny();
  if (!layout) return undefined;
  if (layout.version === 2) return `${layout.root}/${CGROUP_PARENT}/${group}`;
  const mount = layout.controllers.cpu;
  return mount ? `${mount}/${CGROUP_PARENT}/${group}` : undefined;
}

/** The group's throttling counters (undefined: no CPU controller, or the group is gone). */
export function readCpuThrottling(group: string): CpuThrottling | undefined {
  const dir = cpuDir(group);
  if (!dir) return undefined;
  let text: string;
  try {
    text = readFileSync(`${dir}/cpu.stat`, 'utf8');
  } catch {
    return undefined;
  }
  const value = (key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  const periods = value('nr_periods');
  const throttled = value('nr_throttled');
  return Number.isFinite(periods) && Number.isFinite(throttled) ? { periods, throttled } : undefined;
}

/** Whether this kernel has `cpu.idle` for sandbox groups. */
export function cpuIdleSupported(group: string): boolean {
  const dir = cpuDir(group);
  return dir !== undefined && existsSync(`${dir}/cpu.idle`);
}

/** Sets the group's `cpu.idle`; false when the kernel lacks it or the group is gone. */
export function setCpuIdle(group: string, idle: boolean): boolean {
  const dir = cpuDir(group);
  if (!dir || !existsSync(`${dir}/cpu.idle`)) return false;
  try {
    writeFileSync(`${dir}/cpu.idle`, idle ? '1' : '0');
    return true;
  } catch {
    return false;
  }
}

/** The group's `cpu.idle` (undefined: unknown). */
export function readCpuIdle(group: string): boolean | undefined {
  const dir = cpuDir(group);
  if (!dir) return undefined;
  try {
    return readFileSync(`${dir}/cpu.idle`, 'utf8').trim() === '1';
  } catch {
    return undefined;
  }
}
