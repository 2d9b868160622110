import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { diff } from './diff.js';
import type { Lab } from './model.js';
import { opCommand } from './plan-types.js';
import { plan } from './plan.js';
import type { DesiredState, KernelState } from './state.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples');
const example = (f: string) => parse(readFileSync(join(EXAMPLES, f), 'utf8')) as Lab;
const empty: KernelState = { namespaces: {} };
const P = 'pb-';

/** What the kernel would report after a perfect apply of `d` (the desired state, as observed). */
function asObserved(d: DesiredState): KernelState {
  return structuredClone({ namespaces: d.namespaces });
}
const commands = (lab: Lab, observed: KernelState = empty) => plan(diff(compile(lab, P), observed)).ops.map(opCommand);

describe('compile', () => {
  it('names namespaces <prefix><lab>.<node> and puts unhosted bridges in the implicit host', () => {
    const d = compile(example('two-containers.yaml'), P);
    expect(Object.keys(d.namespaces).sort()).toEqual([
      'pb-two-containers._host',
      'pb-two-containers.ns-db',
      'pb-two-containers.ns-web',
    ]);
    const host = d.namespaces['pb-two-containers._host']!;
    expect(host.links.br0).toMatchObject({ kind: 'bridge', up: true, addresses: ['192.168.100.1/24'] });
    expect(host.links['veth-web-br']).toMatchObject({
      kind: 'veth',
      master: 'br0',
      veth: { peerNs: 'pb-two-containers.ns-web', peerName: 'veth-web' },
    });
    expect(host.links.lo!.alias).toBe('patchbay:v1:pb-:two-containers:_host');
  });

  it('turns forwarding on for hosts and routers, off for netns', () => {
    const d = compile(example('docker-bridge-nat.yaml'), P);
    expect(d.namespaces['pb-docker-bridge.host']!.sysctls['net.ipv4.ip_forward']).toBe('1');
    expect(d.namespaces['pb-docker-bridge.a']!.sysctls['net.ipv4.ip_forward']).toBe('0');
  });

  it('writes NAT as iptables-save lines', () => {
    const d = compile(example('docker-bridge-nat.yaml'), P);
    expect(d.namespaces['pb-docker-bridge.host']!.iptables!.nat).toContain(
      '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
    );
    expect(d.namespaces['pb-docker-bridge.a']!.iptables).toBeUndefined();
  });

  it('gives VXLAN members the underlay MTU minus 50 and floods to the other members', () => {
    const d = compile(example('vxlan-two-hosts.yaml'), P);
    const a = d.namespaces['pb-vxlan-two-hosts.host-a']!;
    expect(a.links.ov42).toMatchObject({
      kind: 'vxlan',
      mtu: 1450,
      master: 'br-a',
      vxlan: { vni: 42, port: 4789, local: '192.168.1.10', dev: 'eth0' },
    });
    expect(a.floods).toEqual([{ dev: 'ov42', dst: '192.168.1.11' }]);
  });

  it('orders on-link routes before the routes that use them', () => {
    const d = compile(example('routed-pods.yaml'), P);
    expect(d.namespaces['pb-routed-pods.pod-a']!.routes).toEqual([
      { to: '169.254.1.1/32', dev: 'eth0' },
      { to: 'default', via: '169.254.1.1' },
    ]);
  });

  it('leaves out routes through a link the lab sets down', () => {
    const lab = example('two-containers.yaml');
    lab.links[0]!.a.up = false;
    const d = compile(lab, P);
    expect(d.namespaces['pb-two-containers.ns-web']!.routes).toEqual([]);
    expect(d.namespaces['pb-two-containers.ns-db']!.routes).toHaveLength(1);
  });
});

