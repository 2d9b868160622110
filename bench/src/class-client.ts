// The class of `pnpm bench:class`, in its own process (forked by class.ts) so that the server's
// process holds only the server: the instructor (the admin token, from PATCHBAY_BENCH_ADMIN) and the
// students, each with the token its join gave it, its own HTTP requests and its own socket.io
// connection; they all act at once. Driven by messages from the parent (one command at a time):
// `session` (the instructor opens it and follows it), `join` (every student joins with the code),
// `connect` (socket, exercise results, tables, ping, terminal), `steady` (the measured phase),
// `fix` (each types the solution), `isolation` (one student tries another's lab), `hostile` and
// `calm` (bench:hostile: some students leave for a process of their own and attack, then stop;
// hostile-handoff.ts), `end` (the
// instructor ends the session), `exit`. Times are this process's `performance.now()`.
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HostileOptions } from './class-hostile.js';
import { calmHandedOff, handOffHostiles } from './hostile-handoff.js';
import { endSession, fixAll, joinAll, openSession } from './class-session.js';
import {
  ackOrThrow,
  addrOnce,
  connectStudent,
  echoOnce,
  http,
  jitter,
  measured,
  newStudent,
  now,
  PROMPT,
  sleep,
  waitOutput,
  within,
  type Config,
  type HostileRole,
  type Instructor,
  type Student,
} from './class-student.js';

export type ClassCommand =
  | { cmd: 'session' }
  | { cmd: 'join' }
  | { cmd: 'connect' }
  | { cmd: 'steady'; seconds: number }
  | { cmd: 'fix'; spreadS: number; timeoutS: number }
  | { cmd: 'isolation' }
  | { cmd: 'hostile'; roles: Record<string, HostileRole>; options: HostileOptions; peer: string }
  | { cmd: 'calm' }
  | { cmd: 'end' }
  | { cmd: 'exit' };

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;
const plan = cfg.plan;
const students: Student[] = Array.from({ length: cfg.students }, (_, i) => newStudent(i + 1));
const inst: Instructor = { token: process.env['PATCHBAY_BENCH_ADMIN'] ?? '', progress: new Map(), errors: [] };
/** Set once the instructor ends the session: the server closing the students' sockets is expected then. */
let ending = false;

/**
 * Each student, as the exercise page does: its socket, the exercise's results, its lab's tables, the
 * exercise itself over REST, a live ping along the path of the scenario's ping check, and a shell in
 * the node of the solution (until the prompt shows).
 */
async function connect() {
  const t0 = now();
  const per = await Promise.all(
    students
      .filter((s) => s.token)
      .map(async (s) => {
        const r: Record<string, number> = {};
        try {
          const a = now();
          const c = await connectStudent(cfg.url, s, plan, () => ending);
          r['connectMs'] = now() - a;
          const e = now();
          ackOrThrow(
            await within(c.emitWithAck('exercise:subscribe', { lab: s.lab! }), 30_000, 'exercise:subscribe'),
            'exercise:subscribe',
          );
          r['exerciseAckMs'] = now() - e;
          const x = await http(cfg.url, s.token, 'GET', `/api/labs/${s.lab}/exercise`);
          if (x.status !== 200) throw new Error(`GET /api/labs/${s.lab}/exercise: ${x.status}`);
          r['exerciseGetMs'] = x.ms;
          const b = now();
          ackOrThrow(
            await within(c.emitWithAck('tables:subscribe', { lab: s.lab! }), 30_000, 'tables:subscribe'),
            'tables:subscribe',
          );
          while (s.snapshotAt === undefined) await sleep(5);
          r['snapshotMs'] = s.snapshotAt - b;
          if (plan.ping) {
            const p = now();
            s.pingId = ackOrThrow(
              await within(
                c.emitWithAck('ping:start', {
                  id: randomUUID(),
                  lab: s.lab!,
                  node: plan.ping.from,
                  target: plan.ping.to,
                  count: 100,
                  intervalMs: 1000,
                }),
                30_000,
                'ping:start',
              ),
              'ping:start',
            );
            r['pingAckMs'] = now() - p;
          }
          const o = now();
          s.out = '';
          s.termId = ackOrThrow(
            await within(
              c.emitWithAck('terminal:open', {
                id: randomUUID(),
                lab: s.lab!,
                node: plan.terminalNode,
                cols: 100,
                rows: 30,
              }),
              30_000,
              'terminal:open',
            ),
            'terminal:open',
          );
          r['terminalAckMs'] = now() - o;
          await waitOutput(s, PROMPT, 30_000, 'terminal prompt');
          r['terminalPromptMs'] = now() - o;
          r['readyAt'] = now() - t0;
          // The exercise's first run (trigger `start`, after the join) has arrived by now?
          r['resultsSoFar'] = s.results.length;
          return { lab: s.lab!, ok: true, ...r };
        } catch (err) {
          s.errors.push(`${s.lab} connect: ${(err as Error).message}`);
          return { lab: s.lab!, ok: false, ...r };
        }
      }),
  );
  return { ms: now() - t0, students: per, ready: per.filter((p) => p.ok).length };
}

