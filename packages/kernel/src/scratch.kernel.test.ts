// Scratch namespaces on the real kernel: a leftover whose creator is gone is removed, one whose
// creator runs stays, and no lab-shaped or foreign name is ever taken for one. Prefix pbscr-.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listNamespaces,
  parseScratchNamespace,
  removeStaleScratchNamespaces,
  run,
  scratchNamespaceName,
} from './index.js';
import { cleanup, isRoot } from '../test/helpers.js';

const P = 'pbscr-';

describe('scratch namespace names', () => {
  it('are never a lab namespace of any prefix, and parse back', () => {
    const name = scratchNamespaceName(P, 'caps', 4242);
    expect(name).toBe('pbscr-_scratch.caps-4242');
    expect(parseScratchNamespace(P, name)).toEqual({ name, purpose: 'caps', pid: 4242 });
    expect(parseScratchNamespace(P, 'pbscr-caps-17')).toEqual({ name: 'pbscr-caps-17', purpose: 'caps', pid: 17 });
    expect(parseScratchNamespace(P, 'pbscr-lab.caps-17')).toBeUndefined(); // a lab's node
    expect(parseScratchNamespace(P, 'pbscr-caps-17.x')).toBeUndefined();
    expect(parseScratchNamespace('pbscr-x', name)).toBeUndefined(); // another prefix
    expect(() => scratchNamespaceName(P, 'Caps')).toThrow();
  });
});

describe.skipIf(!isRoot)('scratch namespaces on the real kernel', () => {
  afterEach(() => cleanup(P));

  it('a dead creator: removed; a live one: kept', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const pid = child.pid;
    if (pid === undefined) throw new Error('sleep did not start');
    const dead = [scratchNamespaceName(P, 'caps', pid), `${P}caps-${pid}`];
    const live = scratchNamespaceName(P, 'caps');
    const lab = `${P}caps-1.node`; // lab-shaped: never scratch
    for (const n of [...dead, live, lab]) expect((await run('ip', ['netns', 'add', n])).code).toBe(0);
    child.kill('SIGKILL');
    await exited;
    const removed = await removeStaleScratchNamespaces(P);
    expect(removed.map((r) => r.name).sort()).toEqual([...dead].sort());
    expect(removed.every((r) => r.ok)).toBe(true);
    expect(await listNamespaces(P)).toEqual([live, lab].sort());
  });
});
