// macvlans and bridge port settings through the pure core: parse (problem codes), compile, diff,
// plan (the exact commands), the JSON Schema and the canonical YAML.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { diff } from './diff.js';
import { labJsonSchema } from './schema.js';
import type { Lab } from './model.js';
import { resolveMacvlanParents } from './macvlan.js';
import { labToYaml, parseLabText } from './parse.js';
import { opCommand } from './plan-types.js';
import { plan } from './plan.js';
import type { DesiredState, KernelState } from './state.js';

const P = 'pb-';
const EXAMPLE = readFileSync(join(import.meta.dirname, '../../../examples/macvlan.yaml'), 'utf8');
const observedAs = (d: DesiredState): KernelState => structuredClone({ namespaces: d.namespaces });
const commands = (lab: Lab, observed: KernelState = { namespaces: {} }) =>
  plan(diff(compile(lab, P), observed)).ops.map(opCommand);

function parsed(text: string): Lab {
  const r = parseLabText(text);
  expect(r.problems).toEqual([]);
  return r.lab!;
}
const codes = (text: string) => parseLabText(text).problems.map((p) => `${p.path} ${p.code}`);

const BRIDGE_LAB = `name: ports
nodes:
  sw: { kind: bridge }
  a: { kind: netns }
  b: { kind: netns }
links:
  - a: { node: a, interface: eth0, mac: "02:00:00:00:00:0a", addresses: [10.0.0.10/24, 10.0.0.11/24] }
    b: { node: sw, interface: pa, bridgePort: { antiSpoof: true, hairpin: true } }
  - a: { node: b, interface: eth0, addresses: [10.0.0.20/24] }
    b: { node: sw, interface: pb, bridgePort: { learning: false, flood: false, isolated: true } }
`;

describe('macvlans: parse and validate', () => {
  it('accepts the example, and round-trips it through the canonical YAML', () => {
    const lab = parsed(EXAMPLE);
    expect(lab.macvlans).toHaveLength(3);
    expect(parsed(labToYaml(lab))).toEqual(lab);
  });

  const base = (macvlans: string, extraNodes = '') => `name: m
nodes:
  host: { kind: host }
  r: { kind: router }
  c1: { kind: netns }
  c2: { kind: netns }
  sw: { kind: bridge, host: host }${extraNodes}
links:
  - a: { node: host, interface: eth0, addresses: [10.1.0.2/24] }
    b: { node: r, interface: eth0, addresses: [10.1.0.1/24] }
macvlans:
${macvlans}`;

  it('a parent must be an interface a link gives a host node', () => {
    expect(codes(base('  - { node: c1, interface: eth0, parent: { node: host, interface: eth9 } }'))).toEqual([
      'macvlans[0].parent.interface macvlan.parent-unknown',
    ]);
    expect(codes(base('  - { node: c1, interface: eth0, parent: { node: r, interface: eth0 } }'))).toEqual([
      'macvlans[0].parent.node macvlan.parent-kind',
    ]);
    expect(codes(base('  - { node: c1, interface: eth0, parent: { node: nope, interface: eth0 } }'))).toEqual([
      'macvlans[0].parent.node ref.unknown',
    ]);
  });

  it('a macvlan lives in a node with a namespace, under a name free there', () => {
    expect(codes(base('  - { node: sw, interface: m0, parent: { node: host, interface: eth0 } }'))).toEqual([
      'macvlans[0].node ref.kind',
    ]);
    expect(codes(base('  - { node: host, interface: eth0, parent: { node: host, interface: eth0 } }'))).toContain(
      'macvlans[0].interface iface.duplicate',
    );
    expect(codes(base('  - { node: c1, interface: "bad name", parent: { node: host, interface: eth0 } }'))).toEqual([
      'macvlans[0].interface iface.invalid',
    ]);
  });

  it('passthru takes its parent alone; other modes share it', () => {
    const two = (mode: string) =>
      base(`  - { node: c1, interface: eth0, mode: ${mode}, parent: { node: host, interface: eth0 } }
  - { node: c2, interface: eth0, parent: { node: host, interface: eth0 } }`);
    expect(codes(two('passthru'))).toEqual(['macvlans[0].mode macvlan.passthru']);
    expect(codes(two('vepa'))).toEqual([]);
    expect(codes(two('tunnel'))).toEqual(['macvlans[0].mode schema.enum']);
  });

  it('passthru shares one MAC with its parent: two different ones are refused', () => {
    const withMacs = (parentMac: string, mac: string, mode = 'passthru') =>
      base(
        `  - { node: c1, interface: eth0, mode: ${mode}, mac: "${mac}", parent: { node: host, interface: eth0 } }`,
      ).replace('{ node: host, interface: eth0', `{ node: host, interface: eth0, mac: "${parentMac}"`);
    expect(codes(withMacs('02:00:00:00:00:0a', '02:00:00:00:00:0b'))).toEqual(['macvlans[0].mac macvlan.passthru-mac']);
    expect(codes(withMacs('02:00:00:00:00:0a', '02:00:00:00:00:0A'))).toEqual([]);
    expect(codes(withMacs('02:00:00:00:00:0a', '02:00:00:00:00:0b', 'bridge'))).toEqual([]);
  });

  it('its addresses count as connected subnets and clash like any other', () => {
    const ok = base(
      '  - { node: c1, interface: eth0, addresses: [10.1.0.10/24], parent: { node: host, interface: eth0 } }',
    );
    const withRoute = ok.replace(
      'c1: { kind: netns }',
      'c1: { kind: netns, routes: [{ to: default, via: 10.1.0.1 }] }',
    );
    expect(codes(withRoute)).toEqual([]);
    const clash = base(
      '  - { node: host, interface: shim, addresses: [10.1.0.2/32], parent: { node: host, interface: eth0 } }',
    );
    expect(codes(clash)).toEqual(['macvlans[0].addresses[0] addr.duplicate']);
  });
});

