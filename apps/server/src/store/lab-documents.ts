// Lab documents: `labs` holds the last document applied under each name, `drafts` the editor's
// working copy (saved as the user draws, valid or not, with its layout). Same shape, two tables.
import type Database from 'better-sqlite3';

export interface StoredLab {
  name: string;
  document: unknown;
  layout: unknown; // null when none was saved
  updatedAt: string;
}

interface DocumentRecord {
  name: string;
  document: string;
  layout: string | null;
  updated_at: string;
}

const storedLabOf = (r: DocumentRecord): StoredLab => ({
  name: r.name,
  document: JSON.parse(r.document),
  layout: r.layout === null ? null : JSON.parse(r.layout),
  updatedAt: r.updated_at,
});

/** The labs applied (table `labs`): their document, kept for the editor and for reloads. */
export class LabStore {
  constructor(private readonly db: Database.Database) {}

  put(name: string, document: unknown): void {
    this.db
      .prepare(
        `INSERT INTO labs (name, document, layout, updated_at) VALUES (?, ?, NULL, ?)
         ON CONFLICT(name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
      )
      .run(name, JSON.stringify(document), new Date().toISOString());
  }

  get(name: string): StoredLab | undefined {
    const r = this.db.prepare('SELECT name, document, layout, updated_at FROM labs WHERE name = ?').get(name) as
      | DocumentRecord
      | undefined;
    return r && storedLabOf(r);
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM labs WHERE name = ?').run(name);
  }
}

/** The editor's drafts (table `drafts`), with their layout. */
export class DraftStore {
  constructor(private readonly db: Database.Database) {}

  /** Saves a draft; answers when it was saved. */
  put(name: string, document: unknown, layout: unknown): string {
    const at = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO drafts (name, document, layout, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET document = excluded.document, layout = excluded.layout, updated_at = excluded.updated_at`,
      )
      .run(name, JSON.stringify(document), layout === undefined ? null : JSON.stringify(layout), at);
    return at;
  }

  get(name: string): StoredLab | undefined {
    const r = this.db.prepare('SELECT name, document, layout, updated_at FROM drafts WHERE name = ?').get(name) as
      | DocumentRecord
      | undefined;
    return r && storedLabOf(r);
  }

  /** Newest first. */
  list(): { name: string; updatedAt: string }[] {
    return (
      this.db.prepare('SELECT name, updated_at FROM drafts ORDER BY updated_at DESC').all() as {
        name: string;
        updated_at: string;
      }[]
    ).map((r) => ({
      name: r.name,
      updatedAt: r.updated_at,
    }));
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM drafts WHERE name = ?').run(name);
  }
}
