// The students of class sessions (table `students`): each one's own lab, the hash of their token,
// hints revealed, the latest check run and when they first solved the exercise; their own changes
// of their lab through the API and when an instructor last reset it (migration 5). A student and
// their token are made and removed together (a failed join, an instructor removing them).
import type { CheckRun } from '@patchbay/protocol';
import type Database from 'better-sqlite3';
import { hashToken, type TokenStore } from './tokens.js';

export interface StudentRow {
  id: string;
  session: string;
  /** 1, 2, … in the order of joining (part of the lab name; never reused in a session). */
  seq: number;
  name: string;
  lab: string;
  joinedAt: string;
  hintsShown: number;
  lastRun: CheckRun | null;
  solvedAt: string | null;
  /** Applies and destroys of their lab with their own token. */
  apiChanges: number;
  lastApiChangeAt: string | null;
  /** When an instructor last reset their lab. */
  instructorResetAt: string | null;
}

/** Why a join was refused by the store. */
export type JoinRefusal = 'full' | 'locked' | 'ended' | 'name-taken';

export interface NewStudent {
  id: string;
  session: string;
  name: string;
  token: string;
  /** The lab name for the student's sequence number. */
  labFor: (seq: number) => string;
  /** Students a session may have at most when it has no seat limit of its own (opened before seats existed). */
  max: number;
  /** What two names of one session must not share (the name compared in any case, say). */
  nameKey: (name: string) => string;
}

interface StudentRecord {
  id: string;
  session: string;
  seq: number;
  name: string;
  lab: string;
  joined_at: string;
  hints_shown: number;
  last_run: string | null;
  solved_at: string | null;
  api_changes: number;
  last_api_change_at: string | null;
  instructor_reset_at: string | null;
}

const studentOf = (r: StudentRecord): StudentRow => ({
  id: r.id,
  session: r.session,
  seq: r.seq,
  name: r.name,
  lab: r.lab,
  joinedAt: r.joined_at,
  hintsShown: r.hints_shown,
  lastRun: r.last_run === null ? null : (JSON.parse(r.last_run) as CheckRun),
  solvedAt: r.solved_at,
  apiChanges: r.api_changes,
  lastApiChangeAt: r.last_api_change_at,
  instructorResetAt: r.instructor_reset_at,
});

export class StudentStore {
  constructor(
    private readonly db: Database.Database,
    private readonly tokens: TokenStore,
  ) {}

  /**
   * Adds a student and their token (covering only their lab) in one transaction, so two joins at
   * once never get the same lab, the same name or the last seat twice; why not when the session has
   * ended, has a student of that name, is locked, or has as many students as seats.
   */
  add(n: NewStudent): StudentRow | JoinRefusal {
    return this.db.transaction((): StudentRow | JoinRefusal => {
      const session = this.db
        .prepare('SELECT ended_at, locked, seat_limit FROM sessions WHERE id = ?')
        .get(n.session) as { ended_at: string | null; locked: number; seat_limit: number | null } | undefined;
      if (!session || session.ended_at) return 'ended';
      // The name first: a student already in (a second device) is told that, not that no one new may join.
      const names = (
        this.db.prepare('SELECT name FROM students WHERE session = ?').all(n.session) as { name: string }[]
      ).map((r) => n.nameKey(r.name));
      if (names.includes(n.nameKey(n.name))) return 'name-taken';
      if (session.locked) return 'locked';
      if (names.length >= (session.seat_limit ?? n.max)) return 'full';
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
      this.tokens.add(n.token, 'student', lab);
      return {
        id: n.id,
        session: n.session,
        seq,
        name: n.name,
        lab,
        joinedAt,
        hintsShown: 0,
        lastRun: null,
        solvedAt: null,
        apiChanges: 0,
        lastApiChangeAt: null,
        instructorResetAt: null,
      };
    })();
  }

  /** Students in the session now (seats taken). */
  count(session: string): number {
    return (
      this.db.prepare('SELECT COUNT(*) AS count FROM students WHERE session = ?').get(session) as { count: number }
    ).count;
  }

  /** Forgets a student (their token too): a join whose lab could not be realized, or a student removed. */
  delete(id: string): void {
    const s = this.get(id);
    if (!s) return;
    this.db.transaction(() => {
      this.tokens.revokeStudentTokens(s.lab);
      this.db.prepare('DELETE FROM students WHERE id = ?').run(id);
    })();
  }

  get(id: string): StudentRow | undefined {
    const r = this.db.prepare('SELECT * FROM students WHERE id = ?').get(id) as StudentRecord | undefined;
    return r && studentOf(r);
  }

  byLab(lab: string): StudentRow | undefined {
    const r = this.db.prepare('SELECT * FROM students WHERE lab = ?').get(lab) as StudentRecord | undefined;
    return r && studentOf(r);
  }

  /** The students of a session, in the order they joined. */
  inSession(session: string): StudentRow[] {
    return (
      this.db.prepare('SELECT * FROM students WHERE session = ? ORDER BY seq').all(session) as StudentRecord[]
    ).map(studentOf);
  }

  /** Keeps a run as the student's latest; the first run where every check passes sets solvedAt. */
  recordRun(student: string, run: CheckRun): StudentRow | undefined {
    const solved = run.total > 0 && run.passed === run.total ? run.at : null;
    this.db
      .prepare('UPDATE students SET last_run = ?, solved_at = COALESCE(solved_at, ?) WHERE id = ?')
      .run(JSON.stringify(run), solved, student);
    return this.get(student);
  }

  /** Counts a change the student made to their lab through the API (an apply or a destroy). */
  recordApiChange(student: string, at = new Date().toISOString()): StudentRow | undefined {
    this.db
      .prepare('UPDATE students SET api_changes = api_changes + 1, last_api_change_at = ? WHERE id = ?')
      .run(at, student);
    return this.get(student);
  }

  /** An instructor reset the student's lab. */
  recordInstructorReset(student: string, at = new Date().toISOString()): void {
    this.db.prepare('UPDATE students SET instructor_reset_at = ? WHERE id = ?').run(at, student);
  }

  setHintsShown(student: string, n: number): void {
    this.db.prepare('UPDATE students SET hints_shown = ? WHERE id = ?').run(n, student);
  }
}
