// Whose a namespace is: by its marker (unit), and the namespaces a lab owns on the real kernel
// (journaled ones, unjournaled ones marked as its own or unmarked, never another prefix's). Prefix pblc4-.
import { afterEach, describe, expect, it } from 'vitest';
import { deleteNamespaces, listNamespaces, run, runInNamespace } from '@patchbay/kernel';
import type { KernelState } from '@patchbay/topology';
import type { JournalEntry } from './journal.js';
import { isOurs, ownedNamespaces } from './ownership.js';

const PREFIX = 'pblc4-';

const withAlias = (ns: string, alias?: string): KernelState =>
  ({
    namespaces: { [ns]: { name: ns, links: { lo: { name: 'lo', ...(alias ? { alias } : {}) } } } },
  }) as unknown as KernelState;

describe('isOurs', () => {
  it("reads the marker: prefix and lab must both match; an unmarked namespace is a crashed apply's", () => {
    expect(isOurs(withAlias('n', 'patchbay:v1:pb-:lab:a'), 'n', 'pb-', 'lab')).toBe(true);
    expect(isOurs(withAlias('n', 'patchbay:v1:pb-t-:x:n'), 'n', 'pb-', 't-x')).toBe(false);
    expect(isOurs(withAlias('n', 'patchbay:v1:pb-:other:a'), 'n', 'pb-', 'lab')).toBe(false);
    expect(isOurs(withAlias('n', 'something else'), 'n', 'pb-', 'lab')).toBe(false);
    expect(isOurs(withAlias('n'), 'n', 'pb-', 'lab')).toBe(true);
  });
});

describe('ownedNamespaces on the real kernel', () => {
  afterEach(async () => {
    await deleteNamespaces(await listNamespaces(PREFIX));
  });

  it("journaled, own-marked and unmarked namespaces of the name are the lab's; a foreign-marked one is not", async () => {
    const [journaled, mine, unmarked, foreign] = ['a', 'b', 'c', 'd'].map((n) => `${PREFIX}lab.${n}`) as [
      string,
      string,
      string,
      string,
    ];
    for (const n of [journaled, mine, unmarked, foreign]) await run('ip', ['netns', 'add', n]);
    await runInNamespace(mine, 'ip', ['link', 'set', 'lo', 'alias', `patchbay:v1:${PREFIX}:lab:b`]);
    await runInNamespace(foreign, 'ip', ['link', 'set', 'lo', 'alias', `patchbay:v1:${PREFIX}x-:lab:d`]);
    const entry = { namespaces: [journaled] } as JournalEntry;
    expect(await ownedNamespaces(PREFIX, 'lab', entry)).toEqual([journaled, mine, unmarked]);
    expect(await ownedNamespaces(PREFIX, 'other', undefined)).toEqual([]);
  });
});
