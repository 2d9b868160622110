// One run of the class of `pnpm bench:class` (and of `pnpm bench:hostile`, twice): students in a
// real class session on one server, over loopback. The server runs in this process (as `patchbay
// serve` would: a long-lived engine in watch mode, the caller's prefix, a temporary data folder);
// the instructor and the students run in a forked process (class-client.ts, class-session.ts), so
// this process's RSS and CPU are the server's. The instructor opens a session from a built-in
// scenario and follows it on its socket; the students join with its code (each gets its own lab,
// realized from the scenario, and its own token), work in their labs, then type the fix; the
// instructor ends the session, which destroys every lab. Everything left is removed at the end, also
// on failure. Hooks let a caller act on the connected class (bench:hostile's hostile students)
// before the steady phase and after the fix; `runClass` answers the run's figures, cleanup done.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { deleteNamespaces, listNamespaces } from '@patchbay/kernel';
import { buildApp } from '@patchbay/server';
import { parseScenarioText, type Scenario } from '@patchbay/scenarios';
import { builtinScenario } from '@patchbay/scenarios/library';
import type { ClassCommand } from './class-client.js';
import { classPlan, type ClassPlan } from './class-lab.js';
import { cpuByCommand, descendants, helpers, machineTicks, ticksByCommand, type HelperSample } from './class-procs.js';
import { dist } from './class-report.js';
import { inProcessServer, step, type ClassServer, type ClassServerFactory } from './class-server.js';
import { machineFacts } from './report.js';
import { ROOT, sleep, RssSampler } from './util.js';

/** One class run: its namespace prefix, its size and phases. */
export interface ClassRunConfig {
  prefix: string;
  students: number;
  steadyS: number;
  /** The fixes are typed one after another over this many seconds. */
  spreadS: number;
  scenario: string;
  quick: boolean;
  /** Students (1-based indices) left out of the steady and fix figures (they may act, they are not measured). */
  unmeasured?: number[];
  /** The server's limits over its defaults (default: BENCH_LIMITS; `{}`: the server's own defaults). */
  limits?: Record<string, number>;
  /** The server to run the class against (default: one in this process, with `prefix`; class-server.ts). */
  server?: ClassServerFactory;
  /** Called with the class connected, before the steady phase (e.g. to start hostile students). */
  afterConnect?: (ctx: ClassRunContext) => Promise<void>;
  /** Called after the fix phase, before the session ends (e.g. to stop them); its answer goes in the result as `extra`. */
  beforeEnd?: (ctx: ClassRunContext) => Promise<unknown>;
}

/** What a hook gets: the server's address, the instructor's token and session, the students' process. */
export interface ClassRunContext {
  url: string;
  adminToken: string;
  session: { id: string; code: string };
  labs: string[];
  ask<T>(msg: ClassCommand): Promise<T>;
}

/** How long a student waits for its fix to show (results, dashboard, ping). */
const FIX_TIMEOUT_S = 120;

export function ask<T>(child: ChildProcess, msg: ClassCommand): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the students' process exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (m: { ok: boolean; result?: T; error?: string }) => {
      child.off('exit', onExit);
      if (m.ok) resolve(m.result as T);
      else reject(new Error(m.error));
    });
    child.send(msg);
  });
}

/**
 * Generous limits for the bench (AppOptions.limits: rate limits and quotas, over the defaults): the
 * bench measures the server under a class, not the limits. A server build without the field ignores it.
 */
export const BENCH_LIMITS = {
  requestsPerSecond: 10_000,
  requestBurst: 10_000,
  eventsPerSecond: 10_000,
  eventBurst: 10_000,
  studentPings: 100,
  studentCaptures: 100,
  studentTerminals: 100,
  studentNodesPerLab: 2000,
};
/** Whether this server build takes `limits` (its buildApp reads opts.limits). */
const limitsSupported = /\.limits\b/.test(buildApp.toString());

