// `why` on the real kernel, one small lab per reason of layer 2 and the link: link-down (an
// interface taken down; a veth whose peer is down), bridge-port-down (a port down; a port not in
// hairpin mode that a DNATed frame must go back out of), no-neighbour, no-fdb-remote
// (a VXLAN remote deleted with `bridge fdb del`) and mtu (with and without don't-fragment).
// Prefix pbwr1-; every lab goes in afterEach, whatever happened.
import { execInNamespace } from '@patchbay/kernel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleLab, testEngine, type TestEngine } from '../test-support.js';
import { explainPath } from './explain.js';
import { applyLab, expectBlocked, expectExplained, inNode, labOf, nsOf, pathOf } from './why-test-support.js';

let t: TestEngine;
beforeEach(() => {
  t = testEngine('pbwr1-');
});
afterEach(async () => {
  await t.cleanup();
}, 60_000);

const PAIR = `
name: pair
nodes:
  a: { kind: netns }
  b: { kind: netns }
links:
  - a: { node: a, interface: eth0, addresses: [10.7.0.1/24] }
    b: { node: b, interface: eth0, addresses: [10.7.0.2/24] }
`;

const CHAIN = `
name: chain
nodes:
  a: { kind: netns, routes: [{ to: default, via: 10.7.1.1 }] }
  r: { kind: router }
  b: { kind: netns, routes: [{ to: default, via: 10.7.2.1 }] }
links:
  - a: { node: a, interface: eth0, addresses: [10.7.1.10/24] }
    b: { node: r, interface: eth0, addresses: [10.7.1.1/24] }
  - a: { node: r, interface: eth1, addresses: [10.7.2.1/24] }
    b: { node: b, interface: eth0, addresses: [10.7.2.20/24] }
    mtu: 1400
`;

describe('why: link-down', () => {
  it('an interface the student took down: its own node and interface', async () => {
    const lab = await applyLab(t, labOf(PAIR));
    await inNode(t, lab, 'a', ['ip', 'link', 'set', 'eth0', 'down']);
    const r = await explainPath(t.engine, 'pair', { from: 'a', to: 'b', probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'a', reason: 'link-down', interface: 'eth0' });
    expect(b.fix).toMatch(/link set eth0 up/);
    expect(r.forward.at(-1)?.out).toBe('eth0');
  });

  it("a veth whose peer is down: the peer's node, where the frame dies", async () => {
    const yaml = PAIR.replace('addresses: [10.7.0.2/24] }', 'addresses: [10.7.0.2/24], up: false }');
    await applyLab(t, labOf(yaml));
    const r = await explainPath(t.engine, 'pair', { from: 'a', to: '10.7.0.2', probe: false });
    expectBlocked(r, { direction: 'forward', node: 'b', reason: 'link-down', interface: 'eth0' });
    expect(pathOf(r.forward)).toEqual(['a:send[>eth0]', 'b:drop[eth0>]']);
  });
});

describe('why: bridge-port-down', () => {
  it("a bridge port set down on the bridge's host: the bridge and its port", async () => {
    const lab = await applyLab(t, exampleLab('two-containers.yaml'));
    await inNode(t, lab, 'br0', ['ip', 'link', 'set', 'veth-db-br', 'down']);
    const r = await explainPath(t.engine, 'two-containers', { from: 'ns-web', to: 'ns-db', probe: false });
    const b = expectBlocked(r, {
      direction: 'forward',
      node: 'br0',
      reason: 'bridge-port-down',
      interface: 'veth-db-br',
    });
    expect(b.fix).toMatch(/veth-db-br up/);
    expect(pathOf(r.forward).slice(0, 2)).toEqual(['ns-web:send[>veth-web]', 'br0:switch[veth-web-br>veth-db-br]']);
  });
});

