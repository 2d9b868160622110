// The tables' stores in PostgreSQL: the same rows and rules as the SQLite ones (sqlite-*.ts), for
// several coordinator replicas writing at once. A join locks its session's row (SELECT … FOR UPDATE)
// so that the name check, the seat count and the next sequence number are decided by one writer at
// a time; a session code, a lab name and a token are unique by constraint.
import type { CheckRun } from '@patchbay/protocol';
import type pg from 'pg';
import {
  type DocumentRecord,
  type EndReason,
  type JoinRefusal,
  joinRefusal,
  type NewSession,
  type NewStudent,
  newSessionRow,
  newStudentRow,
  type SessionRecord,
  type SessionRow,
  sessionOf,
  type StoredLab,
  storedLabOf,
  type StudentRecord,
  type StudentRow,
  studentOf,
} from './records.js';
import type { DraftStore, LabStore, SessionStore, StudentStore, TokenStore } from './store-api.js';
import { assertWellFormedToken, hashToken, isWellFormedToken, type Role, type TokenRow } from './tokens.js';

/** A pool or one connection of it (inside a transaction): what runs a statement. */
export interface Sql {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** Runs `work` in one transaction (postgres-store.ts's inTransaction on the store's pool). */
export type Transaction = <T>(work: (sql: Sql) => Promise<T>) => Promise<T>;

const first = async <R extends pg.QueryResultRow>(sql: Sql, text: string, values: unknown[]): Promise<R | undefined> =>
  (await sql.query<R>(text, values)).rows[0];

const documentIn = (sql: Sql, table: 'labs' | 'drafts', name: string): Promise<StoredLab | undefined> =>
  first<DocumentRecord>(sql, `SELECT name, document, layout, updated_at FROM ${table} WHERE name = $1`, [name]).then(
    (r) => r && storedLabOf(r),
  );

export class PostgresLabStore implements LabStore {
  constructor(private readonly sql: Sql) {}

