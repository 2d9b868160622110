// Class sessions: an instructor opens one from a scenario (frozen as text), students join with its
// code and a name and each gets a lab of their own realized from the scenario, with a token that
// covers that lab and nothing else; the end destroys every student's lab and revokes their tokens.
// The instructor controls who joins: a seat limit, a lock, and removing a student (lab destroyed,
// token revoked, connections closed). Joins are rate limited per client address (join-rate.ts);
// a session nobody uses for `sessionIdleSeconds` ends as if its instructor ended it (reaper.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { EngineError, startExercise } from '@patchbay/engine';
import { exerciseHostOf } from '../agents/exercise-hosts.js';
import type {
  ExerciseClosedEvent,
  Joined,
  LabStudent,
  Session,
  SessionEnded,
  SessionUpdateInput,
  StudentRemoved,
} from '@patchbay/protocol';
import { scenarioToYaml, type Scenario } from '@patchbay/scenarios';
import type { FastifyInstance } from 'fastify';
import type { EndReason, SessionRow } from '../store/store.js';
import { HttpError } from '../http-error.js';
import { cleanStudentName, newSessionCode, normalizeCode, studentLabName, studentNameKey } from './codes.js';
import { sessionRoom, type ExerciseHub } from './exercises.js';
import { JoinRate } from './join-rate.js';
import { Semaphore } from './scheduler.js';
import { sessionView } from './views.js';

/** Labs destroyed at once when a session ends. */
const END_CONCURRENCY = 8;

export class Classroom {
  /** Joins per client address (checked by the join route before anything else). */
  readonly joinRate: JoinRate;

  constructor(
    private readonly app: FastifyInstance,
    private readonly exercises: ExerciseHub,
  ) {
    this.joinRate = new JoinRate(app.limits.joinsPerMinute, app.limits.joinBurst);
  }

  async create(scenario: Scenario, seatLimit?: number): Promise<Session> {
    const text = scenarioToYaml(scenario);
    const seats = seatLimit ?? this.defaultSeats;
    this.assertSeats(seats, 'nothing was created');
    for (let attempt = 0; attempt < 20; attempt++) {
      const row = await this.app.store.sessions.add({
        id: randomUUID(),
        code: newSessionCode(),
        scenarioId: scenario.id,
        scenarioText: text,
        seatLimit: seats,
      });
      if (row) return this.view(row);
    }
    throw new Error('no free session code after 20 draws');
  }

  async list(): Promise<Session[]> {
    return Promise.all((await this.app.store.sessions.list()).map((row) => this.view(row)));
  }

  async get(id: string): Promise<Session> {
    return this.view(await this.row(id));
  }

  private async row(id: string): Promise<SessionRow> {
    const row = await this.app.store.sessions.get(id);
    if (!row) throw new HttpError(404, 'not-found', `no session ${id}`);
    return row;
  }

  private async view(row: SessionRow): Promise<Session> {
    const session = sessionView(
      row,
      this.exercises.scenarios.ofSession(row),
      await this.app.store.students.inSession(row.id),
      this.defaultSeats,
      (lab) => this.exercises.isOnline(lab),
    );
    // Which agent holds each student's lab (agents/placement.ts).
    const agents = await Promise.all(session.students.map((st) => this.app.placement.agentNameOf(st.lab)));
    session.students = session.students.map((st, i) => (agents[i] ? { ...st, agent: agents[i] } : st));
    return session;
  }

  /** Places a student's new lab and starts it there from the session's scenario. */
  private async realizeOnAgent(session: SessionRow, lab: string): Promise<void> {
    const scenario = this.exercises.scenarios.ofSession(session);
    if (this.app.agentLink === undefined) {
      await startExercise(this.app.engine, scenario, { lab });
      return;
    }
    await this.app.placement.place(lab);
    const host = await exerciseHostOf(this.app, lab);
    await host.start(lab, scenario, session.scenarioText);
  }

  /** Whose lab `lab` is when a class session's student has it: shown wherever labs are listed. */
  async labStudent(lab: string): Promise<LabStudent | undefined> {
    const student = await this.app.store.students.byLab(lab);
    const session = student && (await this.app.store.sessions.get(student.session));
    if (!student || !session) return undefined;
    return {
      session: session.id,
      code: session.code,
      exercise: this.exercises.scenarios.ofSession(session).title,
      student: student.id,
      name: student.name,
    };
  }

  /** The seats of a session the instructor gave none (never above the server's cap). */
  private get defaultSeats(): number {
    return Math.min(this.app.limits.sessionSeats, this.app.limits.sessionSeatsMax);
  }

  /** 400 for more seats than the server allows any session. */
  private assertSeats(seats: number, outcome: string): void {
    const max = this.app.limits.sessionSeatsMax;
    if (seats > max)
      throw new HttpError(400, 'invalid', `a session has at most ${max} seats on this server; ${outcome}`, [
        { path: 'seatLimit', code: 'session.seats', message: `at most ${max} (PATCHBAY_LIMITS sessionSeatsMax)` },
      ]);
  }

