// IPv6 in lab files: addresses, routes (global and link-local gateways, ::/0), the warnings, and
// what compile and plan make of them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { diff } from './diff.js';
import type { Lab } from './model.js';
import { parseLabText } from './parse.js';
import { plan } from './plan.js';
import { checkLab } from './validate.js';

const twoNodes = (aAddrs: string, routes = '[]', bAddrs = '["2001:db8:1::2/64", "fe80::2/64"]'): Lab => {
  const r = parseLabText(`
name: t
nodes:
  a: { kind: netns, routes: ${routes} }
  r: { kind: router }
links:
  - a: { node: a, interface: eth0, addresses: ${aAddrs} }
    b: { node: r, interface: eth0, addresses: ${bAddrs} }
`);
  if (!r.lab) throw new Error(JSON.stringify(r.problems));
  return r.lab;
};
const codes = (l: Lab) => {
  const { problems, warnings } = checkLab(l);
  return [...problems, ...warnings].map((p) => `${p.path} ${p.code}`);
};
const messages = (l: Lab) => checkLab(l).problems.map((p) => p.message);

describe('IPv6 addresses', () => {
  it('takes IPv6 beside IPv4, any text form', () => {
    expect(codes(twoNodes('["10.0.0.1/24", "2001:DB8:1:0::1/64"]'))).toEqual([]);
  });
  it('refuses bad ones with the code IPv4 uses, saying the IPv6 form', () => {
    expect(codes(twoNodes('["2001:db8:1::1/129"]'))).toEqual(['links[0].a.addresses[0] addr.invalid']);
    expect(messages(twoNodes('["2001:db8::1::1/64"]'))[0]).toContain('is not an IPv6 address in CIDR form');
    expect(messages(twoNodes('["ff02::1/64"]'))[0]).toContain('multicast');
    expect(messages(twoNodes('["::1/128"]'))[0]).toContain('loopback');
  });
  it('refuses a duplicate in one namespace, in any spelling; link-local ones may repeat on other links', () => {
    const r = parseLabText(`
name: t
nodes:
  r: { kind: router }
  a: { kind: netns }
  b: { kind: netns }
links:
  - a: { node: r, interface: eth0, addresses: ["2001:db8:1::1/64", "fe80::1/64"] }
    b: { node: a, interface: eth0, addresses: ["2001:db8:1::2/64"] }
  - a: { node: r, interface: eth1, addresses: ["2001:db8:1:0:0:0:0:1/64", "fe80::1/64"] }
    b: { node: b, interface: eth0, addresses: ["2001:db8:2::2/64"] }
`);
    const { problems } = checkLab(r.lab!);
    expect(problems.map((p) => `${p.path} ${p.code}`)).toEqual(['links[1].a.addresses[0] addr.duplicate']);
    expect(problems[0]!.message).toContain('2001:db8:1::1 is already used in r');
  });
  it('warns of two interfaces in one subnet, as for IPv4', () => {
    const r = parseLabText(`
name: t
nodes:
  r: { kind: router }
  a: { kind: netns }
  b: { kind: netns }
links:
  - a: { node: r, interface: eth0, addresses: ["2001:db8:1::1/64", "fe80::1/64"] }
    b: { node: a, interface: eth0, addresses: ["2001:db8:1::2/64"] }
  - a: { node: r, interface: eth1, addresses: ["2001:db8:1::5/64", "fe80::1/64"] }
    b: { node: b, interface: eth0, addresses: ["2001:db8:1::6/64"] }
`);
    expect(checkLab(r.lab!).warnings.map((w) => `${w.path} ${w.code}`)).toEqual([
      'links[1].a.addresses[0] addr.subnet-overlap',
    ]);
  });
  it('warns of a forwarding interface with IPv6 but no link-local address (NDP of forwarded packets)', () => {
    const l = twoNodes('["2001:db8:1::1/64"]', '[]', '["2001:db8:1::2/64"]');
    const { warnings } = checkLab(l);
    expect(warnings.map((w) => `${w.path} ${w.code}`)).toEqual(['links[0].b.addresses[0] addr.no-link-local']);
    expect(warnings[0]!.message).toContain('r forwards IPv6 but eth0 has no link-local address');
  });
});