  async put(name: string, document: unknown): Promise<void> {
    await this.sql.query(
      `INSERT INTO labs (name, document, layout, updated_at) VALUES ($1, $2, NULL, $3)
       ON CONFLICT (name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
      [name, JSON.stringify(document), new Date().toISOString()],
    );
  }

  get(name: string): Promise<StoredLab | undefined> {
    return documentIn(this.sql, 'labs', name);
  }

  async delete(name: string): Promise<void> {
    await this.sql.query('DELETE FROM labs WHERE name = $1', [name]);
  }
}

export class PostgresDraftStore implements DraftStore {
  constructor(private readonly sql: Sql) {}

  async put(name: string, document: unknown, layout: unknown): Promise<string> {
    const at = new Date().toISOString();
    await this.sql.query(
      `INSERT INTO drafts (name, document, layout, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET document = excluded.document, layout = excluded.layout, updated_at = excluded.updated_at`,
      [name, JSON.stringify(document), layout === undefined ? null : JSON.stringify(layout), at],
    );
    return at;
  }

  get(name: string): Promise<StoredLab | undefined> {
    return documentIn(this.sql, 'drafts', name);
  }

  async list(): Promise<{ name: string; updatedAt: string }[]> {
    const r = await this.sql.query<{ name: string; updated_at: string }>(
      'SELECT name, updated_at FROM drafts ORDER BY updated_at DESC',
    );
    return r.rows.map((row) => ({ name: row.name, updatedAt: row.updated_at }));
  }

  async delete(name: string): Promise<void> {
    await this.sql.query('DELETE FROM drafts WHERE name = $1', [name]);
  }
}

/** Records a token by its hash; an existing one is left as it is. */
async function insertToken(sql: Sql, token: string, role: Role, lab: string | null): Promise<void> {
  assertWellFormedToken(token);
  await sql.query(
    'INSERT INTO tokens (token_hash, role, lab, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash) DO NOTHING',
    [hashToken(token), role, lab, new Date().toISOString()],
  );
}

const revokeStudentTokensOf = async (sql: Sql, lab: string): Promise<void> => {
  await sql.query("DELETE FROM tokens WHERE role = 'student' AND lab = $1", [lab]);
};

export class PostgresTokenStore implements TokenStore {
  constructor(
    private readonly sql: Sql,
    private readonly transaction: Transaction,
  ) {}

  add(token: string, role: Role, lab: string | null = null): Promise<void> {
    return insertToken(this.sql, token, role, lab);
  }

  async find(token: string): Promise<TokenRow | undefined> {
    if (!isWellFormedToken(token)) return undefined;
    return first<TokenRow>(this.sql, 'SELECT role, lab FROM tokens WHERE token_hash = $1', [hashToken(token)]);
  }

  setInstructor(token: string): Promise<number> {
    return this.transaction(async (sql) => {
      await insertToken(sql, token, 'instructor', null);
      const r = await sql.query("DELETE FROM tokens WHERE role = 'instructor' AND token_hash <> $1", [
        hashToken(token),
      ]);
      return r.rowCount ?? 0;
    });
  }

  async studentLabs(): Promise<string[]> {
    const r = await this.sql.query<{ lab: string }>(
      "SELECT DISTINCT lab FROM tokens WHERE role = 'student' AND lab IS NOT NULL",
    );
    return r.rows.map((row) => row.lab);
  }

  revokeStudentTokens(lab: string): Promise<void> {
    return revokeStudentTokensOf(this.sql, lab);
  }
}

export class PostgresSessionStore implements SessionStore {
  constructor(private readonly sql: Sql) {}

  async add(s: NewSession): Promise<SessionRow | false> {
    const createdAt = new Date().toISOString();
    // The code's UNIQUE constraint decides between two replicas drawing the same code at once.
    const r = await this.sql.query(
      `INSERT INTO sessions (id, code, scenario_id, scenario_text, created_at, seat_limit) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [s.id, s.code, s.scenarioId, s.scenarioText, createdAt, s.seatLimit ?? null],
    );
    return r.rowCount === 1 ? newSessionRow(s, createdAt) : false;
  }

  async get(id: string): Promise<SessionRow | undefined> {
    const r = await first<SessionRecord>(this.sql, 'SELECT * FROM sessions WHERE id = $1', [id]);
    return r && sessionOf(r);
  }

  async byCode(code: string): Promise<SessionRow | undefined> {
    const r = await first<SessionRecord>(this.sql, 'SELECT * FROM sessions WHERE code = $1', [code.toUpperCase()]);
    return r && sessionOf(r);
  }

  async list(): Promise<SessionRow[]> {
    return (await this.sql.query<SessionRecord>('SELECT * FROM sessions ORDER BY created_at DESC, id')).rows.map(
      sessionOf,
    );
  }

  async running(): Promise<SessionRow[]> {
    return (await this.sql.query<SessionRecord>('SELECT * FROM sessions WHERE ended_at IS NULL')).rows.map(sessionOf);
  }

  async update(
    id: string,
    change: { seatLimit?: number; locked?: boolean; terminalsOnly?: boolean },
  ): Promise<SessionRow | undefined> {
    const flag = (b: boolean | undefined) => (b === undefined ? null : b ? 1 : 0);
    const r = await first<SessionRecord>(
      this.sql,
      `UPDATE sessions SET seat_limit = COALESCE($2, seat_limit), locked = COALESCE($3, locked),
         terminals_only = COALESCE($4, terminals_only) WHERE id = $1 RETURNING *`,
      [id, change.seatLimit ?? null, flag(change.locked), flag(change.terminalsOnly)],
    );
    return r && sessionOf(r);
  }

  async end(id: string, reason: EndReason = 'instructor'): Promise<string> {
    const at = new Date().toISOString();
    const r = await first<{ ended_at: string }>(
      this.sql,
      `UPDATE sessions SET end_reason = CASE WHEN ended_at IS NULL THEN $1 ELSE end_reason END,
         ended_at = COALESCE(ended_at, $2) WHERE id = $3 RETURNING ended_at`,
      [reason, at, id],
    );
    return r?.ended_at ?? at;
  }
}

export class PostgresStudentStore implements StudentStore {
  constructor(
    private readonly sql: Sql,
    private readonly transaction: Transaction,
  ) {}

