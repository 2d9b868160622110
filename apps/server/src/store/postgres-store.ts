// The server's database in PostgreSQL (PATCHBAY_DATABASE=postgres://…): what several coordinator
// replicas share. A pool of connections; the same migrations as SQLite, applied under an advisory
// lock so that two replicas starting at once apply each one once; the tables' stores in
// postgres-tables.ts.
import pg from 'pg';
import { MIGRATIONS } from './migrations.js';
import {
  PostgresDraftStore,
  PostgresLabStore,
  PostgresSessionStore,
  PostgresStudentStore,
  PostgresTokenStore,
  type Sql,
} from './postgres-tables.js';
import type { Store } from './store-api.js';
import { numbered, SqlAgentStore } from './agents.js';

/** The advisory lock key the migrations are applied under (any constant; "patchbay" in ASCII, truncated). */
const MIGRATION_LOCK = 0x7061746368626179n;

/** Runs `work` in one transaction on one connection of `pool`: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, work: (sql: Sql) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** Applies every migration the database has not had yet, all in one transaction (PostgreSQL's DDL is transactional). */
export async function migratePostgres(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (sql) => {
    // Held until the commit: a second replica starting now waits here, then finds them applied.
    await sql.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    await sql.query('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const done = new Set(
      (await sql.query<{ version: number }>('SELECT version FROM migrations')).rows.map((r) => r.version),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await sql.query(m.sql);
      await sql.query('INSERT INTO migrations (version, applied_at) VALUES ($1, $2)', [
        m.version,
        new Date().toISOString(),
      ]);
    }
  });
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly labs: PostgresLabStore;
  readonly drafts: PostgresDraftStore;
  readonly tokens: PostgresTokenStore;
  readonly sessions: PostgresSessionStore;
  readonly students: PostgresStudentStore;
  readonly agents: SqlAgentStore;
  private closed = false;

  constructor(readonly pool: pg.Pool) {
    const transaction = <T>(work: (sql: Sql) => Promise<T>): Promise<T> => inTransaction(pool, work);
    this.labs = new PostgresLabStore(pool);
    this.drafts = new PostgresDraftStore(pool);
    this.tokens = new PostgresTokenStore(pool, transaction);
    this.sessions = new PostgresSessionStore(pool);
    this.students = new PostgresStudentStore(pool, transaction);
    this.agents = new SqlAgentStore(
      async (sql, params) => (await pool.query<Record<string, unknown>>(numbered(sql), params)).rows,
    );
  }

  async schemaVersion(): Promise<number> {
    const r = await this.pool.query<{ v: number | null }>('SELECT MAX(version) AS v FROM migrations');
    return r.rows[0]?.v ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * Connects to the database at `url` (checked with a first connection: a wrong address, password or
 * database name fails here, not at the first request) and brings its schema up to date.
 */
export async function openPostgresStore(url: string): Promise<PostgresStore> {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // An idle connection the server closes (a restart, a failover) is an error event: without a
  // listener it would end the process; the pool replaces the connection at the next query.
  pool.on('error', (e) => process.emitWarning(`PostgreSQL connection lost: ${e.message}`));
  try {
    await migratePostgres(pool);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot open the PostgreSQL database of PATCHBAY_DATABASE: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return new PostgresStore(pool);
}
