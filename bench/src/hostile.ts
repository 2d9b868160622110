// `pnpm bench:hostile`: the class of `pnpm bench:class` (class-run.ts) twice in one run, on a fresh
// server each time: (a) as it is, (b) with four hostile students — a fork bomb, a memory hog, a MAC
// flood and a capture loop (class-hostile.ts) — and one hostile client flooding joins and
// percent-encoded API addresses (hostile-flood.ts). The same students are measured in both (all but
// the four): terminal echo, tables delta and fix → dashboard p95, and the ratio (b)/(a), the target
// being ≤ 1.5×; the server's RSS at most in both; and that the machine is as before (root namespace
// links, namespaces of the prefix, the attacks' processes). Both runs use the server's own default
// limits (PATCHBAY_LIMITS unset), so what the server enforces is what is measured.
// Size: HOSTILE_STUDENTS=10 (or --students 10), default 40; --seconds S for the steady phase (30).
// Attacks: HOSTILE_FORK_DEPTH (7), HOSTILE_HOG_MIB (2048), HOSTILE_MACS (100000), HOSTILE_JOINS (100);
// HOSTILE_ATTACKS=fork-bomb,flood (a comma list of fork-bomb, memory-hog, mac-flood, capture-loop,
// flood; default all) runs only those, to see what each one costs.
// Results: bench/results/hostile-latest.json, and docs/benchmarks.md (a run of 40, or with --doc).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { builtinScenario } from '@patchbay/scenarios/library';
import { runClass, type ClassRunContext } from './class-run.js';
import type { HostileOptions } from './class-hostile.js';
import type { HostileRole } from './class-student.js';
import type { FloodConfig, FloodResult } from './hostile-flood.js';
import { hostileReport, machineState, type MachineState } from './hostile-report.js';
import { argNum, ROOT, sh, sleep, writeBenchSection } from './util.js';

