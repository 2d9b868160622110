// macvlans on the real kernel (prefix pbmvk-): the example lab's containers in bridge mode reach
// each other and the LAN, the host cannot reach them through its own parent interface until it has
// a macvlan of its own (the shim); private mode keeps siblings apart; a changed mode re-creates the
// macvlans and nothing else; vepa siblings meet only through a switch port in hairpin mode; destroy
// leaves nothing, in the machine's own namespace either.
import { afterEach, describe, expect, it } from 'vitest';
import { listNamespaces } from '@patchbay/kernel';
import type { Lab } from '@patchbay/topology';
import { exampleLab, namespaceInode, ping, rootSnapshot, testEngine, type TestEngine } from './test-support.js';
import { labState } from './lab-state.js';
import { explainPath } from './why/explain.js';

/** `patchbay why` without the probe: the walk alone, from the live kernel. */
const why = (lab: string, from: string, to: string) => explainPath(t!.engine, lab, { from, to, probe: false });

const PREFIX = 'pbmvk-';
const ns = (lab: string, node: string) => `${PREFIX}${lab}.${node}`;

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

/** The example without the host's shim (and its route): the "host cannot reach them" state. */
function withoutShim(lab: Lab): Lab {
  return {
    ...lab,
    nodes: { ...lab.nodes, host: { kind: 'host' } },
    macvlans: (lab.macvlans ?? []).filter((m) => m.interface !== 'shim'),
  };
}

describe('macvlan example on the real kernel', () => {
  it('bridge mode, the host shim, private mode, and destroy', async () => {
    const before = await rootSnapshot();
    t = testEngine(PREFIX);
    const full = exampleLab('macvlan.yaml');
    const first = await t.engine.apply(withoutShim(full));
    expect(first.drift).toEqual([]);
    expect(first.ops.filter((o) => o.phase === 'macvlan').map((o) => o.args.join(' '))).toEqual([
      `link add link eth0 name eth0 netns ${ns('macvlan', 'c1')} type macvlan mode bridge`,
      `link add link eth0 name eth0 netns ${ns('macvlan', 'c2')} type macvlan mode bridge`,
    ]);
    const c1 = ns('macvlan', 'c1');
    const host = ns('macvlan', 'host');
    const lan = ns('macvlan', 'lan');
    expect(await ping(c1, '192.168.50.11')).toBe(true); // bridge mode: siblings talk directly
    expect(await ping(lan, '192.168.50.10')).toBe(true); // the LAN reaches them
    expect(await ping(host, '192.168.50.10')).toBe(false); // never through their own parent
    // The walk says the same, and why.
    expect((await why('macvlan', 'c1', 'c2')).reachable).toBe(true);
    const parent = await why('macvlan', 'host', 'c1');
    expect(parent.reachable).toBe(false);
    expect(parent.blocked).toMatchObject({ node: 'host', interface: 'eth0', reason: 'no-neighbour' });
    expect(parent.blocked!.fix).toContain('a macvlan of its own on eth0');

    // The fix: a macvlan on the host itself, and a route to the containers through it.
    const shim = await t.engine.apply(full);
    expect(shim.drift).toEqual([]);
    expect(shim.ops.filter((o) => o.phase === 'macvlan').map((o) => o.args.join(' '))).toEqual([
      'link add link eth0 name shim type macvlan mode bridge',
    ]);
    expect(await ping(host, '192.168.50.10')).toBe(true);
    expect(await ping(host, '192.168.50.11')).toBe(true);
    expect((await why('macvlan', 'host', 'c1')).reachable).toBe(true);
    // The state view (the tables' source): kind macvlan, its mode and its parent in lab names.
    const view = await labState(t.engine, 'macvlan');
    const shimView = view.nodes.find((n) => n.node === 'host')!.interfaces.find((i) => i.name === 'shim');
    expect(shimView).toMatchObject({ kind: 'macvlan', macvlan: { mode: 'bridge', parent: 'host/eth0' } });
    expect(view.nodes.find((n) => n.node === 'c1')!.interfaces.find((i) => i.name === 'eth0')?.macvlan).toEqual({
      mode: 'bridge',
      parent: 'host/eth0',
    });
    expect((await t.engine.apply(full)).ops).toEqual([]);

    // private: each macvlan is deleted and made again (the kernel fixes the mode at creation); the
    // namespaces and the parent stay.
    const inodes = await Promise.all([c1, host].map(namespaceInode));
    const privateLab: Lab = {
      ...full,
      macvlans: full.macvlans!.map((m) => (m.node === 'c1' || m.node === 'c2' ? { ...m, mode: 'private' } : m)),
    };
    const priv = await t.engine.apply(privateLab);
    expect(priv.drift).toEqual([]);
    expect(priv.ops.filter((o) => o.phase === 'unmacvlan').map((o) => `${o.ns} ${o.args.join(' ')}`)).toEqual([
      `${c1} link del dev eth0`,
      `${ns('macvlan', 'c2')} link del dev eth0`,
    ]);
    expect(priv.ops.filter((o) => o.phase === 'macvlan').map((o) => o.args.at(-1))).toEqual(['private', 'private']);
    expect(priv.ops.some((o) => o.phase === 'unlink' || o.phase === 'link')).toBe(false);
    expect(await Promise.all([c1, host].map(namespaceInode))).toEqual(inodes);
    expect(await ping(c1, '192.168.50.11')).toBe(false);
    expect((await why('macvlan', 'c1', 'c2')).blocked?.detail).toContain('private');
    expect(await ping(lan, '192.168.50.10')).toBe(true);
    expect((await why('macvlan', 'lan', 'c1')).reachable).toBe(true);
    expect((await t.engine.apply(privateLab)).ops).toEqual([]);

    await t.engine.destroy('macvlan');
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await rootSnapshot()).toBe(before);
  });
});

