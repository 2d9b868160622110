// `why` on the real kernel, one small lab per reason of layer 3 and above: no-route (none; a
// blackhole and an unreachable route), forwarding-off, filtered (the lab's forwardPolicy: drop; a
// DROP rule a student added), no-listener (tcp and udp; reachable when nc listens), rp-filter and
// unknown (a routing loop). Prefix pbwr2-; every lab and listener goes in afterEach.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testEngine, type TestEngine } from '../test-support.js';
import { explainPath } from './explain.js';
import {
  applyLab,
  expectBlocked,
  expectExplained,
  expectPing,
  inNode,
  labOf,
  listen,
  pathOf,
} from './why-test-support.js';

let t: TestEngine;
let stops: (() => Promise<void>)[] = [];
beforeEach(() => {
  t = testEngine('pbwr2-');
  stops = [];
});
afterEach(async () => {
  for (const stop of stops) await stop();
  await t.cleanup();
}, 60_000);

/** a — r — b, r a router; `rNode` replaces r's node line. */
const chain = (rNode = 'r: { kind: router }') => `
name: chain
nodes:
  a: { kind: netns, routes: [{ to: default, via: 10.8.1.1 }] }
  ${rNode}
  b: { kind: netns, routes: [{ to: default, via: 10.8.2.1 }] }
links:
  - a: { node: a, interface: eth0, addresses: [10.8.1.10/24] }
    b: { node: r, interface: eth0, addresses: [10.8.1.1/24] }
  - a: { node: r, interface: eth1, addresses: [10.8.2.1/24] }
    b: { node: b, interface: eth0, addresses: [10.8.2.20/24] }
`;

describe('why: no-route', () => {
  it('no route at all: the sender, with the gateway it could use', async () => {
    await applyLab(
      t,
      labOf(chain().replace('a: { kind: netns, routes: [{ to: default, via: 10.8.1.1 }] }', 'a: { kind: netns }')),
    );
    const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'a', reason: 'no-route' });
    expect(b.detail).toMatch(/Network is unreachable/);
    expect(b.fix).toMatch(/routes: \[\{ to: default, via: 10\.8\.1\.1 \}\]/);
    expect(pathOf(r.forward)).toEqual(['a:drop']);
  });

  it.each([['blackhole'], ['unreachable']])('a %s route on the router: the router names it', async (type) => {
    const lab = await applyLab(t, labOf(chain()));
    await inNode(t, lab, 'r', ['ip', 'route', 'add', type, '10.8.2.20/32']);
    const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'r', reason: 'no-route', interface: 'eth0' });
    expect(b.detail).toContain(`${type} 10.8.2.20`);
    expect(b.fix).toMatch(new RegExp(`route del ${type} 10\\.8\\.2\\.20`));
    expect(pathOf(r.forward)).toEqual(['a:send[>eth0]', 'r:drop[eth0>]']);
    await expectPing(t, lab, 'a', '10.8.2.20', false);
  });
});

describe('why: forwarding-off', () => {
  it('a router with forwarding false: the router and the interface it came in on', async () => {
    const lab = await applyLab(t, labOf(chain('r: { kind: router, forwarding: false }')));
    const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'r', reason: 'forwarding-off', interface: 'eth0' });
    expect(b.fix).toMatch(/forwarding: true/);
    expect(b.fix).toMatch(/sysctl -w net\.ipv4\.ip_forward=1/);
    await expectPing(t, lab, 'a', '10.8.2.20', false);
  });
});

