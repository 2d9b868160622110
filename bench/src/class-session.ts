// The class session of `pnpm bench:class`, in the students' process: the instructor opens it and
// follows it on a socket (`session:progress`, as the dashboard does), the students join with its
// code, later fix their labs in their terminals, and the instructor ends it.
import { randomUUID } from 'node:crypto';
import type { Joined, Session, SessionEnded, SessionProgressEvent } from '@patchbay/protocol';
import { io } from 'socket.io-client';
import {
  ackOrThrow,
  http,
  measured,
  now,
  PROMPT,
  sleep,
  type,
  waitFor,
  waitOutput,
  wake,
  within,
  type Client,
  type Config,
  type Instructor,
  type Student,
} from './class-student.js';

/** The instructor: `POST /api/sessions`, then a socket subscribed to the session's progress. */
export async function openSession(cfg: Config, inst: Instructor) {
  const created = await http(
    cfg.url,
    inst.token,
    'POST',
    '/api/sessions',
    cfg.plan.text !== undefined ? { text: cfg.plan.text } : { scenario: cfg.plan.scenario },
  );
  if (created.status !== 201)
    throw new Error(`POST /api/sessions: ${created.status} ${JSON.stringify(created.json).slice(0, 300)}`);
  const session = created.json as Session;
  inst.session = { id: session.id, code: session.code };
  const a = now();
  const c: Client = io(cfg.url, {
    auth: { token: inst.token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  inst.sock = c;
  c.on('session:progress', (e: SessionProgressEvent) => {
    if (e.session !== session.id) return;
    const list = inst.progress.get(e.student.id) ?? [];
    list.push({
      t: now(),
      passed: e.student.passed,
      total: e.student.total,
      ...(e.student.solvedAt ? { solvedAt: e.student.solvedAt } : {}),
    });
    inst.progress.set(e.student.id, list);
    wake();
  });
  c.on('session:ended', (e) => {
    if (e.session === session.id) inst.endedAt = now();
  });
  c.on('disconnect', (why) => {
    if (why !== 'io client disconnect') inst.errors.push(`instructor: socket disconnected (${why})`);
  });
  await within(
    new Promise<void>((resolve, reject) => (c.once('connect', () => resolve()), c.once('connect_error', reject))),
    30_000,
    'instructor connect',
  );
  const b = now();
  ackOrThrow(
    await within(c.emitWithAck('session:subscribe', { session: session.id }), 30_000, 'session:subscribe'),
    'session:subscribe',
  );
  return {
    id: session.id,
    code: session.code,
    createMs: created.ms,
    connectMs: b - a,
    subscribeMs: now() - b,
    checks: session.scenario.checks,
  };
}

/** Every student joins at once with the code and a name; then until the dashboard shows them all. */
export async function joinAll(cfg: Config, students: Student[], inst: Instructor) {
  const code = inst.session!.code;
  const t0 = now();
  const joins = await Promise.all(
    students.map(async (s) => {
      const start = now();
      try {
        // Token-less, as a student's browser: the code and a name.
        const r = await http(cfg.url, undefined, 'POST', '/api/join', { code, name: s.name });
        if (r.status === 200) {
          const j = r.json as Joined;
          Object.assign(s, { token: j.token, lab: j.lab, id: j.student });
        } else s.errors.push(`join ${s.name}: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
        return { name: s.name, lab: s.lab, status: r.status, start: start - t0, end: now() - t0, ms: r.ms };
      } catch (err) {
        s.errors.push(`join ${s.name}: ${(err as Error).message}`);
        return { name: s.name, status: 0, start: start - t0, end: now() - t0, ms: now() - start };
      }
    }),
  );
  const joined = students.filter((s) => s.id);
  // When the dashboard first showed each student (its `session:progress` for them).
  const shown = await Promise.all(
    joined.map((s) =>
      waitFor(() => inst.progress.get(s.id!)?.[0]?.t, 30_000, `dashboard shows ${s.name}`).then(
        (t) => t - t0,
        () => undefined,
      ),
    ),
  );
  return {
    ms: Math.max(...joins.map((j) => j.end)) - Math.min(...joins.map((j) => j.start)),
    failed: joins.filter((j) => j.status !== 200).length,
    joins,
    labs: joined.map((s) => s.lab!),
    dashboardAllMs:
      shown.every((x) => x !== undefined) && shown.length === students.length ? Math.max(...shown) : undefined,
    dashboardMissing: joined.filter((_, i) => shown[i] === undefined).map((s) => s.name),
  };
}

/**
 * Each student types the scenario's solution in its terminal, one after another over `spreadS`
 * seconds (a class does not fix at the same instant), then waits for its own `exercise:results` with
 * every check passing, the dashboard's `session:progress` showing it solved, and (with a ping) the
 * first reply of its live ping.
 */
export async function fixAll(cfg: Config, students: Student[], inst: Instructor, spreadS: number, timeoutS: number) {
  const plan = cfg.plan;
  const active = students.filter((s) => s.sock?.connected && s.termId && !s.terminalExit && !s.role);
  const order = [...active].sort(() => Math.random() - 0.5);
  const t0 = now();
  const solvedOnDashboard = (s: Student, after: number) =>
    inst.progress.get(s.id!)?.find((p) => p.t >= after && p.total > 0 && p.passed === p.total)?.t;
  const per = await Promise.all(
    order.map(async (s, k) => {
      const r: {
        lab: string;
        typedAt?: number;
        prompt?: number;
        results?: number;
        passTrigger?: string;
        passRunMs?: number;
        sinceLastRunMs?: number;
        runs?: unknown;
        dashboard?: number;
        ping?: number;
        pingRestarted?: boolean;
        missing: string[];
      } = {
        lab: s.lab!,
        missing: [],
      };
      await sleep(t0 + (order.length > 1 ? (k * spreadS * 1000) / (order.length - 1) : 0) - now());
      try {
        if (plan.ping && s.pingEnded) {
          // The live ping (100 replies at most) ended before the fix: start another, as a student would.
          s.pingId = ackOrThrow(
            await s.sock!.emitWithAck('ping:start', {
              id: randomUUID(),
              lab: s.lab!,
              node: plan.ping.from,
              target: plan.ping.to,
              count: 100,
              intervalMs: 1000,
            }),
            'ping:start',
          );
          s.pingEnded = false;
          r.pingRestarted = true;
        }
        let typed = now();
        for (const [i, command] of plan.fix.entries()) {
          typed = type(s, command);
          if (i < plan.fix.length - 1) await waitOutput(s, PROMPT, 15_000, 'prompt after a fix command');
        }
        r.typedAt = typed - t0;
        // The end of the lab's latest run before the fix: within its quiet window (docs/server.md), a kernel change does not count.
        const before = s.results.filter((x) => x.t < typed).at(-1);
        if (before) r.sinceLastRunMs = typed - before.t;
        const limit = timeoutS * 1000;
        const [prompt, results, dashboard, ping] = await Promise.all([
          waitOutput(s, PROMPT, 15_000, 'prompt after the fix').catch(() => undefined),
          waitFor(
            () => s.results.find((x) => x.t >= typed && x.total > 0 && x.passed === x.total)?.t,
            limit,
            `${s.lab} exercise:results all passing`,
          ).catch(() => undefined),
          waitFor(() => solvedOnDashboard(s, typed), limit, `dashboard shows ${s.lab} solved`).catch(() => undefined),
          plan.ping
            ? waitFor(() => s.pingReplies.find((x) => x.t >= typed)?.t, limit, `${s.lab} first ping reply`).catch(
                () => undefined,
              )
            : undefined,
        ]);
        // The lab's runs from 6 s before the fix to the first passing one: when each ended (relative to the fix), how long it ran, what passed.
        r.runs = s.results
          .filter((x) => x.t > typed - 6000 && x.t <= (results ?? Infinity))
          .map((x) => ({ endMs: Math.round(x.t - typed), ms: x.ms, failing: x.failing }));
        if (prompt !== undefined) r.prompt = prompt - typed;
        if (results !== undefined) {
          r.results = results - typed;
          // Which run it was (a kernel change, Enter, the 10 s tick), and how long the run itself took.
          const run = s.results.find((x) => x.t === results);
          if (run) Object.assign(r, { passTrigger: run.trigger, passRunMs: run.ms });
        } else r.missing.push('exercise:results with every check passing');
        if (dashboard !== undefined) r.dashboard = dashboard - typed;
        else r.missing.push('session:progress showing the student solved');
        if (ping !== undefined) r.ping = ping - typed;
        else if (plan.ping) r.missing.push('a live ping reply');
      } catch (err) {
        s.errors.push(`${s.lab} fix: ${(err as Error).message}`);
      }
      return r;
    }),
  );
  const typed = per.filter((p) => p.typedAt !== undefined);
  const allShown = per.every((p) => p.dashboard !== undefined) && per.length === students.filter((s) => !s.role).length;
  const firstTyped = Math.min(...typed.map((p) => p.typedAt!));
  const lastTyped = Math.max(...typed.map((p) => p.typedAt!));
  const lastShown = Math.max(...per.map((p) => (p.dashboard ?? NaN) + (p.typedAt ?? NaN)));
  // What the instructor's REST view says afterwards (the dashboard's first load).
  const view = await http(cfg.url, inst.token, 'GET', `/api/sessions/${inst.session!.id}`);
  const st = (view.json as Session).students ?? [];
  return {
    active: active.length,
    spreadS,
    // The figures: only the students measured (bench:hostile leaves some out).
    students: per
      .filter((p) => students.some((s) => s.lab === p.lab && measured(cfg, s)))
      .sort((a, b) => a.lab.localeCompare(b.lab)),
    classSolvedAfterFirstMs: allShown ? lastShown - firstTyped : undefined,
    classSolvedAfterLastMs: allShown ? lastShown - lastTyped : undefined,
    sessionGet: { status: view.status, ms: view.ms, students: st.length, solved: st.filter((x) => x.solvedAt).length },
    // Check runs per student during the phase (any trigger): how often the server ran them.
    runs: students.map((s) => s.results.filter((x) => x.t >= t0).length),
  };
}

/** The instructor ends the session (`DELETE /api/sessions/:id`): every lab destroyed. */
export async function endSession(cfg: Config, students: Student[], inst: Instructor) {
  const t0 = now();
  const r = await http(cfg.url, inst.token, 'DELETE', `/api/sessions/${inst.session!.id}`);
  const body = r.json as SessionEnded;
  await waitFor(() => inst.endedAt, 10_000, 'session:ended').catch(() => undefined);
  await sleep(200);
  const closed = students.filter((s) => s.closedByServer !== undefined);
  // A student's token afterwards (revoked: 401 expected).
  const probe = students.find((s) => s.token);
  const after = probe ? await http(cfg.url, probe.token, 'GET', `/api/labs/${probe.lab}/state`) : undefined;
  return {
    status: r.status,
    ms: r.ms,
    destroyed: Array.isArray(body.destroyed) ? body.destroyed.length : 0,
    error: r.status === 200 ? undefined : JSON.stringify(r.json).slice(0, 300),
    sessionEndedMs: inst.endedAt !== undefined ? inst.endedAt - t0 : undefined,
    socketsClosed: closed.length,
    socketsClosedMaxMs: closed.length ? Math.max(...closed.map((s) => s.closedByServer! - t0)) : undefined,
    tokenAfter: after ? after.status : undefined,
  };
}
