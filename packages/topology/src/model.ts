// The lab file as users write it (LAB-FORMAT.md, version 1). These types are what `parseLab`
// returns after structural validation; semantic validation (`validateLab`) then checks references,
// addresses and kernel limits. Optional fields stay optional here: defaults are applied by `compile`.
import type { BridgePortSpec, MacvlanSpec } from './model-macvlan.js';
export * from './model-macvlan.js';
import type { ServiceSpec } from './model-service.js';
export * from './model-service.js';

export type NodeKind = 'host' | 'netns' | 'router' | 'bridge';

export interface ViaRoute {
  to: string; // CIDR or "default" (of the gateway's family: IPv6's is ::/0)
  via: string; // IPv4 or IPv6
  /** IPv6 only: the gateway's interface; required when the gateway is link-local (fe80::/10). */
  dev?: string;
}
export interface DevRoute {
  to: string; // CIDR or "default"
  dev: string; // interface name in the same node
}
export type RouteSpec = ViaRoute | DevRoute;

export interface NatSpec {
  masquerade: string; // CIDR
  out?: string; // interface name
  notOut?: string; // interface name
}

export interface PortForwardSpec {
  proto: 'tcp' | 'udp';
  port: number;
  to: string; // "IPv4:PORT"
}

/** A long-running command of a node in object form (a bare string is `{ command }`): see run.ts. */
export interface RunObjectSpec {
  /** A label shown in the panel and plan; default `run-N` (N: its place in the list, from 1). */
  name?: string;
  /** Run by `sh -c` inside the node's sandbox, as the node's unprivileged user. */
  command: string;
}
export type RunSpec = string | RunObjectSpec;

export interface NetNodeSpec {
  kind: 'host' | 'netns' | 'router';
  routes?: RouteSpec[];
  forwarding?: boolean;
  nat?: NatSpec[];
  portForwards?: PortForwardSpec[];
  forwardPolicy?: 'accept' | 'drop';
  /** Long-running processes, started (sandboxed) once the node is wired: see run.ts. */
  run?: RunSpec[];
}

export interface BridgeSpec {
  kind: 'bridge';
  host?: string;
  addresses?: string[];
  mtu?: number;
  up?: boolean;
  vlanFiltering?: boolean;
  stp?: boolean;
  /** Cap on learned FDB entries; default max(1024, 2 × the bridge's ports): see compile. */
  fdbMaxLearned?: number;
}

export type NodeSpec = NetNodeSpec | BridgeSpec;

export interface VlanSpec {
  pvid?: number;
  tagged?: number[];
}

export interface LinkEndSpec {
  node: string;
  interface: string;
  addresses?: string[];
  mtu?: number;
  up?: boolean;
  mac?: string;
  proxyArp?: boolean;
  vlan?: VlanSpec;
  /** Only on an end whose node is a bridge: that port's flags and anti-spoofing. */
  bridgePort?: BridgePortSpec;
}

export interface LinkSpec {
  a: LinkEndSpec;
  b: LinkEndSpec;
  mtu?: number;
}

export interface BridgeMemberSpec {
  bridge: string;
  local?: string;
}
export interface HostMemberSpec {
  host: string;
  local?: string;
  addresses?: string[];
}
export type OverlayMemberSpec = BridgeMemberSpec | HostMemberSpec;

export interface OverlaySpec {
  name: string;
  vni: number;
  port?: number;
  mtu?: number;
  members: OverlayMemberSpec[];
}

/** A parsed lab file. */
export interface Lab {
  name: string;
  description?: string;
  nodes: Record<string, NodeSpec>;
  links: LinkSpec[];
  overlays?: OverlaySpec[];
  macvlans?: MacvlanSpec[];
  services?: ServiceSpec[];
}

/** One problem found in a lab file. `path` uses dotted/indexed notation: `nodes.web.routes[0].via`. */
export interface Problem {
  path: string;
  code: string;
  message: string;
  /**
   * Absent: an error, the lab cannot be applied. `warning`: the lab applies, but probably does not do
   * what was meant (two interfaces of a node in one subnet); the editor shows it, nothing refuses it.
   */
  severity?: 'warning';
}

/**
 * The cap on a bridge's learned FDB entries when the lab gives none: 1024, or twice the bridge's
 * ports when that is more (a big bridge learns one MAC per port and must not flood to them all).
 * A MAC flood from one port then costs a bounded table instead of growing it without end.
 */
export const DEFAULT_FDB_MAX_LEARNED = 1024;
/** The largest cap a lab may ask for (the kernel takes any u32; a bigger table is what the cap is there to prevent, and 0 = no cap is not offered). */
export const MAX_FDB_MAX_LEARNED = 65_536;

export const isBridge = (n: NodeSpec): n is BridgeSpec => n.kind === 'bridge';
export const isViaRoute = (r: RouteSpec): r is ViaRoute => 'via' in r && typeof r.via === 'string';
export const isBridgeMember = (m: OverlayMemberSpec): m is BridgeMemberSpec => 'bridge' in m;
