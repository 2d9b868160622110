// The server's own data in SQLite (PATCHBAY_DATA/patchbay.db): lab documents with their editor
// layout, access tokens (hashes only), class sessions and each student's progress. The kernel's
// truth stays in the engine's journal; this database keeps what the journal does not.
// One store per table (students with their tokens), composed here over one connection.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DraftStore, LabStore } from './lab-documents.js';
import { migrate, schemaVersion } from './migrations.js';
import { SessionStore } from './sessions.js';
import { StudentStore } from './students.js';
import { TokenStore } from './tokens.js';

export type { StoredLab } from './lab-documents.js';
export type { EndReason, NewSession, SessionRow } from './sessions.js';
export type { JoinRefusal, NewStudent, StudentRow } from './students.js';
export { hashToken, isWellFormedToken, TOKEN_RULE, type Role, type TokenRow } from './tokens.js';
export { DraftStore, LabStore, SessionStore, StudentStore, TokenStore };

export class Store {
  readonly db: Database.Database;
  readonly labs: LabStore;
  readonly drafts: DraftStore;
  readonly tokens: TokenStore;
  readonly sessions: SessionStore;
  readonly students: StudentStore;

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    this.labs = new LabStore(this.db);
    this.drafts = new DraftStore(this.db);
    this.tokens = new TokenStore(this.db);
    this.sessions = new SessionStore(this.db);
    this.students = new StudentStore(this.db, this.tokens);
  }

  get schemaVersion(): number {
    return schemaVersion(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Opens (creating if needed) PATCHBAY_DATA/patchbay.db and brings its schema up to date; a data
 * directory it creates is 0700, a database 0600 (as the engine's own folders, whichever comes first).
 */
export function openStore(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'patchbay.db');
  // Created 0600 before SQLite opens it (SQLite would make it 0644); its -wal and -shm files take
  // the database file's mode. An existing file keeps the mode it has.
  closeSync(openSync(file, 'a', 0o600));
  return new Store(file);
}