// A port forward on a bridge's host to a container behind that bridge, asked from the container
// itself: br_netfilter bridges the DNATed frame back towards the port it came in by.
const HAIRPIN = `
name: hairpin
nodes:
  # The masquerade, as Docker's: a packet from a's own address would arrive at a as a martian.
  host:
    kind: host
    portForwards: [{ proto: tcp, port: 8080, to: "10.7.5.2:80" }]
    nat: [{ masquerade: 10.7.5.0/24, out: br0 }]
  br0: { kind: bridge, host: host, addresses: [10.7.5.1/24] }
  a: { kind: netns, routes: [{ to: default, via: 10.7.5.1 }] }
links:
  - a: { node: a, interface: eth0, addresses: [10.7.5.2/24] }
    b: { node: br0, interface: veth-a }
`;

describe('why: bridge-port-down, a port not in hairpin mode', () => {
  it('a container to its own published port: the frame is bridged back out of its port, only in hairpin mode', async () => {
    const lab = await applyLab(t, labOf(HAIRPIN));
    const q = { from: 'a', to: '10.7.5.1', proto: 'tcp', port: 8080 } as const;
    const r = await explainPath(t.engine, 'hairpin', { ...q, probe: true });
    const b = expectBlocked(r, { direction: 'forward', node: 'br0', reason: 'bridge-port-down', interface: 'veth-a' });
    expect(b.detail).toMatch(/port veth-a of bridge br0 is not in hairpin mode/);
    expect(b.fix).toMatch(/link set dev veth-a hairpin on/);
    expect(r.probe?.agrees, JSON.stringify(r.probe)).toBe(true);

    await inNode(t, lab, 'br0', ['bridge', 'link', 'set', 'dev', 'veth-a', 'hairpin', 'on']);
    // Across the hairpin now: the frame reaches a, where nothing listens on 80.
    const after = await explainPath(t.engine, 'hairpin', { ...q, probe: false });
    expectBlocked(after, { direction: 'forward', node: 'a', reason: 'no-listener' });
    expect(pathOf(after.forward).at(-2)).toBe('br0:switch[veth-a>veth-a]');
    expect(after.forward.at(-2)!.detail).toMatch(/port veth-a is in hairpin mode/);
  });
});

describe('why: a bridge taken down', () => {
  it('the bridge device itself down: link-down at the bridge', async () => {
    const lab = await applyLab(t, exampleLab('two-containers.yaml'));
    await inNode(t, lab, 'br0', ['ip', 'link', 'set', 'br0', 'down']);
    const r = await explainPath(t.engine, 'two-containers', { from: 'ns-web', to: 'ns-db', probe: false });
    expectBlocked(r, { direction: 'forward', node: 'br0', reason: 'link-down', interface: 'br0' });
  });
});

describe('why: no-neighbour', () => {
  it('a gateway address nobody holds on the segment: the sender, asking in vain', async () => {
    const yaml = PAIR.replace('a: { kind: netns }', 'a: { kind: netns, routes: [{ to: default, via: 10.7.0.99 }] }');
    await applyLab(t, labOf(yaml));
    const r = await explainPath(t.engine, 'pair', { from: 'a', to: '198.51.100.7', probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'a', reason: 'no-neighbour', interface: 'eth0' });
    expect(b.detail).toMatch(/who has 10\.7\.0\.99/);
    expect(b.detail).toMatch(/no interface of the lab holds/);
    expect(r.forward[0]).toMatchObject({
      node: 'a',
      action: 'send',
      out: 'eth0',
      src: '10.7.0.1',
      dst: '198.51.100.7',
    });
    expect(r.forward[0]!.detail).toMatch(/via 10\.7\.0\.99/);
  });
});

describe('why: no-fdb-remote', () => {
  it("a VXLAN overlay whose remote was deleted with bridge fdb del: the VTEP's bridge", async () => {
    const lab = await applyLab(t, exampleLab('vxlan-two-hosts.yaml'));
    await inNode(t, lab, 'host-a', ['bridge', 'fdb', 'del', '00:00:00:00:00:00', 'dev', 'ov42', 'dst', '192.168.1.11']);
    const r = await explainPath(t.engine, 'vxlan-two-hosts', { from: 'c1', to: 'c2', probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'br-a', reason: 'no-fdb-remote', interface: 'ov42' });
    expect(b.fix).toMatch(/bridge -n \S+ fdb append 00:00:00:00:00:00 dev ov42/);
    expect(pathOf(r.forward)).toEqual(['c1:send[>eth0]', 'br-a:switch[veth-c1>ov42]', 'br-a:drop[>ov42]']);
  });
});

