// Class sessions (table `sessions`): a scenario frozen as text when the session was opened, so
// editing the library later never changes a running class.
import type Database from 'better-sqlite3';

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

interface SessionRecord {
  id: string;
  code: string;
  scenario_id: string;
  scenario_text: string;
  created_at: string;
  ended_at: string | null;
}

const sessionOf = (r: SessionRecord): SessionRow => ({
  id: r.id,
  code: r.code,
  scenarioId: r.scenario_id,
  scenarioText: r.scenario_text,
  createdAt: r.created_at,
  endedAt: r.ended_at,
});

export class SessionStore {
  constructor(private readonly db: Database.Database) {}

  /** A new session; false when its code is taken (the caller draws another). */
  add(s: Omit<SessionRow, 'createdAt' | 'endedAt'>): SessionRow | false {
    const createdAt = new Date().toISOString();
    const r = this.db
      .prepare(
        'INSERT OR IGNORE INTO sessions (id, code, scenario_id, scenario_text, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(s.id, s.code, s.scenarioId, s.scenarioText, createdAt);
    return r.changes === 1 ? { ...s, createdAt, endedAt: null } : false;
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

  /** Marks the session ended (the first end counts); answers when it ended. */
  end(id: string): string {
    const at = new Date().toISOString();
    this.db.prepare('UPDATE sessions SET ended_at = COALESCE(ended_at, ?) WHERE id = ?').run(at, id);
    return this.get(id)?.endedAt ?? at;
  }
}
