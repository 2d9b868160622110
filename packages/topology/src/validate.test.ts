import { describe, it, expect } from 'vitest';
import { parse } from 'yaml';
import type { Lab, Problem } from './model.js';
import { validateLab, type ValidateOptions } from './validate.js';

/** Validates a lab written as YAML (readable fixtures; the structure is assumed valid). */
function v(text: string, opts?: ValidateOptions): Problem[] {
  const lab = parse(text) as Lab;
  lab.links ??= [];
  return validateLab(lab, opts);
}

function only(problems: Problem[], path: string, code: string): Problem {
  expect(problems.map((p) => `${p.path} ${p.code}`)).toEqual([`${path} ${code}`]);
  return problems[0]!;
}

function has(problems: Problem[], path: string, code: string): Problem {
  const p = problems.find((x) => x.path === path && x.code === code);
  expect(p, `${path} ${code} in ${JSON.stringify(problems, null, 1)}`).toBeDefined();
  return p!;
}

const twoNs = (extra = '') => `
name: t
nodes:
  web: { kind: netns }
  db: { kind: netns }
${extra}
links:
  - a: { node: web, interface: eth0, addresses: [10.0.0.1/24] }
    b: { node: db, interface: eth0, addresses: [10.0.0.2/24] }
`;

describe('valid labs', () => {
  it('accepts a minimal lab', () => {
    expect(v(twoNs())).toEqual([]);
  });
  it('never throws, even on input that skipped the structural check', () => {
    expect(() =>
      validateLab({ name: 'x', nodes: { a: { kind: 'netns' } }, links: [{}] } as unknown as Lab),
    ).not.toThrow();
    expect(validateLab(null as unknown as Lab).length).toBeGreaterThan(0);
  });
});

describe('names', () => {
  it('lab name must match NAME_RE', () => {
    const p = only(v(twoNs().replace('name: t', 'name: My_Lab')), 'name', 'name.invalid');
    expect(p.message).toContain('[a-z][a-z0-9-]{0,23}');
    expect(p.message).toContain('kernel');
  });
  it('node names must match NAME_RE', () => {
    const p = only(v('name: t\nnodes:\n  Web1: { kind: netns }\n'), 'nodes.Web1', 'name.invalid');
    expect(p.message).toContain('lowercase letter');
  });
  it('names longer than 24 characters are refused with the reason', () => {
    const long = 'a'.repeat(25);
    expect(only(v(`name: ${long}\nnodes: {}\n`), 'name', 'name.invalid').message).toContain('25 characters');
  });
});

describe('interface names', () => {
  it.each([
    ['eth0:1', 'contains ":"'],
    ['a-very-long-interface', '21 characters'],
    ['lo', 'loopback'],
    ['all', '/proc/sys/net/ipv4/conf/all'],
    ['default', '/proc/sys/net/ipv4/conf/default'],
    ['.', 'directory'],
    ['..', 'directory'],
  ])('rejects %s', (name, why) => {
    const p = only(
      v(twoNs().replace('node: web, interface: eth0', `node: web, interface: "${name}"`)),
      'links[0].a.interface',
      'iface.invalid',
    );
    expect(p.message).toContain(why);
  });
  it('rejects a bridge whose device name is reserved', () => {
    only(v('name: t\nnodes:\n  default: { kind: bridge }\n'), 'nodes.default', 'iface.invalid');
  });
});

