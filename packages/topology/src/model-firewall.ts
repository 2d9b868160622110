// Firewall rules and network policies of a lab (LAB-FORMAT.md "firewall", "policies"): structured
// iptables rules per node, never free-form text, and Kubernetes NetworkPolicy objects that compile
// to per-pod chains on the node that owns each pod's interface (compile-firewall.ts, compile-policy.ts).

export const FIREWALL_TABLES = ['filter', 'nat', 'mangle'] as const;
export type FirewallTable = (typeof FIREWALL_TABLES)[number];

/** The built-in chains a rule may be added to, per table. */
export const FIREWALL_CHAINS: Readonly<Record<FirewallTable, readonly string[]>> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
};

export const FIREWALL_ACTIONS = ['ACCEPT', 'DROP', 'REJECT', 'DNAT', 'SNAT', 'REDIRECT', 'LOG'] as const;
export type FirewallAction = (typeof FIREWALL_ACTIONS)[number];

export const CONNTRACK_STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID'] as const;
export type ConntrackState = (typeof CONNTRACK_STATES)[number];

export const REJECT_WITH = [
  'icmp-port-unreachable',
  'icmp-host-unreachable',
  'icmp-net-unreachable',
  'icmp-admin-prohibited',
  'tcp-reset',
] as const;
export type RejectWith = (typeof REJECT_WITH)[number];

/** One iptables rule, appended to `chain` of `table` in list order. */
export interface FirewallRuleSpec {
  /** Default filter. */
  table?: FirewallTable;
  chain: string;
  /**
   * ipv4: iptables, ipv6: ip6tables, both: the rule is written in each (then it names no address).
   * Default: ipv6 when an address of the rule is IPv6, else ipv4.
   */
  family?: 'ipv4' | 'ipv6' | 'both';
  /** IPv4 or IPv6 address or CIDR (a `/32` or `/128` is implied for an address). */
  source?: string;
  destination?: string;
  /** Default all; sport/dport need tcp or udp. */
  protocol?: 'tcp' | 'udp' | 'icmp';
  /** A port or a range "1000-2000". */
  sport?: number | string;
  dport?: number | string;
  /** Interfaces of this node: the one the packet came in by / goes out by. */
  in?: string;
  out?: string;
  /** Bridge ports of this node (bridged traffic, br_netfilter): the port it came in by / goes out by. */
  physdevIn?: string;
  physdevOut?: string;
  /** conntrack states (`-m conntrack --ctstate`). */
  state?: ConntrackState[];
  action: FirewallAction;
  /** DNAT: "IPv4", "IPv4:PORT", "IPv6" or "[IPv6]:PORT". */
  toDestination?: string;
  /** SNAT: an IPv4 or IPv6 address. */
  toSource?: string;
  /** REDIRECT: the local port the traffic goes to instead. */
  toPort?: number;
  /** REJECT: what the sender is told; default icmp-port-unreachable. */
  rejectWith?: RejectWith;
  /** LOG: a prefix for the kernel log line (at most 29 characters). */
  logPrefix?: string;
  /** A note shown with the rule (`-m comment`); letters, digits, spaces and . , : _ - only. */
  comment?: string;
}

/** Pods (netns nodes) picked by name and/or labels; `{}` picks every pod of the lab. */
export interface PodSelectorSpec {
  nodes?: string[];
  matchLabels?: Record<string, string>;
}

export interface PolicyPeerSpec {
  podSelector?: PodSelectorSpec;
  ipBlock?: { cidr: string };
}

export interface PolicyPortSpec {
  /** Default TCP. */
  protocol?: 'TCP' | 'UDP';
  /** Absent: every port of the protocol. */
  port?: number;
  /** With port: the range port..endPort. */
  endPort?: number;
}

export interface PolicyIngressRuleSpec {
  /** Absent or empty: any source. */
  from?: PolicyPeerSpec[];
  /** Absent or empty: any port. */
  ports?: PolicyPortSpec[];
}

export interface PolicyEgressRuleSpec {
  to?: PolicyPeerSpec[];
  ports?: PolicyPortSpec[];
}

/** A Kubernetes NetworkPolicy (networking.k8s.io/v1) over the lab's pods. */
export interface NetworkPolicySpec {
  /** [a-z0-9-], at most 20 characters: it names the rules it makes. */
  name: string;
  podSelector: PodSelectorSpec;
  /** Default: Ingress, plus Egress when `egress` is given (as Kubernetes). */
  policyTypes?: ('Ingress' | 'Egress')[];
  /** Absent with Ingress in policyTypes: the selected pods accept nothing (default deny). */
  ingress?: PolicyIngressRuleSpec[];
  egress?: PolicyEgressRuleSpec[];
}
