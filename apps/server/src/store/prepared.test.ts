// The SQLite store prepares each statement once (store.ts preparedOnce): the same text gives the
// same statement, and a statement kept and run again answers what the table holds now.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type SqliteStore } from './store.js';

describe('SQLite statements', () => {
  let dir: string | undefined;
  let store: SqliteStore | undefined;
  afterEach(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    store = undefined;
    dir = undefined;
  });

  it('are prepared once per text and answer the current rows each time', async () => {
    dir = mkdtempSync(join(tmpdir(), 'patchbay-prepared-'));
    store = openStore(dir);
    const sql = 'SELECT name FROM labs WHERE name = ?';
    expect(store.db.prepare(sql)).toBe(store.db.prepare(sql));
    expect(store.db.prepare('SELECT 1')).not.toBe(store.db.prepare('SELECT 2'));
    expect(await store.labs.get('web')).toBeUndefined();
    await store.labs.put('web', { name: 'web', nodes: { a: {} } });
    expect((await store.labs.get('web'))?.document).toEqual({ name: 'web', nodes: { a: {} } });
    await store.labs.put('web', { name: 'web', nodes: { a: {}, b: {} } });
    expect((await store.labs.get('web'))?.document).toEqual({ name: 'web', nodes: { a: {}, b: {} } });
    await store.labs.delete('web');
    expect(await store.labs.get('web')).toBeUndefined();
  });
});