describe('why: filtered', () => {
  it('forwardPolicy: drop in the lab file: the FORWARD policy, no rule', async () => {
    await applyLab(t, labOf(chain('r: { kind: router, forwardPolicy: drop }')));
    const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', proto: 'tcp', port: 80, probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'r', reason: 'filtered', interface: 'eth0' });
    expect(b.rule).toEqual({ table: 'filter', chain: 'FORWARD' });
    expect(b.detail).toMatch(/policy .* DROP/);
    expect(b.fix).toMatch(/iptables -A FORWARD -i eth0 -o eth1 -j ACCEPT/);
    expect(b.fix).toMatch(/forwardPolicy: accept/);
  });

  it('a DROP rule a student added with iptables: its table, chain and rule', async () => {
    const lab = await applyLab(t, labOf(chain()));
    await inNode(t, lab, 'r', ['iptables', '-A', 'FORWARD', '-i', 'eth0', '-p', 'icmp', '-j', 'DROP']);
    const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'r', reason: 'filtered', interface: 'eth0' });
    expect(b.rule).toEqual({ table: 'filter', chain: 'FORWARD', rule: '-A FORWARD -i eth0 -p icmp -j DROP' });
    expect(b.fix).toMatch(/iptables -t filter -D FORWARD -i eth0 -p icmp -j DROP/);
    // tcp is not what the rule drops
    const stop = await listen(t, lab, 'b', 'tcp', 8080);
    stops.push(stop);
    const tcp = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', proto: 'tcp', port: 8080, probe: false });
    expect(tcp.reachable, JSON.stringify(tcp.blocked)).toBe(true);
  });

  it("a rule in a user chain on the reply's way: the reverse direction names it", async () => {
    const lab = await applyLab(t, labOf(chain()));
    await inNode(t, lab, 'r', ['iptables', '-N', 'GUARD']);
    await inNode(t, lab, 'r', ['iptables', '-A', 'GUARD', '-s', '10.8.2.0/24', '-j', 'DROP']);
    await inNode(t, lab, 'r', ['iptables', '-A', 'FORWARD', '-i', 'eth1', '-j', 'GUARD']);
    const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', probe: false });
    const b = expectBlocked(r, { direction: 'reverse', node: 'r', reason: 'filtered', interface: 'eth1' });
    expect(b.rule).toEqual({ table: 'filter', chain: 'GUARD', rule: '-A GUARD -s 10.8.2.0/24 -j DROP' });
    expect(pathOf(r.reverse)).toEqual(['b:send[>eth0]', 'r:drop[eth1>]']);
    expect(r.reverse.at(-1)!.detail).toMatch(/the reply/);
  });
});