describe('references', () => {
  it('link ends must name a node', () => {
    const p = only(v(twoNs().replace('node: db,', 'node: dbb,')), 'links[0].b.node', 'ref.unknown');
    expect(p.message).toContain('did you mean db?');
  });
  it('bridge host must exist', () => {
    only(
      v('name: t\nnodes:\n  h: { kind: host }\n  br0: { kind: bridge, host: hh }\n'),
      'nodes.br0.host',
      'ref.unknown',
    );
  });
  it('bridge host must be a host node', () => {
    only(
      v('name: t\nnodes:\n  h: { kind: host }\n  n: { kind: netns }\n  br0: { kind: bridge, host: n }\n'),
      'nodes.br0.host',
      'ref.kind',
    );
  });
  it('a bridge without host is an error when the lab has hosts, naming them', () => {
    const p = only(
      v('name: t\nnodes:\n  h1: { kind: host }\n  h2: { kind: host }\n  br0: { kind: bridge }\n'),
      'nodes.br0.host',
      'bridge.host-required',
    );
    expect(p.message).toContain('h1, h2');
  });
  it('route dev must be an interface of the node', () => {
    const p = only(
      v(
        twoNs('  r: { kind: router }').replace(
          'web: { kind: netns }',
          'web: { kind: netns, routes: [{ to: 10.1.0.0/16, dev: eth1 }] }',
        ),
      ),
      'nodes.web.routes[0].dev',
      'ref.unknown',
    );
    expect(p.message).toContain('its interfaces: eth0');
  });
});

const hostsLab = `
name: t
nodes:
  h: { kind: host }
  br0: { kind: bridge, host: h }
  c: { kind: netns }
links:
  - a: { node: h, interface: eth0, addresses: [192.168.1.10/24] }
    b: { node: c, interface: eth0, addresses: [192.168.1.11/24] }
`;

describe('interfaces are unique per namespace', () => {
  it('counts bridge ports in the host namespace', () => {
    const text = `${hostsLab}  - a: { node: c, interface: eth1 }\n    b: { node: br0, interface: eth0 }\n`;
    const p = only(v(text), 'links[1].b.interface', 'iface.duplicate');
    expect(p.message).toContain('links[0].a.interface');
    expect(p.message).toContain('links[1].b.interface');
    expect(p.message).toContain("h's namespace");
  });
  it('counts bridge devices', () => {
    const text = `${hostsLab}  - a: { node: c, interface: eth1 }\n    b: { node: h, interface: br0 }\n`;
    const p = only(v(text), 'links[1].b.interface', 'iface.duplicate');
    expect(p.message).toContain('bridge br0');
  });
  it('bridges without host share the implicit namespace when the lab has no hosts', () => {
    const text = `name: t
nodes:
  br0: { kind: bridge }
  br1: { kind: bridge }
  a: { kind: netns }
  b: { kind: netns }
links:
  - a: { node: a, interface: eth0 }
    b: { node: br0, interface: port }
  - a: { node: b, interface: eth0 }
    b: { node: br1, interface: port }
`;
    expect(only(v(text), 'links[1].b.interface', 'iface.duplicate').message).toContain('implicit');
  });
  it('counts VXLAN devices', () => {
    const text = `name: t
nodes:
  h1: { kind: host }
  h2: { kind: host }
links:
  - a: { node: h1, interface: eth0, addresses: [192.168.1.10/24] }
    b: { node: h2, interface: eth0, addresses: [192.168.1.11/24] }
  - a: { node: h1, interface: ov1 }
    b: { node: h1, interface: x }
overlays:
  - { name: ov1, vni: 1, members: [{ host: h1 }, { host: h2 }] }
`;
    has(v(text), 'overlays[0].members[0]', 'iface.duplicate');
  });
  it('same names in different namespaces are fine', () => {
    expect(v(hostsLab)).toEqual([]);
  });
});