describe('bridge ports: parse and validate', () => {
  it('accepts flags and anti-spoofing on bridge ports', () => {
    expect(parsed(BRIDGE_LAB).links[1]!.b.bridgePort).toEqual({ learning: false, flood: false, isolated: true });
  });

  it('refuses them elsewhere, anti-spoofing without a MAC or an address, and unknown flags', () => {
    const onNetns = BRIDGE_LAB.replace(
      'node: b, interface: eth0,',
      'node: b, interface: eth0, bridgePort: { hairpin: true },',
    );
    expect(codes(onNetns)).toEqual(['links[1].a.bridgePort bridgeport.not-bridge']);
    const noMac = BRIDGE_LAB.replace('mac: "02:00:00:00:00:0a", ', '');
    expect(codes(noMac)).toEqual(['links[0].b.bridgePort.antiSpoof bridgeport.antispoof-mac']);
    const noAddress = BRIDGE_LAB.replace('addresses: [10.0.0.10/24, 10.0.0.11/24]', 'mtu: 1400');
    expect(codes(noAddress)).toEqual(['links[0].b.bridgePort.antiSpoof bridgeport.antispoof-address']);
    expect(codes(BRIDGE_LAB.replace('hairpin: true', 'hairpinn: true'))).toEqual([
      'links[0].b.bridgePort.hairpinn schema.unknown-field',
    ]);
  });
});

