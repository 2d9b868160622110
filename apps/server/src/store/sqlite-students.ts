// The students of class sessions in SQLite (table `students`): each one's own lab, the hash of
// their token, hints revealed, the latest check run and when they first solved the exercise; their
// own changes of their lab through the API and when an instructor last reset it (migration 5). A
// student and their token are made and removed together (a failed join, an instructor removing them).
/* eslint-disable @typescript-eslint/require-await -- SQLite answers at once; the store's interface is asynchronous for PostgreSQL */
import type { CheckRun } from '@patchbay/protocol';
import type Database from 'better-sqlite3';
import {
  type JoinRefusal,
  joinRefusal,
  type NewStudent,
  newStudentRow,
  type StudentRecord,
  type StudentRow,
  studentOf,
} from './records.js';
import type { SqliteTokenStore } from './sqlite-tokens.js';
import type { StudentStore } from './store-api.js';
import { hashToken } from './tokens.js';

export class SqliteStudentStore implements StudentStore {
  constructor(
    private readonly db: Database.Database,
    private readonly tokens: SqliteTokenStore,
  ) {}

  async add(n: NewStudent): Promise<StudentRow | JoinRefusal> {
    // better-sqlite3's transactions are synchronous: nothing else runs between the reads and the writes.
    return this.db.transaction((): StudentRow | JoinRefusal => {
      const session = this.db
        .prepare('SELECT ended_at, locked, seat_limit FROM sessions WHERE id = ?')
        .get(n.session) as { ended_at: string | null; locked: number; seat_limit: number | null } | undefined;
      const names = (
        this.db.prepare('SELECT name FROM students WHERE session = ?').all(n.session) as { name: string }[]
      ).map((r) => r.name);
      const refusal = joinRefusal(session, names, n);
      if (refusal) return refusal;
      // Never reused, not even after a join that failed: its lab name may be taken by a lab
      // that is not ours (startExercise refused it), and trying it again would fail again.
      const { seq } = this.db
        .prepare('UPDATE sessions SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq AS seq')
        .get(n.session) as { seq: number };
      const lab = n.labFor(seq);
      const joinedAt = new Date().toISOString();
      this.db
        .prepare(
          'INSERT INTO students (id, session, seq, name, lab, token_hash, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(n.id, n.session, seq, n.name, lab, hashToken(n.token), joinedAt);
      this.tokens.addNow(n.token, 'student', lab);
      return newStudentRow(n, seq, lab, joinedAt);
    })();
  }

  async count(session: string): Promise<number> {
    return (
      this.db.prepare('SELECT COUNT(*) AS count FROM students WHERE session = ?').get(session) as { count: number }
    ).count;
  }

  async delete(id: string): Promise<void> {
    const s = this.getNow(id);
    if (!s) return;
    this.db.transaction(() => {
      this.tokens.revokeNow(s.lab);
      this.db.prepare('DELETE FROM students WHERE id = ?').run(id);
    })();
  }

  async get(id: string): Promise<StudentRow | undefined> {
    return this.getNow(id);
  }

  private getNow(id: string): StudentRow | undefined {
    const r = this.db.prepare('SELECT * FROM students WHERE id = ?').get(id) as StudentRecord | undefined;
    return r && studentOf(r);
  }

  async byLab(lab: string): Promise<StudentRow | undefined> {
    const r = this.db.prepare('SELECT * FROM students WHERE lab = ?').get(lab) as StudentRecord | undefined;
    return r && studentOf(r);
  }

  async inSession(session: string): Promise<StudentRow[]> {
    return (
      this.db.prepare('SELECT * FROM students WHERE session = ? ORDER BY seq').all(session) as StudentRecord[]
    ).map(studentOf);
  }

  async recordRun(student: string, run: CheckRun): Promise<StudentRow | undefined> {
    const solved = run.total > 0 && run.passed === run.total ? run.at : null;
    this.db
      .prepare('UPDATE students SET last_run = ?, solved_at = COALESCE(solved_at, ?) WHERE id = ?')
      .run(JSON.stringify(run), solved, student);
    return this.getNow(student);
  }

  async recordApiChange(student: string, at = new Date().toISOString()): Promise<StudentRow | undefined> {
    this.db
      .prepare('UPDATE students SET api_changes = api_changes + 1, last_api_change_at = ? WHERE id = ?')
      .run(at, student);
    return this.getNow(student);
  }

  async recordInstructorReset(student: string, at = new Date().toISOString()): Promise<void> {
    this.db.prepare('UPDATE students SET instructor_reset_at = ? WHERE id = ?').run(at, student);
  }

  async recordMove(student: string, from: string, at = new Date().toISOString()): Promise<void> {
    this.db.prepare('UPDATE students SET moved_at = ?, moved_from = ? WHERE id = ?').run(at, from, student);
  }

  async setHintsShown(student: string, n: number): Promise<void> {
    this.db.prepare('UPDATE students SET hints_shown = ? WHERE id = ?').run(n, student);
  }
}