describe('links', () => {
  it('a node linked to itself needs two names', () => {
    only(
      v(
        twoNs()
          .replace('node: db, interface: eth0', 'node: web, interface: eth0')
          .replace('10.0.0.2/24', '10.0.0.3/24'),
      ),
      'links[0].b.interface',
      'link.self',
    );
  });
  it('a node linked to itself with two names is fine', () => {
    expect(v(twoNs().replace('node: db, interface: eth0', 'node: web, interface: eth1'))).toEqual([]);
  });
  it('both ends on one bridge is an error', () => {
    only(
      v(
        'name: t\nnodes:\n  br0: { kind: bridge }\nlinks:\n  - a: { node: br0, interface: p1 }\n    b: { node: br0, interface: p2 }\n',
      ),
      'links[0]',
      'link.self',
    );
  });
  it('mtu must be 68..65535; a link mtu and a different end mtu may coexist', () => {
    only(
      v(twoNs().replace('node: web, interface: eth0,', 'node: web, interface: eth0, mtu: 67,')),
      'links[0].a.mtu',
      'mtu.invalid',
    );
    only(v(twoNs().replace('    b: { node: db', '    mtu: 70000\n    b: { node: db')), 'links[0].mtu', 'mtu.invalid');
    expect(
      v(
        twoNs()
          .replace('node: web, interface: eth0,', 'node: web, interface: eth0, mtu: 1400,')
          .replace('    b: { node: db', '    mtu: 9000\n    b: { node: db'),
      ),
    ).toEqual([]);
  });
  it('mac must be unicast', () => {
    expect(
      only(
        v(twoNs().replace('node: web, interface: eth0,', 'node: web, interface: eth0, mac: "01:00:5e:00:00:01",')),
        'links[0].a.mac',
        'mac.invalid',
      ).message,
    ).toContain('multicast');
    only(
      v(twoNs().replace('node: web, interface: eth0,', 'node: web, interface: eth0, mac: "00:00:00:00:00:00",')),
      'links[0].a.mac',
      'mac.invalid',
    );
    only(
      v(twoNs().replace('node: web, interface: eth0,', 'node: web, interface: eth0, mac: "02-00-00-00-00-01",')),
      'links[0].a.mac',
      'mac.invalid',
    );
  });
  it('mac must be unique in the lab, ignoring case', () => {
    const text = twoNs()
      .replace('node: web, interface: eth0,', 'node: web, interface: eth0, mac: "02:aa:00:00:00:01",')
      .replace('node: db, interface: eth0,', 'node: db, interface: eth0, mac: "02:AA:00:00:00:01",');
    expect(only(v(text), 'links[0].b.mac', 'mac.duplicate').message).toContain('links[0].a');
  });
});

describe('addresses', () => {
  it('must be CIDR IPv4', () => {
    const p = only(v(twoNs().replace('[10.0.0.1/24]', '[10.0.0.999/24]')), 'links[0].a.addresses[0]', 'addr.invalid');
    expect(p.message).toBe('10.0.0.999/24 is not an IPv4 address in CIDR form (a.b.c.d/len)');
    only(v(twoNs().replace('[10.0.0.1/24]', '[10.0.0.1]')), 'links[0].a.addresses[0]', 'addr.invalid');
  });
  it('must not repeat in one namespace', () => {
    const text = twoNs().replace('[10.0.0.1/24]', '[10.0.0.1/24, 10.0.0.1/16]');
    expect(only(v(text), 'links[0].a.addresses[1]', 'addr.duplicate').message).toContain('links[0].a.addresses[0]');
  });
  it('may repeat as a /32 on different interfaces (a Calico-style pod gateway)', () => {
    const lab = `name: gw
nodes:
  h: { kind: host }
  p1: { kind: netns }
  p2: { kind: netns }
links:
  - a: { node: p1, interface: eth0, addresses: [10.0.1.2/32] }
    b: { node: h, interface: cali-1, addresses: [169.254.1.1/32] }
  - a: { node: p2, interface: eth0, addresses: [10.0.1.3/32] }
    b: { node: h, interface: cali-2, addresses: [169.254.1.1/32] }
`;
    expect(v(lab)).toEqual([]);
  });
  it('bridge addresses count in the host namespace', () => {
    const text = hostsLab.replace(
      'br0: { kind: bridge, host: h }',
      'br0: { kind: bridge, host: h, addresses: [192.168.1.10/16] }',
    );
    only(v(text), 'links[0].a.addresses[0]', 'addr.duplicate');
  });
  it('the same address in different namespaces is fine', () => {
    expect(v(twoNs().replace('[10.0.0.2/24]', '[10.0.0.1/24]'))).toEqual([]);
  });
});

const routed = (routes: string) => twoNs().replace('web: { kind: netns }', `web: { kind: netns, routes: ${routes} }`);

