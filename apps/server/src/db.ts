// The server's own data in SQLite (PATCHBAY_DATA/patchbay.db): lab documents with their editor
// layout, and access tokens (hashes only). The kernel's truth stays in the engine's journal; this
// database keeps what the journal does not (layout, tokens, later class sessions and progress).
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

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
];

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export interface StoredLab {
  name: string;
  document: unknown;
  layout: unknown | null;
  updatedAt: string;
}

export interface TokenRow {
  role: Role;
  lab: string | null;
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