describe('why: mtu', () => {
  it('a full-size frame into a VXLAN port (MTU 1450 for the 50 bytes of VXLAN): the bridge drops it', async () => {
    const lab = await applyLab(t, exampleLab('vxlan-two-hosts.yaml'));
    const r = await explainPath(t.engine, 'vxlan-two-hosts', { from: 'c1', to: 'c2', size: 1500, probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'br-a', reason: 'mtu', interface: 'ov42' });
    expect(b.detail).toMatch(/MTU is 1450/);
    const fits = await explainPath(t.engine, 'vxlan-two-hosts', { from: 'c1', to: 'c2', size: 1450, probe: false });
    expect(fits.reachable, JSON.stringify(fits.blocked)).toBe(true);
    // the kernel agrees: a real ping of each size
    const pingOf = (size: number) =>
      execInNamespace(
        nsOf(t, lab, 'c1'),
        ['ping', '-n', '-c', '2', '-i', '0.2', '-w', '2', '-s', String(size - 28), '10.1.0.3'],
        { stdio: 'pipe' },
      );
    expect((await pingOf(1450)).code).toBe(0);
    expect((await pingOf(1500)).code).not.toBe(0);
  });

  it("a link with a small MTU and don't-fragment: the router whose way out is too small", async () => {
    await applyLab(t, labOf(CHAIN));
    const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', size: 1500, df: true, probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'r', reason: 'mtu', interface: 'eth1' });
    expect(b.detail).toMatch(/1500 bytes/);
    expect(b.detail).toMatch(/MTU 1400/);
    expect(pathOf(r.forward)).toEqual(['a:send[>eth0]', 'r:drop[>eth1]']);
  });

  it('without df the router fragments it: reachable, the hop says so', async () => {
    await applyLab(t, labOf(CHAIN));
    const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', size: 1500, probe: false });
    expect(r.reachable, JSON.stringify(r.blocked)).toBe(true);
    const hop = r.forward.find((h) => h.node === 'r' && h.action === 'route')!;
    expect(hop.detail).toMatch(/fragmented/);
    expect(pathOf(r.forward)).toEqual(['a:send[>eth0]', 'r:route[eth0>eth1]', 'b:deliver[eth0>]']);
    expectExplained(r);
  });

  it("an MTU that differs between a link's ends drops big packets where they arrive, with or without df", async () => {
    const lab = await applyLab(t, labOf(CHAIN.replace('    mtu: 1400\n', '')));
    await inNode(t, lab, 'b', ['ip', 'link', 'set', 'eth0', 'mtu', '1400']);
    for (const df of [true, false]) {
      const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', size: 1500, df, probe: false });
      expectBlocked(r, { direction: 'forward', node: 'b', reason: 'mtu', interface: 'eth0' });
    }
    // 1404 bytes still pass a veth of MTU 1400 (room for a VLAN tag), 1405 do not.
    const fits = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', size: 1404, df: true, probe: false });
    expect(fits.reachable, JSON.stringify(fits.blocked)).toBe(true);
    const over = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', size: 1405, df: true, probe: false });
    expectBlocked(over, { direction: 'forward', node: 'b', reason: 'mtu', interface: 'eth0' });
    // the kernel agrees: real pings of 1404 and 1405 bytes with don't-fragment
    const pingOf = (size: number) =>
      execInNamespace(
        nsOf(t, lab, 'a'),
        ['ping', '-n', '-M', 'do', '-c', '2', '-i', '0.2', '-w', '2', '-s', String(size - 28), '10.7.2.20'],
        { stdio: 'pipe' },
      );
    expect((await pingOf(1404)).code).toBe(0);
    expect((await pingOf(1405)).code).not.toBe(0);
  });
});