describe('why: filtered, more places', () => {
  it('a REJECT on the destination INPUT chain: the destination, table filter, chain INPUT', async () => {
    const lab = await applyLab(t, labOf(chain()));
    await inNode(t, lab, 'b', ['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'REJECT']);
    const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', proto: 'tcp', port: 22, probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'b', reason: 'filtered', interface: 'eth0' });
    expect(b.rule).toEqual({
      table: 'filter',
      chain: 'INPUT',
      rule: '-A INPUT -p tcp -m tcp --dport 22 -j REJECT --reject-with icmp-port-unreachable',
    });
  });

  it('a DROP policy with a rule for the request only: the reply dies, named on its way in', async () => {
    const lab = await applyLab(t, labOf(chain('r: { kind: router, forwardPolicy: drop }')));
    await inNode(t, lab, 'r', ['iptables', '-A', 'FORWARD', '-i', 'eth0', '-o', 'eth1', '-j', 'ACCEPT']);
    const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', probe: false });
    const b = expectBlocked(r, { direction: 'reverse', node: 'r', reason: 'filtered', interface: 'eth1' });
    expect(b.rule).toEqual({ table: 'filter', chain: 'FORWARD' });
    expect(b.fix).toMatch(/iptables -A FORWARD -i eth1 -o eth0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT/);
    // the request's hop says which rule let it through the DROP policy
    expect(r.forward.find((h) => h.node === 'r')!.detail).toMatch(
      /accepts it \(`-A FORWARD -i eth0 -o eth1 -j ACCEPT`/,
    );
    expect(pathOf(r.reverse)).toEqual(['b:send[>eth0]', 'r:drop[eth1>]']);
    await expectPing(t, lab, 'a', '10.8.2.20', false);
  });
});

describe('why: no-listener', () => {
  it.each([['tcp' as const], ['udp' as const]])(
    '%s to a port nothing listens on, then reachable when nc listens',
    async (proto) => {
      const lab = await applyLab(t, labOf(chain()));
      const r = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', proto, port: 9090, probe: false });
      const b = expectBlocked(r, { direction: 'forward', node: 'b', reason: 'no-listener' });
      expect(pathOf(r.forward).at(-1)).toBe('b:drop[eth0>]');
      expect(b.detail).toContain(`${proto} port 9090`);
      expect(b.fix).toMatch(/nc -l/);
      stops.push(await listen(t, lab, 'b', proto, 9090));
      const ok = await explainPath(t.engine, 'chain', { from: 'a', to: 'b', proto, port: 9090, probe: false });
      expect(ok.reachable, JSON.stringify(ok.blocked)).toBe(true);
      expect(pathOf(ok.forward)).toEqual(['a:send[>eth0]', 'r:route[eth0>eth1]', 'b:deliver[eth0>]']);
      expect(pathOf(ok.reverse)).toEqual(['b:send[>eth0]', 'r:route[eth1>eth0]', 'a:deliver[eth0>]']);
      expectExplained(ok);
    },
  );
});

describe('why: rp-filter', () => {
  it('rp_filter=1 and an asymmetric route: the receiver drops it where it came in', async () => {
    // a reaches b through r, but b routes a's subnet back over a direct link: strict rp_filter drops.
    const yaml = `
name: asym
nodes:
  a: { kind: netns, routes: [{ to: 10.8.2.0/24, via: 10.8.1.1 }] }
  r: { kind: router }
  b: { kind: netns, routes: [{ to: 10.8.1.0/24, via: 10.8.3.10 }] }
links:
  - a: { node: a, interface: eth0, addresses: [10.8.1.10/24] }
    b: { node: r, interface: eth0, addresses: [10.8.1.1/24] }
  - a: { node: r, interface: eth1, addresses: [10.8.2.1/24] }
    b: { node: b, interface: eth0, addresses: [10.8.2.20/24] }
  - a: { node: a, interface: eth1, addresses: [10.8.3.10/24] }
    b: { node: b, interface: eth1, addresses: [10.8.3.20/24] }
`;
    const lab = await applyLab(t, labOf(yaml));
    await inNode(t, lab, 'b', ['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=1', 'net.ipv4.conf.eth0.rp_filter=1']);
    const r = await explainPath(t.engine, 'asym', { from: 'a', to: '10.8.2.20', probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'b', reason: 'rp-filter', interface: 'eth0' });
    expect(b.detail).toMatch(/leaves by eth1/);
    expect(pathOf(r.forward)).toEqual(['a:send[>eth0]', 'r:route[eth0>eth1]', 'b:drop[eth0>]']);
    await expectPing(t, lab, 'a', '10.8.2.20', false);
    // loose mode lets it in
    await inNode(t, lab, 'b', ['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=2', 'net.ipv4.conf.eth0.rp_filter=2']);
    const loose = await explainPath(t.engine, 'asym', { from: 'a', to: '10.8.2.20', probe: false });
    expect(loose.reachable, JSON.stringify(loose.blocked)).toBe(true);
    await expectPing(t, lab, 'a', '10.8.2.20', true);
  });
});

describe('why: unknown', () => {
  it('a routing loop: named as one, with the nodes that pass it round', async () => {
    const yaml = `
name: loop
nodes:
  a: { kind: netns, routes: [{ to: default, via: 10.8.1.1 }] }
  r1: { kind: router, routes: [{ to: 10.99.0.0/16, via: 10.8.5.2 }] }
  r2: { kind: router, routes: [{ to: 10.99.0.0/16, via: 10.8.5.1 }] }
links:
  - a: { node: a, interface: eth0, addresses: [10.8.1.10/24] }
    b: { node: r1, interface: eth0, addresses: [10.8.1.1/24] }
  - a: { node: r1, interface: eth1, addresses: [10.8.5.1/24] }
    b: { node: r2, interface: eth0, addresses: [10.8.5.2/24] }
`;
    await applyLab(t, labOf(yaml));
    const r = await explainPath(t.engine, 'loop', { from: 'a', to: '10.99.1.1', probe: false });
    const b = expectBlocked(r, { direction: 'forward', node: 'r1', reason: 'unknown' });
    expect(b.detail).toMatch(/routing loop: r1 → r2 → r1/);
    expect(pathOf(r.forward)).toEqual([
      'a:send[>eth0]',
      'r1:route[eth0>eth1]',
      'r2:route[eth0>eth0]',
      'r1:drop[eth1>]',
    ]);
  });
});
