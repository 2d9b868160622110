// Who follows exercises live, and what they are sent: a lab's subscribers get `exercise:results`,
// `exercise:reset` and `exercise:settings` (its room), an instructor's dashboard gets `session:progress` for each student of the session.
// Student connections also make a student "online" on the dashboard — theirs on any coordinator
// replica (replica-presence.ts). A lab is watched (its checks run on kernel changes) while it has
// subscribers or its session has a dashboard open.
import {
  ExerciseSubscribeSchema,
  SessionSubscribeSchema,
  type CheckRun,
  type ExerciseResetEvent,
  type ExerciseSettingsEvent,
  type LiveAck,
} from '@patchbay/protocol';
import type { Scenario } from '@patchbay/scenarios';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import type { LiveIo, LiveSocket } from '../live/socket.js';
import type { SessionRow, StudentRow } from '../store/store.js';
import { ReplicaPresence } from './replica-presence.js';
import type { ExerciseContext } from './scenario-source.js';
import { studentProgress } from './views.js';

export const exerciseRoom = (lab: string): string => `exercise:${lab}`;
export const sessionRoom = (id: string): string => `session:${id}`;

/** What the audience needs of the rest of the exercise hub. */
export interface ExerciseAudienceDeps {
  /** The lab's exercise, or undefined when it has none. */
  contextOf(lab: string): Promise<ExerciseContext | undefined>;
  scenarioOfSession(session: SessionRow): Scenario;
  /** The lab's latest run, sent to a new subscriber. */
  latest(ctx: ExerciseContext): Promise<CheckRun | undefined>;
  /** Starts or stops watching the lab for kernel changes. */
  setWatched(lab: string, want: boolean): Promise<void>;
}

export class ExerciseAudience {
  private readonly labSubscribers = new Map<string, Set<string>>();
  /** The student connections (not an instructor's look) that follow each lab's results: who is online. */
  private readonly studentSockets = new Map<string, Set<string>>();
  private readonly sessionSubscribers = new Map<string, Set<string>>();
  /** The other coordinator replicas' connections (with PATCHBAY_REDIS only: one replica has none). */
  private readonly presence: ReplicaPresence | undefined;

  constructor(
    private readonly app: FastifyInstance,
    private readonly io: LiveIo,
    private readonly deps: ExerciseAudienceDeps,
  ) {
    this.presence = app.replicated
      ? new ReplicaPresence(
          io,
          () => ({ labs: [...this.studentSockets.keys()], sessions: [...this.sessionSubscribers.keys()] }),
          (labs) => {
            for (const lab of labs) if (!this.isOnline(lab)) this.emitProgressOfLab(lab).catch(this.logLookupFailure);
          },
        )
      : undefined;
  }

  close(): void {
    this.presence?.close();
  }

  /** Sends a run to the lab's subscribers. */
  sendResults(run: CheckRun): void {
    this.io.to(exerciseRoom(run.lab)).emit('exercise:results', run);
  }

  /** Tells the lab's subscribers (its student's pages, an instructor's look) that it was reset. */
  sendReset(e: ExerciseResetEvent): void {
    this.io.to(exerciseRoom(e.lab)).emit('exercise:reset', e);
  }

  /** Tells the lab's subscribers that its session's terminals-only setting changed. */
  sendSettings(e: ExerciseSettingsEvent): void {
    this.io.to(exerciseRoom(e.lab)).emit('exercise:settings', e);
  }

  /** Sends a student's progress to their session's dashboards. */
  async emitProgress(studentId: string, row?: StudentRow): Promise<void> {
    const st = row ?? (await this.app.store.students.get(studentId));
    const session = st && (await this.app.store.sessions.get(st.session));
    if (!st || !session) return;
    this.io.to(sessionRoom(session.id)).emit('session:progress', {
      session: session.id,
      student: studentProgress(st, this.deps.scenarioOfSession(session), this.isOnline(st.lab)),
    });
  }

  /** Whether an instructor has the session's dashboard open now, on any replica (an open dashboard keeps a session from expiring). */
  hasDashboard(session: string): boolean {
    return (this.sessionSubscribers.get(session)?.size ?? 0) > 0 || !!this.presence?.dashboardElsewhere(session);
  }

  /** Whether a student has lab `lab`'s exercise open now, on any replica. */
  isOnline(lab: string): boolean {
    return (this.studentSockets.get(lab)?.size ?? 0) > 0 || !!this.presence?.onlineElsewhere(lab);
  }

  /** A student connection came or went: the other replicas and the dashboards learn who is online. */
  private async setOnline(lab: string, socketId: string, on: boolean): Promise<void> {
    const set = this.studentSockets.get(lab) ?? new Set<string>();
    const wasHere = set.size > 0;
    if (on) this.studentSockets.set(lab, set.add(socketId));
    else if (set.delete(socketId) && set.size === 0) this.studentSockets.delete(lab);
    if (wasHere === (this.studentSockets.get(lab)?.size ?? 0) > 0) return;
    this.presence?.announce();
    await this.emitProgressOfLab(lab);
  }

  private async emitProgressOfLab(lab: string): Promise<void> {
    const st = await this.app.store.students.byLab(lab);
    if (st) await this.emitProgress(st.id, st);
  }

