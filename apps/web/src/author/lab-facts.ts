// What the check form offers from the lab: each node's interfaces as the kernel will name them,
// each bridge's ports, and the addresses the lab gives each node. Interfaces and ports come from
// the scenario parser's own `LabIndex`, so the lists are exactly what the parser accepts.
import { LabIndex } from '@patchbay/scenarios';
import { deviceName, isBridge, type Lab } from '@patchbay/topology';

export interface LabAddress {
  node: string;
  interface: string;
  /** Without the prefix length: what a check's `to`, `via` or `ip` takes. */
  ip: string;
  cidr: string;
}

export interface LabFacts {
  nodes: string[];
  bridges: string[];
  /** Nodes that can send (not bridges): ping/tcp `from`. */
  senders: string[];
  interfaces(node: string): string[];
  ports(bridge: string): string[];
  addresses: LabAddress[];
  addressesOf(node: string): LabAddress[];
}

export function labFacts(lab: Lab): LabFacts {
  const index = new LabIndex(lab);
  const nodes = Object.keys(lab.nodes);
  const bridges = nodes.filter((n) => isBridge(lab.nodes[n]!));
  const addresses: LabAddress[] = [];
  const add = (node: string, iface: string, cidrs: string[] | undefined) => {
    for (const cidr of cidrs ?? []) addresses.push({ node, interface: iface, ip: cidr.split('/')[0]!, cidr });
  };
  for (const n of bridges) {
    const spec = lab.nodes[n]!;
    if (isBridge(spec)) add(n, deviceName(n), spec.addresses);
  }
  for (const link of lab.links) for (const end of [link.a, link.b]) add(end.node, end.interface, end.addresses);
  return {
    nodes,
    bridges,
    senders: nodes.filter((n) => !bridges.includes(n)),
    interfaces: (node) => [...(index.interfaces.get(node) ?? [])].sort(),
    ports: (bridge) => [...(index.ports.get(bridge) ?? [])].sort(),
    addresses,
    addressesOf: (node) => addresses.filter((a) => a.node === node),
  };
}

/** 192.168.100.20/24 → 192.168.100.0/24: route destinations the form suggests. */
export function networkOf(cidr: string): string {
  const [ip = '', len = '32'] = cidr.split('/');
  const bits = Number(len);
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${bits}`;
}
