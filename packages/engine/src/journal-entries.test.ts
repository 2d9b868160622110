// The journal entries of an apply's moments (pure).
import { describe, expect, it } from 'vitest';
import type { Lab } from '@patchbay/topology';
import type { JournalEntry } from './journal.js';
import { appliedEntry, applyingEntry, destroyingEntry, failedEntry, restoredEntry } from './journal-entries.js';

const lab = (name: string, rev: string) => ({ name, description: rev, nodes: {}, links: [] }) as unknown as Lab;
const managed = { iptables: ['pb-l.a'], ip6tables: [], ebtables: [] };
const applied: JournalEntry = appliedEntry('pb-', lab('l', 'r1'), 3, ['pb-l.b', 'pb-l.a'], managed);

describe('journal entries', () => {
  it('applied: the lab, its revision, the tables it manages, exactly its namespaces (sorted)', () => {
    expect(applied).toEqual({
      version: 1,
      prefix: 'pb-',
      name: 'l',
      status: 'applied',
      revision: 3,
      lab: lab('l', 'r1'),
      managed,
      namespaces: ['pb-l.a', 'pb-l.b'],
      updatedAt: '',
    });
  });

  it('applying: keeps the last applied lab (and its tables), the pending one, and every namespace either may own', () => {
    const e = applyingEntry('pb-', lab('l', 'r2'), applied, ['pb-l.c', 'pb-l.a']);
    expect(e).toMatchObject({
      status: 'applying',
      revision: 3,
      lab: lab('l', 'r1'),
      managed,
      pending: lab('l', 'r2'),
      namespaces: ['pb-l.a', 'pb-l.b', 'pb-l.c'],
    });
    expect(applyingEntry('pb-', lab('n', 'r1'), undefined, ['pb-n.a'])).toMatchObject({
      revision: 0,
      lab: undefined,
      namespaces: ['pb-n.a'],
    });
  });

  it('failed: like applying, with the error; restored: the previous entry, nothing pending', () => {
    expect(failedEntry('pb-', lab('l', 'r2'), applied, ['pb-l.c'], 'boom')).toMatchObject({
      status: 'failed',
      error: 'boom',
      pending: lab('l', 'r2'),
      namespaces: ['pb-l.a', 'pb-l.b', 'pb-l.c'],
    });
    const pending = { ...applyingEntry('pb-', lab('l', 'r2'), applied, []), lab: applied.lab };
    expect(restoredEntry(pending)).toMatchObject({
      status: 'applied',
      pending: undefined,
      lab: lab('l', 'r1'),
      revision: 3,
    });
  });

  it('destroying: the entry as it was, marked', () => {
    expect(destroyingEntry(applied)).toEqual({ ...applied, status: 'destroying' });
  });
});