async function steady(seconds: number) {
  const elu = monitorEventLoopDelay({ resolution: 10 });
  elu.enable();
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const end = t0 + seconds * 1000;
  const api: { ms: number; status: number }[] = [];
  const echoFirst: number[] = [];
  const echoHi: number[] = [];
  const delta: number[] = [];
  const addrPrompt: number[] = [];
  const failures: string[] = [];
  const active = students.filter((s) => s.sock?.connected && s.termId && !s.terminalExit && !s.role);

  const apiLoop = async (s: Student) => {
    await sleep(jitter(0, 3000));
    while (now() < end) {
      try {
        const r = await http(cfg.url, s.token, 'GET', `/api/labs/${s.lab}/state`);
        if (measured(cfg, s)) api.push({ ms: r.ms, status: r.status });
        if (r.status !== 200) failures.push(`${s.lab} GET state: ${r.status}`);
      } catch (err) {
        failures.push(`${s.lab} GET state: ${(err as Error).message}`);
      }
      await sleep(Math.min(jitter(2500, 3500), end - now()));
    }
  };
  const terminalLoop = async (s: Student) => {
    await sleep(jitter(0, 2000));
    for (let k = 1; now() < end; k++) {
      const slot = now();
      try {
        const e = await echoOnce(s);
        if (measured(cfg, s)) {
          echoFirst.push(e.first);
          echoHi.push(e.hi);
        }
        if (k % 2 === 0) {
          await sleep(slot + 1000 - now());
          const a = await addrOnce(s, k);
          if (measured(cfg, s)) {
            delta.push(a.delta);
            addrPrompt.push(a.prompt);
          }
        }
      } catch (err) {
        failures.push((err as Error).message);
      }
      await sleep(Math.min(slot + jitter(1800, 2200), end) - now());
    }
  };
  await Promise.all(active.flatMap((s) => [apiLoop(s), terminalLoop(s)]));
  const wall = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  elu.disable();
  const inPhase = (t: number) => t >= t0 && t <= t0 + wall;
  const perStudent = students.map((s) => ({
    lab: s.lab ?? s.name,
    pingReplies: s.pingReplies.filter((r) => inPhase(r.t)).length,
    pingEvents: s.pingEvents.filter((e) => inPhase(e.t)).length,
    counters: s.counters.filter(inPhase).length,
    deltas: s.deltas.filter(inPhase).length,
    coalesced: s.coalesced,
    runs: s.results.filter((r) => inPhase(r.t)).map((r) => ({ trigger: r.trigger, ms: r.ms, passed: r.passed })),
    terminalExit: s.terminalExit,
  }));
  return {
    seconds: wall / 1000,
    active: active.length,
    api,
    echoFirst,
    echoHi,
    delta,
    addrPrompt,
    pingRtt: students.flatMap((s) =>
      s.pingReplies.filter((r) => inPhase(r.t) && r.rttMs !== undefined).map((r) => r.rttMs!),
    ),
    pingEventKinds: [...new Set(students.flatMap((s) => s.pingEvents.filter((e) => inPhase(e.t)).map((e) => e.type)))],
    perStudent,
    failures,
    client: {
      cpuShare: (cpu.user + cpu.system) / 1000 / wall,
      // The histogram holds whole timer intervals: less the 10 ms resolution, what is left is the delay.
      loopDelayP99Ms: Math.max(0, elu.percentile(99) / 1e6 - 10),
      loopDelayMaxMs: Math.max(0, elu.max / 1e6 - 10),
    },
  };
}