describe('plan', () => {
  it('golden: two-containers from nothing', () => {
    expect(commands(example('two-containers.yaml'))).toMatchSnapshot();
  });

  it('golden: every example from nothing', () => {
    for (const f of readdirSync(EXAMPLES)
      .filter((x) => x.endsWith('.yaml'))
      .sort()) {
      expect(commands(example(f))).toMatchSnapshot(f);
    }
  });

  it('plan(diff(X, X)) is empty for every example', () => {
    for (const f of readdirSync(EXAMPLES).filter((x) => x.endsWith('.yaml'))) {
      const d = compile(example(f), P);
      expect(plan(diff(d, asObserved(d))).ops, f).toEqual([]);
    }
  });

  it('creates each veth pair once, from one side, and configures both ends', () => {
    const cmds = commands(example('two-containers.yaml'));
    expect(cmds.filter((c) => c.includes('type veth'))).toHaveLength(2);
    expect(cmds).toContain('ip -n pb-two-containers._host link set dev veth-web-br master br0');
    expect(cmds).toContain('ip -n pb-two-containers.ns-web addr add 192.168.100.10/24 dev veth-web');
  });

  it("changing an address touches only that address, the routes the kernel drops with it, and the neighbours' entries for it", () => {
    const before = compile(example('two-containers.yaml'), P);
    const lab = example('two-containers.yaml');
    lab.links[0]!.a.addresses = ['192.168.100.11/24'];
    expect(commands(lab, asObserved(before))).toEqual([
      'ip -n pb-two-containers.ns-web addr del 192.168.100.10/24 dev veth-web',
      'ip -n pb-two-containers.ns-web addr add 192.168.100.11/24 dev veth-web',
      'ip -n pb-two-containers.ns-web route replace default via 192.168.100.1',
      'ip -n pb-two-containers._host neigh flush to 192.168.100.11 dev br0',
      'ip -n pb-two-containers.ns-db neigh flush to 192.168.100.11 dev veth-db',
    ]);
  });

  it('changing an MTU sets it on that end only', () => {
    const before = compile(example('two-containers.yaml'), P);
    const lab = example('two-containers.yaml');
    lab.links[1]!.b.mtu = 1400;
    expect(commands(lab, asObserved(before))).toEqual([
      'ip -n pb-two-containers._host link set dev veth-db-br mtu 1400',
    ]);
  });

  it('removing a link deletes the pair once and nothing else', () => {
    const before = compile(example('two-containers.yaml'), P);
    const lab = example('two-containers.yaml');
    lab.links.splice(1, 1);
    delete (lab.nodes['ns-db'] as { routes?: unknown }).routes;
    expect(commands(lab, asObserved(before))).toEqual(['ip -n pb-two-containers._host link del dev veth-db-br']);
  });

  it('setting a link down removes its routes from the plan and downs it', () => {
    const before = compile(example('two-containers.yaml'), P);
    const lab = example('two-containers.yaml');
    lab.links[0]!.a.up = false;
    expect(commands(lab, asObserved(before))).toEqual([
      'ip -n pb-two-containers.ns-web route del default',
      'ip -n pb-two-containers.ns-web link set dev veth-web down',
    ]);
  });

  it('re-creates a veth whose peer changed, and removes namespaces no longer in the lab', () => {
    const before = compile(example('two-containers.yaml'), P);
    const lab = example('two-containers.yaml');
    delete lab.nodes['ns-db'];
    lab.nodes['ns-db2'] = { kind: 'netns' };
    lab.links[1]!.a.node = 'ns-db2';
    const cmds = commands(lab, asObserved(before));
    expect(cmds[0]).toBe('ip -n pb-two-containers._host link del dev veth-db-br');
    expect(cmds).toContain('ip netns del pb-two-containers.ns-db');
    expect(cmds).toContain('ip netns add pb-two-containers.ns-db2  # owned by its own user namespace (nsowner.py)');
    expect(cmds.filter((c) => c.includes('type veth'))).toHaveLength(1);
  });

  it('adding an overlay member adds its VTEP and the flood entries on both sides', () => {
    const lab = example('vxlan-two-hosts.yaml');
    const twoMembers = compile(lab, P);
    lab.nodes['host-c'] = { kind: 'host' };
    lab.nodes['br-c'] = { kind: 'bridge', host: 'host-c' };
    lab.links.push({
      a: { node: 'host-c', interface: 'eth0', addresses: ['192.168.1.12/24'] },
      b: { node: 'host-a', interface: 'eth1' },
    });
    lab.overlays![0]!.members.push({ bridge: 'br-c', local: '192.168.1.12' });
    const cmds = commands(lab, asObserved(twoMembers));
    expect(cmds).toContain(
      'bridge -n pb-vxlan-two-hosts.host-a fdb append 00:00:00:00:00:00 dev ov42 dst 192.168.1.12',
    );
    expect(cmds).toContain(
      'bridge -n pb-vxlan-two-hosts.host-b fdb append 00:00:00:00:00:00 dev ov42 dst 192.168.1.12',
    );
    expect(cmds).toContain(
      'ip -n pb-vxlan-two-hosts.host-c link add ov42 type vxlan id 42 local 192.168.1.12 dstport 4789 dev eth0',
    );
    expect(cmds.some((c) => c.includes('host-a link del') || c.includes('host-b link del'))).toBe(false);
  });

  it('never removes a namespace marked by another prefix or lab', () => {
    const d = compile(example('two-containers.yaml'), P);
    const observed = asObserved(d);
    observed.namespaces['pb-two-containers.stranger'] = {
      name: 'pb-two-containers.stranger',
      node: 'stranger',
      routes: [],
      sysctls: {},
      floods: [],
      links: {
        lo: { name: 'lo', kind: 'loopback', up: true, addresses: [], alias: 'patchbay:v1:pb-two-:containers:stranger' },
      },
    };
    expect(plan(diff(d, observed)).ops).toEqual([]);
  });

  it("reports a conflict when a wanted namespace carries someone else's marker", () => {
    const d = compile(example('two-containers.yaml'), P);
    const observed = asObserved(d);
    observed.namespaces['pb-two-containers.ns-web']!.links.lo!.alias = 'patchbay:v1:pb-two-:containers:ns-web';
    expect(diff(d, observed).conflicts).toHaveLength(1);
  });

  it('applying A→B then B→A plans the reverse changes', () => {
    const a = example('two-containers.yaml');
    const b = example('two-containers.yaml');
    b.links[0]!.a.addresses = ['192.168.100.11/24'];
    expect(commands(b, asObserved(compile(a, P)))).toEqual([
      'ip -n pb-two-containers.ns-web addr del 192.168.100.10/24 dev veth-web',
      'ip -n pb-two-containers.ns-web addr add 192.168.100.11/24 dev veth-web',
      'ip -n pb-two-containers.ns-web route replace default via 192.168.100.1',
      'ip -n pb-two-containers._host neigh flush to 192.168.100.11 dev br0',
      'ip -n pb-two-containers.ns-db neigh flush to 192.168.100.11 dev veth-db',
    ]);
    expect(commands(a, asObserved(compile(b, P)))).toEqual([
      'ip -n pb-two-containers.ns-web addr del 192.168.100.11/24 dev veth-web',
      'ip -n pb-two-containers.ns-web addr add 192.168.100.10/24 dev veth-web',
      'ip -n pb-two-containers.ns-web route replace default via 192.168.100.1',
      'ip -n pb-two-containers._host neigh flush to 192.168.100.10 dev br0',
      'ip -n pb-two-containers.ns-db neigh flush to 192.168.100.10 dev veth-db',
    ]);
  });
});