  add(n: NewStudent): Promise<StudentRow | JoinRefusal> {
    return this.transaction(async (sql) => {
      // The session's row stays locked until the commit: a second join of this session (from this
      // replica or another) waits here, then sees this one's student among the names and seats.
      const session = await first<{ ended_at: string | null; locked: number; seat_limit: number | null }>(
        sql,
        'SELECT ended_at, locked, seat_limit FROM sessions WHERE id = $1 FOR UPDATE',
        [n.session],
      );
      const names = (
        await sql.query<{ name: string }>('SELECT name FROM students WHERE session = $1', [n.session])
      ).rows.map((r) => r.name);
      const refusal = joinRefusal(session, names, n);
      if (refusal) return refusal;
      // Never reused, not even after a join that failed (see sqlite-students.ts).
      const next = await first<{ seq: number }>(
        sql,
        'UPDATE sessions SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq AS seq',
        [n.session],
      );
      const seq = next!.seq;
      const lab = n.labFor(seq);
      const joinedAt = new Date().toISOString();
      await sql.query(
        'INSERT INTO students (id, session, seq, name, lab, token_hash, joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [n.id, n.session, seq, n.name, lab, hashToken(n.token), joinedAt],
      );
      await insertToken(sql, n.token, 'student', lab);
      return newStudentRow(n, seq, lab, joinedAt);
    });
  }

  async count(session: string): Promise<number> {
    const r = await first<{ count: number }>(
      this.sql,
      'SELECT COUNT(*)::integer AS count FROM students WHERE session = $1',
      [session],
    );
    return r?.count ?? 0;
  }

  delete(id: string): Promise<void> {
    return this.transaction(async (sql) => {
      const s = await first<{ lab: string }>(sql, 'SELECT lab FROM students WHERE id = $1 FOR UPDATE', [id]);
      if (!s) return;
      await revokeStudentTokensOf(sql, s.lab);
      await sql.query('DELETE FROM students WHERE id = $1', [id]);
    });
  }

  async get(id: string): Promise<StudentRow | undefined> {
    const r = await first<StudentRecord>(this.sql, 'SELECT * FROM students WHERE id = $1', [id]);
    return r && studentOf(r);
  }

  async byLab(lab: string): Promise<StudentRow | undefined> {
    const r = await first<StudentRecord>(this.sql, 'SELECT * FROM students WHERE lab = $1', [lab]);
    return r && studentOf(r);
  }

  async inSession(session: string): Promise<StudentRow[]> {
    return (
      await this.sql.query<StudentRecord>('SELECT * FROM students WHERE session = $1 ORDER BY seq', [session])
    ).rows.map(studentOf);
  }

  async recordRun(student: string, run: CheckRun): Promise<StudentRow | undefined> {
    const solved = run.total > 0 && run.passed === run.total ? run.at : null;
    const r = await first<StudentRecord>(
      this.sql,
      'UPDATE students SET last_run = $1, solved_at = COALESCE(solved_at, $2) WHERE id = $3 RETURNING *',
      [JSON.stringify(run), solved, student],
    );
    return r && studentOf(r);
  }

  async recordApiChange(student: string, at = new Date().toISOString()): Promise<StudentRow | undefined> {
    const r = await first<StudentRecord>(
      this.sql,
      'UPDATE students SET api_changes = api_changes + 1, last_api_change_at = $1 WHERE id = $2 RETURNING *',
      [at, student],
    );
    return r && studentOf(r);
  }

  async recordInstructorReset(student: string, at = new Date().toISOString()): Promise<void> {
    await this.sql.query('UPDATE students SET instructor_reset_at = $1 WHERE id = $2', [at, student]);
  }

  async recordMove(student: string, from: string, at = new Date().toISOString()): Promise<void> {
    await this.sql.query('UPDATE students SET moved_at = $1, moved_from = $2 WHERE id = $3', [at, from, student]);
  }

  async setHintsShown(student: string, n: number): Promise<void> {
    await this.sql.query('UPDATE students SET hints_shown = $1 WHERE id = $2', [n, student]);
  }
}
