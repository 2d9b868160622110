// Exercise checks of live labs: runs (scheduler.ts: at most `concurrency` at once, one running and
// one waiting per lab), their results stored (a student's row; in memory for a lab outside a
// session) and sent live — `exercise:results` to the lab's subscribers, `session:progress` to the
// session's dashboards. Runs are triggered on request, after a join ('start') and a reset, when the
// lab's kernel state changes (watch.ts), when someone presses Enter in one of the lab's terminals
// (a command may change what the kernel reports no event for, e.g. a bridge-netfilter sysctl;
// debounced), and every `periodicMs` while the lab is
// watched. A lab is watched while it has exercise subscribers or its session has a dashboard open.
// A watched lab on a remote agent is watched there: the agent runs its checks on those triggers and
// pushes each run here (agents/exercise-feed.ts), kept as a local run is.
// Who follows what, and the socket events, are exercise-audience.ts's; where runs and hints are
// kept, exercise-records.ts's; the probes of runs on this host, local-probes.ts's.
import { forgetExercise } from '@patchbay/engine';
import { RemoteExerciseFeed } from '../agents/exercise-feed.js';
import { exerciseHostOf } from '../agents/exercise-hosts.js';
import type { CheckRun, HintsView } from '@patchbay/protocol';
import type { FastifyInstance } from 'fastify';
import type { StudentRow } from '../store/store.js';
import { HttpError } from '../http-error.js';
import type { ResetBy } from '../live/lab-processes.js';
import type { LiveIo, LiveSocket } from '../live/socket.js';
import { ExerciseAudience } from './exercise-audience.js';
import { ExerciseRecords } from './exercise-records.js';
import { LocalProbes, type ProbedChecks } from './local-probes.js';
import { ScenarioSource, type ExerciseContext } from './scenario-source.js';
import { CheckScheduler, ProgressRepeats, Semaphore, type RunRequest, type Trigger } from './scheduler.js';
import { revealedHints } from './views.js';
import { CHANGE_DEBOUNCE_MS, LabChangeWatch } from './watch.js';

export { exerciseRoom, sessionRoom } from './exercise-audience.js';

export interface ExerciseHubOptions {
  /** Check runs at once over all labs. */
  concurrency: number;
  /** Of those, runs asked for on the off chance (Enter, the periodic tick) at most: the rest wait for kernel changes and people. */
  backgroundConcurrency: number;
  /** Labs realized (joins, resets) at once. */
  realizeConcurrency: number;
  /** A watched lab's checks run at least this often (what no kernel event reports: some sysctls, a legacy-iptables rule). */
  periodicMs: number;
  /** Enter in a terminal: the lab's checks run this long after the last one. */
  enterDebounceMs: number;
  /** Kernel changes are debounced this long (watch.ts). */
  debounceMs: number;
}

export const EXERCISE_HUB_DEFAULTS: ExerciseHubOptions = Object.freeze({
  // Runs mostly wait (a ping that gets no reply waits its second): 12 background runs at once keep
  // a class of 40 checked every few seconds (bench:class) at little CPU, and 12 more slots are kept
  // for runs a kernel change or a person asked for, so a student's fix does not queue behind them.
  concurrency: 24,
  backgroundConcurrency: 12,
  realizeConcurrency: 6,
  periodicMs: 10_000,
  enterDebounceMs: 1000,
  debounceMs: CHANGE_DEBOUNCE_MS,
});

export class ExerciseHub {
  readonly scenarios: ScenarioSource;
  readonly watch: LabChangeWatch;
  /** Joins and resets (each an apply) at once. */
  readonly realize: Semaphore;
  /** Labs being realized by a join or a reset: their `applied` event is not a student's change. */
  private readonly realizing = new Map<string, number>();
  /** Check runs probing labs on this host. */
  private readonly probes: LocalProbes;
  private readonly options: ExerciseHubOptions;
  private readonly scheduler: CheckScheduler<CheckRun>;
  private readonly records: ExerciseRecords;
  private readonly audience: ExerciseAudience;
  /** When each lab's latest run finished (performance.now()), for the periodic runs. */
  private readonly lastRunAt = new Map<string, number>();
  /** Runs repeated at once because they made progress while the kernel may still be settling. */
  private readonly repeats = new ProgressRepeats();
  private readonly enterTimers = new Map<string, NodeJS.Timeout>();
  private readonly ticker: NodeJS.Timeout;
  /** Runs of watched labs on remote agents, pushed by the agents (a coordinator only). */
  private readonly feed: RemoteExerciseFeed | undefined;

