// Layer 2 of the walk: from the interface a node sends by to the interface that answers ARP for
// the next hop. The frame crosses veth pairs, bridges (the FDB's entry for the target's MAC, or a
// flood; each port's state) and VXLAN overlays (the VXLAN device's FDB names the remote VTEP; the
// encapsulated packet is walked through the underlay like any other packet, then decapsulated
// into the remote bridge). Which way a flood finds the target is decided on the lab's wiring
// (observed links, states ignored); the states are then checked along that way, so a down port
// is named as the place the frame dies, not "nobody answered".
import type { WhyHop } from '@patchbay/topology';
import type { KernelEnd, LabFacts } from './facts.js';
import { macvlanNeighbours, macvlanParentOf, macvlansOn } from './macvlan.js';
import type { Blocked, Packet, PathResult } from './walk-types.js';

/** Walks an encapsulated packet through the underlay (walk.ts's walker, passed in to avoid a cycle). */
export type UnderlayWalk = (ns: string, packet: Packet) => Promise<PathResult>;

export interface SegmentResult {
  hops: WhyHop[];
  blocked?: Blocked;
  /** The interface that holds the next hop's address (or answers for it: proxy ARP). */
  arrival?: KernelEnd;
}

const key = (e: KernelEnd) => `${e.ns}/${e.dev}`;

/** The other ends a frame leaving `end` reaches in one step, on the wiring alone. */
function neighboursOf(facts: LabFacts, end: KernelEnd): KernelEnd[] {
  const l = facts.link(end.ns, end.dev);
  if (!l) return [];
  const out: KernelEnd[] = [];
  if (l.kind === 'veth' && l.veth) out.push({ ns: l.peerNamespace ?? l.veth.peerNs, dev: l.veth.peerName });
  if (l.master) out.push({ ns: end.ns, dev: l.master });
  if (l.kind === 'bridge')
    for (const p of Object.values(facts.observed[end.ns]?.links ?? {}))
      if (p.master === end.dev) out.push({ ns: end.ns, dev: p.name });
  if (l.kind === 'vxlan' && l.vxlan) {
    for (const [ns, state] of Object.entries(facts.observed))
      for (const other of Object.values(state.links))
        if (other.kind === 'vxlan' && other.vxlan?.vni === l.vxlan.vni && !(ns === end.ns && other.name === end.dev))
          out.push({ ns, dev: other.name });
  }
  out.push(...macvlanNeighbours(facts, end));
  return out;
}

/** Whether the wiring beyond `start` (not back through `exclude`) reaches `target`. */
function wiredTo(facts: LabFacts, start: KernelEnd, target: KernelEnd, exclude: KernelEnd): boolean {
  const seen = new Set([key(exclude), key(start)]);
  const queue = [start];
  while (queue.length > 0) {
    const e = queue.shift()!;
    if (key(e) === key(target)) return true;
    for (const n of neighboursOf(facts, e))
      if (!seen.has(key(n))) {
        seen.add(key(n));
        queue.push(n);
      }
  }
  return false;
}

export class Segment {
  private readonly hops: WhyHop[] = [];
  private readonly seen = new Set<string>();
  private target: KernelEnd | undefined;
  private from: KernelEnd | undefined;

  constructor(
    private readonly facts: LabFacts,
    private readonly nextHop: string,
    private readonly packet: Packet,
    private readonly underlay: UnderlayWalk,
  ) {}

  async cross(from: KernelEnd): Promise<SegmentResult> {
    // The same address may be held in several places (a link-local gateway on every host): the
    // one that counts is the one wired to this segment.
    const owners = this.facts.ownersOf(this.nextHop);
    this.target = owners.find((o) => wiredTo(this.facts, from, o, from)) ?? owners[0];
    this.from = from;
    const r = await this.leave(from);
    return { hops: this.hops, ...r };
  }

  private where(e: KernelEnd): string {
    return `${this.facts.nodeAt(e.ns)}/${e.dev}`;
  }

  /** Nobody answers ARP: the frame's sender waits in vain (it is where the packet dies). */
  private nobody(e: KernelEnd): Omit<SegmentResult, 'hops'> {
    const owner = this.target;
    const sender = this.from ?? e;
    return {
      blocked: {
        node: this.facts.nodeAt(sender.ns),
        interface: sender.dev,
        reason: 'no-neighbour',
        detail: owner
          ? `no answer to ARP for ${this.nextHop}: ${this.where(owner)} holds it, but it is not on the segment of ${this.where(e)}`
          : `no answer to ARP for ${this.nextHop}: no interface of the lab holds that address`,
        fix: `make ${this.nextHop} an address on the segment of ${this.where(e)}, or route through an address that is`,
      },
    };
  }