describe('routes', () => {
  it('to must be default or a network without host bits', () => {
    const p = only(v(routed('[{ to: 10.0.1.5/24, via: 10.0.0.2 }]')), 'nodes.web.routes[0].to', 'route.host-bits');
    expect(p.message).toBe('10.0.1.5/24 has host bits set; did you mean 10.0.1.0/24?');
    only(v(routed('[{ to: 10.0.1.0, via: 10.0.0.2 }]')), 'nodes.web.routes[0].to', 'addr.invalid');
  });
  it('via must be IPv4', () => {
    only(v(routed('[{ to: default, via: 10.0.0.256 }]')), 'nodes.web.routes[0].via', 'addr.invalid');
  });
  it('exactly one of via and dev', () => {
    only(v(routed('[{ to: default, via: 10.0.0.2, dev: eth0 }]')), 'nodes.web.routes[0]', 'route.invalid');
    only(v(routed('[{ to: default }]')), 'nodes.web.routes[0]', 'route.invalid');
  });
  it('one route per destination (default = 0.0.0.0/0)', () => {
    only(
      v(routed('[{ to: default, via: 10.0.0.2 }, { to: 0.0.0.0/0, dev: eth0 }]')),
      'nodes.web.routes[1].to',
      'route.duplicate',
    );
  });
  it('gateway must be on a connected subnet', () => {
    const p = only(v(routed('[{ to: default, via: 10.9.9.9 }]')), 'nodes.web.routes[0].via', 'route.unreachable');
    expect(p.message).toBe('gateway 10.9.9.9 is not on any subnet connected to web (eth0 10.0.0.1/24)');
  });
  it('an on-link dev route makes its destination a valid gateway', () => {
    expect(v(routed('[{ to: 169.254.1.1/32, dev: eth0 }, { to: default, via: 169.254.1.1 }]'))).toEqual([]);
  });
  it("a host's bridge addresses are connected subnets of the host", () => {
    const text = hostsLab
      .replace('br0: { kind: bridge, host: h }', 'br0: { kind: bridge, host: h, addresses: [172.17.0.1/16] }')
      .replace('h: { kind: host }', 'h: { kind: host, routes: [{ to: 10.0.0.0/8, via: 172.17.0.5 }] }');
    expect(v(text)).toEqual([]);
  });
});

describe('nat and port forwards', () => {
  const nat = (rules: string) => hostsLab.replace('h: { kind: host }', `h: { kind: host, nat: ${rules} }`);
  it('accepts notOut of a bridge hosted on the node', () => {
    expect(v(nat('[{ masquerade: 172.17.0.0/16, notOut: br0 }]'))).toEqual([]);
  });
  it('masquerade must be a CIDR network', () => {
    only(v(nat('[{ masquerade: 172.17.0.0, out: eth0 }]')), 'nodes.h.nat[0].masquerade', 'nat.invalid');
    expect(
      only(v(nat('[{ masquerade: 172.17.0.1/16, out: eth0 }]')), 'nodes.h.nat[0].masquerade', 'nat.invalid').message,
    ).toContain('172.17.0.0/16');
  });
  it('exactly one of out and notOut', () => {
    only(v(nat('[{ masquerade: 172.17.0.0/16, out: eth0, notOut: br0 }]')), 'nodes.h.nat[0]', 'nat.invalid');
    only(v(nat('[{ masquerade: 172.17.0.0/16 }]')), 'nodes.h.nat[0]', 'nat.invalid');
  });
  it('the interface must exist on the node', () => {
    only(v(nat('[{ masquerade: 172.17.0.0/16, out: eth9 }]')), 'nodes.h.nat[0].out', 'nat.interface');
  });
  const pf = (rules: string) => hostsLab.replace('h: { kind: host }', `h: { kind: host, portForwards: ${rules} }`);
  it('port forwards need a port 1..65535 and IPv4:PORT', () => {
    expect(v(pf('[{ proto: tcp, port: 8080, to: "192.168.1.11:80" }]'))).toEqual([]);
    only(
      v(pf('[{ proto: tcp, port: 0, to: "192.168.1.11:80" }]')),
      'nodes.h.portForwards[0].port',
      'portforward.invalid',
    );
    only(v(pf('[{ proto: tcp, port: 80, to: "192.168.1.11" }]')), 'nodes.h.portForwards[0].to', 'portforward.invalid');
    only(
      v(pf('[{ proto: tcp, port: 80, to: "192.168.1.11:70000" }]')),
      'nodes.h.portForwards[0].to',
      'portforward.invalid',
    );
  });
  it('a port is forwarded once per protocol', () => {
    const rules = '[{ proto: tcp, port: 80, to: "192.168.1.11:80" }, { proto: tcp, port: 80, to: "192.168.1.11:81" }]';
    only(v(pf(rules)), 'nodes.h.portForwards[1].port', 'portforward.duplicate');
  });
});

