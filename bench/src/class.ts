// `pnpm bench:class`: a class of 40 students on one server, over loopback. The server runs in this
// process (as `patchbay serve` would: a long-lived engine in watch mode, prefix `pbcl-`, a temporary
// data folder); the students run in a forked process (class-client.ts), each with its own token, its
// own HTTP requests and its own socket.io connection, so this process's RSS and CPU are the server's.
// Class sessions (which hand out student tokens) come in a later issue: until then the bench records
// the 40 student tokens directly in the server's store (`store.addToken(token, 'student', lab)`), each
// scoped to its own lab s01…s40. Everything is removed at the end, also on failure.
// `--quick`: 8 students, a 10 s steady phase, results in bench/results/class-quick.json, no doc.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Engine } from '@patchbay/engine';
import { deleteNamespaces, listNamespaces } from '@patchbay/kernel';
import { buildApp, openStore } from '@patchbay/server';
import { parseLabText } from '@patchbay/topology';
import type { ClassCommand, StudentSpec } from './class-client.js';
import { HOSTS, labDocument } from './class-lab.js';
import { machineFacts } from './report.js';
import { ROOT, sleep, RssSampler } from './util.js';

const PREFIX = 'pbcl-';
const ADMIN_TOKEN = `bench-class-admin-${randomBytes(12).toString('hex')}`;
const MARK_START = '<!-- bench:class:start -->';
const MARK_END = '<!-- bench:class:end -->';
const quick = process.argv.includes('--quick');
const argNum = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const STUDENTS = argNum('--students', quick ? 8 : 40);
const STEADY_S = argNum('--seconds', quick ? 10 : 30);
const NODES_PER_LAB = 1 + HOSTS.length;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}
const dist = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p95: pct(xs, 95), p99: pct(xs, 99), max: pct(xs, 100) });
type Dist = ReturnType<typeof dist>;
const ms = (x: number) => (Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0));
const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const pctf = (x: number) => `${(x * 100).toFixed(0)} %`;

// ---- processes: the server's helpers are its descendants (the students' process excluded) ----

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime + cutime + cstime: its own CPU and that of its children it has reaped (the spawner's short-lived commands). */
  ticks: number;
}

