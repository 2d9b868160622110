// The canvas's view of a lab: React Flow nodes and edges from the document, the layout and the live
// tables. Pure, so it is unit-tested and cheap to recompute.
import {
  isBridge,
  type Lab,
  type LinkSpec,
  type MacvlanSpec,
  type NodeKind,
  type ServiceSpec,
} from '@patchbay/topology';
import type { Edge, Node } from '@xyflow/react';
import { linkId } from './lab-edit';
import { macvlanId } from './macvlan-edit';
import { NODE_HEIGHT, NODE_WIDTH } from './layout';
import { policyMarks } from './policy-edit';
import { serviceId } from './service-edit';
import type { BridgeView, NodeView } from '@patchbay/topology';

export interface LabNodeData extends Record<string, unknown> {
  name: string;
  kind: NodeKind;
  /** Host of a bridge (its namespace), when it has one. */
  host?: string;
  addresses: string[];
  problems: number;
  /** `run:` lines of the node (0: none); with live state, how many of them run now. */
  runs: number;
  running?: number;
  /** CNI attachments of the node, as "PLUGIN IFNAME on HOST" (absent: none). */
  cni?: string[];
  /** The NetworkPolicies selecting this pod (absent: none). */
  policies?: string[];
  /** A peer a policy of a selected pod names (highlighted while that pod is selected). */
  policyPeer?: boolean;
  live?: {
    present: boolean;
    /** The lab runs, but this node (or all of its interfaces) is only in the drawing: not applied yet. */
    notApplied?: boolean;
    interfacesUp: number;
    interfaces: number;
    fdb?: number;
    routes?: number;
    changed: boolean;
  };
  mark?: { state: 'changed' | 'failed'; why?: string };
}

export interface LinkEdgeData extends Record<string, unknown> {
  link: LinkSpec;
  problems: number;
  /** `pps`: packets per second (rx + tx) at the busier end, once two counter samples arrived. */
  live?: { aUp?: boolean; bUp?: boolean; pps?: number };
  mark?: { state: 'changed' | 'failed'; why?: string };
}

export interface OverlayEdgeData extends Record<string, unknown> {
  overlay: string;
  vni: number;
}

export interface MacvlanEdgeData extends Record<string, unknown> {
  macvlan: MacvlanSpec;
  problems: number;
}

export type LabFlowNode = Node<LabNodeData, 'lab'>;

export interface ServiceNodeData extends Record<string, unknown> {
  service: ServiceSpec;
  problems: number;
}
/** A Service: an object of the drawing (`service:NAME`), linked to its endpoints. */
export type ServiceFlowNode = Node<ServiceNodeData, 'service'>;
/** From a Service to one of its endpoint nodes. */
export type ServiceEndpointFlowEdge = Edge<{ service: string }, 'serviceEndpoint'>;
export type FlowNode = LabFlowNode | ServiceFlowNode;
export type FlowEdge = LinkFlowEdge | OverlayFlowEdge | HostedFlowEdge | MacvlanFlowEdge | ServiceEndpointFlowEdge;
/** A macvlan: drawn from its node to the host whose interface it stacks on. */
export type MacvlanFlowEdge = Edge<MacvlanEdgeData, 'macvlan'>;
export type LinkFlowEdge = Edge<LinkEdgeData, 'link'>;
export type OverlayFlowEdge = Edge<OverlayEdgeData, 'overlay'>;
/** A bridge drawn attached to the host it lives in. */
export type HostedFlowEdge = Edge<Record<string, never>, 'hosted'>;

export interface GraphInput {
  lab: Lab;
  positions: Record<string, { x: number; y: number }>;
  selected: { nodes: string[]; links: string[] };
  problemPaths: string[];
  live?: {
    nodes: Record<string, NodeView>;
    bridges: Record<string, BridgeView>;
    changedAt: Record<string, number>;
    /** Packets per second per node and interface (the live store's `rates`). */
    rates?: Record<string, Record<string, { rx: number; tx: number }>>;
  };
  marks?: Record<string, { state: 'changed' | 'failed'; why?: string }>;
  now?: number;
}

/** Where a node goes when it has no position yet: a grid, in document order. */
export function defaultPosition(index: number): { x: number; y: number } {
  return { x: 80 + (index % 5) * 220, y: 80 + Math.floor(index / 5) * 160 };
}

const CHANGED_MS = 1500;

