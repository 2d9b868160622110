// The lab-file shapes of macvlan interfaces and of bridge port settings (LAB-FORMAT.md: "macvlans"
// and "bridgePort"). Kept apart from model.ts so the two features read as one unit.

/**
 * How a macvlan forwards between itself and its siblings on one parent (the kernel's modes):
 * bridge: siblings talk directly; private: never; vepa: only through the switch outside the
 * parent (which must hairpin); passthru: one macvlan takes the parent over (one per parent).
 */
export type MacvlanMode = 'bridge' | 'private' | 'vepa' | 'passthru';
export const MACVLAN_MODES: readonly MacvlanMode[] = ['bridge', 'private', 'vepa', 'passthru'];

/** The interface of a host node a macvlan hangs off. */
export interface MacvlanParentSpec {
  node: string;
  interface: string;
}

/** A macvlan interface in `node`, stacked on a host node's interface (its parent, or lower device). */
export interface MacvlanSpec {
  node: string;
  interface: string;
  parent: MacvlanParentSpec;
  /** Default bridge (Docker's macvlan driver default). */
  mode?: MacvlanMode;
  addresses?: string[];
  mtu?: number;
  up?: boolean;
  mac?: string;
}

/**
 * Settings of a bridge port (a link end on a bridge node): the kernel's port flags, and Patchbay's
 * ebtables anti-spoofing for the port.
 */
export interface BridgePortSpec {
  /** Send frames back out of the port they came in by (needed for a container to reach itself through a DNAT on the host). Default false. */
  hairpin?: boolean;
  /** Learn source MACs seen on this port into the FDB. Default true. */
  learning?: boolean;
  /** Flood unknown-unicast frames out of this port. Default true. */
  flood?: boolean;
  /** An isolated port talks only to ports that are not isolated. Default false. */
  isolated?: boolean;
  /** ebtables: frames entering the bridge by this port must carry the far end's MAC and IPv4 addresses. Default false. */
  antiSpoof?: boolean;
}

/** The kernel's port flags; their defaults are what a new bridge port has. */
export interface PortFlags {
  hairpin: boolean;
  learning: boolean;
  flood: boolean;
  isolated: boolean;
}
export const DEFAULT_PORT_FLAGS: Readonly<PortFlags> = { hairpin: false, learning: true, flood: true, isolated: false };
export const PORT_FLAG_NAMES = ['hairpin', 'learning', 'flood', 'isolated'] as const;
