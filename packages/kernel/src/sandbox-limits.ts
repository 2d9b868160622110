// Per-student resource limits for sandboxes (sandbox.ts), enforced by the kernel: a cgroup per
// group of sandboxes (the engine makes one per lab, so every shell of a student shares one budget)
// with a process limit, a memory limit and a CPU weight, plus RLIMIT_NPROC and RLIMIT_NOFILE set by
// the wrapper (helpers/sandbox-exec.sh) before it starts bwrap.
//
// WHERE: /sys/fs/cgroup/patchbay/<group> when the machine has a unified (v2) hierarchy with the
// controllers; otherwise cgroup v1, /sys/fs/cgroup/{pids,memory,cpu}/patchbay/<group> (this VM:
// shared research, kernel-and-sandbox-facts "Resource control"). This file creates and configures
// the group (synchronously, like the generated /etc: sandboxArgv needs it before the argv is spawned);
// the wrapper joins it (`echo $$ > …/cgroup.procs`) before it execs bwrap, so everything the sandbox
// starts is inside and no process can leave (the sandbox has no write access to /sys/fs/cgroup).
//
// WHY BOTH a cgroup and RLIMIT_NPROC: pids.max bounds the group (all nodes of a lab together);
// RLIMIT_NPROC counts the processes of one real uid, and every node has its own host uid
// (nsowner.py), so it bounds each node too, even where cgroups are missing a controller.
// Memory: v1 memory.limit_in_bytes (+ memsw when the kernel accounts swap), v2 memory.max with
// memory.swap.max 0; over the limit the kernel's OOM killer picks a process of the group only.
// CPU: v2 cpu.weight (1..10000, default 100); v1 cpu.shares = weight × 1024 / 100.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';

export const CGROUP_ROOT = '/sys/fs/cgroup';
/** The folder, in each hierarchy, that holds every sandbox group. */
export const CGROUP_PARENT = 'patchbay';

/** What a group of sandboxes may use together (one lab: all of a student's shells). */
export interface SandboxLimitValues {
  /** Processes (and threads) of the group: pids.max; also RLIMIT_NPROC of each node's host uid. */
  processes: number;
  /** Memory of the group (tmpfs files written inside count too), in MiB. */
  memoryMiB: number;
  /** CPU weight against other groups and the server (cgroup v2 scale: 1..10000, 100 is the default). */
  cpuWeight: number;
  /**
   * The most CPU the group may use, in percent of one CPU (a ceiling over each 100 ms: v2 cpu.max,
   * v1 cpu.cfs_quota_us); 0: none. A weight alone lets a busy lab take every idle cycle, and on a
   * small machine the others' shells then wait for it; a lab that is idle is never held back by it.
   */
  cpuPercent: number;
  /** Open files per process (RLIMIT_NOFILE, soft = hard). */
  openFiles: number;
}

export interface SandboxLimits extends SandboxLimitValues {
  /**
   * The cgroup's name under patchbay/: what sandboxes share a budget. Same characters as a
   * namespace name (checked here and again by the wrapper), at most 100.
   */
  group: string;
}

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimitValues> = Object.freeze({
  processes: 256,
  memoryMiB: 512,
  cpuWeight: 100,
  cpuPercent: 10,
  openFiles: 1024,
});

/** Accepted range of each value (inclusive): below the minimum a login shell and its tools do not run. */
export const SANDBOX_LIMIT_RANGES: Readonly<Record<keyof SandboxLimitValues, readonly [number, number]>> =
  Object.freeze({
    processes: [16, 32_768],
    memoryMiB: [32, 1024 * 1024],
    cpuWeight: [1, 10_000],
    cpuPercent: [0, 100_000],
    openFiles: [64, 1024 * 1024],
  });

const GROUP_RE = /^[a-z][a-z0-9._-]{0,99}$/;

export function assertSandboxGroup(group: string): void {
  if (typeof group !== 'string' || !GROUP_RE.test(group)) {
    throw new Error(`invalid sandbox group name ${JSON.stringify(group)}`);
  }
}

/** Every problem of `values` (an empty list when they are all integers within SANDBOX_LIMIT_RANGES). */
export function sandboxLimitProblems(values: Partial<Record<keyof SandboxLimitValues, unknown>>): string[] {
  const problems: string[] = [];
  for (const [key, [min, max]] of Object.entries(SANDBOX_LIMIT_RANGES)) {
    const v = values[key as keyof SandboxLimitValues];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(`${key} must be an integer from ${min} to ${max} (got ${JSON.stringify(v)})`);
    }
  }
  return problems;
}

