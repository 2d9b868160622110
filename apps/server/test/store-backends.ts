// The store's tests run once per database: SQLite in a temporary data folder, and PostgreSQL in a
// database of its own on the throw-away cluster (test/database-servers.ts), dropped after the test.
/* eslint-disable @typescript-eslint/require-await -- SQLite answers at once; the store's interface is asynchronous for PostgreSQL */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, inject } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres-store.js';
import { openStore, type SqliteStore } from '../src/store/store.js';
import type { Store } from '../src/store/store-api.js';

export interface StoreBackend {
  readonly kind: Store['kind'];
  /** Opens (again) a store on this test's database; every store opened is closed by `cleanup`. */
  open(): Promise<Store>;
  /** Runs SQL on the database as it is (to take it back to an older schema, say). */
  exec(sql: string): Promise<void>;
  /** The PostgreSQL URL of this test's database (postgres only). */
  readonly url: string | undefined;
  cleanup(): Promise<void>;
}

/** A PostgreSQL database of its own for one test (a random name), on the throw-away cluster. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = inject('postgresUrl');
  const name = `pbs_${randomBytes(6).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export async function storeBackend(kind: Store['kind']): Promise<StoreBackend> {
  const opened: Store[] = [];
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-store-test-'));
    let last: SqliteStore | undefined;
    return {
      kind,
      url: undefined,
      async open() {
        last = openStore(dir);
        opened.push(last);
        return last;
      },
      async exec(sql) {
        if (!last) throw new Error('open a store first');
        last.db.exec(sql);
      },
      async cleanup() {
        for (const s of opened) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const db = await freshPostgresDatabase();
  let last: PostgresStore | undefined;
  return {
    kind,
    url: db.url,
    async open() {
      last = await openPostgresStore(db.url);
      opened.push(last);
      return last;
    },
    async exec(sql) {
      if (!last) throw new Error('open a store first');
      await last.pool.query(sql);
    },
    async cleanup() {
      for (const s of opened) await s.close();
      await db.drop();
    },
  };
}

export const STORE_KINDS: readonly Store['kind'][] = ['sqlite', 'postgres'];

/**
 * In a describe block: `backend()` makes a fresh database of `kind` for the test (its stores are
 * opened with `.open()`), removed after the test, pass or fail.
 */
export function freshBackendPerTest(kind: Store['kind']): () => Promise<StoreBackend> {
  let backend: StoreBackend | undefined;
  afterEach(async () => {
    await backend?.cleanup();
    backend = undefined;
  });
  return async () => (backend = await storeBackend(kind));
}