export function toFlow(g: GraphInput): {
  nodes: LabFlowNode[];
  /** The Services, drawn as nodes of their own (Canvas adds them to `nodes`). */
  services: ServiceFlowNode[];
  edges: FlowEdge[];
} {
  const { lab } = g;
  const selNodes = new Set(g.selected.nodes);
  const selLinks = new Set(g.selected.links);
  const policy = policyMarks(lab, g.selected.nodes);
  const now = g.now ?? Date.now();
  const countProblems = (prefix: string) =>
    g.problemPaths.filter((p) => p === prefix || p.startsWith(prefix + '.') || p.startsWith(prefix + '[')).length;

  // One pass over the links, not one per node (300 nodes × 280 links per render showed in bench:web).
  const addressesOf = new Map<string, string[]>();
  const interfacesOf = new Map<string, string[]>();
  for (const l of lab.links)
    for (const e of [l.a, l.b]) {
      if (e.addresses?.length) addressesOf.set(e.node, [...(addressesOf.get(e.node) ?? []), ...e.addresses]);
      interfacesOf.set(e.node, [...(interfacesOf.get(e.node) ?? []), e.interface]);
    }

  const nodes: LabFlowNode[] = Object.entries(lab.nodes).map(([name, spec], i) => {
    const bridge = isBridge(spec);
    const addresses = bridge ? (spec.addresses ?? []) : (addressesOf.get(name) ?? []);
    let live: LabNodeData['live'];
    if (g.live) {
      const changed = now - (g.live.changedAt[name] ?? -Infinity) < CHANGED_MS;
      if (bridge) {
        const b = g.live.bridges[name];
        if (!b) live = { present: false, notApplied: true, interfacesUp: 0, interfaces: 0, changed };
        else
          live = {
            present: b.present,
            interfacesUp: b.up ? 1 : 0,
            interfaces: 1,
            fdb: b.fdb.filter((e) => !e.flags.includes('self') && e.state !== 'permanent').length,
            changed,
          };
      } else {
        const n = g.live.nodes[name];
        if (!n) live = { present: false, notApplied: true, interfacesUp: 0, interfaces: 0, changed };
        else {
          const ifs = n.interfaces.filter((x) => x.name !== 'lo');
          const drawn = interfacesOf.get(name) ?? [];
          live = {
            present: n.present,
            ...(n.present && ifs.length === 0 && drawn.length > 0 ? { notApplied: true } : {}),
            interfacesUp: ifs.filter((x) => x.up).length,
            interfaces: ifs.length,
            routes: n.routes.length,
            changed,
          };
        }
      }
    }
    const mark = g.marks?.[name];
    return {
      id: name,
      type: 'lab',
      position: g.positions[name] ?? defaultPosition(i),
      // A size before React Flow measures the node: the minimap draws only nodes with one, and the
      // canvas's nodes are controlled (its measurements never come back into them).
      initialWidth: NODE_WIDTH,
      initialHeight: NODE_HEIGHT,
      selected: selNodes.has(name),
      data: {
        name,
        kind: spec.kind,
        ...(bridge && spec.host ? { host: spec.host } : {}),
        addresses,
        problems: countProblems(`nodes.${name}`),
        runs: bridge ? 0 : (spec.run?.length ?? 0),
        ...(!bridge && spec.cni?.length ? { cni: spec.cni.map((c) => `${c.plugin} ${c.interface} on ${c.host}`) } : {}),
        ...(!bridge && g.live?.nodes[name]?.processes
          ? { running: g.live.nodes[name].processes.filter((p) => p.state === 'running').length }
          : {}),
        ...(policy.on.has(name) ? { policies: policy.on.get(name)! } : {}),
        ...(policy.peers.has(name) ? { policyPeer: true } : {}),
        ...(live ? { live } : {}),
        ...(mark ? { mark } : {}),
      },
    };
  });

  const upOf = (node: string, iface: string): boolean | undefined =>
    g.live?.nodes[node]?.interfaces.find((x) => x.name === iface)?.up;
  const bridgeHostOf = (node: string): string | undefined => {
    const spec = lab.nodes[node];
    return spec && isBridge(spec) ? g.live?.bridges[node]?.host : undefined;
  };
  const endUp = (node: string, iface: string) => {
    const host = bridgeHostOf(node);
    return host ? upOf(host, iface) : upOf(node, iface);
  };
  // A bridge port's interface lives in the bridge's host node (e.g. `_host`).
  const endPps = (node: string, iface: string): number | undefined => {
    const r = g.live?.rates?.[bridgeHostOf(node) ?? node]?.[iface];
    return r ? r.rx + r.tx : undefined;
  };
  const linkLive = (link: LinkSpec): LinkEdgeData['live'] => {
    const ends = [endPps(link.a.node, link.a.interface), endPps(link.b.node, link.b.interface)].filter(
      (p) => p !== undefined,
    );
    return {
      aUp: endUp(link.a.node, link.a.interface),
      bUp: endUp(link.b.node, link.b.interface),
      ...(ends.length ? { pps: Math.max(...ends) } : {}),
    };
  };

  const edges: FlowEdge[] = lab.links.map((link, i) => {
    const id = linkId(link);
    const mark = g.marks?.[id];
    return {
      id,
      type: 'link',
      source: link.a.node,
      target: link.b.node,
      selected: selLinks.has(id),
      data: {
        link,
        problems: countProblems(`links[${i}]`),
        ...(g.live ? { live: linkLive(link) } : {}),
        ...(mark ? { mark } : {}),
      },
    };
  });

  for (const [name, spec] of Object.entries(lab.nodes)) {
    if (isBridge(spec) && spec.host && Object.hasOwn(lab.nodes, spec.host)) {
      edges.push({
        id: `hosted:${name}`,
        type: 'hosted',
        source: spec.host,
        target: name,
        selectable: false,
        data: {},
      });
    }
  }

  (lab.macvlans ?? []).forEach((m, i) => {
    if (!Object.hasOwn(lab.nodes, m.node) || !Object.hasOwn(lab.nodes, m.parent.node)) return;
    const id = macvlanId(m);
    edges.push({
      id,
      type: 'macvlan',
      source: m.node,
      target: m.parent.node,
      selected: selLinks.has(id),
      data: { macvlan: m, problems: countProblems(`macvlans[${i}]`) },
    });
  });

  for (const o of lab.overlays ?? []) {
    const members = o.members
      .map((m) => ('bridge' in m ? m.bridge : m.host))
      .filter((m) => Object.hasOwn(lab.nodes, m));
    for (let i = 1; i < members.length; i++) {
      edges.push({
        id: `overlay:${o.name}:${i}`,
        type: 'overlay',
        source: members[0]!,
        target: members[i]!,
        selectable: false,
        data: { overlay: o.name, vni: o.vni },
      });
    }
  }
  const services = serviceFlow(g, selNodes, countProblems, edges, Object.keys(lab.nodes).length);
  return { nodes, services, edges };
}

