// Owned namespaces on a freshly booted machine (helpers/pin_dirs.py, nsowner.py's add_split): the
// userns pins and uid files go to a tmpfs mounted over their EMPTY directories (never over pins in
// use), a large add is shared with a forked worker, and a worker that dies leaves nothing behind.
// Each scenario runs in a private mount namespace (test/owned_pins_check.py): fresh directories are
// bound over /run/patchbay/userns and /run/patchbay/uids there, so the machine's own are untouched.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from './index.js';
import { isRoot } from '../test/helpers.js';

const CHECK = fileURLToPath(new URL('../test/owned_pins_check.py', import.meta.url));
const HELPERS = fileURLToPath(new URL('../helpers', import.meta.url));
const P = 'pmn-op-';
const NAMES = Array.from({ length: 40 }, (_, i) => `${P}${String(i).padStart(2, '0')}`);

interface Made {
  netnsPins: string[];
  usernsPins: string[];
  uidFiles: Record<string, number>;
}
const NOTHING: Made = { netnsPins: [], usernsPins: [], uidFiles: {} };

async function scenario(name: string): Promise<Record<string, unknown>> {
  const r = await run('unshare', ['-m', '--propagation', 'slave', 'python3', CHECK, name, HELPERS, P], {
    timeoutMs: 60_000,
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe.skipIf(!isRoot)('owned namespaces: pins on a tmpfs, made by two processes', () => {
  it('puts the pins and uid files of a fresh machine on a tmpfs; 40 names in two processes, in order', async () => {
    const out = await scenario('fresh');
    expect(out['tmpfs']).toEqual([true, true]);
    expect(out['ok']).toBe(40);
    expect(out['resultNames']).toEqual(NAMES);
    const uids = out['uids'] as Record<string, number>;
    expect(new Set(Object.values(uids)).size).toBe(40); // one host uid per namespace, across both processes
    const made = out['made'] as Made;
    expect(made.netnsPins).toEqual(NAMES);
    expect(made.usernsPins).toEqual(NAMES);
    expect(made.uidFiles).toEqual(uids);
    // the pinned user namespace owns the pinned netns, inside 1000 = the uid in the file
    const maps = out['maps'] as Record<string, string>;
    for (const n of [NAMES[0]!, NAMES[39]!]) expect(maps[n]).toBe(`1000 ${uids[n]} 1`);
    expect(out['after']).toEqual(NOTHING);
  }, 90_000);

  it('never mounts over a directory in use: its pins stay visible, the empty one becomes a tmpfs', async () => {
    const out = await scenario('in-use');
    expect(out['tmpfs']).toEqual([false, true]);
    expect(out['kept']).toBe(true);
    expect(out['ok']).toBe(2);
    for (const m of Object.values(out['maps'] as Record<string, string>)) expect(m).toMatch(/^1000 \d+ 1$/);
    expect(out['after']).toEqual(NOTHING);
  }, 90_000);

  it('a long-lived executor started while the directory was in use gets the tmpfs once it is empty', async () => {
    const out = await scenario('executor-later');
    expect(out['before']).toBe(false);
    expect(out['after_empty']).toBe(true);
    expect(out['ok']).toBe(4);
    for (const m of Object.values(out['maps'] as Record<string, string>)) expect(m).toMatch(/^1000 \d+ 1$/);
    expect(out['after']).toEqual(NOTHING);
  }, 90_000);

  it('removes what a worker that died made, reports its names failed, leaves a name that existed', async () => {
    const out = await scenario('worker-dies');
    const results = out['results'] as Record<string, string>;
    for (const n of NAMES.slice(0, 20)) expect(results[n]).toBe('ok');
    for (const n of NAMES.slice(20)) expect(results[n]).toMatch(/ended without an answer/);
    const made = out['made'] as Made;
    // the worker made 20..22 before dying: gone again; 39 existed before (a plain pin): still there
    expect(made.netnsPins).toEqual([...NAMES.slice(0, 20), NAMES[39]]);
    expect(made.usernsPins).toEqual(NAMES.slice(0, 20));
    expect(Object.keys(made.uidFiles).sort()).toEqual(NAMES.slice(0, 20));
    expect(out['after']).toEqual(NOTHING);
  }, 90_000);
});
