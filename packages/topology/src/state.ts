// Kernel state in one normalized shape, used both for what a lab wants (`compile`) and for what the
// kernel has (the kernel driver's `observe`). `diff` compares the two field by field; a field left
// undefined in the desired state means "whatever the kernel has is fine".
import type { MacvlanMode, PortFlags } from './model-macvlan.js';

export type LinkKind = 'loopback' | 'veth' | 'bridge' | 'vxlan' | 'macvlan' | 'other';

export interface VethInfo {
  /** Kernel name of the namespace that holds the peer. */
  peerNs: string;
  /** Interface name of the peer inside `peerNs`. */
  peerName: string;
}

export interface BridgeInfo {
  stp: boolean;
  vlanFiltering: boolean;
  /**
   * Cap on FDB entries the bridge learns (the kernel's IFLA_BR_FDB_MAX_LEARNED, Linux 6.8+; 0: no
   * cap). Observed: undefined when not read (iproute2's JSON lacks it) or the kernel lacks it; then
   * it is not compared.
   */
  fdbMaxLearned?: number;
  /** Observed only: entries learned now (IFLA_BR_FDB_N_LEARNED). Never compared. */
  fdbLearned?: number;
}

export interface VxlanInfo {
  vni: number;
  port: number;
  local: string;
  /** Underlay device in the same namespace (desired only: the kernel reports an ifindex). */
  dev?: string;
  learning: boolean;
}

export interface MacvlanInfo {
  mode: MacvlanMode;
  /** Desired: the namespace and name of the parent (lower device). */
  parentNs?: string;
  parent?: string;
  /** Observed: the parent's ifindex (in its own namespace) and whether that namespace is another one. */
  parentIfindex?: number;
  parentElsewhere?: boolean;
}

export interface LinkState {
  name: string;
  /** Observed only, never compared: used to give a new veth's far end an ifindex of its own. */
  ifindex?: number;
  /** Observed veths only: the peer's ifindex, and whether the peer is in another namespace. */
  peerIfindex?: number;
  peerElsewhere?: boolean;
  /**
   * Observed veths only, when the read asked for it: the namespace the kernel says holds the peer
   * (the link's link-netnsid resolved to a name; this namespace when the peer is here). Missing when
   * unknown (a namespace that is not named under /run/netns).
   */
  peerNamespace?: string;
  kind: LinkKind;
  up: boolean;
  mtu?: number;
  mac?: string;
  /** Bridge this link is a port of ("" or undefined: none). */
  master?: string;
  /** IPv4 addresses in CIDR form, sorted. */
  addresses: string[];
  /** IPv6 address generation off (no link-local, no DAD/MLD floods on big bridges). */
  addrgenNone?: boolean;
  /** ifalias; used on `lo` as the ownership marker of a namespace. */
  alias?: string;
  veth?: VethInfo;
  bridge?: BridgeInfo;
  vxlan?: VxlanInfo;
  macvlan?: MacvlanInfo;
  /** A bridge port's flags (desired: veth ends on a bridge; observed: any bridge port). */
  port?: PortFlags;
}

export interface RouteState {
  /** "default" or a network in CIDR form (always with a prefix length). */
  to: string;
  via?: string;
  dev?: string;
}

export interface FloodEntry {
  dev: string;
  dst: string;
}

/** Full contents of the iptables tables this project manages, in iptables-save's canonical form. */
export interface IptablesState {
  /** Built-in chain policies and rules of `*nat`, e.g. ":POSTROUTING ACCEPT", "-A POSTROUTING -s …". */
  nat: string[];
  /** Built-in chain policies and rules of `*filter`. */
  filter: string[];
  /** `*mangle` (firewall rules may use it); undefined: the defaults (no rules). */
  mangle?: string[];
}

export interface NamespaceState {
  /** Kernel name of the namespace (`/run/netns/NAME`). */
  name: string;
  /** The lab node this namespace realizes (IMPLICIT_HOST, "_host", for a lab's implicit bridge host). */
  node: string;
  /**
   * Desired: created owned by its own user namespace, so a student shell in it holds network
   * capabilities over this namespace alone (netns and router nodes; hosts keep bridges and tunnels
   * and stay the machine's). Observed (the engine sets it; undefined: not known): whether it is.
   * An existing namespace owned otherwise than desired is replaced (see diff).
   */
  owned?: boolean;
  links: Record<string, LinkState>;
  routes: RouteState[];
  /** sysctl key (e.g. "net.ipv4.ip_forward", "net.ipv4.conf.eth0.proxy_arp") → value. */
  sysctls: Record<string, string>;
  /** Undefined in a desired state: this namespace's iptables are not managed. */
  iptables?: IptablesState;
  /** The same for ip6tables (IPv6 Services, NAT, forwards, policies and firewall rules). */
  ip6tables?: IptablesState;
  floods: FloodEntry[];
  /** Undefined in a desired state: this namespace's ebtables are not managed (see compile-ebtables). */
  ebtables?: EbtablesState;
}

/** The ebtables `filter` table in ebtables-save's canonical form (chain lines, then -A lines). */
export interface EbtablesState {
  filter: string[];
}

export interface KernelState {
  /** keyed by kernel namespace name */
  namespaces: Record<string, NamespaceState>;
}

/** Where each lab object landed in the kernel; used to show kernel names as lab names. */
export interface NameMap {
  /** lab node name → kernel namespace name (bridges map to their host's namespace). */
  nodeNamespace: Record<string, string>;
  /** bridge node name → kernel interface name of the bridge. */
  bridgeDevice: Record<string, string>;
  /** overlay name → kernel interface name of its VXLAN devices. */
  overlayDevice: Record<string, string>;
}

export interface DesiredState extends KernelState {
  lab: string;
  prefix: string;
  names: NameMap;
}
