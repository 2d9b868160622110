// The lab-file shapes of DNS (LAB-FORMAT.md: "dns" and "dnsServer"). Kept apart from model.ts so
// the feature reads as one unit: dns.ts turns them into resolver files and dnsmasq processes.

/** A node's resolver settings: its private /etc/resolv.conf, seen by every process in the node. */
export interface DnsResolverSpec {
  /** IPv4 addresses of name servers, tried in order (glibc uses at most 3). */
  nameservers?: string[];
  /** Search domains appended to names with fewer than `ndots` dots. */
  search?: string[];
  /** A name with at least this many dots is first tried as it is (glibc's default 1; Kubernetes pods get 5). */
  ndots?: number;
}

/**
 * `dns:` of a node: resolver settings, or `docker` — Docker's embedded DNS: the node's resolver is
 * 127.0.0.11 and a dnsmasq inside the node answers there with the lab's names (dns.ts).
 */
export type DnsSpec = DnsResolverSpec | 'docker';

/** `dnsServer:` of a node: it runs dnsmasq answering the lab's names (`true`, or with a domain). */
export interface DnsServerObjectSpec {
  /** Also answer NAME.DOMAIN for every name (e.g. `lab.internal`, `svc.cluster.local`). */
  domain?: string;
}
export type DnsServerSpec = boolean | DnsServerObjectSpec;
