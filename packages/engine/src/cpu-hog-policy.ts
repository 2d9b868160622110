// When a lab counts as a CPU hog, from its group's throttling counters sampled once a second: a lab
// held at its ceiling in most of the periods (`busyShare`) of `demoteAfter` samples in a row is demoted (its
// group goes to the kernel's idle class, kernel sandbox-cpu-idle.ts), and a demoted lab not held
// at all for `restoreAfter` samples in a row is restored. Ordinary work (a command, a ping, a
// capture of normal traffic, a check run) never fills a ceiling for seconds; a fork bomb, a
// spinning script or a flood does. Pure: the guard (cpu-hog-guard.ts) reads and writes the kernel.
import type { CpuThrottling } from '@patchbay/kernel';

export interface CpuHogSettings {
  /** Consecutive busy samples before a lab is demoted. */
  demoteAfter: number;
  /** Consecutive calm samples before a demoted lab is restored. */
  restoreAfter: number;
  /** The share of a sample's periods held at the ceiling that makes the sample busy. */
  busyShare: number;
}

// A check run (several sandboxed commands, ~1 s) can fill a 10 % ceiling for a second or two;
// five seconds in a row held in 80 % of the periods is a loop, never a check run or a command.
export const DEFAULT_CPU_HOG_SETTINGS: Readonly<CpuHogSettings> = Object.freeze({
  demoteAfter: 5,
  restoreAfter: 10,
  busyShare: 0.8,
});

interface GroupTrack {
  last: CpuThrottling;
  busyRun: number;
  calmRun: number;
  demoted: boolean;
}

export interface CpuHogDecisions {
  demote: string[];
  restore: string[];
}

export class CpuHogPolicy {
  private readonly groups = new Map<string, GroupTrack>();

  constructor(private readonly settings: CpuHogSettings = DEFAULT_CPU_HOG_SETTINGS) {}

  /** One sample of every group that exists now; groups not in it are forgotten. */
  sample(counters: ReadonlyMap<string, CpuThrottling>): CpuHogDecisions {
    const decisions: CpuHogDecisions = { demote: [], restore: [] };
    for (const name of [...this.groups.keys()]) if (!counters.has(name)) this.groups.delete(name);
    for (const [name, now] of counters) {
      const track = this.groups.get(name);
      if (!track) {
        this.groups.set(name, { last: now, busyRun: 0, calmRun: 0, demoted: false });
        continue;
      }
      const periods = now.periods - track.last.periods;
      const throttled = now.throttled - track.last.throttled;
      track.last = now;
      // Counters that went backwards: the group was made again; start over.
      if (periods < 0 || throttled < 0) {
        this.groups.set(name, { last: now, busyRun: 0, calmRun: 0, demoted: track.demoted });
        continue;
      }
      const busy = periods > 0 && throttled / periods >= this.settings.busyShare;
      track.busyRun = busy ? track.busyRun + 1 : 0;
      track.calmRun = throttled === 0 ? track.calmRun + 1 : 0;
      if (!track.demoted && track.busyRun >= this.settings.demoteAfter) {
        track.demoted = true;
        track.calmRun = 0;
        decisions.demote.push(name);
      } else if (track.demoted && track.calmRun >= this.settings.restoreAfter) {
        track.demoted = false;
        track.busyRun = 0;
        decisions.restore.push(name);
      }
    }
    return decisions;
  }

  demoted(): string[] {
    return [...this.groups].filter(([, t]) => t.demoted).map(([n]) => n);
  }
}