  /** The frame leaves `from` (a node's interface, a bridge port, or a bridge's own address). */
  private async leave(from: KernelEnd): Promise<Omit<SegmentResult, 'hops'>> {
    if (this.seen.has(key(from))) return this.nobody(from);
    this.seen.add(key(from));
    const l = this.facts.link(from.ns, from.dev);
    if (!l) return this.nobody(from);
    const own = this.target ? macvlansOn(this.facts, from).find((m) => key(m.end) === key(this.target!)) : undefined;
    if (own && key(from) === key(this.from ?? from)) {
      const node = this.facts.nodeAt(from.ns);
      return {
        blocked: {
          node,
          interface: from.dev,
          reason: 'no-neighbour',
          detail: `${this.nextHop} is on macvlan ${this.where(own.end)}, stacked on ${from.dev} itself: a macvlan never talks to its own parent, so ${node} cannot reach it by ${from.dev}`,
          fix: `give ${node} a macvlan of its own on ${from.dev} (a shim) and route to ${this.nextHop} through it`,
        },
      };
    }
    if (l.kind === 'veth' && l.veth) return this.arrive({ ns: l.peerNamespace ?? l.veth.peerNs, dev: l.veth.peerName });
    if (l.kind === 'bridge') return this.bridge(from.ns, from.dev, undefined);
    if (l.kind === 'vxlan') return this.encapsulate(from);
    if (l.kind === 'macvlan') return this.macvlanOut(from);
    return this.nobody(from);
  }

  /** A frame sent by a macvlan: to a sibling (by mode), never to the parent, else out of the parent's wire. */
  private async macvlanOut(from: KernelEnd): Promise<Omit<SegmentResult, 'hops'>> {
    const mv = macvlanParentOf(this.facts, from);
    if (!mv) return this.nobody(from);
    const node = this.facts.nodeAt(from.ns);
    const parentName = this.where(mv.parent);
    const target = this.target;
    if (target && key(target) === key(mv.parent))
      return {
        blocked: {
          node,
          interface: from.dev,
          reason: 'no-neighbour',
          detail: `${this.nextHop} is on ${parentName}, the parent of macvlan ${from.dev}: a macvlan never talks to its own parent`,
          fix: `give ${this.facts.nodeAt(mv.parent.ns)} a macvlan of its own on ${mv.parent.dev} (a shim) and route to ${node} through it`,
        },
      };
    const sibling = target ? macvlansOn(this.facts, mv.parent).find((m) => key(m.end) === key(target)) : undefined;
    if (sibling && mv.mode === 'bridge' && sibling.mode === 'bridge') {
      this.hops.push({
        node,
        out: from.dev,
        action: 'switch',
        detail: `macvlan bridge mode: ${this.where(sibling.end)} is on the same parent (${parentName}), so the kernel delivers the frame directly`,
      });
      return this.arrive(sibling.end);
    }
    if (sibling && (mv.mode === 'private' || sibling.mode === 'private'))
      return {
        blocked: {
          node,
          interface: from.dev,
          reason: 'no-neighbour',
          detail: `macvlan private mode: ${this.where(sibling.end)} shares the parent ${parentName}, and private macvlans never talk to each other`,
          fix: `use mode bridge for both macvlans (ip link add … type macvlan mode bridge)`,
        },
      };
    if (sibling && mv.mode === 'vepa') {
      // Out of the parent, back in only if the switch port beyond it sends frames back (hairpin).
      const p = this.facts.link(mv.parent.ns, mv.parent.dev);
      const port = p?.veth ? { ns: p.peerNamespace ?? p.veth.peerNs, dev: p.veth.peerName } : undefined;
      const hairpin = port ? this.facts.link(port.ns, port.dev)?.port?.hairpin === true : false;
      this.hops.push({
        node,
        out: from.dev,
        action: 'switch',
        detail: `macvlan vepa mode: the frame for ${this.where(sibling.end)} leaves by ${parentName} and must come back from the switch${port ? ` (port ${port.dev})` : ''}`,
      });
      if (hairpin) return this.arrive(sibling.end);
      return {
        blocked: {
          node: port ? this.facts.nodeAt(port.ns) : node,
          interface: port?.dev ?? from.dev,
          reason: 'no-neighbour',
          detail: `the switch port ${port?.dev ?? 'beyond the parent'} is not in hairpin mode: it never sends a frame back where it came from`,
          fix: port
            ? `ip -n ${port.ns} link set dev ${port.dev} type bridge_slave hairpin on`
            : 'use mode bridge for both macvlans',
        },
      };
    }
    this.hops.push({
      node,
      out: from.dev,
      action: 'switch',
      detail: `macvlan ${from.dev} sends by its parent ${parentName}`,
    });
    return this.leave(mv.parent);
  }

