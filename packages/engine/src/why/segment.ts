// Layer 2 of the walk: from the interface a node sends by to the interface that answers ARP for
// the next hop. The frame crosses veth pairs, bridges (the FDB's entry for the target's MAC, or a
// flood; each port's state) and VXLAN overlays (the VXLAN device's FDB names the remote VTEP; the
// encapsulated packet is walked through the underlay like any other packet, then decapsulated
// into the remote bridge). Which way a flood finds the target is decided on the lab's wiring
// (observed links, states ignored); the states are then checked along that way, so a down port
// is named as the place the frame dies, not "nobody answered".
import type { WhyHop } from '@patchbay/topology';
import type { KernelEnd, LabFacts } from './facts.js';
import { macvlanStep, parentToOwnMacvlan, toMacvlanOf } from './macvlan.js';
import { frameTooBig, noArpAnswer, notHairpin, whereOf } from './segment-words.js';
import type { Blocked, Packet, PathResult } from './walk-types.js';
import { key, wiredTo } from './wiring.js';

/** Walks an encapsulated packet through the underlay (walk.ts's walker, passed in to avoid a cycle). */
export type UnderlayWalk = (ns: string, packet: Packet) => Promise<PathResult>;

/**
 * iptables' FORWARD chain for a frame bridged from one port to another (br_netfilter: bridged IPv4
 * goes through it, with `-i`/`-o` the bridge and physdev the ports): a drop, or nothing.
 */
export type BridgedFilter = (
  ns: string,
  bridge: string,
  inPort: string,
  outPort: string,
  packet: Packet,
) => Blocked | undefined;

export interface SegmentResult {
  hops: WhyHop[];
  blocked?: Blocked;
  /** The interface that holds the next hop's address (or answers for it: proxy ARP). */
  arrival?: KernelEnd;
  /** The drop is already among `hops` (it happened in the underlay, walked as a path of its own). */
  dropListed?: boolean;
  /** Something odd about the segment the sender's hop should say (an address held twice). */
  note?: string;
  /** The arrival is a bridge's own device: the port the frame came in by (see `cross`'s `bridgedFrom`). */
  arrivedBy?: string;
}

export class Segment {
  private readonly hops: WhyHop[] = [];
  private readonly seen = new Set<string>();
  private target: KernelEnd | undefined;
  private from: KernelEnd | undefined;
  private bridgedFrom: string | undefined;

  constructor(
    private readonly facts: LabFacts,
    private readonly nextHop: string,
    private readonly packet: Packet,
    /** Whether the packet is the reply (the wording of the hops says so). */
    private readonly reply: boolean,
    private readonly underlay: UnderlayWalk,
    private readonly bridgedFilter?: BridgedFilter,
  ) {}

  /**
   * `bridgedFrom`: the packet left by a bridge's own device after a DNAT in its host, and
   * br_netfilter bridges it on from the port it came in by rather than routing it (so hairpin counts).
   */
  async cross(from: KernelEnd, bridgedFrom?: string): Promise<SegmentResult> {
    this.bridgedFrom = bridgedFrom;
    // The same address may be held in several places (a link-local gateway on every host): the
    // one that counts is the one wired to this segment.
    const owners = this.facts.ownersOf(this.nextHop);
    const wired = owners.filter((o) => wiredTo(this.facts, from, o, from));
    this.target = wired[0] ?? owners[0];
    this.from = from;
    let note: string | undefined;
    if (wired.length > 1) {
      // Two interfaces on one segment claim the address: ARP gets an answer from each, and the
      // sender's neighbour table says which one it believed.
      const pf = await this.facts.pathFacts(from.ns);
      const entry = pf.neighbours.find((n) => n.dst === this.nextHop && n.dev === from.dev && n.lladdr);
      const believed = entry && wired.find((o) => this.facts.link(o.ns, o.dev)?.mac === entry.lladdr);
      if (believed) this.target = believed;
      note = `${wired.map((o) => this.where(o)).join(' and ')} all hold ${this.nextHop} on this segment: ARP gets ${wired.length} answers${believed ? `, and ${this.facts.nodeAt(from.ns, from.dev)}'s neighbour table has ${entry.lladdr}, ${this.where(believed)}'s MAC` : ''} (an address must be held once)`;
    }
    const r = await this.leave(from);
    return { hops: this.hops, ...r, ...(note ? { note } : {}) };
  }

  private where(e: KernelEnd): string {
    return whereOf(this.facts, e);
  }

  private tooBig(end: KernelEnd, mtu: number | undefined, how: string, node?: string): Blocked | undefined {
    return frameTooBig(this.facts, end, mtu, this.packet, how, node);
  }