export function assertSandboxLimits(limits: SandboxLimits): void {
  assertSandboxGroup(limits.group);
  const missing = (Object.keys(SANDBOX_LIMIT_RANGES) as (keyof SandboxLimitValues)[]).filter(
    (k) => limits[k] === undefined,
  );
  const problems = [...missing.map((k) => `${k} is missing`), ...sandboxLimitProblems(limits)];
  if (problems.length) throw new Error(`invalid sandbox limits: ${problems.join('; ')}`);
}

/** The group a sandbox gets when its caller names none: one per node namespace (removed with it). */
export function nodeSandboxGroup(ns: string): string {
  return `node.${ns}`;
}

// ---- the machine's cgroup layout -----------------------------------------------------------------

export type CgroupController = 'pids' | 'memory' | 'cpu';

export type CgroupLayout =
  | { version: 2; root: string }
  /** v1: the mount point of each controller; cpu is optional (no CPU weight without it). */
  | { version: 1; controllers: Partial<Record<CgroupController, string>> };

let layoutCache: CgroupLayout | undefined;

/**
 * v2 when /sys/fs/cgroup is a unified hierarchy offering pids and memory (the same test the wrapper
 * makes: the file cgroup.controllers at the root); else v1 with pids and memory mounted. Throws when
 * neither: a sandbox is never started without its limits.
 */
export function cgroupLayout(): CgroupLayout {
  if (layoutCache) return layoutCache;
  const v2Controllers = `${CGROUP_ROOT}/cgroup.controllers`;
  if (existsSync(v2Controllers)) {
    const available = readFileSync(v2Controllers, 'utf8').trim().split(/\s+/);
    const missing = ['pids', 'memory'].filter((c) => !available.includes(c));
    if (missing.length) {
      throw new Error(
        `cgroup v2 at ${CGROUP_ROOT} lacks the ${missing.join(' and ')} controller: student limits cannot be enforced`,
      );
    }
    layoutCache = { version: 2, root: CGROUP_ROOT };
    return layoutCache;
  }
  const controllers: Partial<Record<CgroupController, string>> = {};
  for (const c of ['pids', 'memory', 'cpu'] as const) {
    if (existsSync(`${CGROUP_ROOT}/${c}/cgroup.procs`)) controllers[c] = `${CGROUP_ROOT}/${c}`;
  }
  const missing = (['pids', 'memory'] as const).filter((c) => !controllers[c]);
  if (missing.length) {
    throw new Error(
      `neither cgroup v2 with controllers nor cgroup v1 ${missing.join(' and ')} at ${CGROUP_ROOT}: student limits cannot be enforced`,
    );
  }
  layoutCache = { version: 1, controllers };
  return layoutCache;
}

/** The layout, or undefined on a machine without usable cgroups (where no group can exist). */
export function layoutIfAny(): CgroupLayout | undefined {
  try {
    return cgroupLayout();
  } catch {
    return undefined;
  }
}

/** The group's folder in each hierarchy (one for v2, one per mounted controller for v1). */
export function sandboxGroupPaths(group: string): string[] {
  assertSandboxGroup(group);
  const layout = cgroupLayout();
  if (layout.version === 2) return [`${layout.root}/${CGROUP_PARENT}/${group}`];
  return Object.values(layout.controllers).map((mount) => `${mount}/${CGROUP_PARENT}/${group}`);
}

// ---- creating and configuring --------------------------------------------------------------------

const MiB = 1024 * 1024;

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Whether the group in `dir` is in the idle CPU class (`cpu.idle` 1). */
function isCpuIdle(dir: string): boolean {
  return readTrim(`${dir}/cpu.idle`) === '1';
}

/** Writes `value` unless the file already says so (a v1 memory limit rewritten under load can fail). */
function setValue(path: string, value: string): void {
  if (readTrim(path) === value) return;
  writeFileSync(path, value);
}

function enableV2Controllers(dir: string, wanted: readonly string[]): void {
  const enabled = (readTrim(`${dir}/cgroup.subtree_control`) ?? '').split(/\s+/);
  const toEnable = wanted.filter((c) => !enabled.includes(c));
  if (toEnable.length) writeFileSync(`${dir}/cgroup.subtree_control`, toEnable.map((c) => `+${c}`).join(' '));
}