  /** The frame arrives at `end`: down, a bridge port, the target, or a stranger. */
  private async arrive(end: KernelEnd): Promise<Omit<SegmentResult, 'hops'>> {
    const l = this.facts.link(end.ns, end.dev);
    const pf = await this.facts.pathFacts(end.ns);
    const flags = pf.links[end.dev]?.flags ?? [];
    if (!l || !flags.includes('UP')) {
      const node = this.facts.nodeAt(end.ns);
      return {
        blocked: {
          node,
          interface: end.dev,
          reason: 'link-down',
          detail: `${node}/${end.dev} is administratively down: it drops every frame`,
          fix: `ip -n ${end.ns} link set ${end.dev} up`,
        },
      };
    }
    if (l.master) return this.bridge(end.ns, l.master, end.dev);
    // A frame for a macvlan's MAC arriving at its parent goes to that macvlan.
    const child = this.target ? macvlansOn(this.facts, end).find((m) => key(m.end) === key(this.target!)) : undefined;
    if (child) {
      this.hops.push({
        node: this.facts.nodeAt(end.ns),
        in: end.dev,
        action: 'switch',
        detail: `the frame is for macvlan ${this.where(child.end)} on ${end.dev}: passed to it`,
      });
      return this.arrive(child.end);
    }
    if (this.target && key(this.target) === key(end)) return { arrival: end };
    if (pf.netconf[end.dev]?.proxyArp) return { arrival: end };
    return this.nobody(end);
  }

  private async bridge(ns: string, br: string, inPort: string | undefined): Promise<Omit<SegmentResult, 'hops'>> {
    const bridgeNode = this.facts.bridgeNode(ns, br) ?? this.facts.nodeAt(ns, br);
    const pf = await this.facts.pathFacts(ns);
    if (inPort) {
      const state = pf.ports[inPort]?.state;
      if (state && state !== 'forwarding')
        return {
          blocked: {
            node: bridgeNode,
            interface: inPort,
            reason: 'bridge-port-down',
            detail: `port ${inPort} of bridge ${bridgeNode} is ${state}: frames coming in there are dropped`,
            fix: `bring ${inPort} and its peer up (ip -n ${ns} link set ${inPort} up)`,
          },
        };
    }
    if (!pf.links[br]?.flags.includes('UP'))
      return {
        blocked: {
          node: bridgeNode,
          interface: br,
          reason: 'link-down',
          detail: `bridge ${bridgeNode} (${br}) is administratively down`,
          fix: `ip -n ${ns} link set ${br} up`,
        },
      };
    const here = { ns, dev: br };
    if (this.target && key(this.target) === key(here)) {
      this.hops.push({
        node: bridgeNode,
        in: inPort,
        action: 'switch',
        detail: `${br} holds ${this.nextHop} itself: up to its host's IP stack`,
      });
      return { arrival: here };
    }
    const ports = Object.values(this.facts.observed[ns]?.links ?? {}).filter(
      (p) => p.master === br && p.name !== inPort,
    );
    const targetMac = this.target ? this.facts.link(this.target.ns, this.target.dev)?.mac : undefined;
    const learned = targetMac
      ? pf.fdb.find((e) => e.master === br && e.mac === targetMac && !e.flags.includes('self'))
      : undefined;
    const wired = this.target
      ? ports.find((p) => wiredTo(this.facts, { ns, dev: p.name }, this.target!, here))
      : undefined;
    const out = learned ? (ports.find((p) => p.name === learned.dev) ?? wired) : wired;
    const why = learned
      ? `the FDB has ${targetMac} on port ${learned.dev}`
      : `no FDB entry for ${targetMac ?? `the MAC of ${this.nextHop}`}: flooded to every port${out ? `; ${this.nextHop} is behind ${out.name}` : ''}`;
    this.hops.push({
      node: bridgeNode,
      in: inPort,
      out: out?.name,
      action: 'switch',
      detail: why,
      commands: [`bridge -n ${ns} fdb show br ${br}`],
    });
    if (!out) return this.nobody(here);
    const state = pf.ports[out.name]?.state;
    if (!out.up || (state && state !== 'forwarding' && out.kind !== 'vxlan')) {
      const peer = out.veth ? { ns: out.peerNamespace ?? out.veth.peerNs, dev: out.veth.peerName } : undefined;
      const peerUp = peer ? (await this.facts.pathFacts(peer.ns)).links[peer.dev]?.flags.includes('UP') : true;
      if (out.up && peer && !peerUp) {
        const node = this.facts.nodeAt(peer.ns);
        return {
          blocked: {
            node,
            interface: peer.dev,
            reason: 'link-down',
            detail: `${node}/${peer.dev} is administratively down, so port ${out.name} of bridge ${bridgeNode} has no carrier (${state ?? 'down'})`,
            fix: `ip -n ${peer.ns} link set ${peer.dev} up`,
          },
        };
      }
      return {
        blocked: {
          node: bridgeNode,
          interface: out.name,
          reason: 'bridge-port-down',
          detail: `port ${out.name} of bridge ${bridgeNode} is ${out.up ? state : 'administratively down'}: the frame is not sent there`,
          fix: `ip -n ${ns} link set ${out.name} up`,
        },
      };
    }
    return this.leave({ ns, dev: out.name });
  }

