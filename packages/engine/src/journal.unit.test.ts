// The journal (journal.ts): the entry an apply reads is parsed once per version of the file,
// read-only, and read again when another process replaced the file; entries are links to
// generations, the one before kept for a power loss.
import { lstatSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Lab } from '@patchbay/topology';
import { Journal, type JournalEntry } from './journal.js';
import { appliedEntry, applyingEntry } from './journal-entries.js';

const managed = { iptables: [], ip6tables: [], ebtables: [] };
const lab = (description: string) => ({ name: 'l', description, nodes: {}, links: [] }) as unknown as Lab;

describe('Journal.readShared', () => {
  const dirs: string[] = [];
  const journal = () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-journal-'));
    dirs.push(dir);
    return new Journal(dir, 'pb-');
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('gives the applied entry it wrote, parsed once and frozen, until the file changes', async () => {
    const j = journal();
    expect(await j.readShared('l')).toBeUndefined();
    await j.write(appliedEntry('pb-', lab('r1'), 1, ['pb-l.a'], managed));
    const first = await j.readShared('l');
    expect(first).toMatchObject({ status: 'applied', revision: 1, lab: { description: 'r1' } });
    expect(await j.readShared('l')).toBe(first);
    expect(Object.isFrozen(first!.lab!.nodes)).toBe(true);
    expect(() => {
      first!.namespaces.push('pb-l.b');
    }).toThrow(TypeError);
    // `read` still parses a fresh copy for callers that may change it
    const fresh = await j.read('l');
    expect(fresh).toEqual(first);
    expect(fresh).not.toBe(first);
    expect(Object.isFrozen(fresh)).toBe(false);
  });

  it('reads again what another process wrote, and forgets a removed lab', async () => {
    const j = journal();
    await j.write(appliedEntry('pb-', lab('r1'), 1, ['pb-l.a'], managed));
    const mine = await j.readShared('l');
    const theirs: JournalEntry = { ...mine!, revision: 7, lab: lab('r7') };
    writeFileSync(`${j.pathOf('l')}.other`, JSON.stringify(theirs));
    renameSync(`${j.pathOf('l')}.other`, j.pathOf('l'));
    expect(await j.readShared('l')).toMatchObject({ revision: 7, lab: { description: 'r7' } });
    // an entry that is not `applied` is read from the file, not kept from the write
    await j.write(applyingEntry('pb-', lab('r8'), theirs, ['pb-l.a']));
    expect(await j.readShared('l')).toMatchObject({ status: 'applying', pending: { description: 'r8' } });
    await j.remove('l');
    expect(await j.readShared('l')).toBeUndefined();
  });

  it('keeps the entry as a link to its newest generation, the one before as `.prev`, and nothing older', async () => {
    const j = journal();
    for (const r of [1, 2, 3]) await j.write(appliedEntry('pb-', lab(`r${r}`), r, ['pb-l.a'], managed));
    const folder = dirname(j.pathOf('l'));
    const files = readdirSync(folder).sort();
    expect(files.filter((f) => !f.startsWith('l.json.') || f === 'l.json.prev')).toEqual(['l.json', 'l.json.prev']);
    expect(files).toHaveLength(4); // and the two generations they lead to
    expect(lstatSync(j.pathOf('l')).isSymbolicLink()).toBe(true);
    expect(await j.read('l')).toMatchObject({ revision: 3, lab: { description: 'r3' } });
    // The newest generation left empty (written, not on disk, when the power went): the one before.
    writeFileSync(join(folder, readlinkSync(j.pathOf('l'))), '');
    expect(await j.read('l')).toMatchObject({ revision: 2, lab: { description: 'r2' } });
    // Both unreadable: a clear error, naming the lab.
    writeFileSync(join(folder, readlinkSync(`${j.pathOf('l')}.prev`)), '{');
    await expect(j.read('l')).rejects.toThrow(/journal entry of lab l .* is unreadable/);
    await j.remove('l');
    expect(readdirSync(folder)).toEqual([]);
  });

  it('removes what a process that died mid-write left of the entry, at its first write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-journal-'));
    dirs.push(dir);
    const j = new Journal(dir, 'pb-');
    await j.write(appliedEntry('pb-', lab('r1'), 1, ['pb-l.a'], managed));
    const folder = dirname(j.pathOf('l'));
    const dead = 4194305; // above the kernel's largest pid (pid_max ≤ 2^22): no such process
    const left = [`l.json.${dead}-abc-0`, `l.json.${dead}.link`, `l.json.${process.pid}-abc-7`];
    const others = ['l.json.1-abc-0', `m.json.${dead}-abc-0`]; // a live process's; another lab's
    for (const f of [...left, ...others]) writeFileSync(join(folder, f), '{}');
    const again = new Journal(dir, 'pb-'); // as in a process started after the crash
    await again.write(appliedEntry('pb-', lab('r2'), 2, ['pb-l.a'], managed));
    const files = readdirSync(folder);
    for (const f of left) expect(files).not.toContain(f);
    for (const f of others) expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('l.json')).sort()).toEqual(
      [
        'l.json',
        'l.json.1-abc-0',
        'l.json.prev',
        readlinkSync(j.pathOf('l')),
        readlinkSync(`${j.pathOf('l')}.prev`),
      ].sort(),
    );
    expect(await again.read('l')).toMatchObject({ revision: 2, lab: { description: 'r2' } });
  });

  it('two journals of one data directory in one process name their generations apart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-journal-'));
    dirs.push(dir);
    const [a, b] = [new Journal(dir, 'pb-'), new Journal(dir, 'pb-')];
    // in the same millisecond, each journal's first generation had the same name (EEXIST)
    for (let r = 1; r <= 20; r++)
      await (r % 2 ? a : b).write(appliedEntry('pb-', lab(`r${r}`), r, ['pb-l.a'], managed));
    expect(await a.read('l')).toMatchObject({ revision: 20 });
  });

  it('replaces an entry written as a plain file (before generations) with a link', async () => {
    const j = journal();
    await j.write(appliedEntry('pb-', lab('r1'), 1, ['pb-l.a'], managed));
    const plain = JSON.stringify(await j.read('l'));
    await j.remove('l');
    await j.write(appliedEntry('pb-', lab('r0'), 1, ['pb-l.a'], managed)); // makes the folder
    await j.remove('l');
    writeFileSync(j.pathOf('l'), plain);
    expect(await j.read('l')).toMatchObject({ revision: 1, lab: { description: 'r1' } });
    await j.write(appliedEntry('pb-', lab('r2'), 2, ['pb-l.a'], managed));
    expect(lstatSync(j.pathOf('l')).isSymbolicLink()).toBe(true);
    expect(await j.read('l')).toMatchObject({ revision: 2, lab: { description: 'r2' } });
  });
});
