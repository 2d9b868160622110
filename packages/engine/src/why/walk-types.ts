// The walk's own types: the packet as it travels (its addresses change at NAT), and a path's end.
import type { WhyBlocked, WhyHop, WhyProtocol } from '@patchbay/topology';
import type { KernelEnd, LabFacts } from './facts.js';

export interface Packet {
  src: string;
  dst: string;
  proto: WhyProtocol;
  port?: number;
  /** The IPv4 packet's total length, header included. */
  size: number;
  df: boolean;
  /** The netfilter mark (`-j MARK`, `-m mark`): kube-proxy's 0x4000 asks for masquerade. */
  mark?: number;
}

/**
 * Where the packet dies, before the direction is known; `side` says whether `interface` is where it
 * came in or where it would leave (the drop hop's `in` or `out`), `commands` what to run to see it.
 */
export type Blocked = Omit<WhyBlocked, 'direction'> & { side?: 'in' | 'out'; commands?: string[] };

/** One address translation the forward path made, so the reply can be translated back. */
export interface Translation {
  ns: string;
  kind: 'snat' | 'dnat';
  /** The packet's addresses before and after. */
  before: { src: string; dst: string };
  after: { src: string; dst: string };
  /** The rule that made it. */
  rule?: string;
}

export interface PathResult {
  hops: WhyHop[];
  blocked?: Blocked;
  /** Where the packet was delivered, and as what (its addresses there). */
  delivered?: KernelEnd & { packet: Packet };
}

export interface WalkContext {
  facts: LabFacts;
  /** Translations made so far (forward), undone on the way back (reverse). */
  translations: Translation[];
  direction: 'forward' | 'reverse';
  /** An encapsulated packet (VXLAN's UDP) walked through the underlay: no listener to check. */
  underlay?: boolean;
  /**
   * A random pick on the way (kube-proxy's endpoints, `-m statistic --mode random`): which of its
   * outcomes this walk follows (default the first), and, once met, every outcome (endpoints.ts).
   */
  pick?: number;
  split?: { choices: readonly { probability: number; packet: Packet }[]; node: string };
}
