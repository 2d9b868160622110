// Lab documents in SQLite: `labs` holds the last document applied under each name, `drafts` the
// editor's working copy (saved as the user draws, valid or not, with its layout). Same shape, two tables.
/* eslint-disable @typescript-eslint/require-await -- SQLite answers at once; the store's interface is asynchronous for PostgreSQL */
import type Database from 'better-sqlite3';
import { type DocumentRecord, type StoredLab, storedLabOf } from './records.js';
import type { DraftStore, LabStore } from './store-api.js';

export class SqliteLabStore implements LabStore {
  constructor(private readonly db: Database.Database) {}

  async put(name: string, document: unknown): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO labs (name, document, layout, updated_at) VALUES (?, ?, NULL, ?)
         ON CONFLICT(name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
      )
      .run(name, JSON.stringify(document), new Date().toISOString());
  }

  async get(name: string): Promise<StoredLab | undefined> {
    const r = this.db.prepare('SELECT name, document, layout, updated_at FROM labs WHERE name = ?').get(name) as
      | DocumentRecord
      | undefined;
    return r && storedLabOf(r);
  }

  async delete(name: string): Promise<void> {
    this.db.prepare('DELETE FROM labs WHERE name = ?').run(name);
  }
}

export class SqliteDraftStore implements DraftStore {
  constructor(private readonly db: Database.Database) {}

  async put(name: string, document: unknown, layout: unknown): Promise<string> {
    const at = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO drafts (name, document, layout, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET document = excluded.document, layout = excluded.layout, updated_at = excluded.updated_at`,
      )
      .run(name, JSON.stringify(document), layout === undefined ? null : JSON.stringify(layout), at);
    return at;
  }

  async get(name: string): Promise<StoredLab | undefined> {
    const r = this.db.prepare('SELECT name, document, layout, updated_at FROM drafts WHERE name = ?').get(name) as
      | DocumentRecord
      | undefined;
    return r && storedLabOf(r);
  }

  async list(): Promise<{ name: string; updatedAt: string }[]> {
    return (
      this.db.prepare('SELECT name, updated_at FROM drafts ORDER BY updated_at DESC').all() as {
        name: string;
        updated_at: string;
      }[]
    ).map((r) => ({ name: r.name, updatedAt: r.updated_at }));
  }

  async delete(name: string): Promise<void> {
    this.db.prepare('DELETE FROM drafts WHERE name = ?').run(name);
  }
}