  /** Nobody answers ARP: the frame's sender waits in vain (it is where the packet dies). */
  private nobody(e: KernelEnd): Omit<SegmentResult, 'hops'> {
    return { blocked: noArpAnswer(this.facts, this.nextHop, this.target, this.from ?? e, e) };
  }

  /** The frame leaves `from` (a node's interface, a bridge port, or a bridge's own address). */
  private async leave(from: KernelEnd): Promise<Omit<SegmentResult, 'hops'>> {
    if (this.seen.has(key(from))) return this.nobody(from);
    this.seen.add(key(from));
    const l = this.facts.link(from.ns, from.dev);
    if (!l) return this.nobody(from);
    // The sender's own interface, and the target one of its macvlans: never reached that way.
    const own =
      key(from) === key(this.from ?? from)
        ? parentToOwnMacvlan(this.facts, from, this.target, this.nextHop)
        : undefined;
    if (own) return { blocked: own };
    if (l.kind === 'veth' && l.veth) return this.arrive({ ns: l.peerNamespace ?? l.veth.peerNs, dev: l.veth.peerName });
    if (l.kind === 'bridge')
      return this.bridge(from.ns, from.dev, key(from) === key(this.from ?? from) ? this.bridgedFrom : undefined);
    if (l.kind === 'vxlan') return this.encapsulate(from);
    if (l.kind === 'macvlan') return this.macvlanOut(from);
    return this.nobody(from);
  }

  /** A frame sent by a macvlan: to a sibling (by mode), never to the parent, else out of the parent's wire. */
  private async macvlanOut(from: KernelEnd): Promise<Omit<SegmentResult, 'hops'>> {
    const step = macvlanStep(this.facts, from, this.target, this.nextHop);
    if (!step) return this.nobody(from);
    if (step.hop) this.hops.push(step.hop);
    if (step.blocked) return { blocked: step.blocked };
    if (step.arrive) return this.arrive(step.arrive);
    return this.leave(step.parent!);
  }