/** Services as nodes of their own, with an edge to each endpoint node that exists. */
function serviceFlow(
  g: GraphInput,
  selNodes: Set<string>,
  countProblems: (prefix: string) => number,
  edges: FlowEdge[],
  nodeCount: number,
): ServiceFlowNode[] {
  return (g.lab.services ?? []).map((service, i) => {
    const id = serviceId(service.name);
    for (const e of service.endpoints) {
      if (!Object.hasOwn(g.lab.nodes, e.node)) continue;
      edges.push({
        id: `${id}>${e.node}`,
        type: 'serviceEndpoint',
        source: id,
        target: e.node,
        selectable: false,
        data: { service: service.name },
      });
    }
    return {
      id,
      type: 'service',
      position: g.positions[id] ?? defaultPosition(nodeCount + i),
      initialWidth: NODE_WIDTH,
      initialHeight: NODE_HEIGHT,
      selected: selNodes.has(id),
      data: { service, problems: countProblems(`services[${i}]`) },
    };
  });
}

/** The live badge of a node: what the kernel says about it, in a few words; none when nothing is known. */
export function liveBadge(
  kind: NodeKind,
  live: LabNodeData['live'],
): { text: string; tone: 'ok' | 'warn' | 'danger' | 'muted'; title: string } | undefined {
  if (!live) return undefined;
  if (live.notApplied)
    return { text: 'not applied', tone: 'muted', title: 'drawn but not applied yet: Apply creates it in the kernel' };
  if (!live.present)
    return { text: 'missing', tone: 'danger', title: 'the lab runs, but this node is gone from the kernel' };
  if (kind === 'bridge') return undefined;
  if (live.interfaces === 0)
    return { text: 'no links', tone: 'muted', title: 'the node runs, with no interface but lo' };
  return {
    text: `${live.interfacesUp}/${live.interfaces} up`,
    tone: live.interfacesUp === live.interfaces ? 'ok' : 'warn',
    title: 'interfaces up',
  };
}