describe('macvlans: compile, diff and plan', () => {
  it('a macvlan is made in its parent namespace and placed in its own; the shim stays at home', () => {
    const d = compile(parsed(EXAMPLE), P);
    expect(d.namespaces['pb-macvlan.c1']!.links.eth0).toMatchObject({
      kind: 'macvlan',
      macvlan: { mode: 'bridge', parentNs: 'pb-macvlan.host', parent: 'eth0' },
      addresses: ['192.168.50.10/24'],
    });
    const cmds = commands(parsed(EXAMPLE));
    expect(cmds).toContain(
      'ip -n pb-macvlan.host link add link eth0 name eth0 netns pb-macvlan.c1 type macvlan mode bridge',
    );
    expect(cmds).toContain('ip -n pb-macvlan.host link add link eth0 name shim type macvlan mode bridge');
    // after the parent (a veth made in `link`), before its addresses (`configure`)
    const at = (s: string) => cmds.findIndex((c) => c.includes(s));
    expect(at('type veth')).toBeLessThan(at('type macvlan'));
    expect(at('type macvlan')).toBeLessThan(at('addr add 192.168.50.10/24'));
  });

  it('plans nothing for a kernel that matches, and re-creates a macvlan whose mode changed', () => {
    const lab = parsed(EXAMPLE);
    const observed = observedAs(compile(lab, P));
    expect(commands(lab, observed)).toEqual([]);
    const vepa: Lab = { ...lab, macvlans: lab.macvlans!.map((m) => (m.node === 'c2' ? { ...m, mode: 'vepa' } : m)) };
    const ops = plan(diff(compile(vepa, P), observed)).ops;
    expect(ops.map((o) => `${o.phase} ${opCommand(o)}`)).toEqual([
      'unmacvlan ip -n pb-macvlan.c2 link del dev eth0',
      'macvlan ip -n pb-macvlan.host link add link eth0 name eth0 netns pb-macvlan.c2 type macvlan mode vepa',
      'configure ip -n pb-macvlan.c2 link set dev eth0 addrgenmode none',
      'configure ip -n pb-macvlan.c2 addr add 192.168.50.11/24 dev eth0',
      'configure ip -n pb-macvlan.c2 link set dev eth0 up',
      // a new MAC behind 192.168.50.11: its neighbours forget the old one
      'neigh ip -n pb-macvlan.c1 neigh flush to 192.168.50.11 dev eth0',
      'neigh ip -n pb-macvlan.host neigh flush to 192.168.50.11 dev eth0',
      'neigh ip -n pb-macvlan.lan neigh flush to 192.168.50.11 dev eth0',
    ]);
  });

  it('re-creates a macvlan whose parent is another interface now (the kernel names it by ifindex)', () => {
    const lab = parsed(EXAMPLE);
    const observed = observedAs(compile(lab, P));
    observed.namespaces['pb-macvlan.host']!.links.eth0!.ifindex = 7;
    const c1 = observed.namespaces['pb-macvlan.c1']!.links.eth0!;
    c1.macvlan = { mode: 'bridge', parentIfindex: 7, parentElsewhere: true };
    expect(commands(lab, observed)).toEqual([]);
    c1.macvlan.parentIfindex = 8;
    expect(commands(lab, observed)[0]).toBe('ip -n pb-macvlan.c1 link del dev eth0');
  });

  it('deletes the macvlans of a parent that is re-created, before the parent', () => {
    const lab = parsed(EXAMPLE);
    const observed = observedAs(compile(lab, P));
    observed.namespaces['pb-macvlan.host']!.links.eth0!.veth = { peerNs: 'pb-macvlan.elsewhere', peerName: 'x' };
    const ops = plan(diff(compile(lab, P), observed)).ops;
    const removals = ops.filter((o) => o.action === 'remove').map((o) => `${o.phase} ${opCommand(o)}`);
    expect(removals).toEqual([
      'unmacvlan ip -n pb-macvlan.c1 link del dev eth0',
      'unmacvlan ip -n pb-macvlan.c2 link del dev eth0',
      'unmacvlan ip -n pb-macvlan.host link del dev shim',
      'unlink ip -n pb-macvlan.host link del dev eth0',
    ]);
    expect(ops.filter((o) => o.phase === 'macvlan')).toHaveLength(3);
  });
});