  constructor(
    private readonly app: FastifyInstance,
    io: LiveIo,
    options: Partial<ExerciseHubOptions> = {},
  ) {
    this.options = { ...EXERCISE_HUB_DEFAULTS, ...options };
    this.feed =
      app.agentLink === undefined
        ? undefined
        : new RemoteExerciseFeed(app, app.agentLink, (lab, run) => this.pushed(lab, run));
    this.scenarios = new ScenarioSource(app.store, app.engine);
    this.records = new ExerciseRecords(app.store);
    this.realize = new Semaphore(this.options.realizeConcurrency);
    this.scheduler = new CheckScheduler(
      this.options.concurrency,
      (lab, trigger, signal) => this.execute(lab, trigger, signal),
      { backgroundLimit: this.options.backgroundConcurrency },
    );
    const watch = new LabChangeWatch({
      watches: app.engine.watches,
      log: app.log,
      onChange: (lab) => this.trigger(lab, 'change'),
      overtake: (lab) => this.scheduler.overtake(lab),
      debounceMs: this.options.debounceMs,
    });
    this.watch = watch;
    this.probes = new LocalProbes(app.engine, watch);
    this.audience = new ExerciseAudience(app, io, {
      contextOf: (lab) => this.scenarios.contextOf(lab),
      scenarioOfSession: (session) => this.scenarios.ofSession(session),
      latest: (ctx) => this.records.latest(ctx),
      setWatched: async (lab, want) => {
        await Promise.all([this.watch.set(lab, want), this.feed?.set(lab, want)]);
      },
    });
    this.ticker = setInterval(() => this.periodic(), Math.max(100, Math.floor(this.options.periodicMs / 5)));
    this.ticker.unref();
  }

  /** Runs the lab's checks (or joins the run waiting to start); 404 without an exercise, 410 when the lab is gone. */
  run(lab: string, trigger: Trigger, opts: RunRequest = {}): Promise<CheckRun> {
    return this.scheduler.request(lab, trigger, opts);
  }

  /** A run nobody waits for: a failure is only logged. */
  trigger(lab: string, trigger: Trigger, opts: RunRequest = {}): void {
    this.run(lab, trigger, opts).catch((err: Error) =>
      this.app.log.debug({ lab, trigger, err: err.message }, 'exercise run failed'),
    );
  }

  /** The latest run of the lab, if any. */
  latest(ctx: ExerciseContext): Promise<CheckRun | undefined> {
    return this.records.latest(ctx);
  }

  hintsShown(ctx: ExerciseContext): Promise<number> {
    return this.records.hintsShown(ctx);
  }

  /** Reveals the next hint (when one is left) and answers with every hint revealed so far. */
  async revealHint(ctx: ExerciseContext): Promise<HintsView> {
    const hintCount = ctx.scenario.hints?.length ?? 0;
    const shown = Math.min(hintCount, (await this.hintsShown(ctx)) + 1);
    await this.records.setHintsShown(ctx, shown);
    if (ctx.student) await this.emitProgress(ctx.student.id);
    return { hints: revealedHints(ctx.scenario, shown), hintCount };
  }

  /** 410 when the lab of an exercise is gone (an idle student's lab is reaped; reset re-creates it). */
  async assertPresent(ctx: ExerciseContext): Promise<void> {
    const host = await exerciseHostOf(this.app, ctx.lab);
    if (!(await host.present(ctx.lab)))
      throw new HttpError(
        410,
        'lab-gone',
        `lab ${ctx.lab} is gone (a student's lab is removed after a long idle time); reset it to get a fresh one: POST /api/labs/${ctx.lab}/reset`,
      );
  }

  /**
   * Puts the lab back as the scenario starts (re-creates it when it is gone), then runs the checks.
   * `by`: instructor when an instructor reset a student's lab (the student is told: their
   * terminals' closing message, `exercise:reset`, their exercise view); every page on the lab
   * (`exercise:reset`) reads it again.
   */
  async reset(ctx: ExerciseContext, by: ResetBy = 'student'): Promise<CheckRun> {
    if (ctx.session?.endedAt)
      throw new HttpError(409, 'ended', `the class session of lab ${ctx.lab} has ended: its labs are gone for good`);
    // The engine's `removing` event ends the lab's terminals, pings and captures before it goes
    // (marked as a reset, so they say why).
    await this.scheduler.exclusive(ctx.lab, () =>
      this.realizeLab(ctx.lab, async () => {
        const unmark = this.app.labProcesses.markReset(ctx.lab, by);
        try {
          await this.rebuild(ctx);
        } finally {
          unmark();
        }
      }),
    );
    const at = new Date().toISOString();
    if (by === 'instructor' && ctx.student) await this.app.store.students.recordInstructorReset(ctx.student.id, at);
    this.audience.sendReset({ lab: ctx.lab, by, at });
    return this.run(ctx.lab, 'reset');
  }