describe('IPv6 routes', () => {
  const addrs = '["2001:db8:1::1/64", "fe80::1/64"]';
  it('takes a global gateway on a connected subnet, a link-local one with dev, and default beside IPv4 default', () => {
    const routes = `[{ to: default, via: "2001:db8:1::2" }, { to: "2001:db8:9::/64", via: "fe80::2", dev: eth0 }, { to: "2001:db8:8::/64", dev: eth0 }]`;
    expect(codes(twoNodes(addrs, routes))).toEqual([]);
  });
  it('refuses a link-local gateway without dev, and an unknown dev', () => {
    expect(codes(twoNodes(addrs, '[{ to: "2001:db8:9::/64", via: "fe80::2" }]'))).toEqual([
      'nodes.a.routes[0].dev route.link-local-dev',
    ]);
    expect(codes(twoNodes(addrs, '[{ to: "2001:db8:9::/64", via: "fe80::2", dev: eth9 }]'))).toEqual([
      'nodes.a.routes[0].dev ref.unknown',
    ]);
  });
  it('refuses an unreachable global gateway, host bits, mixed families and a repeated ::/0', () => {
    expect(codes(twoNodes(addrs, '[{ to: default, via: "2001:db8:7::1" }]'))).toEqual([
      'nodes.a.routes[0].via route.unreachable',
    ]);
    expect(codes(twoNodes(addrs, '[{ to: "2001:db8:9::1/64", via: "2001:db8:1::2" }]'))).toEqual([
      'nodes.a.routes[0].to route.host-bits',
    ]);
    expect(codes(twoNodes(addrs, '[{ to: 10.0.0.0/8, via: "2001:db8:1::2" }]'))).toEqual([
      'nodes.a.routes[0].via route.family',
    ]);
    expect(
      codes(twoNodes(addrs, '[{ to: default, via: "2001:db8:1::2" }, { to: "::/0", via: "2001:db8:1::2" }]')),
    ).toEqual(['nodes.a.routes[1].to route.duplicate']);
  });
  it('takes IPv6 masquerade and [ADDR]:PORT forwards (ip6tables), refuses a forward without brackets', () => {
    const r = parseLabText(`
name: t
nodes:
  a: { kind: host, nat: [{ masquerade: "2001:db8::/64", out: eth0 }], portForwards: [{ proto: tcp, port: 80, to: "[2001:db8::2]:80" }] }
  b: { kind: netns }
links:
  - a: { node: a, interface: eth0, addresses: ["2001:db8::1/64"] }
    b: { node: b, interface: eth0, addresses: ["2001:db8::2/64"] }
`);
    expect(checkLab(r.lab!).problems.map((p) => `${p.path} ${p.code}`)).toEqual([]);
    const bad = structuredClone(r.lab!);
    const host = bad.nodes.a!;
    if (host.kind !== 'bridge') host.portForwards = [{ proto: 'tcp', port: 80, to: '2001:db8::2:80' }];
    expect(checkLab(bad).problems.map((p) => `${p.path} ${p.code}`)).toEqual([
      'nodes.a.portForwards[0].to portforward.invalid',
    ]);
  });
});

describe('IPv6 compiled and planned', () => {
  const example = () => {
    const text = readFileSync(new URL('../../../examples/dual-stack-docker.yaml', import.meta.url), 'utf8');
    return parseLabText(text).lab!;
  };
  it('canonical addresses, ::/0, via + dev, IPv6 forwarding where IPv6 is, nodad on every IPv6 address', () => {
    const d = compile(example(), 'pbt-');
    const up = d.namespaces['pbt-dual-stack.upstream']!;
    expect(up.routes).toEqual([{ to: '2001:db8:1::/64', via: 'fe80::1', dev: 'eth0' }]);
    expect(up.sysctls['net.ipv6.conf.all.forwarding']).toBe('0');
    const a = d.namespaces['pbt-dual-stack.a']!;
    expect(a.routes).toEqual([
      { to: '::/0', via: '2001:db8:1::1' },
      { to: 'default', via: '172.17.0.1' },
    ]);
    expect(d.namespaces['pbt-dual-stack.host']!.sysctls['net.ipv6.conf.all.forwarding']).toBe('1');
    const ops = plan(diff(d, { namespaces: {} })).ops.map((o) => `${o.ns} ${o.args.join(' ')}`);
    expect(ops).toContain('pbt-dual-stack.a addr add 2001:db8:1::2/64 dev eth0 nodad');
    expect(ops).toContain('pbt-dual-stack.a route replace ::/0 via 2001:db8:1::1');
    expect(ops).toContain('pbt-dual-stack.upstream route replace 2001:db8:1::/64 via fe80::1 dev eth0');
    expect(ops).toContain('pbt-dual-stack.host net/ipv6/conf/all/forwarding=1');
  });
  it('writes addresses in canonical form, so they compare equal to what the kernel prints', () => {
    const d = compile(twoNodes('["2001:DB8:1:0:0::1/64"]'), 'pbt-');
    expect(d.namespaces['pbt-t.a']!.links['eth0']!.addresses).toEqual(['2001:db8:1::1/64']);
  });
  it('a link the lab sets down has no IPv6 address (the kernel drops them on down)', () => {
    const l = twoNodes('["10.0.0.1/24", "2001:db8:1::1/64"]');
    l.links[0]!.a.up = false;
    expect(compile(l, 'pbt-').namespaces['pbt-t.a']!.links['eth0']!.addresses).toEqual(['10.0.0.1/24']);
  });
  it('an IPv4-only lab gets no IPv6 sysctl', () => {
    const d = compile(twoNodes('["10.0.0.1/24"]', '[]', '["10.0.0.2/24"]'), 'pbt-');
    for (const ns of Object.values(d.namespaces)) expect(Object.keys(ns.sysctls).join()).not.toContain('ipv6');
  });
});
