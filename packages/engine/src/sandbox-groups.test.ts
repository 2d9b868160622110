// A lab's student sandboxes share one cgroup on the real kernel: `patchbay shell`'s sandbox (and a
// terminal's) joins `lab.<prefix>.<lab>` with the engine's limits; destroy removes the group; a
// group left by a crash is removed by recovery; PATCHBAY_LIMITS's student* fields are read and
// checked. Prefix pblim1- (and pblim1-t- for the name-collision check).
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_SANDBOX_LIMITS,
  listSandboxGroups,
  prepareSandboxGroup,
  removeSandboxGroups,
  sandboxGroupPids,
  sandboxGroupValue,
  spawnSandbox,
  type SandboxProcess,
} from '@patchbay/kernel';
import { Engine } from './engine.js';
import { labSandboxGroup, sandboxLimitsFromEnv } from './sandbox-groups.js';
import { shellTarget } from './node-commands.js';
import { exampleLab, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pblim1-';
const LAB = 'two-containers';
let t: TestEngine | undefined;
const live = new Set<SandboxProcess>();

afterEach(async () => {
  for (const sb of live) await sb.kill();
  live.clear();
  await removeSandboxGroups(listSandboxGroups(labSandboxGroup(`${PREFIX}t-`, '')));
  await t?.cleanup();
  t = undefined;
});

/** A sandbox in a node of the lab, as `patchbay shell` starts it (the engine's limits). */
async function shell(
  engine: Engine,
  node: string,
  command: string[],
): Promise<{ sb: SandboxProcess; out: () => string }> {
  const { ns, hostname } = await shellTarget(engine, LAB, node);
  const sb = spawnSandbox(ns, { hostname, command, limits: engine.sandboxLimits(LAB) });
  live.add(sb);
  let out = '';
  sb.child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  return { sb, out: () => out };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
}

describe("a lab's sandbox group", () => {
  it('every shell of the lab joins one group with the engine limits; destroy removes it', async () => {
    t = testEngine(PREFIX);
    const engine = new Engine({
      prefix: PREFIX,
      dataDir: t.dataDir,
      sandboxLimits: { processes: 100, memoryMiB: 128, cpuWeight: 25, cpuPercent: 50, openFiles: 512 },
    });
    await engine.apply(exampleLab('two-containers.yaml'));
    const group = labSandboxGroup(PREFIX, LAB);
    expect(engine.sandboxLimits(LAB)).toEqual({
      group,
      processes: 100,
      memoryMiB: 128,
      cpuWeight: 25,
      cpuPercent: 50,
      openFiles: 512,
    });
    const web = await shell(engine, 'ns-web', ['bash', '-c', 'ulimit -u; ulimit -n; echo up; sleep 30']);
    const db = await shell(engine, 'ns-db', ['bash', '-c', 'echo up; sleep 30']);
    await until(() => web.out().includes('up') && db.out().includes('up'));
    expect(web.out().split('\n').slice(0, 2)).toEqual(['100', '512']);
    const pids = sandboxGroupPids(group);
    expect(pids).toEqual(expect.arrayContaining([web.sb.child.pid, db.sb.child.pid]));
    expect(sandboxGroupValue(group, 'pids.max')).toBe('100');

    await engine.destroy(LAB);
    expect(listSandboxGroups(group)).toEqual([]);
    for (const sb of [web.sb, db.sb]) {
      await until(() => sb.child.exitCode !== null || sb.child.signalCode !== null);
      expect(sb.child.exitCode !== null || sb.child.signalCode !== null).toBe(true);
    }
  });

  it('recovery removes a group whose lab is gone, and keeps the groups of live labs and other prefixes', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(exampleLab('two-containers.yaml'));
    const limits = { ...DEFAULT_SANDBOX_LIMITS };
    prepareSandboxGroup({ group: labSandboxGroup(PREFIX, LAB), ...limits }); // a live lab's
    prepareSandboxGroup({ group: labSandboxGroup(PREFIX, 'crashed'), ...limits }); // a crash's leftover
    // `pblim1-` + lab `t-x` and `pblim1-t-` + lab `x` would share a namespace-style name; not a group name
    prepareSandboxGroup({ group: labSandboxGroup(`${PREFIX}t-`, 'x'), ...limits });
    expect(labSandboxGroup(`${PREFIX}t-`, 'x')).not.toBe(labSandboxGroup(PREFIX, 't-x'));

    const report = await t.engine.recover();
    expect(report.cgroups).toEqual(['crashed']);
    expect(listSandboxGroups(labSandboxGroup(PREFIX, ''))).toEqual([labSandboxGroup(PREFIX, LAB)]);
    expect(listSandboxGroups(labSandboxGroup(`${PREFIX}t-`, ''))).toEqual([labSandboxGroup(`${PREFIX}t-`, 'x')]);
    // the live lab's group goes with the lab
    await t.engine.destroy(LAB);
    expect(listSandboxGroups(labSandboxGroup(PREFIX, ''))).toEqual([]);
  });

  it('reads the student* fields of PATCHBAY_LIMITS over the defaults; refuses bad ones by their name', () => {
    expect(sandboxLimitsFromEnv(undefined)).toEqual(DEFAULT_SANDBOX_LIMITS);
    expect(sandboxLimitsFromEnv('{"studentTerminals": 2, "studentProcesses": 64, "studentMemoryMiB": 256}')).toEqual({
      ...DEFAULT_SANDBOX_LIMITS,
      processes: 64,
      memoryMiB: 256,
    });
    expect(() => sandboxLimitsFromEnv('{"studentProcesses": 2}')).toThrow(
      /studentProcesses must be an integer from 16/,
    );
    expect(() => sandboxLimitsFromEnv('{"studentCpuWeight": "high"}')).toThrow(/studentCpuWeight/);
    expect(() => sandboxLimitsFromEnv('{')).toThrow(/not JSON/);
    expect(() => sandboxLimitsFromEnv('[]')).toThrow(/JSON object/);
    const engine = new Engine({ prefix: PREFIX, dataDir: '/nonexistent' });
    expect(engine.settings.sandboxLimits).toEqual(sandboxLimitsFromEnv(process.env['PATCHBAY_LIMITS']));
  });
});
