// CNI attachments on the real kernel (prefix pbcnik-): the reference plugins (bridge with host-local
// IPAM, ptp, macvlan) run with the host node's namespace as their own; two containers on the bridge
// plugin's bridge ping each other, a ptp container and a macvlan container are reached; a second
// apply changes nothing (the lab's diff leaves the plugins' objects alone); CHECK passes; removing
// an attachment runs DEL (its interface and IPAM reservation go, the last one takes the bridge);
// destroy leaves nothing: no namespace, no IPAM state, the machine's own namespace unchanged.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listNamespaces, run } from '@patchbay/kernel';
import type { Lab } from '@patchbay/topology';
import { cniDir, cniIpamDir, cniRecords } from './cni-attachments.js';
import { labState } from './lab-state.js';
import { explainPath } from './why/explain.js';
import { ping, rootSnapshot, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbcnik-';
const ns = (node: string) => `${PREFIX}cni.${node}`;

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

const bridgeNet = {
  host: 'node1',
  interface: 'eth0',
  plugin: 'bridge',
  network: 'podnet',
  subnet: '10.88.0.0/24',
  routes: ['0.0.0.0/0'],
} as const;
const LAB: Lab = {
  name: 'cni',
  nodes: {
    node1: { kind: 'host' },
    lan: { kind: 'netns' },
    a: { kind: 'netns', cni: [{ ...bridgeNet, routes: [...bridgeNet.routes] }] },
    b: { kind: 'netns', cni: [{ ...bridgeNet, routes: [...bridgeNet.routes] }] },
    p: {
      kind: 'netns',
      cni: [
        {
          host: 'node1',
          interface: 'eth0',
          plugin: 'ptp',
          network: 'ptpnet',
          subnet: '10.89.0.0/24',
          routes: ['0.0.0.0/0'],
        },
      ],
    },
    m: {
      kind: 'netns',
      cni: [
        {
          host: 'node1',
          interface: 'net1',
          plugin: 'macvlan',
          network: 'lannet',
          subnet: '10.90.0.0/24',
          rangeStart: '10.90.0.10',
          master: 'eth1',
        },
      ],
    },
  },
  links: [
    { a: { node: 'node1', interface: 'eth1' }, b: { node: 'lan', interface: 'eth0', addresses: ['10.90.0.1/24'] } },
  ],
};

const ipOf = (node: string) =>
  cniRecords(ctxOf(), 'cni')
    .find((r) => r.node === node)!
    .result!.ips![0]!.address.split('/')[0]!;
const ctxOf = () => ({ prefix: PREFIX, settings: { dataDir: t!.dataDir, concurrency: 2 } });
const links = async (node: string) => (await run('ip', ['-n', ns(node), '-br', 'link'])).stdout;

describe('CNI reference plugins on the real kernel', () => {
  it('bridge, ptp and macvlan: attach, reach, leave alone, DEL, destroy', async () => {
    const before = await rootSnapshot();
    t = testEngine(PREFIX);
    const first = await t.engine.apply(LAB);
    expect(first.drift).toEqual([]);
    const adds = first.ops.filter((o) => o.phase === 'cni');
    expect(adds.map((o) => `${o.subject.node} ${o.cni!.plugin} ${o.cni!.command}`)).toEqual([
      'a bridge ADD',
      'b bridge ADD',
      'p ptp ADD',
      'm macvlan ADD',
    ]);
    // The plan shows the exact call: the host's namespace for the plugin, the container's as CNI_NETNS.
    expect(adds[0]!.input).toContain(`"dataDir":${JSON.stringify(cniIpamDir(ctxOf(), 'cni'))}`);

    // Two containers on the bridge plugin's bridge reach each other; a reaches p through node1
    // (the bridge's gateway address, ptp's host route); m reaches the LAN through its macvlan.
    expect(await ping(ns('a'), ipOf('b'))).toBe(true);
    expect(await ping(ns('b'), ipOf('a'))).toBe(true);
    expect(await ping(ns('a'), ipOf('p'))).toBe(true);
    expect(await ping(ns('p'), '10.88.0.1')).toBe(true);
    expect(ipOf('m')).toBe('10.90.0.10');
    expect(await ping(ns('m'), '10.90.0.1')).toBe(true);
    expect(await links('node1')).toMatch(/^cni0 /m);
    expect(await links('a')).toMatch(/^eth0@/m);

    // The plugin's work stays: a second apply plans nothing (the diff leaves CNI-made links alone), CHECK is ok.
    expect((await t.engine.apply(LAB)).ops).toEqual([]);
    expect(cniRecords(ctxOf(), 'cni').map((r) => r.check)).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
      { ok: true },
    ]);
    // The lab state carries what was passed and what came back, per node.
    const state = await labState(t.engine, 'cni');
    const aView = state.nodes.find((n) => n.node === 'a')!;
    expect(aView.cni?.[0]).toMatchObject({
      interface: 'eth0',
      plugin: 'bridge',
      config: { type: 'bridge', name: 'podnet' },
    });
    expect(aView.cni?.[0]?.result?.ips?.[0]?.gateway).toBe('10.88.0.1');
    expect(aView.interfaces.some((i) => i.name === 'eth0')).toBe(true); // read like any other interface
    // `why` walks the plugins' links like any other (by address: the lab file gives pods none).
    expect((await explainPath(t.engine, 'cni', { from: 'a', to: ipOf('p'), probe: false })).reachable).toBe(true);

    // Removing b's attachment runs DEL: its interface and its IPAM reservation go, a keeps working.
    const bIp = ipOf('b');
    const withoutB: Lab = { ...LAB, nodes: { ...LAB.nodes, b: { kind: 'netns' } } };
    const del = await t.engine.apply(withoutB);
    expect(del.ops.map((o) => `${o.phase} ${o.subject.node}`)).toEqual(['uncni b']);
    expect(await links('b')).not.toMatch(/eth0/);
    expect(existsSync(join(cniIpamDir(ctxOf(), 'cni'), 'podnet', bIp))).toBe(false);
    expect(await ping(ns('a'), ipOf('p'))).toBe(true);

    // The bridge's last attachment gone: DEL, and the bridge plugin's bridge goes with it.
    const noBridge: Lab = { ...withoutB, nodes: { ...withoutB.nodes, a: { kind: 'netns' } } };
    const last = await t.engine.apply(noBridge);
    expect(last.ops.map((o) => o.cni?.removeBridge)).toEqual(['cni0']);
    expect(await links('node1')).not.toMatch(/cni0/);
    expect((await t.engine.apply(noBridge)).ops).toEqual([]);

    // Destroy: DEL for the rest, every namespace gone, the IPAM state and records gone.
    await t.engine.destroy('cni');
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(existsSync(cniDir(ctxOf(), 'cni'))).toBe(false);
    expect(await rootSnapshot()).toBe(before);
  }, 60_000);

  it("a plugin's error fails the apply with its message; the attachment stays pending until an apply succeeds", async () => {
    t = testEngine(PREFIX);
    // A /30 holds one address besides the gateway: the second pod's ADD finds the pool empty.
    const pod = (n: string) => ({
      kind: 'netns' as const,
      cni: [{ host: 'node1', interface: n, plugin: 'bridge' as const, network: 'tiny', subnet: '10.91.0.0/30' }],
    });
    const tiny: Lab = { name: 'cni', nodes: { node1: { kind: 'host' }, a: pod('eth0'), b: pod('eth0') }, links: [] };
    await expect(t.engine.apply(tiny)).rejects.toThrow(/CNI ADD b eth0 \(bridge\): .*no IP addresses available/);
    const state = await labState(t.engine, 'cni');
    expect(state.nodes.find((n) => n.node === 'a')!.cni![0]!.state).toBe('attached');
    expect(state.nodes.find((n) => n.node === 'b')!.cni![0]!.state).toBe('pending');
    // A bigger pool (a changed attachment: DEL, then ADD) and both are attached. What the failed ADD
    // left in b (the plugin made the veth before IPAM said no) has no record: the lab's diff removes it.
    const wide = (l: Lab): Lab => JSON.parse(JSON.stringify(l).replaceAll('10.91.0.0/30', '10.91.0.0/29')) as Lab;
    const fixed = await t.engine.apply(wide(tiny));
    expect(fixed.ops.map((o) => `${o.phase} ${o.subject.node}`)).toEqual(['uncni a', 'unlink b', 'cni a', 'cni b']);
    expect(cniRecords(ctxOf(), 'cni').map((r) => r.check)).toEqual([{ ok: true }, { ok: true }]);
    await t.engine.destroy('cni');
    expect(existsSync(cniDir(ctxOf(), 'cni'))).toBe(false);
  }, 60_000);
});