  /**
   * The instructor changes a running session's seats, lock or terminals only; every dashboard of it
   * learns, and its students' pages learn a change of terminals only.
   */
  async update(id: string, change: SessionUpdateInput): Promise<Session> {
    const before = await this.row(id);
    if (before.endedAt) throw new HttpError(409, 'ended', 'this class session has ended: nothing to change');
    if (change.seatLimit !== undefined) this.assertSeats(change.seatLimit, 'nothing was changed');
    const row = (await this.app.store.sessions.update(id, change)) ?? before;
    const session = await this.view(row);
    this.app.io.to(sessionRoom(id)).emit('session:settings', {
      session: id,
      seatLimit: session.seatLimit,
      locked: session.locked,
      terminalsOnly: session.terminalsOnly,
    });
    if (row.terminalsOnly !== before.terminalsOnly)
      for (const st of session.students) this.exercises.sendSettings(st.lab, row.terminalsOnly);
    return session;
  }

  /**
   * 403 `terminals-only` when lab `lab` is a student's and their session is terminals only (the
   * student's own apply or destroy through the API; `what`: that change, for the message).
   */
  async assertStudentMayChange(lab: string, what: string): Promise<void> {
    const student = await this.app.store.students.byLab(lab);
    const session = student && (await this.app.store.sessions.get(student.session));
    if (session?.terminalsOnly)
      throw new HttpError(
        403,
        'terminals-only',
        `your instructor set this class session to terminals only: you may not ${what} through the API; work in its terminals (a reset is still allowed); nothing was changed`,
      );
  }

  /** A student changed their own lab through the API (an apply or a destroy): recorded, and the dashboards learn. */
  async recordStudentChange(lab: string): Promise<void> {
    const student = await this.app.store.students.byLab(lab);
    if (!student) return;
    const row = await this.app.store.students.recordApiChange(student.id);
    if (row) await this.exercises.emitProgress(row.id, row);
  }

  /**
   * A student joins: their own lab realized from the session's scenario, and a token for it alone.
   * A name is one student's in a session; `rejoin`, the token a browser got when it joined before
   * under that name, gives that seat back (a reload, a closed tab) instead of a refusal.
   */
  async join(code: string, rawName: string, rejoin?: string): Promise<Joined> {
    const cleaned = cleanStudentName(rawName);
    if ('problem' in cleaned)
      throw new HttpError(400, 'invalid', `${cleaned.problem.message}; nobody joined`, [cleaned.problem]);
    const session = await this.app.store.sessions.byCode(normalizeCode(code));
    if (!session)
      throw new HttpError(404, 'not-found', 'no class session has this code; check it with your instructor');
    const again = rejoin === undefined ? undefined : await this.seatOf(session, cleaned.name, rejoin);
    if (again) return again;
    const token = randomBytes(24).toString('base64url');
    const student = await this.app.store.students.add({
      id: randomUUID(),
      session: session.id,
      name: cleaned.name,
      token,
      labFor: (seq) => studentLabName(session.code, seq),
      max: this.defaultSeats,
      nameKey: studentNameKey,
    });
    if (student === 'ended') throw new HttpError(410, 'ended', 'this class session has ended');
    if (student === 'name-taken')
      throw new HttpError(
        409,
        'name-taken',
        `the name ${cleaned.name} is taken in this session: choose another (if it is yours, continue from the browser you joined with, or ask your instructor)`,
      );
    if (student === 'locked')
      throw new HttpError(
        409,
        'session-locked',
        'this class session is locked: it takes no new students now; ask your instructor',
      );
    if (student === 'full') {
      const seats = (await this.app.store.sessions.get(session.id))?.seatLimit ?? this.defaultSeats;
      throw new HttpError(
        409,
        'session-full',
        `this class session is full: all ${seats} seats are taken; ask your instructor`,
      );
    }
    try {
      // On the agent with the most headroom (the local engine on one host: agents/placement.ts).
      await this.exercises.realizeLab(student.lab, () => this.realizeOnAgent(session, student.lab));
    } catch (err) {
      // Nobody joined: no row, no token, no half-made lab (but a lab of that name that is someone
      // else's, which startExercise refused to take over, is left alone).
      await this.app.store.students.delete(student.id);
      if (!(err instanceof EngineError && err.code === 'conflict'))
        await this.exercises.destroyLab(student.lab).catch(() => undefined);
      throw err;
    }
    if ((await this.app.store.sessions.get(session.id))?.endedAt) {
      // The session ended while this lab was being made: the end did not see it.
      await this.app.store.tokens.revokeStudentTokens(student.lab);
      await this.exercises.destroyLab(student.lab).catch(() => undefined);
      throw new HttpError(410, 'ended', 'this class session has ended');
    }
    if (!(await this.app.store.students.get(student.id))) {
      // Removed by the instructor while this lab was being made: the removal may have missed it.
      await this.exercises.destroyLab(student.lab).catch(() => undefined);
      throw new HttpError(410, 'removed', 'the instructor removed you from this class session');
    }
    // Joining is a student's first activity: the idle reaper counts from here.
    this.app.activity.touch(student.lab);
    await this.exercises.emitProgress(student.id, student);
    this.exercises
      .syncSession(session.id)
      .catch((err: Error) => this.app.log.warn({ err: err.message }, 'a joined lab could not be watched'));
    this.exercises.trigger(student.lab, 'start');
    return { token, lab: student.lab, session: session.id, student: student.id };
  }

