// Scratch namespaces on the real kernel: a leftover whose creator is gone is removed, one whose
// creator runs stays, and no lab-shaped or foreign name is ever taken for one. Prefix pbk9-.
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

const P = 'pbk9-';

describe('scratch namespace names', () => {
  it('are never a lab namespace of any prefix, and parse back', () => {
    const name = scratchNamespaceName(P, 'caps', 4242);
    expect(name).toBe('pbk9-_scratch.caps-4242');
    expect(parseScratchNamespace(P, name)).toEqual({ name, purpose: 'caps', pid: 4242 });
    expect(parseScratchNamespace(P, 'pbk9-caps-17')).toEqual({ name: 'pbk9-caps-17', purpose: 'caps', pid: 17 });
    expect(parseScratchNamespace(P, 'pbk9-lab.caps-17')).toBeUndefined(); // a lab's node
    expect(parseScratchNamespace(P, 'pbk9-caps-17.x')).toBeUndefined();
    expect(parseScratchNamespace('pbk9-x', name)).toBeUndefined(); // another prefix
    expect(() => scratchNamespaceName(P, 'Caps')).toThrow();
  });
});

describe.skipIf(!isRoot)('scratch namespaces on the real kernel', () => {
  afterEach(() => cleanup(P));

  it('a dead creator: removed; a live one: kept', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const dead = [scratchNamespaceName(P, 'caps', child.pid!), `${P}caps-${child.pid!}`];
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