function configureV1(paths: Partial<Record<CgroupController, string>>, limits: SandboxLimits): void {
  if (paths.pids) setValue(`${paths.pids}/pids.max`, String(limits.processes));
  if (paths.memory) {
    const bytes = String(limits.memoryMiB * MiB);
    const memsw = `${paths.memory}/memory.memsw.limit_in_bytes`;
    const limit = `${paths.memory}/memory.limit_in_bytes`;
    // memory+swap must stay >= memory: raise memsw first when growing, memory first when shrinking
    if (existsSync(memsw) && Number(readTrim(memsw)) < limits.memoryMiB * MiB) {
      setValue(memsw, bytes);
      setValue(limit, bytes);
    } else {
      setValue(limit, bytes);
      if (existsSync(memsw)) setValue(memsw, bytes);
    }
  }
  if (paths.cpu) {
    // A group demoted to the idle class (sandbox-cpu-idle.ts) refuses any weight (EINVAL) until it
    // is restored; its weight is set again then, by the next sandbox started in it.
    if (!isCpuIdle(paths.cpu))
      setValue(`${paths.cpu}/cpu.shares`, String(Math.max(2, Math.round((limits.cpuWeight * 1024) / 100))));
    setValue(`${paths.cpu}/cpu.cfs_period_us`, String(CPU_PERIOD_US));
    setValue(`${paths.cpu}/cpu.cfs_quota_us`, limits.cpuPercent > 0 ? String(cpuQuotaUs(limits.cpuPercent)) : '-1');
  }
}

/** The period of the CPU ceiling (cgroup's default): the ceiling is a share of each 100 ms. */
const CPU_PERIOD_US = 100_000;
/** The ceiling's quota per period; at least 1 ms (the kernel's minimum). */
const cpuQuotaUs = (percent: number) => Math.max(1000, Math.round((percent / 100) * CPU_PERIOD_US));

function configureV2(dir: string, limits: SandboxLimits): void {
  setValue(`${dir}/pids.max`, String(limits.processes));
  setValue(`${dir}/memory.max`, String(limits.memoryMiB * MiB));
  if (existsSync(`${dir}/memory.swap.max`)) setValue(`${dir}/memory.swap.max`, '0');
  if (existsSync(`${dir}/cpu.weight`) && !isCpuIdle(dir)) setValue(`${dir}/cpu.weight`, String(limits.cpuWeight));
  if (existsSync(`${dir}/cpu.max`))
    setValue(`${dir}/cpu.max`, `${limits.cpuPercent > 0 ? cpuQuotaUs(limits.cpuPercent) : 'max'} ${CPU_PERIOD_US}`);
}

/**
 * The CPU weight of all sandboxes together (the `patchbay` parent group) against each of the
 * machine's other tasks (the server, its helpers), in cpu.weight units (v1: × 1024 / 100, so 128
 * shares against a task's 1024). Shares are not a cap: idle CPU still goes to the students. Under
 * contention the server, which relays every student's terminal and tables, comes first: measured in
 * `pnpm bench:hostile` (docs/benchmarks.md), a capture loop's cost to the other students' tables
 * deltas went from 4.8x to 1.3x when the parent weighed 128 shares instead of 1024.
 */
export const SANDBOXES_CPU_WEIGHT = 12.5;

/** Sets the parent group's CPU weight (see SANDBOXES_CPU_WEIGHT); v1 `cpu.shares`, v2 `cpu.weight`. */
function weighParent(dir: string, version: 1 | 2): void {
  if (version === 2) {
    if (existsSync(`${dir}/cpu.weight`)) setValue(`${dir}/cpu.weight`, String(Math.round(SANDBOXES_CPU_WEIGHT)));
  } else if (existsSync(`${dir}/cpu.shares`)) {
    setValue(`${dir}/cpu.shares`, String(Math.round((SANDBOXES_CPU_WEIGHT * 1024) / 100)));
  }
}

/**
 * Creates the group (if needed) and sets its limits; returns its folders. Synchronous, idempotent:
 * called for every sandbox start, so a changed limit applies to the group's next sandbox. Throws
 * when the kernel refuses (then no sandbox is started).
 */
export function prepareSandboxGroup(limits: SandboxLimits): string[] {
  assertSandboxLimits(limits);
  const layout = cgroupLayout();
  if (layout.version === 2) {
    const available = (readTrim(`${layout.root}/cgroup.controllers`) ?? '').split(/\s+/);
    const wanted = ['pids', 'memory', 'cpu'].filter((c) => available.includes(c));
    enableV2Controllers(layout.root, wanted);
    const parent = `${layout.root}/${CGROUP_PARENT}`;
    mkdirSync(parent, { recursive: true });
    enableV2Controllers(parent, wanted);
    weighParent(parent, 2);
    const dir = `${parent}/${limits.group}`;
    mkdirSync(dir, { recursive: true });
    configureV2(dir, limits);
    return [dir];
  }
  const paths: Partial<Record<CgroupController, string>> = {};
  for (const [c, mount] of Object.entries(layout.controllers) as [CgroupController, string][]) {
    const dir = `${mount}/${CGROUP_PARENT}/${limits.group}`;
    mkdirSync(dir, { recursive: true });
    paths[c] = dir;
    if (c === 'cpu') weighParent(`${mount}/${CGROUP_PARENT}`, 1);
  }
  configureV1(paths, limits);
  return Object.values(paths);
}

