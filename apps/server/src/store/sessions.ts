// Class sessions (table `sessions`): a scenario frozen as text when the session was opened, so
// editing the library later never changes a running class; its seats and lock (migration 4); whether
// it is terminals only (migration 5).
import type Database from 'better-sqlite3';

export type EndReason = 'instructor' | 'idle';

export interface SessionRow {
  id: string;
  /** Upper case; students may type it in any case. */
  code: string;
  scenarioId: string;
  /** The scenario file (YAML, lab inline) as it was when the session was opened. */
  scenarioText: string;
  createdAt: string;
  endedAt: string | null;
  endReason: EndReason | null;
  /** Students it takes at most; null for a session opened before seats existed (the server's default). */
  seatLimit: number | null;
  /** No new joins while locked. */
  locked: boolean;
  /** Students may not apply or destroy their lab through the API. */
  terminalsOnly: boolean;
}

interface SessionRecord {
  id: string;
  code: string;
  scenario_id: string;
  scenario_text: string;
  created_at: string;
  ended_at: string | null;
  end_reason: string | null;
  seat_limit: number | null;
  locked: number;
  terminals_only: number;
}

const sessionOf = (r: SessionRecord): SessionRow => ({
  id: r.id,
  code: r.code,
  scenarioId: r.scenario_id,
  scenarioText: r.scenario_text,
  createdAt: r.created_at,
  endedAt: r.ended_at,
  endReason: r.end_reason === 'idle' || r.end_reason === 'instructor' ? r.end_reason : r.ended_at ? 'instructor' : null,
  seatLimit: r.seat_limit,
  locked: r.locked !== 0,
  terminalsOnly: r.terminals_only !== 0,
});

export type NewSession = Pick<SessionRow, 'id' | 'code' | 'scenarioId' | 'scenarioText'> & {
  seatLimit?: number | null;
};

export class SessionStore {
  constructor(private readonly db: Database.Database) {}

  /** A new session; false when its code is taken (the caller draws another). */
  add(s: NewSession): SessionRow | false {
    const createdAt = new Date().toISOString();
    const r = this.db
      .prepare(
        'INSERT OR IGNORE INTO sessions (id, code, scenario_id, scenario_text, created_at, seat_limit) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(s.id, s.code, s.scenarioId, s.scenarioText, createdAt, s.seatLimit ?? null);
    return r.changes === 1
      ? {
          ...s,
          seatLimit: s.seatLimit ?? null,
          createdAt,
          endedAt: null,
          endReason: null,
          locked: false,
          terminalsOnly: false,
        }
      : false;
  }

  get(id: string): SessionRow | undefined {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRecord | undefined;
    return r && sessionOf(r);
  }

  byCode(code: string): SessionRow | undefined {
    const r = this.db.prepare('SELECT * FROM sessions WHERE code = ?').get(code.toUpperCase()) as
      | SessionRecord
      | undefined;
    return r && sessionOf(r);
  }

  /** Newest first. */
  list(): SessionRow[] {
    return (this.db.prepare('SELECT * FROM sessions ORDER BY created_at DESC, id').all() as SessionRecord[]).map(
      sessionOf,
    );
  }

  /** The sessions not ended yet. */
  running(): SessionRow[] {
    return (this.db.prepare('SELECT * FROM sessions WHERE ended_at IS NULL').all() as SessionRecord[]).map(sessionOf);
  }

  /** Changes the seats, the lock or terminals only of a session; the row as it is now. */
  update(
    id: string,
    change: { seatLimit?: number; locked?: boolean; terminalsOnly?: boolean },
  ): SessionRow | undefined {
    if (change.seatLimit !== undefined)
      this.db.prepare('UPDATE sessions SET seat_limit = ? WHERE id = ?').run(change.seatLimit, id);
    if (change.locked !== undefined)
      this.db.prepare('UPDATE sessions SET locked = ? WHERE id = ?').run(change.locked ? 1 : 0, id);
    if (change.terminalsOnly !== undefined)
      this.db.prepare('UPDATE sessions SET terminals_only = ? WHERE id = ?').run(change.terminalsOnly ? 1 : 0, id);
    return this.get(id);
  }

  /** Marks the session ended (the first end counts, its reason too); answers when it ended. */
  end(id: string, reason: EndReason = 'instructor'): string {
    const at = new Date().toISOString();
    this.db
      .prepare(
        'UPDATE sessions SET end_reason = CASE WHEN ended_at IS NULL THEN ? ELSE end_reason END, ended_at = COALESCE(ended_at, ?) WHERE id = ?',
      )
      .run(reason, at, id);
    return this.get(id)?.endedAt ?? at;
  }
}
