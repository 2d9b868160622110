// Lab documents, drafts and tokens on both databases (SQLite and the throw-away PostgreSQL).
import { describe, expect, it } from 'vitest';
import { freshBackendPerTest, STORE_KINDS } from '../../test/store-backends.js';
import type { Store } from './store-api.js';
import { hashToken } from './tokens.js';

describe.each(STORE_KINDS)('documents and tokens (%s)', (kind) => {
  const backend = freshBackendPerTest(kind);
  const open = async (): Promise<Store> => (await backend()).open();

  it('keeps the last document applied under a name, without a layout, until deleted', async () => {
    const s = await open();
    expect(s.kind).toBe(kind);
    expect(await s.labs.get('web')).toBeUndefined();
    await s.labs.put('web', { name: 'web', nodes: { a: {} } });
    await s.labs.put('web', { name: 'web', nodes: { a: {}, b: {} } });
    expect(await s.labs.get('web')).toMatchObject({
      name: 'web',
      document: { name: 'web', nodes: { a: {}, b: {} } },
      layout: null,
      updatedAt: expect.any(String),
    });
    await s.labs.delete('web');
    expect(await s.labs.get('web')).toBeUndefined();
  });

  it('keeps drafts with their layout (none: null), lists them newest first, deletes them', async () => {
    const s = await open();
    const first = await s.drafts.put('one', { name: 'one' }, { a: { x: 1, y: 2 } });
    await new Promise((r) => setTimeout(r, 5)); // a later time
    await s.drafts.put('two', 'not even an object', undefined);
    expect(await s.drafts.get('one')).toEqual({
      name: 'one',
      document: { name: 'one' },
      layout: { a: { x: 1, y: 2 } },
      updatedAt: first,
    });
    expect(await s.drafts.get('two')).toMatchObject({ document: 'not even an object', layout: null });
    expect((await s.drafts.list()).map((d) => d.name)).toEqual(['two', 'one']);
    await s.drafts.put('one', { name: 'one', v: 2 }, null);
    expect((await s.drafts.list()).map((d) => d.name)).toEqual(['one', 'two']);
    await s.drafts.delete('one');
    expect(await s.drafts.list()).toEqual([{ name: 'two', updatedAt: expect.any(String) }]);
  });

  it('keeps tokens by their hash: one instructor token, student tokens by lab, malformed ones refused', async () => {
    const s = await open();
    const first = 'instructor-token-one-0123456789';
    const second = 'instructor-token-two-0123456789';
    await s.tokens.add(first, 'instructor');
    await s.tokens.add(first, 'student', 'ignored'); // an existing token is left as it is
    expect(await s.tokens.find(first)).toEqual({ role: 'instructor', lab: null });
    await s.tokens.add('student-token-lab-a-0123456789', 'student', 'lab-a');
    expect(await s.tokens.setInstructor(second)).toBe(1);
    expect(await s.tokens.find(first)).toBeUndefined();
    expect(await s.tokens.find(second)).toEqual({ role: 'instructor', lab: null });
    expect(await s.tokens.studentLabs()).toEqual(['lab-a']);
    await s.tokens.revokeStudentTokens('lab-a');
    expect(await s.tokens.find('student-token-lab-a-0123456789')).toBeUndefined();
    await expect(s.tokens.add('not valid!', 'student', 'x')).rejects.toThrow(/16 to 128/);
    // A malformed token is never looked up (nor its hash).
    expect(await s.tokens.find(`' OR 1=1 --`)).toBeUndefined();
    expect(await s.tokens.find(hashToken(second))).toBeUndefined();
  });
});
