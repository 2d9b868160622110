// The server's own data in SQLite (PATCHBAY_DATA/patchbay.db): lab documents with their editor
// layout, access tokens (hashes only), class sessions and each student's progress. The kernel's
// truth stays in the engine's journal; this database keeps what the journal does not.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CheckRun } from '@patchbay/protocol';

export type Role = 'instructor' | 'student';

/** Schema migrations, applied in order once each; never edit one that has shipped, add another. */
const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE labs (
        name TEXT PRIMARY KEY,
        document TEXT NOT NULL,
        layout TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('instructor', 'student')),
        lab TEXT,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    // The editor's working copy of a lab: saved as the user draws, valid or not, with its layout.
    version: 2,
    sql: `
      CREATE TABLE drafts (
        name TEXT PRIMARY KEY,
        document TEXT NOT NULL,
        layout TEXT,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    // Class sessions (a scenario, frozen as text when the session was opened, so editing the
    // library later never changes a running class) and their students: each student's own lab,
    // the hash of their token, hints revealed, the latest check run and when they first solved it.
    version: 3,
    sql: `
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        scenario_id TEXT NOT NULL,
        scenario_text TEXT NOT NULL,
        created_at TEXT NOT NULL,
        ended_at TEXT,
        last_seq INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE students (
        id TEXT PRIMARY KEY,
        session TEXT NOT NULL REFERENCES sessions(id),
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        lab TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        joined_at TEXT NOT NULL,
        hints_shown INTEGER NOT NULL DEFAULT 0,
        last_run TEXT,
        solved_at TEXT,
        UNIQUE (session, seq)
      );
      CREATE INDEX students_by_session ON students(session);
    `,
  },
];

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export interface StoredLab {
  name: string;
  document: unknown;
  layout: unknown; // null when none was saved
  updatedAt: string;
}

export interface TokenRow {
  role: Role;
  lab: string | null;
}

export interface SessionRow {
  id: string;
  /** Upper case; students may type it in any case. */
  code: string;
  scenarioId: string;
  /** The scenario file (YAML, lab inline) as it was when the session was opened. */
  scenarioText: string;
  createdAt: string;
  endedAt: string | null;
}

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
}

interface SessionRecord {
  id: string;
  code: string;
  scenario_id: string;
  scenario_text: string;
  created_at: string;
  ended_at: string | null;
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
}

const sessionOf = (r: SessionRecord): SessionRow => ({
  id: r.id,
  code: r.code,
  scenarioId: r.scenario_id,
  scenarioText: r.scenario_text,
  createdAt: r.created_at,
  endedAt: r.ended_at,
});
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
});

export interface NewStudent {
  id: string;
  session: string;
  name: string;
  token: string;
  /** The lab name for the student's sequence number. */
  labFor: (seq: number) => string;
  /** Students a session may have at most. */
  max: number;
}

export class Store {
  readonly db: Database.Database;

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
  }

  get schemaVersion(): number {
    return (this.db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number | null }).v ?? 0;
  }

  putLab(name: string, document: unknown): void {
    this.db
      .prepare(
        `INSERT INTO labs (name, document, layout, updated_at) VALUES (?, ?, NULL, ?)
         ON CONFLICT(name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
      )
      .run(name, JSON.stringify(document), new Date().toISOString());
  }

  getLab(name: string): StoredLab | undefined {
    const row = this.db.prepare('SELECT name, document, layout, updated_at FROM labs WHERE name = ?').get(name) as
      | { name: string; document: string; layout: string | null; updated_at: string }
      | undefined;
    if (!row) return undefined;
    return { name: row.name, document: JSON.parse(row.document), layout: row.layout === null ? null : JSON.parse(row.layout), updatedAt: row.updated_at };
  }

  putDraft(name: string, document: unknown, layout: unknown): string {
    const at = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO drafts (name, document, layout, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET document = excluded.document, layout = excluded.layout, updated_at = excluded.updated_at`,
      )
      .run(name, JSON.stringify(document), layout === undefined ? null : JSON.stringify(layout), at);
    return at;
  }

  getDraft(name: string): StoredLab | undefined {
    const row = this.db.prepare('SELECT name, document, layout, updated_at FROM drafts WHERE name = ?').get(name) as
      | { name: string; document: string; layout: string | null; updated_at: string }
      | undefined;
    if (!row) return undefined;
    return { name: row.name, document: JSON.parse(row.document), layout: row.layout === null ? null : JSON.parse(row.layout), updatedAt: row.updated_at };
  }

  listDrafts(): { name: string; updatedAt: string }[] {
    return (this.db.prepare('SELECT name, updated_at FROM drafts ORDER BY updated_at DESC').all() as { name: string; updated_at: string }[]).map((r) => ({
      name: r.name,
      updatedAt: r.updated_at,
    }));
  }

  deleteDraft(name: string): void {
    this.db.prepare('DELETE FROM drafts WHERE name = ?').run(name);
  }

  deleteLab(name: string): void {
    this.db.prepare('DELETE FROM labs WHERE name = ?').run(name);
  }

  /** Records a token (by its hash); an existing one is left as it is. */
  addToken(token: string, role: Role, lab: string | null = null): void {
    this.db
      .prepare('INSERT OR IGNORE INTO tokens (token_hash, role, lab, created_at) VALUES (?, ?, ?, ?)')
      .run(hashToken(token), role, lab, new Date().toISOString());
  }

  /** The labs student tokens cover. */
  studentLabs(): string[] {
    return (this.db.prepare("SELECT DISTINCT lab FROM tokens WHERE role = 'student' AND lab IS NOT NULL").all() as { lab: string }[]).map((r) => r.lab);
  }

  findToken(token: string): TokenRow | undefined {
    return this.db.prepare('SELECT role, lab FROM tokens WHERE token_hash = ?').get(hashToken(token)) as TokenRow | undefined;
  }

  /** Revokes every student token of `lab` (the end of a class session): they answer 401 afterwards. */
  revokeLabTokens(lab: string): void {
    this.db.prepare("DELETE FROM tokens WHERE role = 'student' AND lab = ?").run(lab);
  }

  /** A new session; false when its code is taken (the caller draws another). */
  addSession(s: Omit<SessionRow, 'createdAt' | 'endedAt'>): SessionRow | false {
    const createdAt = new Date().toISOString();
    const r = this.db
      .prepare('INSERT OR IGNORE INTO sessions (id, code, scenario_id, scenario_text, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(s.id, s.code, s.scenarioId, s.scenarioText, createdAt);
    return r.changes === 1 ? { ...s, createdAt, endedAt: null } : false;
  }

  getSession(id: string): SessionRow | undefined {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRecord | undefined;
    return r && sessionOf(r);
  }

  sessionByCode(code: string): SessionRow | undefined {
    const r = this.db.prepare('SELECT * FROM sessions WHERE code = ?').get(code.toUpperCase()) as SessionRecord | undefined;
    return r && sessionOf(r);
  }

  /** Newest first. */
  listSessions(): SessionRow[] {
    return (this.db.prepare('SELECT * FROM sessions ORDER BY created_at DESC, id').all() as SessionRecord[]).map(sessionOf);
  }

  endSession(id: string): string {
    const at = new Date().toISOString();
    this.db.prepare('UPDATE sessions SET ended_at = COALESCE(ended_at, ?) WHERE id = ?').run(at, id);
    return this.getSession(id)?.endedAt ?? at;
  }

  /**
   * Adds a student and their token (covering only their lab) in one transaction, so two joins at
   * once never get the same lab; 'full' when the session has `max` students already.
   */
  addStudent(n: NewStudent): StudentRow | 'full' {
    return this.db.transaction((): StudentRow | 'full' => {
      const { count } = this.db.prepare('SELECT COUNT(*) AS count FROM students WHERE session = ?').get(n.session) as { count: number };
      if (count >= n.max) return 'full';
      // Never reused, not even after a join that failed: its lab name may be taken by a lab
      // that is not ours (startExercise refused it), and trying it again would fail again.
      const { seq } = this.db.prepare('UPDATE sessions SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq AS seq').get(n.session) as { seq: number };
      const lab = n.labFor(seq);
      const joinedAt = new Date().toISOString();
      this.db
        .prepare('INSERT INTO students (id, session, seq, name, lab, token_hash, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(n.id, n.session, seq, n.name, lab, hashToken(n.token), joinedAt);
      this.addToken(n.token, 'student', lab);
      return { id: n.id, session: n.session, seq, name: n.name, lab, joinedAt, hintsShown: 0, lastRun: null, solvedAt: null };
    })();
  }

  /** Forgets a student whose lab could not be realized (their token too). */
  deleteStudent(id: string): void {
    const s = this.getStudent(id);
    if (!s) return;
    this.db.transaction(() => {
      this.revokeLabTokens(s.lab);
      this.db.prepare('DELETE FROM students WHERE id = ?').run(id);
    })();
  }

  getStudent(id: string): StudentRow | undefined {
    const r = this.db.prepare('SELECT * FROM students WHERE id = ?').get(id) as StudentRecord | undefined;
    return r && studentOf(r);
  }

  studentByLab(lab: string): StudentRow | undefined {
    const r = this.db.prepare('SELECT * FROM students WHERE lab = ?').get(lab) as StudentRecord | undefined;
    return r && studentOf(r);
  }

  /** In the order they joined. */
  studentsOf(session: string): StudentRow[] {
    return (this.db.prepare('SELECT * FROM students WHERE session = ? ORDER BY seq').all(session) as StudentRecord[]).map(studentOf);
  }

  /** Keeps a run as the student's latest; the first run where every check passes sets solvedAt. */
  recordRun(student: string, run: CheckRun): StudentRow | undefined {
    const solved = run.total > 0 && run.passed === run.total ? run.at : null;
    this.db.prepare('UPDATE students SET last_run = ?, solved_at = COALESCE(solved_at, ?) WHERE id = ?').run(JSON.stringify(run), solved, student);
    return this.getStudent(student);
  }

  setHintsShown(student: string, n: number): void {
    this.db.prepare('UPDATE students SET hints_shown = ? WHERE id = ?').run(n, student);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const done = new Set((db.prepare('SELECT version FROM migrations').all() as { version: number }[]).map((r) => r.version));
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO migrations (version, applied_at) VALUES (?, ?)').run(m.version, new Date().toISOString());
    })();
  }
}

/** Opens (creating if needed) PATCHBAY_DATA/patchbay.db and brings its schema up to date. */
export function openStore(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return new Store(join(dataDir, 'patchbay.db'));
}