  /** A bridge's VXLAN port: the VXLAN FDB names the remote VTEP; the underlay carries the frame. */
  private async encapsulate(vx: KernelEnd): Promise<Omit<SegmentResult, 'hops'>> {
    const l = this.facts.link(vx.ns, vx.dev)!;
    const node = this.facts.nodeAt(vx.ns, l.master);
    const pf = await this.facts.pathFacts(vx.ns);
    const targetMac = this.target ? this.facts.link(this.target.ns, this.target.dev)?.mac : undefined;
    const own = pf.fdb.find((e) => e.dev === vx.dev && e.dst && e.mac === targetMac);
    const floods = pf.fdb.filter((e) => e.dev === vx.dev && e.dst && e.mac === '00:00:00:00:00:00').map((e) => e.dst!);
    const remotes = own?.dst ? [own.dst] : floods;
    if (remotes.length === 0 || !l.vxlan)
      return {
        blocked: {
          node,
          interface: vx.dev,
          reason: 'no-fdb-remote',
          detail: `VXLAN device ${vx.dev} has no FDB entry naming a remote VTEP: the frame has nowhere to go`,
          fix: `bridge -n ${vx.ns} fdb append 00:00:00:00:00:00 dev ${vx.dev} dst REMOTE-VTEP`,
        },
      };
    // The remote that leads to the target: the VTEP whose VXLAN device is wired to it.
    const remote =
      remotes.find((r) => {
        const o = this.facts.ownerOf(r);
        if (!o || !this.target) return false;
        return Object.values(this.facts.observed[o.ns]?.links ?? {}).some(
          (x) =>
            x.kind === 'vxlan' &&
            x.vxlan?.vni === l.vxlan!.vni &&
            wiredTo(this.facts, { ns: o.ns, dev: x.name }, this.target!, vx),
        );
      }) ?? remotes[0]!;
    this.hops.push({
      node,
      out: vx.dev,
      action: 'encapsulate',
      detail: `VXLAN VNI ${l.vxlan.vni}: ${own ? `the FDB has ${targetMac} at` : 'flooded to'} VTEP ${remote} (UDP ${l.vxlan.port}), from ${l.vxlan.local}`,
      src: l.vxlan.local,
      dst: remote,
      commands: [`bridge -n ${vx.ns} fdb show dev ${vx.dev}`],
    });
    const under = await this.underlay(vx.ns, {
      src: l.vxlan.local,
      dst: remote,
      proto: 'udp',
      port: l.vxlan.port,
      size: this.packet.size + 50,
      df: this.packet.df,
    });
    this.hops.push(...under.hops);
    if (under.blocked) return { blocked: under.blocked };
    const at = under.delivered!.ns;
    const peer = Object.values(this.facts.observed[at]?.links ?? {}).find(
      (x) => x.kind === 'vxlan' && x.vxlan?.vni === l.vxlan!.vni && x.vxlan.port === l.vxlan!.port,
    );
    if (!peer)
      return {
        blocked: {
          node: this.facts.nodeOfNs(at),
          reason: 'no-fdb-remote',
          detail: `VTEP ${remote} has no VXLAN device with VNI ${l.vxlan.vni} on port ${l.vxlan.port}: the packet is dropped there`,
        },
      };
    this.hops.push({
      node: this.facts.nodeAt(at, peer.master),
      in: peer.name,
      action: 'decapsulate',
      detail: `VXLAN VNI ${l.vxlan.vni} from ${l.vxlan.local}: the inner frame enters ${peer.master ? `bridge ${this.facts.nodeAt(at, peer.master)}` : peer.name}`,
    });
    this.seen.add(key({ ns: at, dev: peer.name }));
    if (peer.master) return this.bridge(at, peer.master, peer.name);
    return this.arrive({ ns: at, dev: peer.name });
  }
}
