// The server's own data: lab documents with their editor layout, access tokens (hashes only),
// class sessions and each student's progress. The kernel's truth stays in the engine's journal;
// this database keeps what the journal does not. SQLite in PATCHBAY_DATA/patchbay.db by default;
// PostgreSQL when PATCHBAY_DATABASE is a postgres:// URL (several coordinator replicas share it).
/* eslint-disable @typescript-eslint/require-await -- SQLite answers at once; the store's interface is asynchronous for PostgreSQL */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrateSqlite, sqliteSchemaVersion } from './migrations.js';
import { openPostgresStore } from './postgres-store.js';
import { SqliteDraftStore, SqliteLabStore } from './sqlite-lab-documents.js';
import { SqliteSessionStore } from './sqlite-sessions.js';
import { SqliteStudentStore } from './sqlite-students.js';
import { SqliteTokenStore } from './sqlite-tokens.js';
import type { Store } from './store-api.js';
import { SqlAgentStore } from './agents.js';

export type { EndReason, JoinRefusal, NewSession, NewStudent, SessionRow, StoredLab, StudentRow } from './records.js';
export type { AgentRecord, AgentStore } from './agents.js';
export type { DraftStore, LabStore, SessionStore, Store, StudentStore, TokenStore } from './store-api.js';
export { hashToken, isWellFormedToken, TOKEN_RULE, type Role, type TokenRow } from './tokens.js';
export { PostgresStore } from './postgres-store.js';

/** The embedded database: one SQLite file, one connection, the stores composed over it. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly db: Database.Database;
  readonly labs: SqliteLabStore;
  readonly drafts: SqliteDraftStore;
  readonly tokens: SqliteTokenStore;
  readonly sessions: SqliteSessionStore;
  readonly students: SqliteStudentStore;
  readonly agents: SqlAgentStore;

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    migrateSqlite(this.db);
    preparedOnce(this.db);
    this.labs = new SqliteLabStore(this.db);
    this.drafts = new SqliteDraftStore(this.db);
    this.tokens = new SqliteTokenStore(this.db);
    this.sessions = new SqliteSessionStore(this.db);
    this.students = new SqliteStudentStore(this.db, this.tokens);
    this.agents = new SqlAgentStore(async (sql, params) => {
      const statement = this.db.prepare(sql);
      return statement.reader
        ? (statement.all(...params) as Record<string, unknown>[])
        : (statement.run(...params), []);
    });
  }

  async schemaVersion(): Promise<number> {
    return sqliteSchemaVersion(this.db);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Statements kept at most per database; beyond, a statement is prepared for each use. */
const MAX_PREPARED = 256;

/**
 * Makes `db.prepare` keep each statement by its text: the stores' statements are fixed strings,
 * run for every check run, progress event and forwarded request of a class, and preparing one
 * costs more than running it (here: ~8 µs to prepare the session lookup, ~3 µs to run it).
 * No store sets a statement's modes (`pluck`, `raw`, `expand`) or iterates one, so sharing a
 * statement between calls is safe in this single-threaded process.
 */
function preparedOnce(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  const statements = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = prepare(sql);
      if (statements.size < MAX_PREPARED) statements.set(sql, statement);
    }
    return statement;
  }) as typeof db.prepare;
}

/**
 * Opens (creating if needed) PATCHBAY_DATA/patchbay.db and brings its schema up to date; a data
 * directory it creates is 0700, a database 0600 (as the engine's own folders, whichever comes first).
 */
export function openStore(dataDir: string): SqliteStore {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'patchbay.db');
  // Created 0600 before SQLite opens it (SQLite would make it 0644); its -wal and -shm files take
  // the database file's mode. An existing file keeps the mode it has.
  closeSync(openSync(file, 'a', 0o600));
  return new SqliteStore(file);
}

export const DATABASE_URL_RULE =
  'PATCHBAY_DATABASE must be a PostgreSQL URL (postgres://user:password@host:5432/name), or unset for SQLite in PATCHBAY_DATA';

/** Whether `url` names a PostgreSQL database (what PATCHBAY_DATABASE may be). */
export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url);

/**
 * The server's database: PostgreSQL when `database` (PATCHBAY_DATABASE) is a postgres:// URL,
 * SQLite in `dataDir` when it is unset or empty. Anything else is refused with the reason.
 * Either way the schema is brought up to date before it answers.
 */
export async function openDatabase(dataDir: string, database: string | undefined): Promise<Store> {
  const url = database?.trim();
  if (!url) return openStore(dataDir);
  if (!isPostgresUrl(url)) throw new Error(DATABASE_URL_RULE);
  return openPostgresStore(url);
}
