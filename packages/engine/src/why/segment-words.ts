// The words of layer 2's dead ends: a frame too big for the interface it is handed to, and an ARP
// request nobody answers — each with the node where the packet dies, what to run and the fix.
import type { KernelEnd, LabFacts } from './facts.js';
import type { Blocked, Packet } from './walk-types.js';

/** "node/dev", or "bridge NAME" for a bridge's own device. */
export function whereOf(facts: LabFacts, e: KernelEnd): string {
  const bridge = facts.bridgeNode(e.ns, e.dev);
  if (bridge) return `bridge ${bridge}`;
  return `${facts.nodeAt(e.ns, e.dev)}/${e.dev}`;
}

/**
 * A frame bigger than the interface it is handed to is dropped there, silently: a veth or a bridge
 * port takes at most its MTU plus 4 bytes (room for a VLAN tag) of IP packet (is_skb_forwardable).
 */
export function frameTooBig(
  facts: LabFacts,
  end: KernelEnd,
  mtu: number | undefined,
  packet: Packet,
  how: string,
  /** The node to name (a bridge port: its bridge); default the interface's own. */
  node = facts.nodeAt(end.ns, end.dev),
): Blocked | undefined {
  const limit = (mtu ?? 1500) + 4;
  if (packet.size <= limit) return undefined;
  const vxlan = facts.link(end.ns, end.dev)?.kind === 'vxlan';
  return {
    node,
    interface: end.dev,
    side: 'in',
    reason: 'mtu',
    detail: `a ${packet.size}-byte packet ${how} ${end.dev} (on ${node}), whose MTU is ${mtu}: the kernel drops it there without an ICMP error, so big packets vanish while small ones pass${vxlan ? ' (VXLAN takes 50 bytes of every frame for its headers)' : ''}`,
    fix: vxlan
      ? `keep the overlay's frames within ${mtu} bytes: give the interfaces that send into it MTU ${mtu} (mtu: ${mtu} on those links in the lab file), or raise the underlay's MTU to ${packet.size + 50} and ${end.dev}'s to ${packet.size}`
      : `give both ends of the link the same MTU (mtu: on the link in the lab file; ip -n ${end.ns} link set ${end.dev} mtu ${packet.size})`,
    commands: [`ip -n ${end.ns} -s -d link show ${end.dev}`],
  };
}

/**
 * Nobody answers "who has NEXT-HOP?": the sender waits in vain, so the packet dies at the sender.
 * `owner` holds the address elsewhere (or nobody does); `at` is where the request ends. A veth end
 * that is no bridge's port could answer by proxy ARP: said so when proxy_arp is off there.
 */
export function noArpAnswer(
  facts: LabFacts,
  nextHop: string,
  owner: KernelEnd | undefined,
  sender: KernelEnd,
  at: KernelEnd,
): Blocked {
  const node = facts.nodeAt(sender.ns, sender.dev);
  const l = facts.link(at.ns, at.dev);
  const proxy = l?.kind === 'veth' && !l.master && !owner;
  return {
    node,
    interface: sender.dev,
    side: 'out',
    reason: 'no-neighbour',
    detail: `${node} asks "who has ${nextHop}?" (ARP) on ${sender.dev} and nobody answers: ${
      owner
        ? `${whereOf(facts, owner)} holds ${nextHop}, but it is not on the segment of ${whereOf(facts, at)}`
        : 'no interface of the lab holds that address'
    }${proxy ? `; ${whereOf(facts, at)} could answer for it by proxy ARP, but proxy_arp is off there` : ''}`,
    fix: proxy
      ? `turn proxy ARP on at the other end: proxyArp: true on ${whereOf(facts, at)} in the lab file (ip netns exec ${at.ns} sysctl -w net.ipv4.conf.${at.dev}.proxy_arp=1)`
      : `make ${nextHop} an address on the segment of ${whereOf(facts, at)}, or route through an address that is (ip -n ${sender.ns} route)`,
    commands: [`ip -n ${sender.ns} neigh show dev ${sender.dev}`],
  };
}

/**
 * A frame bridged back towards the port it came in by (br_netfilter: a DNAT in the bridge's host
 * whose route leads out of the same bridge is bridged, not routed): a port not in hairpin mode
 * never sends a frame back where it came from (the kernel's should_deliver).
 */
export function notHairpin(bridgeNode: string, ns: string, port: string, nextHop: string): Blocked {
  return {
    node: bridgeNode,
    interface: port,
    reason: 'bridge-port-down',
    detail: `${nextHop} is behind port ${port}, the port the frame came in by: after the DNAT the frame is bridged back (br_netfilter), and port ${port} of bridge ${bridgeNode} is not in hairpin mode, so the bridge never sends it back out where it came from`,
    fix: `turn hairpin mode on for that port: bridge -n ${ns} link set dev ${port} hairpin on (in the lab file: bridgePort: { hairpin: true } on ${port}'s end)`,
    commands: [`bridge -n ${ns} -d link show dev ${port}`],
  };
}