  /** The frame arrives at `end`: down, a bridge port, the target, or a stranger. */
  private async arrive(end: KernelEnd): Promise<Omit<SegmentResult, 'hops'>> {
    // The lab's observation has the admin state, the MTU and proxy ARP: no extra read here.
    const l = this.facts.link(end.ns, end.dev);
    if (!l?.up) {
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
    const big = this.tooBig(end, l.mtu, 'arrives at');
    if (big) return { blocked: big };
    if (l.master) return this.bridge(end.ns, l.master, end.dev);
    // A frame for a macvlan's MAC arriving at its parent goes to that macvlan.
    const child = toMacvlanOf(this.facts, end, this.target);
    if (child) {
      this.hops.push(child.hop);
      return this.arrive(child.to);
    }
    if (this.target && key(this.target) === key(end)) return { arrival: end };
    if (this.facts.observed[end.ns]?.sysctls[`net.ipv4.conf.${end.dev}.proxy_arp`] === '1') return { arrival: end };
    return this.nobody(end);
  }

  private async bridge(ns: string, br: string, inPort: string | undefined): Promise<Omit<SegmentResult, 'hops'>> {
    const bridgeNode = this.facts.bridgeNode(ns, br) ?? this.facts.nodeAt(ns, br);
    const pf = await this.facts.pathFacts(ns);
    // The bridge itself first: down, it disables every port.
    if (!pf.links[br]?.flags.includes('UP'))
      return {
        blocked: {
          node: bridgeNode,
          interface: br,
          reason: 'link-down',
          detail: `bridge ${bridgeNode} (${br}) is administratively down: it forwards no frame (every port is disabled)`,
          fix: `bring the bridge up: ip -n ${ns} link set ${br} up (in the lab file: no up: false on ${bridgeNode})`,
          commands: [`ip -n ${ns} link show ${br}`, `bridge -n ${ns} link show`],
        },
      };
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
    const here = { ns, dev: br };
    if (this.target && key(this.target) === key(here)) {
      this.hops.push({
        node: bridgeNode,
        in: inPort,
        action: 'switch',
        detail: `bridge ${bridgeNode} (${br}) holds ${this.nextHop} itself: the frame goes up to its host's IP stack`,
        commands: [`ip -n ${ns} addr show dev ${br}`],
      });
      return { arrival: here, ...(inPort ? { arrivedBy: inPort } : {}) };
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
    let out = learned ? (ports.find((p) => p.name === learned.dev) ?? wired) : wired;
    // Bridged back (br_netfilter, after a DNAT) to the port it came in by: only a hairpin port sends it.
    const back = this.target && inPort && this.bridgedFrom === inPort ? this.facts.link(ns, inPort) : undefined;
    if (!out && back && wiredTo(this.facts, { ns, dev: back.name }, this.target!, here)) {
      if (back.port?.hairpin !== true) return { blocked: notHairpin(bridgeNode, ns, back.name, this.nextHop) };
      out = back;
    }
    // The target is wired to no port here, but the flood also goes into the overlay's tunnels: when
    // a far end's VXLAN device is no bridge's port, follow it there to say where the frame ends.
    if (!out && this.target) out = ports.find((p) => p.kind === 'vxlan' && this.unbridgedRemote(p.name, ns));
    const why = learned
      ? `the FDB has ${targetMac} on port ${learned.dev}`
      : `no FDB entry for ${targetMac ?? `the MAC of ${this.nextHop}`}: flooded to every port${out ? `; ${this.nextHop} is behind ${out.name}` : ''}`;
    const hairpin =
      out && out === back ? `; port ${out.name} is in hairpin mode, so the frame goes back out where it came in` : '';
    this.hops.push({
      node: bridgeNode,
      in: inPort,
      out: out?.name,
      action: 'switch',
      detail: why + hairpin,
      commands: [`bridge -n ${ns} fdb show br ${br}`],
    });
    if (!out) return this.nobody(here);
    const state = pf.ports[out.name]?.state;
    if (!out.up || (state && state !== 'forwarding' && out.kind !== 'vxlan')) {
      const peer = out.veth ? { ns: out.peerNamespace ?? out.veth.peerNs, dev: out.veth.peerName } : undefined;
      const peerUp = peer ? this.facts.link(peer.ns, peer.dev)?.up : true;
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
    const big = this.tooBig(
      { ns, dev: out.name },
      out.mtu,
      `is handed by bridge ${bridgeNode} to its port`,
      bridgeNode,
    );
    if (big) return { blocked: big };
    const filtered = inPort ? this.bridgedFilter?.(ns, br, inPort, out.name, this.packet) : undefined;
    if (filtered) return { blocked: filtered };
    return this.leave({ ns, dev: out.name });
  }

  /** Whether a VXLAN port's far ends include a VXLAN device that is no bridge's port (nothing behind it). */
  private unbridgedRemote(dev: string, ns: string): boolean {
    const vni = this.facts.link(ns, dev)?.vxlan?.vni;
    return Object.entries(this.facts.observed).some(
      ([other, st]) =>
        other !== ns && Object.values(st.links).some((x) => x.kind === 'vxlan' && x.vxlan?.vni === vni && !x.master),
    );
  }

  /** A bridge's VXLAN port: the VXLAN FDB names the remote VTEP; the underlay carries the frame. */
  private async encapsulate(vx: KernelEnd): Promise<Omit<SegmentResult, 'hops'>> {
    const l = this.facts.link(vx.ns, vx.dev)!;
    const node = this.facts.nodeAt(vx.ns, l.master);
    const pf = await this.facts.pathFacts(vx.ns);
    let targetMac = this.target ? this.facts.link(this.target.ns, this.target.dev)?.mac : undefined;
    const floods = pf.fdb.filter((e) => e.dev === vx.dev && e.dst && e.mac === '00:00:00:00:00:00').map((e) => e.dst!);
    const fdbCommand = `bridge -n ${vx.ns} fdb show dev ${vx.dev}`;
    if (!l.master) {
      // A VTEP routed to (flannel's): the next hop's MAC comes from the neighbour table; without an
      // entry, ARP's broadcast can only go where the FDB floods (the all-zeros entries).
      const entry = pf.neighbours.find(
        (n) =>
          n.dst === this.nextHop && n.dev === vx.dev && n.lladdr && !n.state.some((x) => /FAILED|INCOMPLETE/.test(x)),
      );
      if (entry) targetMac = entry.lladdr;
      else if (floods.length === 0) {
        const who = this.facts.nodeAt(vx.ns, vx.dev);
        return {
          blocked: {
            node: who,
            interface: vx.dev,
            side: 'out',
            reason: 'no-neighbour',
            detail: `${who} has no neighbour entry for ${this.nextHop} on ${vx.dev}, and cannot ask for one: ARP's broadcast would have to be flooded, but ${vx.dev}'s FDB has no all-zeros (flood) entry, so the ${this.reply ? 'reply' : 'packet'} is never sent`,
            fix: `add the neighbour entry${targetMac ? '' : ' (the MAC of the far VTEP device)'}: ip -n ${vx.ns} neigh replace ${this.nextHop} lladdr ${targetMac ?? 'MAC'} dev ${vx.dev} nud permanent`,
            commands: [`ip -n ${vx.ns} neigh show dev ${vx.dev}`, fdbCommand],
          },
        };
      }
    }
    const own = pf.fdb.find((e) => e.dev === vx.dev && e.dst && e.mac === targetMac);
    const remotes = own?.dst ? [own.dst] : floods;
    if (remotes.length === 0 || !l.vxlan)
      return {
        blocked: {
          node,
          interface: vx.dev,
          side: 'out',
          reason: 'no-fdb-remote',
          detail: `VXLAN device ${vx.dev} (on ${node}) has no FDB entry naming a remote VTEP for ${targetMac ?? this.nextHop}, and no all-zeros entry to flood to: the frame has nowhere to go and is dropped`,
          fix: `give ${vx.dev} its remote VTEP: bridge -n ${vx.ns} fdb append 00:00:00:00:00:00 dev ${vx.dev} dst REMOTE-VTEP (the overlay's other members in the lab file do this when the lab is applied again)`,
          commands: [fdbCommand],
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
      detail: `${vx.dev} wraps the frame in VXLAN (VNI ${l.vxlan.vni}, UDP ${l.vxlan.port}) for VTEP ${remote}: ${own ? `its FDB has ${targetMac} at ${remote}` : `no FDB entry for ${targetMac ?? 'the MAC'}, so it floods to every remote of the all-zeros entries`}; the outer packet ${l.vxlan.local} → ${remote} crosses the underlay`,
      src: l.vxlan.local,
      dst: remote,
      commands: [fdbCommand],
    });
    const under = await this.underlay(vx.ns, {
      src: l.vxlan.local,
      dst: remote,
      proto: 'udp',
      port: l.vxlan.port,
      size: this.packet.size + 50,
      // The kernel's VXLAN leaves the outer DF bit off unless the device says otherwise (df set).
      df: false,
    });
    this.hops.push(...under.hops);
    if (under.blocked) return { blocked: under.blocked, dropListed: true };
    const at = under.delivered!.ns;
    const peer = Object.values(this.facts.observed[at]?.links ?? {}).find(
      (x) => x.kind === 'vxlan' && x.vxlan?.vni === l.vxlan!.vni && x.vxlan.port === l.vxlan!.port,
    );
    if (!peer)
      return {
        blocked: {
          node: this.facts.nodeOfNs(at),
          reason: 'no-fdb-remote',
          detail: `${vx.dev}'s FDB sends the frame to VTEP ${remote} (${this.facts.nodeOfNs(at)}), but ${this.facts.nodeOfNs(at)} has no VXLAN device with VNI ${l.vxlan.vni} on UDP port ${l.vxlan.port}: the packet is dropped there`,
          fix: `point ${vx.dev}'s FDB at the right VTEP (bridge -n ${vx.ns} fdb show dev ${vx.dev}), or give ${this.facts.nodeOfNs(at)} a VXLAN device with VNI ${l.vxlan.vni} and dstport ${l.vxlan.port} (the overlay's members in the lab file)`,
          commands: [fdbCommand, `ip -n ${at} -d link show type vxlan`],
        },
      };
    this.hops.push({
      node: this.facts.nodeAt(at, peer.master),
      in: peer.name,
      action: 'decapsulate',
      detail: `${peer.name} takes the VXLAN packet from ${l.vxlan.local} (VNI ${l.vxlan.vni}) off the underlay: the inner frame enters ${peer.master ? `bridge ${this.facts.nodeAt(at, peer.master)}` : peer.name}`,
      commands: [`ip -n ${at} -d link show ${peer.name}`],
    });
    this.seen.add(key({ ns: at, dev: peer.name }));
    if (peer.master) return this.bridge(at, peer.master, peer.name);
    const end = { ns: at, dev: peer.name };
    if (this.target && key(this.target) === key(end)) return { arrival: end };
    // Decapsulated into a VXLAN device that is no bridge's port and does not hold the next hop: the
    // inner frame ends there (a VTEP left out of its bridge).
    const who = this.facts.nodeOfNs(at);
    const bridgeThere = Object.values(this.facts.observed[at]?.links ?? {}).find(
      (x) => x.kind === 'bridge' && this.target && wiredTo(this.facts, { ns: at, dev: x.name }, this.target, end),
    );
    return {
      blocked: {
        node: who,
        interface: peer.name,
        side: 'in',
        reason: 'no-neighbour',
        detail: `${who}'s ${peer.name} decapsulates the frame, but ${peer.name} is not a port of any bridge and does not hold ${this.nextHop}: the frame ends there, and "who has ${this.nextHop}?" is never answered${bridgeThere ? ` (${this.nextHop} is behind bridge ${this.facts.nodeAt(at, bridgeThere.name)})` : ''}`,
        fix: bridgeThere
          ? `make ${peer.name} a port of ${this.facts.nodeAt(at, bridgeThere.name)}: ip -n ${at} link set ${peer.name} master ${bridgeThere.name}`
          : `make ${peer.name} a port of the bridge the overlay joins (ip -n ${at} link set ${peer.name} master BRIDGE)`,
        commands: [`bridge -n ${at} link show`],
      },
    };
  }
}