function vepaLab(hairpin: boolean): Lab {
  return {
    name: 'vepa',
    nodes: {
      h1: { kind: 'host' },
      sw: { kind: 'bridge', host: 'h1' },
      h2: { kind: 'host' },
      c1: { kind: 'netns' },
      c2: { kind: 'netns' },
    },
    links: [
      {
        a: { node: 'h2', interface: 'eth0' },
        b: { node: 'sw', interface: 'p-h2', ...(hairpin ? { bridgePort: { hairpin: true } } : {}) },
      },
    ],
    macvlans: ['c1', 'c2'].map((c, i) => ({
      node: c,
      interface: 'eth0',
      parent: { node: 'h2', interface: 'eth0' },
      mode: 'vepa' as const,
      addresses: [`10.77.0.${i + 1}/24`],
    })),
  };
}

describe('vepa and hairpin on the real kernel', () => {
  it('vepa siblings meet only through a switch port in hairpin mode; the flag changes in place', async () => {
    t = testEngine(PREFIX);
    expect((await t.engine.apply(vepaLab(false))).drift).toEqual([]);
    const c1 = ns('vepa', 'c1');
    expect(await ping(c1, '10.77.0.2')).toBe(false); // out to the switch, which never sends a frame back where it came from
    const blocked = await why('vepa', 'c1', 'c2');
    expect(blocked.blocked).toMatchObject({ node: 'h1', interface: 'p-h2' });
    expect(blocked.blocked!.fix).toContain('hairpin on');

    const inode = await namespaceInode(ns('vepa', 'h1'));
    const on = await t.engine.apply(vepaLab(true));
    expect(on.drift).toEqual([]);
    expect(on.ops.map((o) => `${o.ns} ${o.args.join(' ')}`)).toEqual([
      `${ns('vepa', 'h1')} link set dev p-h2 type bridge_slave hairpin on`,
    ]);
    expect(await namespaceInode(ns('vepa', 'h1'))).toBe(inode);
    // (c1's neighbour entry for c2 failed while hairpin was off: ARP starts again, give it time)
    expect(await ping(c1, '10.77.0.2', 1, 3)).toBe(true);
    expect((await why('vepa', 'c1', 'c2')).reachable).toBe(true);
    expect((await t.engine.apply(vepaLab(true))).ops).toEqual([]);
  });
});
