// Removing through the rtnetlink executor (helpers/rtnl_linkdel.py, nlexec.py's netns-del) on the
// real kernel: `link del` answers once the link is gone (before the kernel's RCU barrier) and leaves
// the kernel as `ip link del` does — both veth ends gone, the bridge port gone, the names free for
// a new pair right away — refuses what `ip` refuses with its message, and an owned namespace is
// deleted in the executor as nsowner.py deletes it (pins and uid freed).

import { existsSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Op } from '@patchbay/topology';
import { isOwnedNamespace, listNamespaces, ownedNamespaceUid } from './index.js';
import {
  addNamespacesViaNetlink,
  closeNetlinkExecutor,
  deleteOwnedNamespacesViaNetlink,
  runBatchViaNetlink,
} from './nlexec.js';
import { runInNamespace } from './process.js';
import { cleanup, executeEither, ip, isRoot, netnsAdd, op } from '../test/helpers.js';

const P = 'pmi-knr-';
const LEAF = `${P}leaf`;
const HOST = `${P}host`;

async function links(ns: string): Promise<string[]> {
  const r = await runInNamespace(ns, 'ip', ['-br', 'link']);
  expect(r.code).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(/\s+/)[0]!.split('@')[0]!)
    .sort();
}

/** An owned leaf and a plain bridge host, the leaf's eth0 a port of br0 (the star's shape). */
function star(): Op[] {
  return [
    { ...netnsAdd(LEAF), owned: true },
    netnsAdd(HOST),
    ip('link', HOST, 'link add br0 type bridge'),
    ip('link', LEAF, `link add eth0 type veth peer name h1 netns ${HOST}`),
    ip('configure', HOST, 'link set dev h1 master br0'),
    ip('configure', HOST, 'link set dev h1 up'),
    ip('configure', LEAF, 'link set dev eth0 up'),
  ];
}

const unlink = (ns: string, dev: string): Op => ip('unlink', ns, `link del dev ${dev}`);
const netnsDel = (ns: string): Op => ({ ...op('unnamespace', 'netns', '', ['netns', 'del', ns]), owned: true });

describe.skipIf(!isRoot)('removing through the rtnetlink executor on the real kernel', () => {
  afterEach(() => cleanup(P));

  it('deletes a veth pair as `ip link del` does: both ends and the bridge port gone, names free at once', async () => {
    expect((await executeEither(star())).ok).toBe(true);
    expect(await links(HOST)).toEqual(['br0', 'h1', 'lo']);
    // the executor carries the line out itself (it used to hand it to `ip`)
    expect(await runBatchViaNetlink(LEAF, 'link del dev eth0\n', false)).toEqual({ kind: 'ran', done: 1 });
    expect(await links(LEAF)).toEqual(['lo']);
    expect(await links(HOST)).toEqual(['br0', 'lo']);
    const ports = await runInNamespace(HOST, 'bridge', ['link', 'show']);
    expect(ports.stdout).not.toMatch(/h1/);
    // The same names again straight away: nothing of the old pair is left to collide with.
    const again = await executeEither(star().slice(3));
    expect(again.failed).toBeUndefined();
    expect(await links(HOST)).toEqual(['br0', 'h1', 'lo']);
  });

  it('fails as `ip link del` fails for a missing device, and a batch stops there', async () => {
    expect((await executeEither(star())).ok).toBe(true);
    const batch = [unlink(LEAF, 'nope0'), unlink(LEAF, 'eth0')];
    const viaExecutor = await executeEither(batch);
    expect(viaExecutor.ok).toBe(false);
    expect(viaExecutor.failed?.op).toBe(batch[0]);
    expect(viaExecutor.failed?.error).toMatch(/Cannot find device "nope0"/);
    expect(await links(LEAF)).toEqual(['eth0', 'lo']); // the second line did not run
    const viaIp = await executeEither(batch, false);
    expect(viaIp.failed?.error).toMatch(/Cannot find device "nope0"/);
  });

  it('deletes a leaf (its link, then its owned namespace) leaving nothing: pins, uid, host port', async () => {
    expect((await executeEither(star())).ok).toBe(true);
    const uid = await ownedNamespaceUid(LEAF);
    expect(uid).toBeDefined();
    const r = await executeEither([unlink(LEAF, 'eth0'), netnsDel(LEAF)]);
    expect(r.failed).toBeUndefined();
    expect(await listNamespaces(P)).toEqual([HOST]);
    expect(isOwnedNamespace(LEAF)).toBe(false);
    expect(existsSync(`/run/netns/${LEAF}`)).toBe(false);
    expect(readdirSync('/run/patchbay/uids')).not.toContain(String(uid));
    expect(await links(HOST)).toEqual(['br0', 'lo']);
    // made again under the same name, as the next apply of an add would
    expect((await executeEither([{ ...netnsAdd(LEAF), owned: true }, ...star().slice(3)])).failed).toBeUndefined();
    expect(await links(LEAF)).toEqual(['eth0', 'lo']);
  });

  it('deletes owned namespaces in the executor itself, a missing one counting as deleted (as nsowner.py)', async () => {
    const other = `${P}other`;
    expect(
      (
        await executeEither([
          { ...netnsAdd(LEAF), owned: true },
          { ...netnsAdd(other), owned: true },
        ])
      ).ok,
    ).toBe(true);
    const uids = [await ownedNamespaceUid(LEAF), await ownedNamespaceUid(other)];
    expect(await deleteOwnedNamespacesViaNetlink([LEAF, other, `${P}never`])).toEqual([
      { name: LEAF, ok: true },
      { name: other, ok: true },
      { name: `${P}never`, ok: true },
    ]);
    expect(await listNamespaces(P)).toEqual([]);
    for (const uid of uids) expect(readdirSync('/run/patchbay/uids')).not.toContain(String(uid));
    expect(isOwnedNamespace(LEAF) || isOwnedNamespace(other)).toBe(false);
  });

  // A `link del` leaves a thread in the executor for the kernel's RCU barrier (~40 ms). Owned
  // namespaces made meanwhile used a raw clone() in a process with that thread alive: when the
  // thread woke holding the GIL's mutex at the instant of the clone, the new namespace's first
  // process waited for that mutex forever and the add hung for the executor's 30 s (seen in CI).
  it('makes owned namespaces right after a link del, again and again, without hanging', async () => {
    const names = Array.from({ length: 24 }, (_, i) => `${P}o${i}`);
    let finished = false;
    // one executor: the link del's thread and the clones in the same process, as on a 1-core host
    await closeNetlinkExecutor();
    process.env['PATCHBAY_NLEXEC_WORKERS'] = '1';
    try {
      expect((await executeEither([netnsAdd(HOST)])).ok).toBe(true);
      for (let round = 0; round < 40; round++) {
        const add = await runBatchViaNetlink(HOST, 'link add va type veth peer name vb\n', false);
        expect(add).toEqual({ kind: 'ran', done: 1 });
        expect(await runBatchViaNetlink(HOST, 'link del dev va\n', false)).toEqual({ kind: 'ran', done: 1 });
        const made = await addNamespacesViaNetlink(names, true);
        expect(made?.filter((r) => !r.ok)).toEqual([]);
        expect((await deleteOwnedNamespacesViaNetlink(names))?.every((r) => r.ok)).toBe(true);
      }
      finished = true;
    } finally {
      // A hung executor would hold every later request: stopping it ends its children too.
      delete process.env['PATCHBAY_NLEXEC_WORKERS'];
      if (!finished) await closeNetlinkExecutor();
    }
  }, 120_000);
});