describe('vlans', () => {
  const vl = (bridge: string, vlan: string) => `name: t
nodes:
  br0: ${bridge}
  a: { kind: netns }
links:
  - a: { node: a, interface: eth0 }
    b: { node: br0, interface: p1, vlan: ${vlan} }
`;
  it('need a filtering bridge', () => {
    expect(v(vl('{ kind: bridge, vlanFiltering: true }', '{ pvid: 10, tagged: [20] }'))).toEqual([]);
    only(v(vl('{ kind: bridge }', '{ pvid: 10 }')), 'links[0].b.vlan', 'vlan.requires-filtering');
  });
  it('only bridge ports carry vlans', () => {
    const text = vl('{ kind: bridge, vlanFiltering: true }', '{ pvid: 10 }').replace(
      'interface: eth0 }',
      'interface: eth0, vlan: { pvid: 3 } }',
    );
    only(v(text), 'links[0].a.vlan', 'vlan.requires-filtering');
  });
  it('ids are 1..4094', () => {
    only(v(vl('{ kind: bridge, vlanFiltering: true }', '{ pvid: 4095 }')), 'links[0].b.vlan.pvid', 'vlan.invalid');
    only(
      v(vl('{ kind: bridge, vlanFiltering: true }', '{ tagged: [1, 0] }')),
      'links[0].b.vlan.tagged[1]',
      'vlan.invalid',
    );
  });
});

const vxlan = (overlay: string, extraLinks = '') => `name: t
nodes:
  h1: { kind: host }
  h2: { kind: host }
  br1: { kind: bridge, host: h1 }
  br2: { kind: bridge, host: h2 }
links:
  - a: { node: h1, interface: eth0, addresses: [192.168.1.10/24] }
    b: { node: h2, interface: eth0, addresses: [192.168.1.11/24] }
${extraLinks}
overlays:
  - ${overlay}
`;