// Answers of the students' process (class-client.ts; loosely typed: they are reported, not used).
type Answer = Record<string, any> & { errors: string[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
type PerStudent = Record<string, number | undefined>;
const values = (xs: PerStudent[], k: string) => xs.map((x) => x[k]).filter((x): x is number => typeof x === 'number');

/**
 * Unhandled rejections are recorded, not fatal: one from the server must not skip the cleanup (and
 * leave a class's namespaces behind). They are reported with the results, as the server bugs they are.
 */
const unhandled: string[] = [];
let phase = 'start';
process.on('unhandledRejection', (err) => {
  const text = `[${phase}] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
  unhandled.push(text);
  console.error('unhandled rejection (in the server):', text);
});

const sum = (xs: Record<string, number>) => Object.values(xs).reduce((a, b) => a + b, 0);

/**
 * Server-side CPU and event-loop delay over one phase. The server's own CPU is its processes' (this
 * one, or the server processes); its helpers are this process's descendants but the students'
 * process (and, for servers in processes of their own, less those processes' own CPU). The
 * event-loop delay is this process's: the server's only when it runs here.
 */
function phaseMeter(exclude: number | undefined, server: ClassServer) {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const ticks0 = new Map(descendants(exclude).map((p) => [p.pid, p.ticks]));
  const byCommand0 = ticksByCommand(exclude);
  const m0 = machineTicks();
  const roles0 = server.cpuByRole();
  const t0 = performance.now();
  return () => {
    const wall = performance.now() - t0;
    const roles1 = server.cpuByRole();
    const byRole = Object.fromEntries(
      Object.entries(roles1).map(([role, us]) => [role, (us - (roles0[role] ?? 0)) / 1000 / wall]),
    );
    const cpuShare = (sum(roles1) - sum(roles0)) / 1000 / wall;
    const m1 = machineTicks();
    const helperTicks = descendants(exclude).reduce((a, p) => a + p.ticks - (ticks0.get(p.pid) ?? 0), 0);
    loop.disable();
    const inTree = server.inProcess ? 0 : cpuShare; // server processes are among the descendants
    return {
      cpuShare,
      cpuShareByRole: byRole,
      helpersCpuShare: Math.max(0, helperTicks / 100 / (wall / 1000) - inTree),
      machineBusy: (m1.busy - m0.busy) / (m1.total - m0.total),
      // where the CPU went: a command's processes (alive at the end) and the kernel's threads
      byCommand: cpuByCommand(byCommand0, ticksByCommand(exclude), wall / 1000),
      cpus: cpus().length,
      // The histogram holds whole timer intervals: less the 10 ms resolution, what is left is the delay.
      loopDelayP99Ms: server.inProcess ? Math.max(0, loop.percentile(99) / 1e6 - 10) : undefined,
      loopDelayMaxMs: server.inProcess ? Math.max(0, loop.max / 1e6 - 10) : undefined,
    };
  };
}

/** Runs a class session on a server of its own (in this process) and answers its figures. */
/** A built-in scenario (by id) or a scenario file (a path: e.g. bench/scenarios/link-down-six.yaml), and the file's text. */
export function loadScenario(idOrPath: string): { scenario: Scenario; text?: string } {
  const builtin = builtinScenario(idOrPath);
  if (builtin) return { scenario: builtin.scenario };
  if (!/\.(ya?ml|json)$/.test(idOrPath)) throw new Error(`no built-in scenario ${idOrPath} (or give a scenario file)`);
  const text = readFileSync(resolve(ROOT, idOrPath), 'utf8');
  const { scenario, problems } = parseScenarioText(text);
  if (!scenario || problems.length)
    throw new Error(`${idOrPath}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
  return { scenario, text };
}

/** The plan of a built-in scenario or a scenario file. */
function classScenario(idOrPath: string): ClassPlan {
  const { scenario, text } = loadScenario(idOrPath);
  return text === undefined ? classPlan(scenario) : { ...classPlan(scenario), text };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function runClass(cfg: ClassRunConfig): Promise<any> {
  const { prefix: PREFIX, students: STUDENTS, steadyS: STEADY_S, spreadS: SPREAD_S, scenario: SCENARIO, quick } = cfg;
  const ADMIN_TOKEN = `bench-class-admin-${randomBytes(12).toString('hex')}`;
  unhandled.length = 0;
  const plan = classScenario(SCENARIO);
  const limits = cfg.limits ?? BENCH_LIMITS;
  const server = await (cfg.server ?? inProcessServer(PREFIX))({ adminToken: ADMIN_TOKEN, limits });
  const countNamespaces = async () =>
    (await Promise.all(server.prefixes.map((p) => listNamespaces(p)))).reduce((a, l) => a + l.length, 0);
  let client: ChildProcess | undefined;
  const started = new Date();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let done: any;
  const loadAtStart = loadavg()[0]!;
  try {
    const url = server.url;
    const rssIdle = server.rss();
    client = fork(
      join(import.meta.dirname, 'class-client.js'),
      [JSON.stringify({ url, students: STUDENTS, plan, unmeasured: cfg.unmeasured ?? [] })],
      {
        stdio: 'inherit',
        env: { ...process.env, PATCHBAY_BENCH_ADMIN: ADMIN_TOKEN },
      },
    );
    await new Promise<void>((r) => client!.once('message', () => r()));
    const exclude = client.pid;

    phase = 'session';
    console.log(`the instructor opens a session (${plan.scenario}) and follows it…`);
    const session = await ask<Answer>(client, { cmd: 'session' });
    console.log(`  session ${session['code']} in ${session['createMs'].toFixed(0)} ms`);

    phase = 'join';
    console.log(`${STUDENTS} students join at once (a lab of ${plan.nodes} nodes each)…`);
    let sampler = new RssSampler(() => server.rss());
    const joined = await ask<Answer>(client, { cmd: 'join' });
    const rssJoinMax = sampler.stop();
    const rssAfterJoin = server.rss();
    console.log(`  class joined in ${(joined['ms'] / 1000).toFixed(1)} s (${joined['failed']} failed)`);
    const namespaces = await countNamespaces();

    phase = 'connect';
    console.log('each student: socket, exercise:subscribe, tables:subscribe, ping, terminal…');
    sampler = new RssSampler(() => server.rss());
    const conn = await ask<Answer>(client, { cmd: 'connect' });
    const rssConnectMax = sampler.stop();
    console.log(`  ${conn['ready']}/${STUDENTS} ready in ${(conn['ms'] / 1000).toFixed(1)} s`);
    await sleep(1000);
    const rssConnected = server.rss();

    const ctx: ClassRunContext = {
      url,
      adminToken: ADMIN_TOKEN,
      session: { id: session['id'], code: session['code'] },
      labs: joined['labs'],
      ask: (msg) => ask(client!, msg),
    };
    if (cfg.afterConnect) {
      phase = 'after-connect';
      await cfg.afterConnect(ctx);
    }

    phase = 'steady';
    console.log(`steady phase: ${STEADY_S} s…`);
    const helperMax: HelperSample = { count: 0, rss: 0, pss: 0, byName: {} };
    const sampleHelpers = () => {
      const h = helpers(exclude);
      if (h.rss > helperMax.rss) Object.assign(helperMax, h);
    };
    sampleHelpers();
    let meter = phaseMeter(exclude, server);
    sampler = new RssSampler(() => server.rss());
    const helperTimer = setInterval(sampleHelpers, 3000);
    const steady = await ask<Answer>(client, { cmd: 'steady', seconds: STEADY_S });
    const rssSteadyMax = sampler.stop();
    const steadyServer = meter();
    sampleHelpers();
    const terminalsOpen = server.terminalsOpen();

    phase = 'fix';
    console.log(`each student types the fix (${plan.fix.join('; ')}) in ${plan.terminalNode}, over ${SPREAD_S} s…`);
    meter = phaseMeter(exclude, server);
    sampler = new RssSampler(() => server.rss());
    const fix = await ask<Answer>(client, { cmd: 'fix', spreadS: SPREAD_S, timeoutS: FIX_TIMEOUT_S });
    const rssFixMax = sampler.stop();
    const fixServer = meter();
    clearInterval(helperTimer);
    sampleHelpers();
    const fixed = fix['students'] as PerStudent[];
    console.log(
      `  dashboard: ${fixed.filter((s) => s['dashboard'] !== undefined).length}/${fixed.length} solved${cfg.unmeasured?.length ? ' (of the students measured)' : ''}`,
    );

    let extra: unknown;
    if (cfg.beforeEnd) {
      phase = 'before-end';
      extra = await cfg.beforeEnd(ctx);
    }

    phase = 'isolation';
    const iso = STUDENTS >= 2 ? await ask<Answer>(client, { cmd: 'isolation' }) : { skipped: true };

    phase = 'end';
    console.log('the instructor ends the session…');
    const end = await ask<Answer>(client, { cmd: 'end' });
    const namespacesAfterEnd = await countNamespaces();
    const labsAfterEnd = await server.labCount();
    console.log(
      `  ended in ${(end['ms'] / 1000).toFixed(1)} s; ${namespacesAfterEnd} namespaces, ${labsAfterEnd} labs left`,
    );

    const perConn = conn['students'] as PerStudent[];
    const runs = (steady['perStudent'] as { runs: { trigger: string; ms: number }[] }[]).flatMap((s) => s.runs);
    done = {
      startedAt: started.toISOString(),
      quick,
      machine: machineFacts(),
      loadAverageAtStart: loadAtStart,
      students: STUDENTS,
      plan,
      namespaces,
      limits: limitsSupported ? limits : 'this server build has no AppOptions.limits',
      session: {
        code: session['code'],
        createMs: session['createMs'],
        connectMs: session['connectMs'],
        subscribeMs: session['subscribeMs'],
      },
      join: {
        ms: joined['ms'],
        failed: joined['failed'],
        join: dist((joined['joins'] as PerStudent[]).filter((j) => j['status'] === 200).map((j) => j['ms']!)),
        dashboardAllMs: joined['dashboardAllMs'],
        dashboardMissing: joined['dashboardMissing'],
        joins: joined['joins'],
      },
      connect: {
        ms: conn['ms'],
        ready: conn['ready'],
        connect: dist(values(perConn, 'connectMs')),
        exerciseAck: dist(values(perConn, 'exerciseAckMs')),
        exerciseGet: dist(values(perConn, 'exerciseGetMs')),
        snapshot: dist(values(perConn, 'snapshotMs')),
        pingAck: dist(values(perConn, 'pingAckMs')),
        terminalPrompt: dist(values(perConn, 'terminalPromptMs')),
        students: perConn,
      },
      steady: {
        seconds: steady['seconds'],
        active: steady['active'],
        api: dist((steady['api'] as { ms: number }[]).map((a) => a.ms)),
        apiStatuses: (steady['api'] as { status: number }[]).reduce<Record<string, number>>(
          (acc, a) => ((acc[a.status] = (acc[a.status] ?? 0) + 1), acc),
          {},
        ),
        echoFirst: dist(steady['echoFirst']),
        echoHi: dist(steady['echoHi']),
        delta: dist(steady['delta']),
        addrPrompt: dist(steady['addrPrompt']),
        pingRtt: dist(steady['pingRtt']),
        pingReplies: values(steady['perStudent'], 'pingReplies').reduce((a, b) => a + b, 0),
        pingEvents: values(steady['perStudent'], 'pingEvents').reduce((a, b) => a + b, 0),
        pingEventKinds: steady['pingEventKinds'],
        counters: values(steady['perStudent'], 'counters').reduce((a, b) => a + b, 0),
        countersMin: Math.min(...values(steady['perStudent'], 'counters')),
        deltas: values(steady['perStudent'], 'deltas').reduce((a, b) => a + b, 0),
        coalesced: values(steady['perStudent'], 'coalesced').reduce((a, b) => a + b, 0),
        runs: {
          count: runs.length,
          perLabPerMinute: runs.length / Math.max(1, steady['active']) / (steady['seconds'] / 60),
          ms: dist(runs.map((r) => r.ms)),
          byTrigger: runs.reduce<Record<string, number>>(
            (acc, r) => ((acc[r.trigger] = (acc[r.trigger] ?? 0) + 1), acc),
            {},
          ),
        },
        terminalExits: (steady['perStudent'] as { lab: string; terminalExit?: unknown }[])
          .filter((s) => s.terminalExit)
          .map((s) => ({ lab: s.lab, exit: s.terminalExit })),
        failures: steady['failures'],
        server: { ...steadyServer, terminalsOpen },
        client: steady['client'],
      },
      fix: {
        active: fix['active'],
        spreadS: fix['spreadS'],
        timeoutS: FIX_TIMEOUT_S,
        results: dist(values(fixed, 'results')),
        passRunMs: dist(values(fixed, 'passRunMs')),
        // Enter asks for a run 1 s after the last Enter: a passing run sooner than that came from the kernel change.
        byKernelChange: values(fixed, 'results').filter((x) => x < 1000).length,
        dashboard: dist(values(fixed, 'dashboard')),
        ping: dist(values(fixed, 'ping')),
        prompt: dist(values(fixed, 'prompt')),
        classSolvedAfterFirstMs: fix['classSolvedAfterFirstMs'],
        classSolvedAfterLastMs: fix['classSolvedAfterLastMs'],
        missing: (fixed as unknown as { lab: string; missing: string[] }[]).flatMap((s) =>
          s.missing.map((m) => `${s.lab}: ${m}`),
        ),
        pingRestarted: fixed.filter((s) => s['pingRestarted']).length,
        runsPerStudent: fix['runs'],
        sessionGet: fix['sessionGet'],
        server: fixServer,
        students: fixed,
      },
      rss: {
        idle: rssIdle,
        joinMax: rssJoinMax,
        afterJoin: rssAfterJoin,
        connectMax: rssConnectMax,
        connected: rssConnected,
        steadyMax: rssSteadyMax,
        fixMax: rssFixMax,
        helpers: helperMax,
      },
      isolation: iso,
      extra,
      end: { ...end, errors: undefined, namespacesLeft: namespacesAfterEnd, labsLeft: labsAfterEnd },
      errors: end.errors,
    };
  } finally {
    console.log('cleaning up…');
    phase = 'cleanup';
    if (client && client.exitCode === null) {
      const gone = new Promise<void>((r) => client!.once('exit', () => r()));
      if (client.connected) client.send({ cmd: 'exit' });
      await Promise.race([gone, sleep(5000)]);
      if (client.exitCode === null) client.kill('SIGKILL');
    }
    await server.close();
    for (const p of server.prefixes)
      await step(`namespaces ${p}`, async () => deleteNamespaces(await listNamespaces(p)));
    if (unhandled.length) console.error(`${unhandled.length} unhandled rejection(s) during the run (see above)`);
  }
  // Written after the cleanup, so that the report includes what it left (nothing, it should be).
  const pins = (() => {
    try {
      return readdirSync('/run/patchbay/userns').filter((n) => server.prefixes.some((p) => n.startsWith(p))).length;
    } catch {
      return 0;
    }
  })();
  return {
    ...done,
    unhandledRejections: unhandled.slice(),
    serverInProcess: server.inProcess,
    leftAfterCleanup: { namespaces: await countNamespaces(), usernsPins: pins },
  };
}
