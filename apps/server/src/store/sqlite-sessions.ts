// Class sessions in SQLite (table `sessions`): a scenario frozen as text when the session was
// opened, so editing the library later never changes a running class; its seats and lock
// (migration 4); whether it is terminals only (migration 5).
/* eslint-disable @typescript-eslint/require-await -- SQLite answers at once; the store's interface is asynchronous for PostgreSQL */
import type Database from 'better-sqlite3';
import {
  type EndReason,
  type NewSession,
  newSessionRow,
  type SessionRecord,
  type SessionRow,
  sessionOf,
} from './records.js';
import type { SessionStore } from './store-api.js';

export class SqliteSessionStore implements SessionStore {
  constructor(private readonly db: Database.Database) {}

  async add(s: NewSession): Promise<SessionRow | false> {
    const createdAt = new Date().toISOString();
    const r = this.db
      .prepare(
        'INSERT OR IGNORE INTO sessions (id, code, scenario_id, scenario_text, created_at, seat_limit) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(s.id, s.code, s.scenarioId, s.scenarioText, createdAt, s.seatLimit ?? null);
    return r.changes === 1 ? newSessionRow(s, createdAt) : false;
  }

  async get(id: string): Promise<SessionRow | undefined> {
    return this.getNow(id);
  }

  private getNow(id: string): SessionRow | undefined {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRecord | undefined;
    return r && sessionOf(r);
  }

  async byCode(code: string): Promise<SessionRow | undefined> {
    const r = this.db.prepare('SELECT * FROM sessions WHERE code = ?').get(code.toUpperCase()) as
      | SessionRecord
      | undefined;
    return r && sessionOf(r);
  }

  async list(): Promise<SessionRow[]> {
    return (this.db.prepare('SELECT * FROM sessions ORDER BY created_at DESC, id').all() as SessionRecord[]).map(
      sessionOf,
    );
  }

  async running(): Promise<SessionRow[]> {
    return (this.db.prepare('SELECT * FROM sessions WHERE ended_at IS NULL').all() as SessionRecord[]).map(sessionOf);
  }

  async update(
    id: string,
    change: { seatLimit?: number; locked?: boolean; terminalsOnly?: boolean },
  ): Promise<SessionRow | undefined> {
    if (change.seatLimit !== undefined)
      this.db.prepare('UPDATE sessions SET seat_limit = ? WHERE id = ?').run(change.seatLimit, id);
    if (change.locked !== undefined)
      this.db.prepare('UPDATE sessions SET locked = ? WHERE id = ?').run(change.locked ? 1 : 0, id);
    if (change.terminalsOnly !== undefined)
      this.db.prepare('UPDATE sessions SET terminals_only = ? WHERE id = ?').run(change.terminalsOnly ? 1 : 0, id);
    return this.getNow(id);
  }

  async end(id: string, reason: EndReason = 'instructor'): Promise<string> {
    const at = new Date().toISOString();
    this.db
      .prepare(
        'UPDATE sessions SET end_reason = CASE WHEN ended_at IS NULL THEN ? ELSE end_reason END, ended_at = COALESCE(ended_at, ?) WHERE id = ?',
      )
      .run(reason, at, id);
    return this.getNow(id)?.endedAt ?? at;
  }
}