  /**
   * The lab's agent was lost and the lab is placed on another now (agents/failover.ts): it is made
   * there from the scenario, the student is told why (`exercise:reset` by failover), the dashboard
   * sees it (the student's `moved`), and the checks run again.
   */
  async failover(ctx: ExerciseContext, from: string): Promise<void> {
    await this.scheduler.exclusive(ctx.lab, () =>
      this.realizeLab(ctx.lab, async () => {
        const host = await exerciseHostOf(this.app, ctx.lab);
        await host.rebuild(ctx.lab, ctx.scenario, ctx.session?.scenarioText ?? '');
      }),
    );
    await this.feed?.moved(ctx.lab);
    const at = new Date().toISOString();
    if (ctx.student) await this.app.store.students.recordMove(ctx.student.id, from, at);
    this.audience.sendReset({
      lab: ctx.lab,
      by: 'failover',
      at,
      message: `The lab host ${from} stopped answering: your lab was made again on another host, and the exercise starts again.`,
    });
    this.trigger(ctx.lab, 'reset');
  }

  /** The lab rebuilt from its scenario, once the student and the session are known to be still there. */
  private async rebuild(ctx: ExerciseContext): Promise<void> {
    // The student may have been removed, or the session ended, while this reset waited its turn.
    if (ctx.student && !(await this.app.store.students.get(ctx.student.id)))
      throw new HttpError(410, 'removed', `the student of lab ${ctx.lab} was removed from the session`);
    if (ctx.session && (await this.app.store.sessions.get(ctx.session.id))?.endedAt)
      throw new HttpError(409, 'ended', `the class session of lab ${ctx.lab} has ended: its labs are gone for good`);
    // On the lab's agent: the local engine, or a remote agent (agents/exercise-hosts.ts).
    const host = await exerciseHostOf(this.app, ctx.lab);
    await host.rebuild(ctx.lab, ctx.scenario, ctx.session?.scenarioText ?? '');
  }

  /** Destroys a lab (the end of a session), after its runs; true when there was something to destroy. */
  destroyLab(lab: string): Promise<boolean> {
    return this.scheduler.exclusive(lab, async () => {
      const host = await exerciseHostOf(this.app, lab);
      const removed = await host.destroy(lab);
      if (host.remote) await this.app.store.agents.unplace(lab);
      else await forgetExercise(this.app.engine, lab).catch(() => undefined);
      await this.app.store.labs.delete(lab);
      this.records.forget(lab);
      this.feed?.forget(lab);
      this.lastRunAt.delete(lab);
      this.repeats.forget(lab);
      return removed;
    });
  }

  /** Realizes a lab (a join, a reset) in the `realize` line; its apply is not reported as a change. */
  async realizeLab<T>(lab: string, fn: () => Promise<T>): Promise<T> {
    return this.realize.use(async () => {
      this.realizing.set(lab, (this.realizing.get(lab) ?? 0) + 1);
      try {
        return await fn();
      } finally {
        const n = (this.realizing.get(lab) ?? 1) - 1;
        if (n > 0) this.realizing.set(lab, n);
        else this.realizing.delete(lab);
      }
    });
  }

  /**
   * Before the lab's namespaces go (the engine's `removing` event): the run probing the lab now
   * finishes first (at most `maxWaitMs`; the engine kills what is left after), so its pings and
   * commands end by themselves instead of failing against a half-removed lab.
   */
  probesEnded(lab: string, maxWaitMs = 5000): Promise<void> {
    return this.probes.ended(lab, maxWaitMs);
  }

  /** The engine applied the lab (its `applied` event; the watch follows its namespaces by itself): its checks run soon. */
  labChanged(lab: string): void {
    if (this.realizing.has(lab)) return; // a join or reset runs its own checks after it
    if (this.watch.isRunning(lab) && this.scheduler.overtake(lab)) return; // the run starts afresh
    this.triggerIfFollowed(lab);
  }

  /** Enter in one of the lab's terminals (a command ran: maybe iptables, which makes no kernel event). */
  terminalEnter(lab: string): void {
    const t = this.enterTimers.get(lab);
    if (t) clearTimeout(t);
    const timer = setTimeout(() => {
      this.enterTimers.delete(lab);
      this.triggerIfFollowed(lab, { background: true });
    }, this.options.enterDebounceMs);
    timer.unref();
    this.enterTimers.set(lab, timer);
  }

  /**
   * Enter in a terminal the coordinator relays to the lab's agent (agents/stream-relay.ts): the
   * agent runs the checks itself when it feeds the lab's runs here; otherwise they run from here.
   */
  relayedEnter(lab: string): void {
    if (!this.feed?.isFed(lab)) this.terminalEnter(lab);
  }

