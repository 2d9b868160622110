// A lab held at its CPU ceiling is demoted to the kernel's idle class (`cpu.idle` of its group) and
// restored when calm, on the real kernel: a busy loop in a lab's sandbox, the guard sampling as the
// server does (here once per ~second, by hand). Prefix pbhog-.
import { afterEach, describe, expect, it } from 'vitest';
import {
  cpuIdleSupported,
  listSandboxGroups,
  readCpuIdle,
  readCpuThrottling,
  removeSandboxGroups,
  spawnSandbox,
  type SandboxProcess,
} from '@patchbay/kernel';
import { CpuHogGuard, type CpuHogEvent } from './cpu-hog-guard.js';
import { Engine } from './engine.js';
import { shellTarget } from './node-commands.js';
import { labSandboxGroup } from './sandbox-groups.js';
import { exampleLab, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbhog-';
const LAB = 'two-containers';
let t: TestEngine | undefined;
const live = new Set<SandboxProcess>();

afterEach(async () => {
  for (const sb of live) await sb.kill();
  live.clear();
  await removeSandboxGroups(listSandboxGroups(labSandboxGroup(PREFIX, '')));
  await t?.cleanup();
  t = undefined;
});

const second = () => new Promise((r) => setTimeout(r, 1000));

describe('the CPU hog guard', () => {
  it('demotes a lab whose sandbox spins at its ceiling, and restores it when it stops', async () => {
    t = testEngine(PREFIX);
    const engine = new Engine({
      prefix: PREFIX,
      dataDir: t.dataDir,
      // A low ceiling: a busy machine (the whole suite in parallel) still gives the loop 5 ms of
      // every 100, so it is held at it in nearly every period, as a hog on a quiet machine is.
      sandboxLimits: { processes: 64, memoryMiB: 128, cpuWeight: 100, cpuPercent: 5, openFiles: 256 },
    });
    await engine.apply(exampleLab('two-containers.yaml'));
    const group = labSandboxGroup(PREFIX, LAB);
    const { ns, hostname } = await shellTarget(engine, LAB, 'ns-web');
    const spin = spawnSandbox(ns, {
      hostname,
      command: ['sh', '-c', 'while :; do :; done'],
      limits: engine.sandboxLimits(LAB),
    });
    live.add(spin);
    if (!cpuIdleSupported(group)) {
      console.log('this kernel has no cpu.idle for sandbox groups: the guard is a no-op');
      return;
    }
    const events: CpuHogEvent[] = [];
    const guard = new CpuHogGuard(PREFIX, (e) => events.push(e), { demoteAfter: 2, restoreAfter: 2, busyShare: 0.5 });
    for (let i = 0; i < 12 && events.length === 0; i++) {
      guard.tick();
      await second();
    }
    expect(events).toEqual([{ lab: LAB, group, demoted: true }]);
    expect(readCpuIdle(group)).toBe(true);
    expect(guard.demotedLabs()).toEqual([LAB]);
    expect(readCpuThrottling(group)!.throttled).toBeGreaterThan(0);
    // A demoted lab still starts sandboxes (a terminal, a capture, a check run): the kernel refuses
    // a weight for an idle group, so preparing the group must not write one.
    const { ns: dbNs, hostname: dbHost } = await shellTarget(engine, LAB, 'ns-db');
    const hello = spawnSandbox(dbNs, {
      hostname: dbHost,
      command: ['echo', 'still-starts'],
      limits: engine.sandboxLimits(LAB),
    });
    live.add(hello);
    let out = '';
    hello.child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => hello.child.once('exit', r));
    expect(out).toContain('still-starts');
    expect(readCpuIdle(group)).toBe(true);

    await spin.kill();
    live.delete(spin);
    for (let i = 0; i < 6 && events.length === 1; i++) {
      guard.tick();
      await second();
    }
    expect(events.at(-1)).toEqual({ lab: LAB, group, demoted: false });
    expect(readCpuIdle(group)).toBe(false);
    expect(guard.demotions).toBe(1);
  }, 30_000);
});