/** The first student's token against the second's lab (REST and socket), and against the session. */
async function isolation() {
  const [a, b] = students;
  if (!a?.sock || !b?.lab) return { skipped: true };
  const get = (path: string) => http(cfg.url, a.token, 'GET', path);
  const getState = await get(`/api/labs/${b.lab}/state`);
  const getExercise = await get(`/api/labs/${b.lab}/exercise`);
  const checks = await http(cfg.url, a.token, 'POST', `/api/labs/${b.lab}/checks`);
  const put = await http(cfg.url, a.token, 'PUT', `/api/labs/${b.lab}`, { name: b.lab, nodes: {} });
  const list = await get('/api/labs');
  const sessions = await get('/api/sessions');
  const labsSeen = ((list.json as { labs?: { name: string }[] }).labs ?? []).map((l) => l.name);
  const emit = (what: string, p: Promise<{ ok: boolean; error?: string }>) =>
    within(p, 10_000, what).then((x) => (x.ok ? { ok: true } : x));
  return {
    from: a.lab,
    to: b.lab,
    getState: getState.status,
    getExercise: getExercise.status,
    checks: checks.status,
    put: put.status,
    sessions: sessions.status,
    listSeesOnly: labsSeen,
    exerciseSubscribe: await emit(
      'exercise:subscribe (other lab)',
      a.sock.emitWithAck('exercise:subscribe', { lab: b.lab }),
    ),
    tablesSubscribe: await emit('tables:subscribe (other lab)', a.sock.emitWithAck('tables:subscribe', { lab: b.lab })),
    terminalOpen: await emit(
      'terminal:open (other lab)',
      a.sock.emitWithAck('terminal:open', {
        id: randomUUID(),
        lab: b.lab,
        node: plan.terminalNode,
        cols: 80,
        rows: 24,
      }),
    ),
    sessionSubscribe: await emit(
      'session:subscribe (student)',
      a.sock.emitWithAck('session:subscribe', { session: inst.session!.id }),
    ),
  };
}

const errors = () => [...inst.errors, ...students.flatMap((s) => s.errors)];

process.on('message', (m: ClassCommand) => {
  void (async () => {
    try {
      if (m.cmd === 'exit') {
        // Closing the sockets ends every terminal and ping on the server.
        for (const s of students) s.sock?.disconnect();
        inst.sock?.disconnect();
        await sleep(200);
        process.exit(0);
      }
      if (m.cmd === 'end') ending = true;
      const result =
        m.cmd === 'session'
          ? await openSession(cfg, inst)
          : m.cmd === 'join'
            ? await joinAll(cfg, students, inst)
            : m.cmd === 'connect'
              ? await connect()
              : m.cmd === 'steady'
                ? await steady(m.seconds)
                : m.cmd === 'fix'
                  ? await fixAll(cfg, students, inst, m.spreadS, m.timeoutS)
                  : m.cmd === 'isolation'
                    ? await isolation()
                    : m.cmd === 'hostile'
                      ? await handOffHostiles(cfg, students, m.roles, m.options, m.peer)
                      : m.cmd === 'calm'
                        ? await calmHandedOff()
                        : await endSession(cfg, students, inst);
      process.send!({ ok: true, result: { ...result, errors: errors() } });
    } catch (err) {
      process.send!({ ok: false, error: (err as Error).stack ?? String(err) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
