// The lab-file shape of CNI attachments (LAB-FORMAT.md "cni"): a node (the container) attached to
// a network by one of the reference CNI plugins, which Patchbay runs with the CNI contract.
// Kept apart from model.ts so the feature reads as one unit (cni.ts compiles, validate-cni.ts checks).

/** The reference plugins a lab may use (Debian's containernetworking-plugins, in /usr/lib/cni). */
export type CniPlugin = 'bridge' | 'ptp' | 'macvlan';
export const CNI_PLUGINS: readonly CniPlugin[] = ['bridge', 'ptp', 'macvlan'];

/** The macvlan plugin's modes (its `mode` field). */
export type CniMacvlanMode = 'bridge' | 'private' | 'vepa' | 'passthru';

/**
 * One CNI attachment of a node: the plugin `plugin` runs in host node `host`'s namespace and puts
 * interface `interface` into this node's namespace, addressed by host-local IPAM from `subnet`.
 */
export interface CniSpec {
  /** The host node whose namespace the plugin runs in (its bridge, veth ends or macvlan master live there). */
  host: string;
  /** CNI_IFNAME: the interface the plugin makes in this node. */
  interface: string;
  plugin: CniPlugin;
  /** The network's name (the config's `name`); host-local IPAM keeps one address pool per network. */
  network: string;
  /** host-local IPAM: the pool addresses come from (CIDR). */
  subnet: string;
  /** host-local IPAM: the gateway (default: the subnet's first address). */
  gateway?: string;
  /** host-local IPAM: first and last address handed out (default: the whole subnet but the gateway). */
  rangeStart?: string;
  rangeEnd?: string;
  /** Routes the plugin adds in this node through the gateway (IPAM `routes`); e.g. "0.0.0.0/0". */
  routes?: string[];
  /** bridge plugin: the bridge in the host (default "cni0"). */
  bridge?: string;
  /** bridge plugin: give the bridge the gateway address (default true, as for Kubernetes' bridge networks). */
  isGateway?: boolean;
  /** bridge plugin: let frames leave by the port they came in by (default false). */
  hairpinMode?: boolean;
  /** macvlan plugin: the host's interface the macvlan stacks on (a link end on the host). */
  master?: string;
  /** macvlan plugin: its mode (default bridge). */
  mode?: CniMacvlanMode;
  /** MTU of the interfaces the plugin makes (default: the plugin's, 1500 or the master's). */
  mtu?: number;
}

/** Where the reference plugins are installed (Debian's containernetworking-plugins): CNI_PATH. */
export const CNI_PLUGIN_DIR = '/usr/lib/cni';
/** The CNI spec version Patchbay speaks to the plugins (plugins 1.1.1 implement 0.1.0 to 1.0.0). */
export const CNI_VERSION = '1.0.0';
/** The bridge plugin's default bridge name (as the plugin itself defaults it). */
export const CNI_DEFAULT_BRIDGE = 'cni0';
