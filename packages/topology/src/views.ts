// What `patchbay state --json`, `GET /api/labs/:name/state` and the live tables show of a running
// lab, in lab terms (kernel names mapped back to the lab's nodes and interfaces). Only types: the
// engine builds these views from the kernel; the server sends them; the web app reads them. They
// live here, in the pure core, so that all three share one definition.
import type { LinkState } from './state.js';

export interface InterfaceView {
  name: string;
  kind: LinkState['kind'];
  up: boolean;
  mtu?: number;
  mac?: string;
  master?: string;
  addresses: string[];
  /** The other end of a veth, in lab names. */
  peer?: { node: string; interface: string };
  vxlan?: { vni: number; port: number; local: string; remotes: string[] };
}

/** A neighbour entry as `ip -j neigh` gives it. */
export interface NeighbourView {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
}

export interface NodeView {
  node: string;
  kind: 'host' | 'netns' | 'router' | 'implicit-host';
  namespace: string;
  present: boolean;
  forwarding?: boolean;
  interfaces: InterfaceView[];
  routes: { to: string; via?: string; dev?: string }[];
  neighbours: NeighbourView[];
  nat?: { nat: string[]; filter: string[] };
}

/** A bridge FDB entry; `port` is the lab's interface name (or the VXLAN device). */
export interface FdbEntryView {
  mac: string;
  port: string;
  dst?: string;
  vlan?: number;
  flags: string[];
  state?: string;
}

/** A port's VLANs as `bridge -j vlan` gives them. */
export interface VlanView {
  dev: string;
  vlans: { vlan: number; vlanEnd?: number; flags: string[] }[];
}

export interface BridgeView {
  bridge: string;
  host: string;
  namespace: string;
  device: string;
  present: boolean;
  up: boolean;
  stp: boolean;
  vlanFiltering: boolean;
  addresses: string[];
  ports: string[];
  /** Learned and static entries. */
  fdb: FdbEntryView[];
  vlans: VlanView[];
}

export interface LabStateView {
  lab: string;
  revision: number;
  nodes: NodeView[];
  bridges: BridgeView[];
}
