// Two coordinator replicas on one database: two stores (two connection pools, as two processes
// have) writing at once. Joins racing for the last seats, under one name, and session codes drawn
// twice must come out as they would on one server; two replicas starting at once migrate once.
// On both databases (SQLite: two connections to one file).
import { describe, expect, it } from 'vitest';
import { freshBackendPerTest, STORE_KINDS } from '../../test/store-backends.js';
import { studentLabName, studentNameKey } from '../classroom/codes.js';
import type { Store } from './store-api.js';

describe.each(STORE_KINDS)('two writers on one database (%s)', (kind) => {
  const backend = freshBackendPerTest(kind);
  const twoStores = async (): Promise<[Store, Store]> => {
    const db = await backend();
    // Opened at once: both run the migrations, which must apply each version once.
    const [a, b] = await Promise.all([db.open(), db.open()]);
    return [a, b];
  };
  const join = (s: Store, id: string, name = id) =>
    s.students.add({
      id,
      session: 'a',
      name,
      token: `two-writers-${id}-0123456789`,
      labFor: (n) => studentLabName('ABCDEF', n),
      max: 60,
      nameKey: studentNameKey,
    });

  it('migrate once when both start at once', async () => {
    const [a, b] = await twoStores();
    expect(await a.schemaVersion()).toBe(6);
    expect(await b.schemaVersion()).toBe(6);
  });

  it('give the last seats once: 24 joins from both for 10 seats take seats 1 to 10, each lab once', async () => {
    const [a, b] = await twoStores();
    expect(
      await a.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'x', scenarioText: '', seatLimit: 10 }),
    ).not.toBe(false);
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => join(i % 2 ? a : b, `st${String(i).padStart(2, '0')}`)),
    );
    const joined = results.filter((r) => typeof r !== 'string');
    expect(joined).toHaveLength(10);
    expect(results.filter((r) => r === 'full')).toHaveLength(14);
    expect(joined.map((r) => r.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(joined.map((r) => r.lab)).size).toBe(10);
    expect(await b.students.count('a')).toBe(10);
    // Every student who got a seat has a token for their lab, whichever replica asks.
    for (const r of joined) expect(await a.tokens.find(`two-writers-${r.id}-0123456789`)).toMatchObject({ lab: r.lab });
    expect((await a.tokens.studentLabs()).sort()).toEqual(joined.map((r) => r.lab).sort());
  });

  it('give a name once: the same name from both replicas at once joins one student', async () => {
    const [a, b] = await twoStores();
    await a.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'x', scenarioText: '' });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => join(i % 2 ? a : b, `same${i}`, i % 2 ? 'Ana' : 'ANA')),
    );
    expect(results.filter((r) => typeof r !== 'string')).toHaveLength(1);
    expect(results.filter((r) => r === 'name-taken')).toHaveLength(7);
    expect(await a.students.inSession('a')).toHaveLength(1);
  });

  it('give a session code once, and a join after the end (on the other replica) is refused', async () => {
    const [a, b] = await twoStores();
    const draws = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).sessions.add({ id: `s${i}`, code: 'QWERTY', scenarioId: 'x', scenarioText: '' }),
      ),
    );
    expect(draws.filter((d) => d !== false)).toHaveLength(1);
    const winner = draws.find((d) => d !== false)!;
    expect((await b.sessions.byCode('qwerty'))?.id).toBe(winner.id);
    await a.sessions.add({ id: 'a', code: 'ABCDEF', scenarioId: 'x', scenarioText: '' });
    const ended = await a.sessions.end('a', 'idle');
    expect(await b.sessions.end('a', 'instructor')).toBe(ended);
    expect(await join(b, 'late')).toBe('ended');
    expect(await b.sessions.get('a')).toMatchObject({ endReason: 'idle' });
  });
});