const PREFIX = 'pbho-';
const env = (name: string, dflt: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const STUDENTS = argNum('--students', env('HOSTILE_STUDENTS', 40));
const STEADY_S = argNum('--seconds', 30);
const SCENARIO = 'link-down';
const ROLES: HostileRole[] = ['fork-bomb', 'memory-hog', 'mac-flood', 'capture-loop'];
if (STUDENTS < ROLES.length + 2) throw new Error(`bench:hostile needs at least ${ROLES.length + 2} students`);
/** The hostile four are the last four students; they are left out of the figures in both runs. */
const hostileIndex = ROLES.map((_, i) => STUDENTS - ROLES.length + 1 + i);
const ATTACKS = new Set(
  (process.env['HOSTILE_ATTACKS'] ?? [...ROLES, 'flood'].join(',')).split(',').map((x) => x.trim()),
);
for (const a of ATTACKS)
  if (![...ROLES, 'flood'].includes(a))
    throw new Error(`HOSTILE_ATTACKS: no attack ${a} (${[...ROLES, 'flood'].join(', ')})`);
const ATTACK: HostileOptions = {
  // Longer than the steady and fix phases: `calm` ends them first, their own timeout in any case.
  seconds: STEADY_S + 180,
  forkDepth: env('HOSTILE_FORK_DEPTH', 7),
  hogMiB: env('HOSTILE_HOG_MIB', 2048),
  macs: env('HOSTILE_MACS', 100_000),
  captureMs: 1000,
};
const FLOOD = { maxJoins: env('HOSTILE_JOINS', 100), concurrency: 12, localAddress: '127.0.0.2' };
/** The attacks start this long before the steady phase (the fork bomb and the hog reach their size). */
const RAMP_S = 5;

/** The address in the scenario's lab of a node other than the terminal's (the capture loop pings it). */
function peerAddress(terminalNode: string): string {
  const lab = builtinScenario(SCENARIO)!.scenario.lab;
  for (const l of lab.links ?? [])
    for (const end of [l.a, l.b])
      if (end.node !== terminalNode && end.addresses?.[0]) return end.addresses[0].split('/')[0]!;
  throw new Error(`scenario ${SCENARIO}: no address of a node other than ${terminalNode}`);
}

/**
 * GET /api/status every 2 s (a server without the route: nothing): the most its captures held, and
 * every lab it demoted to the idle CPU class (a lab held at its CPU ceiling for seconds).
 */
function statusSampler(ctx: ClassRunContext) {
  let max: { memoryBytes: number; diskBytes: number; rssBytes: number } | undefined;
  let last: unknown;
  const demoted = new Set<string>();
  let demotions = 0;
  const timer = setInterval(() => {
    void fetch(`${ctx.url}/api/status`, { headers: { authorization: `Bearer ${ctx.adminToken}` } })
      .then(async (r) =>
        r.ok
          ? ((await r.json()) as {
              rssBytes: number;
              captures: Record<string, number>;
              cpuHogs?: { demoted: string[]; demotions: number };
            })
          : undefined,
      )
      .then((s) => {
        if (!s) return;
        last = s.captures;
        for (const lab of s.cpuHogs?.demoted ?? []) demoted.add(lab);
        demotions = Math.max(demotions, s.cpuHogs?.demotions ?? 0);
        max = {
          memoryBytes: Math.max(max?.memoryBytes ?? 0, s.captures['memoryBytes'] ?? 0),
          diskBytes: Math.max(max?.diskBytes ?? 0, s.captures['diskBytes'] ?? 0),
          rssBytes: Math.max(max?.rssBytes ?? 0, s.rssBytes),
        };
      })
      .catch(() => undefined);
  }, 2000);
  /** Demoted labs by student number (a lab is `s<code>-<nn>`). */
  const students = () => [...demoted].map((lab) => Number(/-(\d+)$/.exec(lab)?.[1] ?? NaN)).sort((a, b) => a - b);
  return () => (clearInterval(timer), { max, last, demotions, demotedStudents: students() });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const before = machineState(PREFIX);
  let flood: ChildProcess | undefined;
  let floodResult: FloodResult | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const runs: Record<string, any> = {};
  try {
    console.log(`\n=== (a) the class of ${STUDENTS}, no hostile student ===`);
    let calmStatus: ReturnType<typeof statusSampler> | undefined;
    runs['calm'] = await runClass({
      prefix: PREFIX,
      students: STUDENTS,
      steadyS: STEADY_S,
      spreadS: 5,
      scenario: SCENARIO,
      quick: STUDENTS < 40,
      unmeasured: hostileIndex,
      limits: {},
      afterConnect: (ctx) => {
        calmStatus = statusSampler(ctx);
        return Promise.resolve();
      },
      beforeEnd: () => Promise.resolve({ status: calmStatus?.() }),
    });

    console.log(`\n=== (b) the same class, students ${hostileIndex.join(', ')} hostile, and a flooding client ===`);
    let stopStatus: ReturnType<typeof statusSampler> | undefined;
    let started: unknown;
    runs['hostile'] = await runClass({
      prefix: PREFIX,
      students: STUDENTS,
      steadyS: STEADY_S,
      spreadS: 5,
      scenario: SCENARIO,
      quick: STUDENTS < 40,
      unmeasured: hostileIndex,
      limits: {},
      afterConnect: async (ctx) => {
        stopStatus = statusSampler(ctx);
        const plan = builtinScenario(SCENARIO)!.scenario;
        const terminalNode = plan.solution[0]!.node;
        const roles = Object.fromEntries(
          hostileIndex.map((i, k) => [String(i), ROLES[k]!]).filter(([, role]) => ATTACKS.has(role!)),
        );
        started = await ctx.ask({ cmd: 'hostile', roles, options: ATTACK, peer: peerAddress(terminalNode) });
        const cfg: FloodConfig = {
          url: ctx.url,
          code: ctx.session.code,
          victimLab: ctx.labs[0]!,
          seconds: ATTACK.seconds,
          ...FLOOD,
        };
        if (ATTACKS.has('flood')) {
          flood = fork(join(import.meta.dirname, 'hostile-flood.js'), [JSON.stringify(cfg)], { stdio: 'inherit' });
          // An attacker's own CPU is its machine's, not the server's. On this one machine the client
          // runs at the lowest priority, so that it spends only CPU the server and the class leave
          // idle, and does not pass its own cost off as the server's; what the server had to answer
          // (requests per second, by status) is in the report.
          if (flood.pid !== undefined) setPriority(flood.pid, 19);
        }
        // Its counts, whenever it sends them (at its end, or when told to stop).
        flood?.once('message', (m: FloodResult) => (floodResult = m));
        console.log(`  attacks started; ${RAMP_S} s before the steady phase…`);
        await sleep(RAMP_S * 1000);
      },
      beforeEnd: async (ctx) => {
        const floodedLab = (started as { started: { lab: string; role: string }[] }).started.find(
          (x) => x.role === 'mac-flood',
        )?.lab;
        const fdb = floodedLab ? fdbEntries(floodedLab) : undefined;
        const loops = await ctx.ask<Record<string, unknown>>({ cmd: 'calm' });
        await stopFlood(flood);
        flood = undefined;
        return { started, fdb, captureLoop: loops, flood: floodResult, status: stopStatus?.() };
      },
    });
  } finally {
    if (flood) await stopFlood(flood);
    // The labs are gone with each run's session and cleanup; what the hostile processes left would show here.
    await sleep(1000);
  }
  const after = machineState(PREFIX);
  const result = {
    startedAt: new Date(Date.now() - (performance.now() - t0)).toISOString(),
    durationS: (performance.now() - t0) / 1000,
    students: STUDENTS,
    hostile: Object.fromEntries(hostileIndex.map((i, k) => [ROLES[k]!, i])),
    attacks: [...ATTACKS],
    attack: ATTACK,
    flood: FLOOD,
    machine: { before, after, clean: machineClean(before, after) },
    runs,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/hostile-latest.json'), JSON.stringify(result, null, 2) + '\n');
  const md = hostileReport(result);
  console.log(md);
  if (STUDENTS >= 40 || process.argv.includes('--doc')) writeBenchSection('hostile', md);
}

/** Learned FDB entries of the bridges in a lab's namespaces (`bridge fdb show` in each, read only). */
function fdbEntries(lab: string): number {
  let n = 0;
  for (const ns of sh('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)) {
    if (!ns.startsWith(`${PREFIX}${lab}.`)) continue;
    const out = sh('ip', ['netns', 'exec', ns, 'bridge', 'fdb', 'show', 'dynamic']).stdout;
    n += out.split('\n').filter((l) => l.trim() && !l.includes('permanent')).length;
  }
  return n;
}

function machineClean(before: MachineState, after: MachineState) {
  const added = after.rootLinks.filter((l) => !before.rootLinks.includes(l));
  const removed = before.rootLinks.filter((l) => !after.rootLinks.includes(l));
  return {
    ok: added.length === 0 && removed.length === 0 && after.namespaces.length === 0 && after.attackProcesses === 0,
    rootLinksAdded: added,
    rootLinksRemoved: removed,
    namespacesLeft: after.namespaces,
    attackProcessesLeft: after.attackProcesses,
  };
}

/** Tells the flooding client to stop and waits for it to end (killed after 40 s). */
async function stopFlood(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ cmd: 'stop' });
  await Promise.race([gone, sleep(40_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

await main();
