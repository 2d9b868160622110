// Class sessions: an instructor opens one from a scenario (frozen as text), students join with its
// code and a name and each gets a lab of their own realized from the scenario, with a token that
// covers that lab and nothing else; the end destroys every student's lab and revokes their tokens.
import { randomBytes, randomUUID } from 'node:crypto';
import { EngineError, startExercise } from '@patchbay/engine';
import type { Joined, Session, SessionEnded } from '@patchbay/protocol';
import { scenarioToYaml, type Scenario } from '@patchbay/scenarios';
import type { FastifyInstance } from 'fastify';
import type { SessionRow } from '../store/store.js';
import { HttpError } from '../http-error.js';
import { cleanStudentName, newSessionCode, normalizeCode, studentLabName } from './codes.js';
import { sessionRoom, type ExerciseHub } from './exercises.js';
import { Semaphore } from './scheduler.js';
import { sessionView } from './views.js';

export const MAX_STUDENTS_PER_SESSION = 200;
/** Labs destroyed at once when a session ends. */
const END_CONCURRENCY = 8;

export class Classroom {
  constructor(
    private readonly app: FastifyInstance,
    private readonly exercises: ExerciseHub,
    private readonly maxStudents = MAX_STUDENTS_PER_SESSION,
  ) {}

  create(scenario: Scenario): Session {
    const text = scenarioToYaml(scenario);
    for (let attempt = 0; attempt < 20; attempt++) {
      const row = this.app.store.sessions.add({
        id: randomUUID(),
        code: newSessionCode(),
        scenarioId: scenario.id,
        scenarioText: text,
      });
      if (row) return this.view(row);
    }
    throw new Error('no free session code after 20 draws');
  }

  list(): Session[] {
    return this.app.store.sessions.list().map((row) => this.view(row));
  }

  get(id: string): Session {
    return this.view(this.row(id));
  }

  private row(id: string): SessionRow {
    const row = this.app.store.sessions.get(id);
    if (!row) throw new HttpError(404, 'not-found', `no session ${id}`);
    return row;
  }

  private view(row: SessionRow): Session {
    return sessionView(row, this.exercises.scenarios.ofSession(row), this.app.store.students.inSession(row.id), (lab) =>
      this.exercises.isOnline(lab),
    );
  }

  /** A student joins: their own lab realized from the session's scenario, and a token for it alone. */
  async join(code: string, rawName: string): Promise<Joined> {
    const cleaned = cleanStudentName(rawName);
    if ('problem' in cleaned)
      throw new HttpError(400, 'invalid', `${cleaned.problem.message}; nobody joined`, [cleaned.problem]);
    const session = this.app.store.sessions.byCode(normalizeCode(code));
    if (!session)
      throw new HttpError(404, 'not-found', 'no class session has this code; check it with your instructor');
    if (session.endedAt) throw new HttpError(410, 'ended', 'this class session has ended');
    const token = randomBytes(24).toString('base64url');
    const student = this.app.store.students.add({
      id: randomUUID(),
      session: session.id,
      name: cleaned.name,
      token,
      labFor: (seq) => studentLabName(session.code, seq),
      max: this.maxStudents,
    });
    if (student === 'full')
      throw new HttpError(409, 'full', `this class session is full (at most ${this.maxStudents} students)`);
    try {
      await this.exercises.realizeLab(student.lab, () =>
        startExercise(this.app.engine, this.exercises.scenarios.ofSession(session), { lab: student.lab }),
      );
    } catch (err) {
      // Nobody joined: no row, no token, no half-made lab (but a lab of that name that is someone
      // else's, which startExercise refused to take over, is left alone).
      this.app.store.students.delete(student.id);
      if (!(err instanceof EngineError && err.code === 'conflict'))
        await this.exercises.destroyLab(student.lab).catch(() => undefined);
      throw err;
    }
    if (this.app.store.sessions.get(session.id)?.endedAt) {
      // The session ended while this lab was being made: the end did not see it.
      this.app.store.tokens.revokeStudentTokens(student.lab);
      await this.exercises.destroyLab(student.lab).catch(() => undefined);
      throw new HttpError(410, 'ended', 'this class session has ended');
    }
    // Joining is a student's first activity: the idle reaper counts from here.
    this.app.activity.touch(student.lab);
    this.exercises.emitProgress(student.id, student);
    void this.exercises.syncSession(session.id);
    this.exercises.trigger(student.lab, 'start');
    return { token, lab: student.lab, session: session.id, student: student.id };
  }

  /** Ends the session: every student's lab destroyed (its processes first), their tokens revoked. */
  async end(id: string): Promise<SessionEnded> {
    const session = this.row(id);
    this.app.store.sessions.end(id); // first, so a join still in flight sees it
    const students = this.app.store.students.inSession(id);
    const labs = new Set(students.map((s) => s.lab));
    for (const lab of labs) this.app.store.tokens.revokeStudentTokens(lab);
    // Open connections were authorized at their handshake: close those of the students.
    for (const socket of await this.app.io.fetchSockets()) {
      const scope = socket.data.scope;
      if (scope?.role === 'student' && labs.has(scope.lab)) socket.disconnect(true);
    }
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
    this.app.io.to(sessionRoom(id)).emit('session:ended', { session: session.id });
    if (failed.length) throw new Error(`session ${id} ended, but labs ${failed.join(', ')} could not be destroyed`);
    return { id, destroyed: destroyed.sort() };
  }

  /** The instructor resets a student's lab. */
  resetStudent(sessionId: string, studentId: string) {
    const session = this.row(sessionId);
    const student = this.app.store.students.get(studentId);
    if (!student || student.session !== session.id)
      throw new HttpError(404, 'not-found', `session ${sessionId} has no student ${studentId}`);
    if (session.endedAt) throw new HttpError(409, 'ended', 'this class session has ended: its labs are gone');
    return this.exercises.reset({
      lab: student.lab,
      scenario: this.exercises.scenarios.ofSession(session),
      student,
      session,
    });
  }
}