  /** Work behind a socket event nobody awaits failed (the database did not answer, say): logged, not thrown. */
  private readonly logLookupFailure = (err: Error): void => {
    this.app.log.warn({ err: err.message }, 'a class event could not be handled');
  };

  /** Whether the lab should be watched: exercise subscribers, or a dashboard on its (running) session. */
  private async syncWatch(lab: string): Promise<void> {
    let want = (this.labSubscribers.get(lab)?.size ?? 0) > 0;
    if (!want) {
      const st = await this.app.store.students.byLab(lab);
      const session = st && (await this.app.store.sessions.get(st.session));
      want = !!session && !session.endedAt && (this.sessionSubscribers.get(session.id)?.size ?? 0) > 0;
    }
    await this.deps.setWatched(lab, want);
  }

  /** Every lab of the session (after a dashboard came or went, a join, the end). */
  async syncSession(session: string): Promise<void> {
    await Promise.all((await this.app.store.students.inSession(session)).map((st) => this.syncWatch(st.lab)));
  }

  register(socket: LiveSocket): void {
    const labs = new Set<string>();
    const sessions = new Set<string>();
    const leaveLab = (lab: string) => {
      labs.delete(lab);
      void socket.leave(exerciseRoom(lab));
      this.labSubscribers.get(lab)?.delete(socket.id);
      if (this.labSubscribers.get(lab)?.size === 0) this.labSubscribers.delete(lab);
      if (socket.data.scope.role === 'student') this.setOnline(lab, socket.id, false).catch(this.logLookupFailure);
      this.syncWatch(lab).catch(this.logLookupFailure);
    };
    const leaveSession = (id: string) => {
      sessions.delete(id);
      void socket.leave(sessionRoom(id));
      this.sessionSubscribers.get(id)?.delete(socket.id);
      if (this.sessionSubscribers.get(id)?.size === 0) {
        this.sessionSubscribers.delete(id);
        this.presence?.announce();
      }
      // A dashboard closing is the instructor's last sign of life: the idle time counts from here.
      if (this.app.hasDecorator('activity')) this.app.activity.touchSession(id);
      this.syncSession(id).catch(this.logLookupFailure);
    };

    socket.on('exercise:subscribe', async (payload, ack) => {
      const reply = (res: LiveAck) => (typeof ack === 'function' ? ack(res) : undefined);
      if (!Value.Check(ExerciseSubscribeSchema, payload))
        return reply({ ok: false, error: 'invalid exercise:subscribe payload: { lab }' });
      const { lab } = payload;
      if (!this.app.auth.scopeCovers(socket.data.scope, lab))
        return reply({ ok: false, error: `this token does not cover lab ${lab}` });
      const ctx = await this.deps.contextOf(lab).catch(() => undefined);
      if (!ctx) return reply({ ok: false, error: `lab ${lab} has no exercise` });
      if (socket.disconnected) return;
      if (!labs.has(lab)) {
        labs.add(lab);
        await socket.join(exerciseRoom(lab));
        const subs = this.labSubscribers.get(lab) ?? new Set<string>();
        this.labSubscribers.set(lab, subs.add(socket.id));
        if (socket.data.scope.role === 'student') this.setOnline(lab, socket.id, true).catch(this.logLookupFailure);
        this.syncWatch(lab).catch(this.logLookupFailure);
      }
      reply({ ok: true, id: exerciseRoom(lab) });
      const last = await this.deps.latest(ctx);
      if (last) socket.emit('exercise:results', last);
    });
    socket.on('exercise:unsubscribe', (payload) => {
      if (Value.Check(ExerciseSubscribeSchema, payload) && labs.has(payload.lab)) leaveLab(payload.lab);
    });

    socket.on('session:subscribe', async (payload, ack) => {
      const reply = (res: LiveAck) => (typeof ack === 'function' ? ack(res) : undefined);
      if (!Value.Check(SessionSubscribeSchema, payload))
        return reply({ ok: false, error: 'invalid session:subscribe payload: { session }' });
      if (socket.data.scope.role !== 'instructor')
        return reply({ ok: false, error: 'only an instructor may follow a class session' });
      const session = await this.app.store.sessions.get(payload.session);
      if (!session) return reply({ ok: false, error: `no session ${payload.session}` });
      if (!sessions.has(session.id)) {
        sessions.add(session.id);
        await socket.join(sessionRoom(session.id));
        const subs = this.sessionSubscribers.get(session.id) ?? new Set<string>();
        this.sessionSubscribers.set(session.id, subs.add(socket.id));
        if (subs.size === 1) this.presence?.announce();
        this.syncSession(session.id).catch(this.logLookupFailure);
      }
      reply({ ok: true, id: sessionRoom(session.id) });
      const scenario = this.deps.scenarioOfSession(session);
      for (const st of await this.app.store.students.inSession(session.id)) {
        socket.emit('session:progress', {
          session: session.id,
          student: studentProgress(st, scenario, this.isOnline(st.lab)),
        });
      }
    });
    socket.on('session:unsubscribe', (payload) => {
      if (Value.Check(SessionSubscribeSchema, payload) && sessions.has(payload.session)) leaveSession(payload.session);
    });

    socket.on('disconnect', () => {
      for (const lab of [...labs]) leaveLab(lab);
      for (const id of [...sessions]) leaveSession(id);
    });
  }
}
