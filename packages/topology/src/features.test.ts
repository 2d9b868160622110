import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KERNEL_FEATURES, checkFeatures, requiredFeatures, type KernelFeature } from './features.js';
import { parseLabText } from './parse.js';
import type { Lab } from './model.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples');
const example = (name: string): Lab => parseLabText(readFileSync(`${EXAMPLES}/${name}`, 'utf8')).lab!;

const lab = (text: string): Lab => parseLabText(text).lab!;

describe('requiredFeatures', () => {
  it('two-containers needs veth and bridge', () => {
    expect(requiredFeatures(example('two-containers.yaml'))).toEqual([
      { feature: 'veth', path: 'links' },
      { feature: 'bridge', path: 'nodes.br0' },
    ]);
  });
  it('vxlan for overlays', () => {
    expect(requiredFeatures(example('vxlan-two-hosts.yaml'))).toContainEqual({ feature: 'vxlan', path: 'overlays[0]' });
  });
  it('iptables-nat for nat, port forwards and a drop policy', () => {
    const l = lab(`name: t
nodes:
  h: { kind: host, nat: [{ masquerade: 10.0.0.0/8, out: eth0 }], portForwards: [{ proto: tcp, port: 80, to: "10.0.0.2:80" }], forwardPolicy: drop }
  c: { kind: netns }
links:
  - a: { node: h, interface: eth0, addresses: [10.0.0.1/8] }
    b: { node: c, interface: eth0, addresses: [10.0.0.2/8] }
`);
    const nat = requiredFeatures(l).filter((u) => u.feature === 'iptables-nat');
    expect(nat.map((u) => u.path)).toEqual(['nodes.h.nat', 'nodes.h.portForwards', 'nodes.h.forwardPolicy']);
  });
  it('bridge-vlan-filtering and bridge-stp', () => {
    const l = lab(`name: t
nodes:
  br0: { kind: bridge, vlanFiltering: true, stp: true }
  c: { kind: netns }
links:
  - a: { node: c, interface: eth0 }
    b: { node: br0, interface: p1, vlan: { pvid: 10 } }
`);
    const uses = requiredFeatures(l);
    expect(uses).toContainEqual({ feature: 'bridge-vlan-filtering', path: 'nodes.br0.vlanFiltering' });
    expect(uses).toContainEqual({ feature: 'bridge-vlan-filtering', path: 'links[0].b.vlan' });
    expect(uses).toContainEqual({ feature: 'bridge-stp', path: 'nodes.br0.stp' });
  });
});

describe('checkFeatures', () => {
  it('reports each use of a missing feature', () => {
    const l = lab('name: t\nnodes:\n  br0: { kind: bridge, vlanFiltering: true }\nlinks: []\n');
    const available = new Set<KernelFeature>(KERNEL_FEATURES.filter((f) => f !== 'bridge-vlan-filtering'));
    expect(checkFeatures(l, available)).toEqual([
      {
        path: 'nodes.br0.vlanFiltering',
        code: 'kernel.unsupported',
        message:
          "this machine's kernel does not support bridge VLAN filtering (bridge vlan_filtering), so this lab cannot run here",
      },
    ]);
  });
  it('reports nothing when everything is available', () => {
    expect(checkFeatures(example('docker-bridge-nat.yaml'), new Set(KERNEL_FEATURES))).toEqual([]);
  });
});

describe('macvlan and ebtables', () => {
  it('each macvlan needs macvlan, each anti-spoofing port ebtables; missing, they are refused by path', () => {
    const lab = parseLabText(`name: f
nodes:
  h: { kind: host }
  sw: { kind: bridge, host: h }
  c: { kind: netns }
  d: { kind: netns }
links:
  - a: { node: h, interface: eth0 }
    b: { node: sw, interface: p-h }
  - a: { node: d, interface: eth0, mac: "02:00:00:00:00:0d", addresses: [10.0.0.4/24] }
    b: { node: sw, interface: p-d, bridgePort: { antiSpoof: true } }
macvlans:
  - { node: c, interface: eth0, parent: { node: h, interface: eth0 } }
`).lab!;
    const uses = requiredFeatures(lab);
    expect(uses).toContainEqual({ feature: 'macvlan', path: 'macvlans[0]' });
    expect(uses).toContainEqual({ feature: 'ebtables', path: 'links[1].b.bridgePort.antiSpoof' });
    const without = new Set<KernelFeature>(KERNEL_FEATURES.filter((f) => f !== 'macvlan' && f !== 'ebtables'));
    expect(checkFeatures(lab, without).map((p) => `${p.path} ${p.code}`)).toEqual([
      'links[1].b.bridgePort.antiSpoof kernel.unsupported',
      'macvlans[0] kernel.unsupported',
    ]);
  });

  it('iptables-nat for firewall rules and policies', () => {
    const uses = requiredFeatures({
      name: 'f',
      nodes: { a: { kind: 'netns', firewall: [{ chain: 'INPUT', action: 'DROP' }] } },
      links: [],
      policies: [{ name: 'p', podSelector: {} }],
    }).filter((u) => u.feature === 'iptables-nat');
    expect(uses.map((u) => u.path)).toEqual(['nodes.a.firewall', 'policies']);
  });
});

describe('ip6tables', () => {
  it('IPv6 Services, NAT, forwards, rules and dual-stack policies need ip6tables; missing, they are refused by path', () => {
    const lab = example('dual-stack-services.yaml');
    const v6 = requiredFeatures(lab)
      .filter((u) => u.feature === 'ip6tables')
      .map((u) => u.path);
    expect(v6).toEqual(['nodes.node1.firewall[0]', 'nodes.node1.firewall[1]', 'policies', 'services[1].clusterIP']);
    const without = new Set<KernelFeature>(KERNEL_FEATURES.filter((f) => f !== 'ip6tables'));
    expect(checkFeatures(lab, without).map((p) => `${p.path} ${p.code}`)).toContain(
      'services[1].clusterIP kernel.unsupported',
    );
    const v4 = example('network-policy.yaml');
    expect(requiredFeatures(v4).some((u) => u.feature === 'ip6tables')).toBe(false);
  });
});