/**
 * Moves process `pid` (one the server started on a student's behalf outside any sandbox: a capture's
 * tcpdump and its decoder) into the group of `limits`, made if needed: its CPU, memory and pids then
 * count against that student's budget, not the server's. Throws when the kernel refuses.
 */
export function joinSandboxGroup(limits: SandboxLimits, pid: number): void {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`invalid pid ${pid}`);
  for (const dir of prepareSandboxGroup(limits)) writeFileSync(`${dir}/cgroup.procs`, String(pid));
}

// ---- reading and removing ------------------------------------------------------------------------

/** Names of the sandbox groups that exist now, those starting with `start` (all by default). */
export function listSandboxGroups(start = ''): string[] {
  const names = new Set<string>();
  const layout = layoutIfAny();
  if (!layout) return [];
  const parents =
    layout.version === 2
      ? [`${layout.root}/${CGROUP_PARENT}`]
      : Object.values(layout.controllers).map((m) => `${m}/${CGROUP_PARENT}`);
  for (const parent of parents) {
    let entries: string[];
    try {
      entries = readdirSync(parent, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch {
      continue;
    }
    for (const e of entries) if (GROUP_RE.test(e) && e.startsWith(start)) names.add(e);
  }
  return [...names].sort();
}

/** The pids in the group (every hierarchy), or an empty list when it does not exist. */
export function sandboxGroupPids(group: string): number[] {
  const pids = new Set<number>();
  for (const dir of sandboxGroupPaths(group)) {
    for (const line of (readTrim(`${dir}/cgroup.procs`) ?? '').split('\n')) if (line) pids.add(Number(line));
  }
  return [...pids];
}

/** A value of the group's first folder that has `file` (e.g. pids.current, memory.max_usage_in_bytes). */
export function sandboxGroupValue(group: string, file: string): string | undefined {
  if (!/^[a-z_.]+$/.test(file)) throw new Error(`invalid cgroup file ${JSON.stringify(file)}`);
  for (const dir of sandboxGroupPaths(group)) {
    const v = readTrim(`${dir}/${file}`);
    if (v !== undefined) return v;
  }
  return undefined;
}

export interface SandboxGroupRemoval {
  group: string;
  ok: boolean;
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Kills every process in each group (v2: cgroup.kill; v1: SIGKILL to each listed pid, a few rounds,
 * as a process may fork meanwhile — pids.max bounds how many) and removes the group's folders.
 * A missing group is success. Never throws: failures are reported per group.
 */
export async function removeSandboxGroups(groups: readonly string[]): Promise<SandboxGroupRemoval[]> {
  if (!layoutIfAny()) return groups.map((group) => ({ group, ok: true })); // none can have been made
  const out: SandboxGroupRemoval[] = [];
  for (const group of [...new Set(groups)]) {
    try {
      const dirs = sandboxGroupPaths(group).filter((d) => existsSync(d));
      if (dirs.length === 0) {
        out.push({ group, ok: true });
        continue;
      }
      for (let round = 0; round < 50; round++) {
        const pids = sandboxGroupPids(group);
        if (pids.length === 0) break;
        const kill = `${dirs[0]}/cgroup.kill`;
        if (existsSync(kill)) writeFileSync(kill, '1');
        else
          for (const pid of pids) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* exited meanwhile */
            }
          }
        await sleep(Math.min(10 * (round + 1), 100));
      }
      let error: string | undefined;
      for (const dir of dirs) {
        for (let attempt = 0; ; attempt++) {
          try {
            rmdirSync(dir);
            break;
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') break;
            // EBUSY: a killed process has not left yet (it is still exiting)
            if (code === 'EBUSY' && attempt < 50) {
              await sleep(20);
              continue;
            }
            error = `${dir}: ${code ?? (e as Error).message}`;
            break;
          }
        }
      }
      out.push(error ? { group, ok: false, error } : { group, ok: true });
    } catch (e) {
      out.push({ group, ok: false, error: (e as Error).message });
    }
  }
  return out;
}
