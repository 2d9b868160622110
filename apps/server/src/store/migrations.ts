// The database's schema, as migrations applied in order once each. Never edit one that has
// shipped: add another. The same versions and statements for SQLite and PostgreSQL: they are
// written in the SQL both accept (TEXT and INTEGER columns, ISO 8601 times as text).
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly { version: number; sql: string }[] = [
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
  {
    // Joins the instructor controls: a session's seats (NULL for a session opened before: the
    // server's default seats then) and lock; why a session ended ('instructor' or 'idle').
    version: 4,
    sql: `
      ALTER TABLE sessions ADD COLUMN seat_limit INTEGER;
      ALTER TABLE sessions ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE sessions ADD COLUMN end_reason TEXT;
    `,
  },
  {
    // What the instructor sees of a student's own changes and what students are told: a session
    // may be terminals only (students may not apply or destroy their lab through the API); each
    // student's applies and destroys through the API (how many, the latest) and when an
    // instructor last reset their lab.
    version: 5,
    sql: `
      ALTER TABLE sessions ADD COLUMN terminals_only INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE students ADD COLUMN api_changes INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE students ADD COLUMN last_api_change_at TEXT;
      ALTER TABLE students ADD COLUMN instructor_reset_at TEXT;
    `,
  },
  {
    // Several lab hosts (agents, docs/deploy.md): the agents that registered, with what their latest
    // heartbeat said, and which agent holds each lab (every coordinator replica reads the same);
    // when a student's lab was last moved to another agent because its agent was lost, and from which.
    version: 6,
    sql: `
      CREATE TABLE agents (
        name TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        state TEXT NOT NULL,
        prefix TEXT NOT NULL,
        labs TEXT NOT NULL,
        namespaces INTEGER NOT NULL,
        headroom TEXT NOT NULL,
        registered_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL
      );
      CREATE TABLE lab_placements (
        lab TEXT PRIMARY KEY,
        agent TEXT NOT NULL,
        placed_at TEXT NOT NULL
      );
      CREATE INDEX lab_placements_by_agent ON lab_placements(agent);
      ALTER TABLE students ADD COLUMN moved_at TEXT;
      ALTER TABLE students ADD COLUMN moved_from TEXT;
    `,
  },
];

/** Applies every migration a SQLite database has not had yet, each in its own transaction. */
export function migrateSqlite(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const done = new Set(
    (db.prepare('SELECT version FROM migrations').all() as { version: number }[]).map((r) => r.version),
  );
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO migrations (version, applied_at) VALUES (?, ?)').run(m.version, new Date().toISOString());
    })();
  }
}

/** The newest migration applied (0 for an empty database). */
export function sqliteSchemaVersion(db: Database.Database): number {
  return (db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number | null }).v ?? 0;
}
