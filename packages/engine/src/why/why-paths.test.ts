// `why` on reachable paths, hop by hop on the real kernel: the examples (routed pods, two containers
// on a bridge, Docker's NAT with translated addresses and the reply translated back, VXLAN through
// the underlay), a 3-router chain, a port forward (DNAT), the `nat` reason in both of its cases, and
// an 8-router chain walked well under 500 ms without changing anything in the lab.
// Prefix pbwr3-; every lab and listener goes in afterEach.
import { run } from '@patchbay/kernel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleLab, testEngine, type TestEngine } from '../test-support.js';
import { explainPath } from './explain.js';
import {
  applyLab,
  expectBlocked,
  expectExplained,
  expectPing,
  inNode,
  labOf,
  listen,
  nsOf,
  pathOf,
  routerChain,
} from './why-test-support.js';

let t: TestEngine;
let stops: (() => Promise<void>)[] = [];
beforeEach(() => {
  t = testEngine('pbwr3-');
  stops = [];
});
afterEach(async () => {
  for (const stop of stops) await stop();
  await t.cleanup();
}, 60_000);

describe('why: reachable paths, hop by hop', () => {
  it('routed-pods: pod to pod through both hosts, proxy ARP for the link-local gateway', async () => {
    const lab = await applyLab(t, exampleLab('routed-pods.yaml'));
    const r = await explainPath(t.engine, 'routed-pods', { from: 'pod-a', to: 'pod-c', probe: false });
    expect(r.reachable, JSON.stringify(r.blocked)).toBe(true);
    expect(r.query).toMatchObject({ src: '10.0.1.2', dst: '10.0.2.2' });
    expect(pathOf(r.forward)).toEqual([
      'pod-a:send[>eth0]',
      'node1:route[cali-a>eth0]',
      'node2:route[eth0>cali-c]',
      'pod-c:deliver[eth0>]',
    ]);
    expect(pathOf(r.reverse)).toEqual([
      'pod-c:send[>eth0]',
      'node2:route[cali-c>eth0]',
      'node1:route[eth0>cali-a]',
      'pod-a:deliver[eth0>]',
    ]);
    expect(r.forward[0]!.detail).toMatch(/via 169\.254\.1\.1/);
    expectExplained(r);
    await expectPing(t, lab, 'pod-a', '10.0.2.2', true);
  });

  it('two-containers: across the bridge and back', async () => {
    await applyLab(t, exampleLab('two-containers.yaml'));
    const r = await explainPath(t.engine, 'two-containers', { from: 'ns-web', to: 'ns-db', probe: false });
    expect(r.reachable, JSON.stringify(r.blocked)).toBe(true);
    expect(pathOf(r.forward)).toEqual([
      'ns-web:send[>veth-web]',
      'br0:switch[veth-web-br>veth-db-br]',
      'ns-db:deliver[veth-db>]',
    ]);
    expect(pathOf(r.reverse)).toEqual([
      'ns-db:send[>veth-db]',
      'br0:switch[veth-db-br>veth-web-br]',
      'ns-web:deliver[veth-web>]',
    ]);
    expect(r.reverse.at(-1)!.detail).toMatch(/the reply reaches ns-web/);
    expectExplained(r);
    // the bridge's own address: delivered to the bridge (its implicit host has no node of its own)
    const gw = await explainPath(t.engine, 'two-containers', { from: 'ns-web', to: '192.168.100.1', probe: false });
    expect(gw.reachable, JSON.stringify(gw.blocked)).toBe(true);
    expect(pathOf(gw.forward)).toEqual(['ns-web:send[>veth-web]', 'br0:switch[veth-web-br>]', 'br0:deliver[br0>]']);
    expect(pathOf(gw.reverse)).toEqual(['br0:send[>br0]', 'br0:switch[>veth-web-br]', 'ns-web:deliver[veth-web>]']);
  });

  it('a 3-router chain, and an 8-router chain walked in well under 500 ms, reading only', async () => {
    await applyLab(t, labOf(routerChain(3)));
    const r = await explainPath(t.engine, 'chain3', { from: 'a', to: 'b', probe: false });
    expect(r.reachable, JSON.stringify(r.blocked)).toBe(true);
    expect(pathOf(r.forward)).toEqual([
      'a:send[>eth0]',
      'r1:route[eth0>eth1]',
      'r2:route[eth0>eth1]',
      'r3:route[eth0>eth1]',
      'b:deliver[eth0>]',
    ]);
    expect(r.reverse.map((h) => h.node)).toEqual(['b', 'r3', 'r2', 'r1', 'a']);
    expectExplained(r);

    const lab8 = await applyLab(t, labOf(routerChain(8)));
    const state = async () => {
      const parts = [];
      for (const node of Object.keys(lab8.nodes)) {
        const ns = nsOf(t, lab8, node);
        for (const args of [
          ['-n', ns, '-br', 'link'],
          ['-n', ns, 'route', 'show', 'table', 'all'],
          ['-n', ns, 'netconf'],
        ])
          parts.push((await run('ip', args)).stdout);
        parts.push((await run('ip', ['netns', 'exec', ns, 'iptables-save'])).stdout.replace(/^#.*$/gm, ''));
      }
      return parts.join('\n');
    };
    const before = await state();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      const r8 = await explainPath(t.engine, 'chain8', { from: 'a', to: 'b', probe: false });
      times.push(performance.now() - start);
      expect(r8.reachable).toBe(true);
      expect(r8.forward).toHaveLength(10);
      expect(r8.reverse).toHaveLength(10);
    }
    times.sort((x, y) => x - y);
    expect(times[2], `median of ${times.map(Math.round).join(', ')} ms`).toBeLessThan(500);
    expect(await state()).toBe(before);
  });
});

describe('why: NAT', () => {
  it('docker-bridge-nat: translated addresses after the masquerade, the reply translated back', async () => {
    const lab = await applyLab(t, exampleLab('docker-bridge-nat.yaml'));
    const r = await explainPath(t.engine, 'docker-bridge', { from: 'a', to: 'upstream', probe: false });
    await expectPing(t, lab, 'a', '203.0.113.1', true);
    expect(r.reachable, JSON.stringify(r.blocked)).toBe(true);
    expect(pathOf(r.forward)).toEqual([
      'a:send[>eth0]',
      'docker0:switch[veth-a>]',
      'host:translate[docker0>eth0]',
      'host:route[docker0>eth0]',
      'upstream:deliver[eth0>]',
    ]);
    const masq = r.forward[2]!;
    expect(masq.detail).toMatch(/^MASQUERADE \(source NAT to the address of eth0\)/);
    expect(masq.detail).toMatch(/172\.17\.0\.2 → 203\.0\.113\.1 becomes 203\.0\.113\.10 → 203\.0\.113\.1/);
    expect(r.forward[0]).toMatchObject({ src: '172.17.0.2', dst: '203.0.113.1' });
    expect(
      r.forward
        .slice(2)
        .filter((h) => h.src)
        .every((h) => h.src === '203.0.113.10'),
    ).toBe(true);
    expect(pathOf(r.reverse)).toEqual([
      'upstream:send[>eth0]',
      'host:translate[eth0>]',
      'host:route[eth0>docker0]',
      'docker0:switch[>veth-a]',
      'a:deliver[eth0>]',
    ]);
    expect(r.reverse[0]).toMatchObject({ src: '203.0.113.1', dst: '203.0.113.10' });
    expect(r.reverse[1]).toMatchObject({ src: '203.0.113.1', dst: '172.17.0.2' });
    expect(r.reverse[1]!.detail).toMatch(/conntrack undoes/);
    expectExplained(r);
  });

  it('nat: the masquerade removed, the reply has no way back — the host that should translate', async () => {
    const lab = await applyLab(t, exampleLab('docker-bridge-nat.yaml'));
    await inNode(t, lab, 'host', ['iptables', '-t', 'nat', '-F', 'POSTROUTING']);
    const r = await explainPath(t.engine, 'docker-bridge', { from: 'a', to: '203.0.113.1', probe: false });
    const b = expectBlocked(r, { direction: 'reverse', node: 'host', reason: 'nat', interface: 'eth0' });
    expect(b.detail).toMatch(/upstream has no route to 172\.17\.0\.2/);
    expect(b.fix).toMatch(/nat: \[\{ masquerade: 172\.17\.0\.0\/16, out: eth0 \}\]/);
    expect(b.fix).toMatch(/iptables -t nat -A POSTROUTING -s 172\.17\.0\.0\/16 -o eth0 -j MASQUERADE/);
    expect(pathOf(r.reverse)).toEqual(['upstream:drop']);
    await expectPing(t, lab, 'a', '203.0.113.1', false);
  });

  const HOME = (to: string) => `
name: home
nodes:
  client: { kind: netns }
  home:
    kind: router
    nat: [{ masquerade: 192.168.0.0/24, out: eth0 }]
    portForwards: [{ proto: tcp, port: 8080, to: "${to}" }]
  nas: { kind: netns, routes: [{ to: default, via: 192.168.0.1 }] }
links:
  - a: { node: client, interface: eth0, addresses: [203.0.113.50/24] }
    b: { node: home, interface: eth0, addresses: [203.0.113.10/24] }
  - a: { node: home, interface: eth1, addresses: [192.168.0.1/24] }
    b: { node: nas, interface: eth0, addresses: [192.168.0.20/24] }
`;

  it('a port forward: the hops after the DNAT go to nas:80, the reply comes back from the public address', async () => {
    const lab = await applyLab(t, labOf(HOME('192.168.0.20:80')));
    stops.push(await listen(t, lab, 'nas', 'tcp', 80));
    const r = await explainPath(t.engine, 'home', {
      from: 'client',
      to: '203.0.113.10',
      proto: 'tcp',
      port: 8080,
      probe: false,
    });
    expect(r.reachable, JSON.stringify(r.blocked)).toBe(true);
    expect(pathOf(r.forward)).toEqual([
      'client:send[>eth0]',
      'home:translate[eth0>]',
      'home:route[eth0>eth1]',
      'nas:deliver[eth0>]',
    ]);
    expect(r.forward[1]!.detail).toMatch(/203\.0\.113\.10:8080 becomes 203\.0\.113\.50 → 192\.168\.0\.20:80/);
    expect(r.forward[2]).toMatchObject({ src: '203.0.113.50', dst: '192.168.0.20' });
    expect(pathOf(r.reverse)).toEqual([
      'nas:send[>eth0]',
      'home:translate[eth1>eth0]',
      'home:route[eth1>eth0]',
      'client:deliver[eth0>]',
    ]);
    expect(r.reverse[1]).toMatchObject({ src: '203.0.113.10', dst: '203.0.113.50' });
    expectExplained(r);
  });

  it('nat: a port forward to an address nobody holds — the node with the DNAT', async () => {
    await applyLab(t, labOf(HOME('192.168.0.99:80')));
    const r = await explainPath(t.engine, 'home', {
      from: 'client',
      to: '203.0.113.10',
      proto: 'tcp',
      port: 8080,
      probe: false,
    });
    const b = expectBlocked(r, { direction: 'forward', node: 'home', reason: 'nat' });
    expect(b.detail).toMatch(/192\.168\.0\.99/);
    expect(b.fix).toMatch(/portForwards/);
  });
});

describe('why: VXLAN', () => {
  it('vxlan-two-hosts: encapsulated at host-a, the underlay walked, decapsulated into br-b', async () => {
    const lab = await applyLab(t, exampleLab('vxlan-two-hosts.yaml'));
    const r = await explainPath(t.engine, 'vxlan-two-hosts', { from: 'c1', to: 'c2', probe: false });
    await expectPing(t, lab, 'c1', '10.1.0.3', true);
    expect(r.reachable, JSON.stringify(r.blocked)).toBe(true);
    expect(pathOf(r.forward)).toEqual([
      'c1:send[>eth0]',
      'br-a:switch[veth-c1>ov42]',
      'br-a:encapsulate[>ov42]',
      'host-a:send[>eth0]',
      'host-b:deliver[eth0>]',
      'br-b:decapsulate[ov42>]',
      'br-b:switch[ov42>veth-c2]',
      'c2:deliver[eth0>]',
    ]);
    expect(r.forward[2]).toMatchObject({ src: '192.168.1.10', dst: '192.168.1.11' });
    expect(r.forward[3]).toMatchObject({ src: '192.168.1.10', dst: '192.168.1.11' });
    expect(r.forward[4]!.detail).toMatch(/udp port 4789/);
    expect(r.reverse.map((h) => h.node)).toEqual(['c2', 'br-b', 'br-b', 'host-b', 'host-a', 'br-a', 'br-a', 'c1']);
    expectExplained(r);
  });
});
