// NAT, port forwards, the FORWARD policy and Services' chains of one node, as the iptables tables it wants.
import { cidrNetwork } from './addr.js';
import { canonicalCidr, canonicalIp, looksIPv6 } from './addr6.js';
import type { ChainRules, IpFamily } from './compile-service.js';
import { FILTER_CHAINS, NAT_CHAINS } from './iptables.js';
import type { NetNodeSpec } from './model.js';
import type { IptablesState } from './state.js';

/** A port forward's `to` is IPv6 when written "[ADDR]:PORT". */
export const forwardFamily = (to: string): IpFamily => (to.startsWith('[') ? 6 : 4);

/**
 * undefined when the node asks for nothing (its tables are then left as the kernel has them).
 * `services`: the kube-proxy chains the node holds (compile-service.ts); `node` is undefined for
 * the bridges' implicit host, which has only those. `family` 6: the ip6tables tables, from the
 * masquerades of IPv6 networks and the forwards to "[ADDR]:PORT" (forwardPolicy is IPv4's only:
 * LAB-FORMAT.md "forwardPolicy").
 */
export function iptablesForNode(
  node: NetNodeSpec | undefined,
  services?: ChainRules,
  family: IpFamily = 4,
): IptablesState | undefined {
  const nat = (node?.nat ?? []).filter((n) => (looksIPv6(n.masquerade) ? 6 : 4) === family);
  const forwards = (node?.portForwards ?? []).filter((f) => forwardFamily(f.to) === family);
  const policy = family === 4 ? (node?.forwardPolicy ?? 'accept') : 'accept';
  if (nat.length === 0 && forwards.length === 0 && policy === 'accept' && !services) return undefined;

  // As Docker publishes a port: traffic to one of the node's own addresses on `port` (arriving, or
  // sent by the node itself) goes to `to`; traffic merely passing through the node is left alone.
  const target = (to: string) =>
    family === 6 ? to.replace(/^\[([^\]]+)\]/, (_, a: string) => `[${canonicalIp(a)}]`) : to;
  const match = (f: (typeof forwards)[number]) =>
    `-p ${f.proto} -m addrtype --dst-type LOCAL -m ${f.proto} --dport ${f.port} -j DNAT --to-destination ${target(f.to)}`;
  const loopback = family === 6 ? '::1/128' : '127.0.0.0/8';
  const network = (cidr: string) => (family === 6 ? canonicalCidr(cidr) : (cidrNetwork(cidr) ?? cidr));
  const own: Record<(typeof NAT_CHAINS)[number], string[]> = {
    PREROUTING: forwards.map((f) => `-A PREROUTING ${match(f)}`),
    INPUT: [],
    OUTPUT: forwards.map((f) => `-A OUTPUT ! -d ${loopback} ${match(f)}`),
    POSTROUTING: nat.map((n) => {
      const out = n.out !== undefined ? `-o ${n.out}` : `! -o ${n.notOut}`;
      return `-A POSTROUTING -s ${network(n.masquerade)} ${out} -j MASQUERADE`;
    }),
  };
  // iptables-save's order: built-in chains, then user chains by name (byte order); each chain's
  // rules in turn. kube-proxy inserts its jumps at the top of the built-in chains.
  const userChains = [...(services?.keys() ?? [])].filter((c) => !(NAT_CHAINS as readonly string[]).includes(c));
  userChains.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const natRules = [
    ...NAT_CHAINS.flatMap((c) => [...(services?.get(c) ?? []), ...own[c]]),
    ...userChains.flatMap((c) => services?.get(c) ?? []),
  ];
  return {
    nat: [...NAT_CHAINS.map((c) => `:${c} ACCEPT`), ...userChains.map((c) => `:${c} -`), ...natRules],
    filter: FILTER_CHAINS.map((c) => `:${c} ${c === 'FORWARD' && policy === 'drop' ? 'DROP' : 'ACCEPT'}`),
  };
}