function readProcs(): Map<number, ProcInfo> {
  const all = new Map<number, ProcInfo>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      all.set(Number(d), { pid: Number(d), ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {
      // exited meanwhile
    }
  }
  return all;
}

/** This process's descendants, without the subtree of `exclude` (the students' process). */
function descendants(exclude: number | undefined): ProcInfo[] {
  const all = readProcs();
  const children = new Map<number, ProcInfo[]>();
  for (const p of all.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const stack = [...(children.get(process.pid) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    if (p.pid === exclude) continue;
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

function memOf(pid: number): { rss: number; pss: number } {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? 0) * 1024;
    return { rss: kb('Rss'), pss: kb('Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

interface HelperSample {
  count: number;
  rss: number;
  pss: number;
  /** Per command name: how many, and their RSS. */
  byName: Record<string, { count: number; rss: number }>;
}

function helpers(exclude: number | undefined): HelperSample {
  const s: HelperSample = { count: 0, rss: 0, pss: 0, byName: {} };
  for (const p of descendants(exclude)) {
    const m = memOf(p.pid);
    s.count++;
    s.rss += m.rss;
    s.pss += m.pss;
    const e = (s.byName[p.comm] ??= { count: 0, rss: 0 });
    e.count++;
    e.rss += m.rss;
  }
  return s;
}

/** Busy and total jiffies of the whole machine (/proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}

function ask<T>(child: ChildProcess, msg: ClassCommand): Promise<T> {
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
const BENCH_LIMITS = {
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

interface UpResult {
  ms: number;
  failed: number;
  labs: { lab: string; status: number; start: number; end: number; ms: number; ops: number }[];
  errors: string[];
}
interface ConnectResult {
  ms: number;
  ready: number;
  students: ({ lab: string; ok: boolean } & Record<string, number>)[];
  errors: string[];
}
interface SteadyResult {
  seconds: number;
  active: number;
  api: { ms: number; status: number }[];
  echoFirst: number[];
  echoHi: number[];
  delta: number[];
  addrPrompt: number[];
  pingRtt: number[];
  perStudent: { lab: string; pingReplies: number; pingEvents: string[]; counters: number; deltas: number; coalesced: number; terminalExit?: unknown }[];
  failures: string[];
  client: { cpuShare: number; loopDelayP99Ms: number; loopDelayMaxMs: number };
  errors: string[];
}

/**
 * Unhandled rejections are recorded, not fatal: one from the server must not skip the cleanup (and
 * leave 240 namespaces behind). They are reported with the results, as the server bugs they are.
 */
const unhandled: string[] = [];
let phase = 'start';
process.on('unhandledRejection', (err) => {
  const text = `[${phase}] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
  unhandled.push(text);
  console.error('unhandled rejection (in the server):', text);
});

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-bench-class-'));
  const engine = new Engine({ prefix: PREFIX, dataDir, watch: true });
  const db = openStore(dataDir);
  const appOptions = { engine, db, adminToken: ADMIN_TOKEN, limits: BENCH_LIMITS } as Parameters<typeof buildApp>[0];
  const app = await buildApp(appOptions);
  let client: ChildProcess | undefined;
  const started = new Date();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let done: any;
  const loadAtStart = loadavg()[0]!;
  const students: StudentSpec[] = Array.from({ length: STUDENTS }, (_, i) => ({
    lab: `s${String(i + 1).padStart(2, '0')}`,
    token: `bench-class-student-${randomBytes(16).toString('hex')}`,
    index: i + 1,
  }));
  try {
    // Class sessions do not exist yet: the tokens are recorded as a session would, one lab each.
    for (const s of students) db.addToken(s.token, 'student', s.lab);
    for (const s of students) {
      const parsed = parseLabText(JSON.stringify(labDocument(s)));
      if (!parsed.lab) throw new Error(`lab ${s.lab} does not parse: ${JSON.stringify(parsed)}`);
    }
    await engine.recover();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const rssIdle = process.memoryUsage.rss();
    client = fork(join(import.meta.dirname, 'class-client.js'), [url, JSON.stringify(students)], { stdio: 'inherit' });
    await new Promise<void>((r) => client!.once('message', () => r()));
    const exclude = client.pid;

    phase = 'up';
    console.log(`${STUDENTS} students PUT their labs (${NODES_PER_LAB} nodes each) at once…`);
    let sampler = new RssSampler();
    const up = await ask<UpResult>(client, { cmd: 'up' });
    const rssUpMax = sampler.stop();
    const rssAfterUp = process.memoryUsage.rss();
    console.log(`  class up in ${(up.ms / 1000).toFixed(1)} s (${up.failed} failed)`);
    const namespaces = (await listNamespaces(PREFIX)).length;

    phase = 'connect';
    console.log('each student: socket, tables:subscribe, ping, terminal…');
    sampler = new RssSampler();
    const conn = await ask<ConnectResult>(client, { cmd: 'connect' });
    const rssConnectMax = sampler.stop();
    console.log(`  ${conn.ready}/${STUDENTS} ready in ${(conn.ms / 1000).toFixed(1)} s`);
    await sleep(1000);
    const rssConnected = process.memoryUsage.rss();

    phase = 'steady';
    console.log(`steady phase: ${STEADY_S} s…`);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const helperMax: HelperSample = { count: 0, rss: 0, pss: 0, byName: {} };
    const sampleHelpers = () => {
      const h = helpers(exclude);
      if (h.rss > helperMax.rss) Object.assign(helperMax, h);
    };
    sampleHelpers();
    const ticks0 = new Map(descendants(exclude).map((p) => [p.pid, p.ticks]));
    const m0 = machineTicks();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    sampler = new RssSampler();
    const helperTimer = setInterval(sampleHelpers, 3000);
    const steady = await ask<SteadyResult>(client, { cmd: 'steady', seconds: STEADY_S });
    clearInterval(helperTimer);
    const rssSteadyMax = sampler.stop();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const m1 = machineTicks();
    const helperTicks = descendants(exclude).reduce((a, p) => a + p.ticks - (ticks0.get(p.pid) ?? 0), 0);
    loop.disable();
    sampleHelpers();
    const terminalsOpen = (app as unknown as { terminals?: { count: number } }).terminals?.count;

    phase = 'isolation';
    console.log('isolation: s01 tries s02…');
    const iso = STUDENTS >= 2 ? await ask<Record<string, unknown>>(client, { cmd: 'isolation' }) : { skipped: true };

    const result = {
      startedAt: started.toISOString(),
      quick,
      machine: machineFacts(),
      loadAverageAtStart: loadAtStart,
      students: STUDENTS,
      nodesPerLab: NODES_PER_LAB,
      namespaces,
      limits: limitsSupported ? BENCH_LIMITS : 'this server build has no AppOptions.limits',
      up: { ms: up.ms, failed: up.failed, put: dist(up.labs.map((l) => l.ms)), labs: up.labs },
      connect: {
        ms: conn.ms,
        ready: conn.ready,
        connect: dist(conn.students.map((s) => s['connectMs']!).filter((x) => x !== undefined)),
        snapshot: dist(conn.students.map((s) => s['snapshotMs']!).filter((x) => x !== undefined)),
        pingAck: dist(conn.students.map((s) => s['pingAckMs']!).filter((x) => x !== undefined)),
        terminalPrompt: dist(conn.students.map((s) => s['terminalPromptMs']!).filter((x) => x !== undefined)),
        students: conn.students,
      },
      steady: {
        seconds: steady.seconds,
        active: steady.active,
        api: dist(steady.api.map((a) => a.ms)),
        apiStatuses: steady.api.reduce<Record<string, number>>((acc, a) => ((acc[a.status] = (acc[a.status] ?? 0) + 1), acc), {}),
        echoFirst: dist(steady.echoFirst),
        echoHi: dist(steady.echoHi),
        delta: dist(steady.delta),
        addrPrompt: dist(steady.addrPrompt),
        pingRtt: dist(steady.pingRtt),
        pingReplies: steady.perStudent.reduce((a, s) => a + s.pingReplies, 0),
        pingRepliesMin: Math.min(...steady.perStudent.map((s) => s.pingReplies)),
        pingEvents: steady.perStudent.flatMap((s) => s.pingEvents.map((e) => `${s.lab} ${e}`)),
        counters: steady.perStudent.reduce((a, s) => a + s.counters, 0),
        countersMin: Math.min(...steady.perStudent.map((s) => s.counters)),
        deltas: steady.perStudent.reduce((a, s) => a + s.deltas, 0),
        coalesced: steady.perStudent.reduce((a, s) => a + s.coalesced, 0),
        terminalExits: steady.perStudent.filter((s) => s.terminalExit).map((s) => ({ lab: s.lab, exit: s.terminalExit })),
        failures: steady.failures,
        server: {
          cpuShare: (cpu.user + cpu.system) / 1000 / wall,
          helpersCpuShare: helperTicks / 100 / (wall / 1000),
          machineBusy: (m1.busy - m0.busy) / (m1.total - m0.total),
          cpus: cpus().length,
          // The histogram holds whole timer intervals: less the 10 ms resolution, what is left is the delay.
          loopDelayP99Ms: Math.max(0, loop.percentile(99) / 1e6 - 10),
          loopDelayMaxMs: Math.max(0, loop.max / 1e6 - 10),
          terminalsOpen,
        },
        client: steady.client,
      },
      rss: { idle: rssIdle, upMax: rssUpMax, afterUp: rssAfterUp, connectMax: rssConnectMax, connected: rssConnected, steadyMax: rssSteadyMax, helpers: helperMax },
      isolation: iso,
      errors: steady.errors,
    };
    done = result;
  } finally {
    console.log('cleaning up…');
    phase = 'cleanup';
    const step = async (what: string, f: () => unknown) => {
      try {
        await f();
      } catch (err) {
        console.error(`cleanup: ${what}:`, err);
      }
    };
    if (client && client.exitCode === null) {
      const gone = new Promise<void>((r) => client!.once('exit', () => r()));
      if (client.connected) client.send({ cmd: 'exit' });
      await Promise.race([gone, sleep(5000)]);
      if (client.exitCode === null) client.kill('SIGKILL');
    }
    await step('app.close', () => app.close());
    for (const l of await engine.list().catch(() => [])) await step(`destroy ${l.name}`, () => engine.destroy(l.name));
    await step('engine.close', () => engine.close());
    await step('db.close', () => db.close());
    await step('namespaces', async () => deleteNamespaces(await listNamespaces(PREFIX)));
    rmSync(dataDir, { recursive: true, force: true });
    if (unhandled.length) console.error(`${unhandled.length} unhandled rejection(s) during the run (see above)`);
  }
  // Written after the cleanup, so that the report includes what it left (nothing, it should be).
  const pins = (() => {
    try {
      return readdirSync('/run/patchbay/userns').filter((n) => n.startsWith(PREFIX)).length;
    } catch {
      return 0;
    }
  })();
  const result = { ...done, unhandledRejections: unhandled.slice(), leftAfterCleanup: { namespaces: (await listNamespaces(PREFIX)).length, usernsPins: pins } };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, `bench/results/class-${quick ? 'quick' : 'latest'}.json`), JSON.stringify(result, null, 2) + '\n');
  const md = report(result);
  console.log(md);
  if (!quick) writeIntoDoc(md);
}

function row(what: string, x: Dist): string {
  return `| ${what} | ${x.n} | ${ms(x.p50)} | ${ms(x.p95)} | ${ms(x.p99)} | ${ms(x.max)} |`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function report(r: any): string {
  const st = r.steady;
  const srv = st.server;
  const h = r.rss.helpers as HelperSample;
  const names = Object.entries(h.byName)
    .sort((a, b) => b[1].rss - a[1].rss)
    .map(([n, v]) => `${v.count} × ${n} ${mib(v.rss)} MiB`)
    .join(', ');
  const iso = r.isolation;
  const refusal = (a: { ok: boolean; error?: string } | undefined) => (a ? (a.ok ? '**accepted**' : `refused ("${a.error}")`) : '–');
  const expectedPings = st.active * Math.floor(st.seconds);
  const statuses = Object.entries(st.apiStatuses as Record<string, number>).map(([k, v]) => `${v} × ${k}`).join(', ');
  const lines = [
    `Run ${r.startedAt} (\`pnpm bench:class\`${r.quick ? ' --quick' : ''}), ${r.machine.cpus}, ${r.machine.ram}, kernel ${r.machine.kernel}; ${r.students} students, a lab of ${r.nodesPerLab} nodes each (${r.namespaces} namespaces in all).`,
    '',
    `**Class up:** all ${r.students} PUTs sent at once, the last lab applied ${(r.up.ms / 1000).toFixed(1)} s after the first PUT (${r.up.failed} failed; each PUT p50 ${ms(r.up.put.p50)} ms, max ${ms(r.up.put.max)} ms). ` +
      `Then, also all at once, each student connected, subscribed to its tables, started a ping and opened a terminal: ${r.connect.ready}/${r.students} at a shell prompt ${(r.connect.ms / 1000).toFixed(1)} s later ` +
      `(socket connect p95 ${ms(r.connect.connect.p95)} ms, tables snapshot p95 ${ms(r.connect.snapshot.p95)} ms, ping:start ack p95 ${ms(r.connect.pingAck.p95)} ms, terminal open → prompt p50 ${ms(r.connect.terminalPrompt.p50)} / max ${ms(r.connect.terminalPrompt.max)} ms).`,
    '',
    `Steady phase, ${st.seconds.toFixed(0)} s, ${st.active} students active:`,
    '',
    '| latency (ms) | samples | p50 | p95 | p99 | max |',
    '|---|---|---|---|---|---|',
    row('`GET /api/labs/sNN/state` (each student every ~3 s)', st.api),
    row('terminal: `echo hi⏎` typed → `hi` printed (client has it)', st.echoHi),
    row('terminal: keystrokes typed → first output (the tty echo)', st.echoFirst),
    row('`ip addr add …/32 dev lo` typed → `tables:delta` with the address', st.delta),
    row('the same command typed → the prompt back (the shell and `ip` alone)', st.addrPrompt),
    row('ping RTT h1 → h2 (as ping reports it)', st.pingRtt),
    '',
    `API answers: ${statuses || 'none'}. Live streams in the phase: ${st.pingReplies} ping replies (${expectedPings} expected at one per second; fewest for one student: ${st.pingRepliesMin}), ` +
      `${st.counters} \`tables:counters\` samples (fewest for one student: ${st.countersMin}), ${st.deltas} \`tables:delta\` (${st.coalesced} coalesced). ` +
      `${st.failures.length ? `Failures: ${st.failures.length} (${st.failures.slice(0, 3).join('; ')}${st.failures.length > 3 ? '; …' : ''}).` : 'No request or measurement failed.'}`,
    '',
    `**Server process:** ${pctf(srv.cpuShare)} of one core in the steady phase (its helper processes, with the commands they ran and reaped: ${pctf(srv.helpersCpuShare)}; the students' process ${pctf(st.client.cpuShare)}; the whole machine was ${pctf(srv.machineBusy)} busy of its ${srv.cpus} CPUs, ` +
      `i.e. ~${pctf(Math.max(0, srv.machineBusy * srv.cpus - srv.cpuShare - srv.helpersCpuShare - st.client.cpuShare))} of a core went to the kernel's own threads and to other work on the machine); ` +
      `event-loop delay p99 ${ms(srv.loopDelayP99Ms)} ms, max ${ms(srv.loopDelayMaxMs)} ms (the students' process: p99 ${ms(st.client.loopDelayP99Ms)} ms). ` +
      `RSS: ${mib(r.rss.idle)} MiB idle, at most ${mib(r.rss.upMax)} MiB while the labs were applied, ${mib(r.rss.connected)} MiB with the class connected, **at most ${mib(r.rss.steadyMax)} MiB in the steady phase**. ` +
      `Helper processes (its descendants: ${h.count}): RSS ${mib(h.rss)} MiB summed (PSS ${mib(h.pss)} MiB, shared pages counted once): ${names}.`,
    '',
    iso.skipped
      ? 'Isolation: not checked (one student).'
      : `**Isolation** (${iso.from}'s token against ${iso.to}'s lab): \`GET /api/labs/${iso.to}/state\` → ${iso.getState.status}, \`GET /api/labs/${iso.to}\` → ${iso.getLab.status}, \`PUT /api/labs/${iso.to}\` → ${iso.put.status}, ` +
        `\`GET /api/labs\` lists [${iso.listSeesOnly.join(', ')}]; socket \`tables:subscribe\` ${refusal(iso.tablesSubscribe)}, \`terminal:open\` ${refusal(iso.terminalOpen)}, \`ping:start\` ${refusal(iso.pingStart)}.`,
  ];
  lines.push('', `After the cleanup: ${r.leftAfterCleanup.namespaces} \`${PREFIX}\` namespaces, ${r.leftAfterCleanup.usernsPins} user-namespace pins left.`);
  if (r.unhandledRejections.length) {
    const kinds = new Map<string, number>();
    for (const e of r.unhandledRejections as string[]) kinds.set(e.split('\n')[0]!, (kinds.get(e.split('\n')[0]!) ?? 0) + 1);
    lines.push('', `Unhandled promise rejections in the server process (recorded by the bench; \`patchbay serve\` would crash on one): ${[...kinds].map(([k, n]) => `${n} × ${k}`).join('; ')}.`);
  }
  if (r.errors.length) lines.push('', `Errors: ${r.errors.length} (${r.errors.slice(0, 5).join('; ')}${r.errors.length > 5 ? '; …' : ''}).`);
  return lines.join('\n');
}

function writeIntoDoc(md: string): void {
  const path = join(ROOT, 'docs/benchmarks.md');
  const doc = readFileSync(path, 'utf8');
  const a = doc.indexOf(MARK_START);
  const b = doc.indexOf(MARK_END);
  if (a < 0 || b < a) throw new Error(`docs/benchmarks.md has no ${MARK_START} … ${MARK_END} section`);
  writeFileSync(path, doc.slice(0, a + MARK_START.length) + '\n' + md + '\n' + doc.slice(b));
}

await main();