  /** A change run when the lab is watched or is a student's (looked up in the database: a failed lookup runs nothing). */
  private triggerIfFollowed(lab: string, opts: RunRequest = {}): void {
    if (this.watch.isWatched(lab)) return this.trigger(lab, 'change', opts);
    this.app.store.students.byLab(lab).then(
      (student) => {
        if (student) this.trigger(lab, 'change', opts);
      },
      (err: Error) => this.app.log.warn({ lab, err: err.message }, 'the database did not answer whose lab this is'),
    );
  }

  /** Tells the pages on a session's labs that its terminals-only setting changed. */
  sendSettings(lab: string, terminalsOnly: boolean): void {
    this.audience.sendSettings({ lab, terminalsOnly });
  }

  /** Sends a student's progress to their session's dashboards. */
  emitProgress(studentId: string, row?: StudentRow): Promise<void> {
    return this.audience.emitProgress(studentId, row);
  }

  /** Whether a student has lab `lab`'s exercise open now. */
  isOnline(lab: string): boolean {
    return this.audience.isOnline(lab);
  }

  /** Whether an instructor has the session's dashboard open now. */
  hasDashboard(session: string): boolean {
    return this.audience.hasDashboard(session);
  }

  private async execute(lab: string, trigger: Trigger, signal: AbortSignal): Promise<CheckRun> {
    const ctx = await this.scenarios.contextOf(lab);
    if (!ctx) throw new HttpError(404, 'not-found', `lab ${lab} has no exercise (it was not started from a scenario)`);
    await this.assertPresent(ctx);
    const host = await exerciseHostOf(this.app, lab);
    let checks: ProbedChecks;
    let agentAt: string | undefined;
    if (host.checks) {
      // On the lab's remote agent: it runs them, the hub keeps the record.
      const answer = await host.checks(lab);
      checks = answer;
      agentAt = answer.at;
    } else {
      checks = await this.probes.run(lab, ctx.scenario, signal);
    }
    const run: CheckRun = {
      lab,
      results: checks.results,
      passed: checks.passed,
      total: checks.total,
      at: new Date().toISOString(),
      ms: checks.ms,
      trigger,
    };
    // A later run the agent pushed was kept already: this one is answered, not kept.
    if (agentAt !== undefined && this.feed && !this.feed.fresh(lab, agentAt)) return run;
    // The agent that feeds the lab's runs repeats a run that made progress itself.
    await this.keep(ctx, run, !(host.remote && this.feed?.isFed(lab)));
    return run;
  }

  /** A run kept as the lab's latest and sent to its pages and its session's dashboards. */
  private async keep(ctx: ExerciseContext, run: CheckRun, settle: boolean): Promise<void> {
    this.lastRunAt.set(ctx.lab, performance.now());
    if (settle && this.repeats.after(ctx.lab, run)) this.trigger(ctx.lab, 'change');
    const row = await this.records.record(ctx, run);
    if (row) await this.emitProgress(row.id, row);
    this.audience.sendResults(run);
  }

  /**
   * A run the lab's agent pushed (agents/exercise-feed.ts): kept as a local one, unless it answers
   * the coordinator's own request (its caller keeps it) or a newer one was kept already.
   */
  private pushed(lab: string, agentRun: CheckRun): void {
    if (agentRun.trigger === 'request') return;
    this.scenarios
      .contextOf(lab)
      .then(async (ctx) => {
        if (!ctx || !this.feed?.fresh(lab, agentRun.at)) return;
        await this.keep(ctx, { ...agentRun, lab, at: new Date().toISOString() }, false);
      })
      .catch((err: Error) => this.app.log.warn({ lab, err: err.message }, 'a pushed check run was not kept'));
  }

  private periodic(): void {
    const now = performance.now();
    for (const lab of this.watch.labs()) {
      if (this.scheduler.busy(lab) || now - (this.lastRunAt.get(lab) ?? -Infinity) < this.options.periodicMs) continue;
      if (this.feed?.isFed(lab)) continue; // its agent's own tick runs it
      this.lastRunAt.set(lab, now); // a lab that is gone is tried again a period later, not at every tick
      this.trigger(lab, 'periodic', { background: true });
    }
  }

  /** Every lab of the session (after a dashboard came or went, a join, the end). */
  syncSession(session: string): Promise<void> {
    return this.audience.syncSession(session);
  }

  /** A socket's exercise and session subscriptions. */
  register(socket: LiveSocket): void {
    this.audience.register(socket);
  }

  /** Server shutdown: no new runs start; the ones running finish (their processes end with them). */
  async close(): Promise<void> {
    clearInterval(this.ticker);
    this.audience.close();
    this.feed?.close();
    for (const t of this.enterTimers.values()) clearTimeout(t);
    this.enterTimers.clear();
    await this.watch.close();
    await this.scheduler.idle();
  }
}