  /**
   * The seat of the session's student named `name` when `token` is theirs (still valid: a removed
   * student's or an ended session's token is not), as the join that made it answered.
   */
  private async seatOf(session: SessionRow, name: string, token: string): Promise<Joined | undefined> {
    if (session.endedAt) return undefined;
    const scope = await this.app.store.tokens.find(token);
    if (scope?.role !== 'student' || scope.lab === null) return undefined;
    const student = await this.app.store.students.byLab(scope.lab);
    if (!student || student.session !== session.id || studentNameKey(student.name) !== studentNameKey(name))
      return undefined;
    this.app.activity.touch(student.lab);
    return { token, lab: student.lab, session: session.id, student: student.id };
  }

  /**
   * Ends the session (`reason` idle: it expired): every student's lab destroyed (its processes
   * first), their tokens revoked, their connections told and closed.
   */
  async end(id: string, reason: EndReason = 'instructor'): Promise<SessionEnded> {
    const session = await this.row(id);
    await this.app.store.sessions.end(id, reason); // first, so a join still in flight sees it
    const students = await this.app.store.students.inSession(id);
    const labs = new Set(students.map((s) => s.lab));
    for (const lab of labs) await this.app.store.tokens.revokeStudentTokens(lab);
    await this.closeStudentSockets(labs, reason === 'idle' ? 'expired' : 'ended');
    const limit = new Semaphore(END_CONCURRENCY);
    const destroyed: string[] = [];
    const failed: string[] = [];
    await Promise.all(
      [...labs].map((lab) =>
        limit.use(async () => {
          try {
            if (await this.exercises.destroyLab(lab)) destroyed.push(lab);
          } catch (err) {
            failed.push(lab);
            this.app.log.warn(
              { lab, err: (err as Error).message },
              'a student lab could not be destroyed at the end of its session',
            );
          }
        }),
      ),
    );
    await this.exercises.syncSession(id);
    this.app.io.to(sessionRoom(id)).emit('session:ended', { session: session.id, reason });
    if (failed.length) throw new Error(`session ${id} ended, but labs ${failed.join(', ')} could not be destroyed`);
    return { id, destroyed: destroyed.sort() };
  }

  /**
   * The instructor removes a student: their row and token go first (their next request answers
   * 401, a join or reset in flight sees it), their connections are told and closed, then their lab
   * is destroyed (its processes first). Their seat is free again.
   */
  async removeStudent(sessionId: string, studentId: string): Promise<StudentRemoved> {
    const session = await this.row(sessionId);
    const student = await this.app.store.students.get(studentId);
    if (!student || student.session !== session.id)
      throw new HttpError(404, 'not-found', `session ${sessionId} has no student ${studentId}`);
    await this.app.store.students.delete(student.id);
    await this.closeStudentSockets(new Set([student.lab]), 'removed');
    this.app.io
      .to(sessionRoom(session.id))
      .emit('session:student-removed', { session: session.id, student: student.id });
    const destroyed = await this.exercises.destroyLab(student.lab);
    await this.exercises.syncSession(session.id);
    this.app.log.info({ session: session.id, lab: student.lab }, 'a student was removed from a class session');
    return { session: session.id, student: student.id, lab: student.lab, destroyed };
  }

  /** Open connections were authorized at their handshake: tell those of the labs' students why, and close them. */
  private async closeStudentSockets(labs: ReadonlySet<string>, reason: ExerciseClosedEvent['reason']): Promise<void> {
    for (const socket of await this.app.io.fetchSockets()) {
      const scope = socket.data.scope;
      if (scope?.role !== 'student' || !labs.has(scope.lab)) continue;
      socket.emit('exercise:closed', { lab: scope.lab, reason });
      socket.disconnect(true);
    }
  }

  /** The instructor resets a student's lab (the student is told it was the instructor). */
  async resetStudent(sessionId: string, studentId: string) {
    const session = await this.row(sessionId);
    const student = await this.app.store.students.get(studentId);
    if (!student || student.session !== session.id)
      throw new HttpError(404, 'not-found', `session ${sessionId} has no student ${studentId}`);
    if (session.endedAt) throw new HttpError(409, 'ended', 'this class session has ended: its labs are gone');
    return this.exercises.reset(
      { lab: student.lab, scenario: this.exercises.scenarios.ofSession(session), student, session },
      'instructor',
    );
  }
}