describe('overlays', () => {
  it('accepts bridge and host members, with local left out when the host has one address', () => {
    expect(v(vxlan('{ name: ov, vni: 42, members: [{ bridge: br1, local: 192.168.1.10 }, { bridge: br2 }] }'))).toEqual(
      [],
    );
    expect(
      v(
        vxlan(
          '{ name: ov, vni: 42, members: [{ host: h1, addresses: [10.5.0.0/32] }, { host: h2, addresses: [10.5.1.0/32] }] }',
        ),
      ),
    ).toEqual([]);
  });
  it('name must match NAME_RE and be unique', () => {
    only(v(vxlan('{ name: Ov, vni: 42, members: [{ host: h1 }, { host: h2 }] }')), 'overlays[0].name', 'name.invalid');
    const text = `${vxlan('{ name: ov, vni: 1, members: [{ bridge: br1 }, { bridge: br2 }] }')}  - { name: ov, vni: 2, members: [{ host: h1 }, { host: h2 }] }\n`;
    has(v(text), 'overlays[1].name', 'overlay.duplicate');
  });
  it('vni is 1..16777215 and unique; port 1..65535', () => {
    only(
      v(vxlan('{ name: ov, vni: 16777216, members: [{ host: h1 }, { host: h2 }] }')),
      'overlays[0].vni',
      'overlay.invalid',
    );
    only(
      v(vxlan('{ name: ov, vni: 4, port: 0, members: [{ host: h1 }, { host: h2 }] }')),
      'overlays[0].port',
      'overlay.invalid',
    );
    const text = `${vxlan('{ name: ov, vni: 7, members: [{ bridge: br1 }, { bridge: br2 }] }')}  - { name: ov2, vni: 7, members: [{ host: h1 }, { host: h2 }] }\n`;
    only(v(text), 'overlays[1].vni', 'overlay.duplicate');
  });
  it('needs at least 2 members', () => {
    only(v(vxlan('{ name: ov, vni: 42, members: [{ host: h1 }] }')), 'overlays[0].members', 'overlay.members');
  });
  it('member references must have the right kind', () => {
    only(
      v(vxlan('{ name: ov, vni: 42, members: [{ bridge: h1 }, { bridge: br2 }] }')),
      'overlays[0].members[0].bridge',
      'ref.kind',
    );
    only(
      v(vxlan('{ name: ov, vni: 42, members: [{ host: br1 }, { bridge: br2 }] }')),
      'overlays[0].members[0].host',
      'ref.kind',
    );
    only(
      v(vxlan('{ name: ov, vni: 42, members: [{ host: h3 }, { bridge: br2 }] }')),
      'overlays[0].members[0].host',
      'ref.unknown',
    );
  });
  it('two members on one host are an error', () => {
    only(
      v(vxlan('{ name: ov, vni: 42, members: [{ bridge: br1 }, { host: h1 }, { bridge: br2 }] }')),
      'overlays[0].members[1]',
      'overlay.same-host',
    );
  });
  it('local must be an address of the host', () => {
    const p = only(
      v(vxlan('{ name: ov, vni: 42, members: [{ bridge: br1, local: 192.168.1.99 }, { bridge: br2 }] }')),
      'overlays[0].members[0].local',
      'overlay.local',
    );
    expect(p.message).toBe('192.168.1.99 is not an address of h1 (its addresses: eth0 192.168.1.10/24)');
  });
  it('without local, the host needs exactly one address', () => {
    const extra =
      '  - a: { node: h1, interface: eth1, addresses: [10.9.0.1/24] }\n    b: { node: h2, interface: eth1 }\n';
    const p = only(
      v(vxlan('{ name: ov, vni: 42, members: [{ bridge: br1 }, { bridge: br2 }] }', extra)),
      'overlays[0].members[0]',
      'overlay.no-underlay',
    );
    expect(p.message).toContain('eth0 192.168.1.10/24, eth1 10.9.0.1/24');
    const none = vxlan('{ name: ov, vni: 42, members: [{ host: h1 }, { host: h2 }] }').replace(
      ', addresses: [192.168.1.11/24]',
      '',
    );
    expect(only(v(none), 'overlays[0].members[1]', 'overlay.no-underlay').message).toContain(
      'h2 has no underlay address',
    );
  });
  it('bridges on the implicit host have no underlay', () => {
    const text =
      'name: t\nnodes:\n  b1: { kind: bridge }\n  b2: { kind: bridge }\nlinks: []\noverlays:\n  - { name: ov, vni: 1, members: [{ bridge: b1 }, { bridge: b2 }] }\n';
    const ps = v(text);
    has(ps, 'overlays[0].members[0]', 'overlay.no-underlay');
    has(ps, 'overlays[0].members[1]', 'overlay.no-underlay');
  });
  it('layer 3 member addresses must be CIDR', () => {
    only(
      v(vxlan('{ name: ov, vni: 42, members: [{ host: h1, addresses: [10.5.0.0] }, { host: h2 }] }')),
      'overlays[0].members[0].addresses[0]',
      'addr.invalid',
    );
  });
  it('a layer 3 VTEP address is a connected subnet of its host', () => {
    const text = vxlan(
      '{ name: ov, vni: 42, members: [{ host: h1, addresses: [10.5.0.0/16] }, { host: h2, addresses: [10.5.1.0/16] }] }',
    ).replace('h1: { kind: host }', 'h1: { kind: host, routes: [{ to: 10.6.0.0/16, via: 10.5.1.0 }] }');
    expect(v(text)).toEqual([]);
  });
});

describe('size limits', () => {
  it('refuses labs over the limits', () => {
    only(v(twoNs(), { maxNodes: 1 }), 'nodes', 'lab.too-large');
    only(v(twoNs(), { maxLinks: 0 }), 'links', 'lab.too-large');
  });
});
