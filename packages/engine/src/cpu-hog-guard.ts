// Samples every lab group of this prefix once a second and applies CpuHogPolicy's decisions to the
// kernel (`cpu.idle` of the group). Started by the server; a machine without `cpu.idle` (Linux
// before 5.15, or no CPU controller) makes it a no-op that says so once.
import { listSandboxGroups, readCpuThrottling, setCpuIdle, type CpuThrottling } from '@patchbay/kernel';
import { CpuHogPolicy, type CpuHogSettings } from './cpu-hog-policy.js';
import { labSandboxGroup } from './sandbox-groups.js';

export interface CpuHogEvent {
  lab: string;
  group: string;
  demoted: boolean;
}

export class CpuHogGuard {
  private readonly policy: CpuHogPolicy;
  private timer: NodeJS.Timeout | undefined;
  /** Demotions and restorations so far (shown in the server's status). */
  demotions = 0;

  constructor(
    private readonly prefix: string,
    private readonly onChange: (e: CpuHogEvent) => void = () => {},
    settings?: CpuHogSettings,
  ) {
    this.policy = new CpuHogPolicy(settings);
  }

  /** Samples now; returns what changed. */
  tick(): CpuHogEvent[] {
    const start = labSandboxGroup(this.prefix, '');
    const counters = new Map<string, CpuThrottling>();
    for (const group of listSandboxGroups(start)) {
      const c = readCpuThrottling(group);
      if (c) counters.set(group, c);
    }
    const { demote, restore } = this.policy.sample(counters);
    const events: CpuHogEvent[] = [];
    for (const [groups, demoted] of [
      [demote, true],
      [restore, false],
    ] as const)
      for (const group of groups)
        if (setCpuIdle(group, demoted)) {
          if (demoted) this.demotions++;
          const e = { lab: group.slice(start.length), group, demoted };
          events.push(e);
          this.onChange(e);
        }
    return events;
  }

  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The labs demoted now. */
  demotedLabs(): string[] {
    const start = labSandboxGroup(this.prefix, '');
    return this.policy.demoted().map((g) => g.slice(start.length));
  }
}