describe('bridge ports: compile, diff and plan', () => {
  it('sets the flags that differ from a new port, after it joins the bridge', () => {
    const cmds = commands(parsed(BRIDGE_LAB));
    const at = (s: string) => cmds.findIndex((c) => c.includes(s));
    expect(cmds).toContain('ip -n pb-ports._host link set dev pa type bridge_slave hairpin on');
    expect(cmds).toContain('ip -n pb-ports._host link set dev pb type bridge_slave learning off flood off isolated on');
    expect(at('dev pa master sw')).toBeLessThan(at('dev pa type bridge_slave'));
  });

  it('a changed flag is one line, and nothing else', () => {
    const lab = parsed(BRIDGE_LAB);
    const observed = observedAs(compile(lab, P));
    expect(commands(lab, observed)).toEqual([]);
    const off = structuredClone(lab);
    off.links[0]!.b.bridgePort = { antiSpoof: true };
    expect(commands(off, observed)).toEqual(['ip -n pb-ports._host link set dev pa type bridge_slave hairpin off']);
  });

  it('anti-spoofing is a chain per port in the bridge host, in ebtables-save form', () => {
    const d = compile(parsed(BRIDGE_LAB), P);
    expect(d.namespaces['pb-ports._host']!.ebtables!.filter).toEqual([
      ':INPUT ACCEPT',
      ':FORWARD ACCEPT',
      ':OUTPUT ACCEPT',
      ':PB-pa RETURN',
      '-A INPUT -i pa -j PB-pa',
      '-A FORWARD -i pa -j PB-pa',
      '-A PB-pa -s ! 02:00:00:00:00:0a -j DROP',
      '-A PB-pa -p IPv4 --ip-src 10.0.0.10 -j RETURN',
      '-A PB-pa -p IPv4 --ip-src 10.0.0.11 -j RETURN',
      '-A PB-pa -p IPv4 -j DROP',
      '-A PB-pa -p ARP --arp-ip-src 10.0.0.10 --arp-mac-src 02:00:00:00:00:0a -j RETURN',
      '-A PB-pa -p ARP --arp-ip-src 10.0.0.11 --arp-mac-src 02:00:00:00:00:0a -j RETURN',
      '-A PB-pa -p ARP -j DROP',
    ]);
    const ops = plan(diff(d, { namespaces: {} })).ops.filter((o) => o.tool === 'ebtables');
    expect(ops.map(opCommand)).toEqual([
      `ip netns exec pb-ports._host ebtables-restore <<'EOF'\n*filter\n${d.namespaces['pb-ports._host']!.ebtables!.filter.join('\n')}\nCOMMIT\nEOF`,
    ]);
    // a bridge host without anti-spoofing ports: its ebtables are not managed
    expect(compile(parsed(BRIDGE_LAB.replace('antiSpoof: true, ', '')), P).namespaces['pb-ports._host']!.ebtables).toBe(
      undefined,
    );
  });
});

describe('JSON Schema', () => {
  it('publishes macvlans and bridgePort', () => {
    const s = labJsonSchema() as { properties: Record<string, { items?: { properties?: Record<string, unknown> } }> };
    expect(Object.keys(s.properties.macvlans!.items!.properties!)).toEqual([
      'node',
      'interface',
      'parent',
      'mode',
      'addresses',
      'mtu',
      'up',
      'mac',
    ]);
    const end = (s.properties.links!.items!.properties!.a as { properties: Record<string, { properties?: object }> })
      .properties;
    expect(Object.keys(end.bridgePort!.properties!)).toEqual(['hairpin', 'learning', 'flood', 'isolated', 'antiSpoof']);
  });
});

describe('observed macvlans: their parents named from the kernel ifindex', () => {
  it('names a parent in another namespace by its lab-unique ifindex, or in its own', () => {
    const lab = parsed(EXAMPLE);
    const observed = observedAs(compile(lab, P));
    const host = observed.namespaces['pb-macvlan.host']!;
    host.links.eth0!.ifindex = 1_000_000;
    observed.namespaces['pb-macvlan.lan']!.links.eth0!.ifindex = 2_000_000;
    const c1 = observed.namespaces['pb-macvlan.c1']!.links.eth0!;
    c1.macvlan = { mode: 'bridge', parentIfindex: 1_000_000, parentElsewhere: true };
    host.links.shim!.macvlan = { mode: 'bridge', parentIfindex: 1_000_000, parentElsewhere: false };
    resolveMacvlanParents(observed);
    expect(c1.macvlan).toMatchObject({ parentNs: 'pb-macvlan.host', parent: 'eth0' });
    expect(host.links.shim!.macvlan).toMatchObject({ parentNs: 'pb-macvlan.host', parent: 'eth0' });
    // Rolled back to this observation, a deleted macvlan is made again on that parent.
    const back = { ...compile(lab, P), namespaces: observed.namespaces };
    const without = structuredClone(observed);
    delete without.namespaces['pb-macvlan.c1']!.links.eth0;
    expect(
      plan(diff(back, without))
        .ops.filter((o) => o.phase === 'macvlan')
        .map(opCommand),
    ).toEqual(['ip -n pb-macvlan.host link add link eth0 name eth0 netns pb-macvlan.c1 type macvlan mode bridge']);
  });
});
