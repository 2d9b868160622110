// One `firewall:` rule as the line iptables-save prints (shared by the node's rules and the
// NetworkPolicy chains of compile-policy.ts).
import { cidrNetwork } from './addr.js';
import { canonicalIp, cidr6Network, looksIPv6, parseCidr6 } from './addr6.js';
import type { IpFamily } from './compile-service.js';
import type { FirewallRuleSpec, RejectWith } from './model.js';

/** A string as iptables-save prints it: in double quotes when it holds a space or a quote. */
export const saveString = (s: string) => (/[\s"'\\]/.test(s) ? `"${s.replace(/(["\\])/g, '\\$1')}"` : s);

/**
 * "10.0.0.3" → "10.0.0.3/32"; a CIDR → its network ("10.0.0.5/24" → "10.0.0.0/24"), as iptables
 * stores it; IPv6 likewise, in canonical text ("FD00::5" → "fd00::5/128"), as ip6tables-save prints it.
 */
export function iptablesAddress(a: string): string {
  if (a.includes(':')) {
    const c = parseCidr6(a.includes('/') ? a : `${a}/128`);
    return c ? cidr6Network(c) : a;
  }
  return a.includes('/') ? (cidrNetwork(a) ?? a) : `${a}/32`;
}

/** The family a rule is written in (ip6tables for 6): its `family`, else its addresses', else IPv4. */
export function ruleFamilies(
  r: Pick<FirewallRuleSpec, 'family' | 'source' | 'destination' | 'toDestination' | 'toSource'>,
): IpFamily[] {
  if (r.family === 'both') return [4, 6];
  if (r.family === 'ipv6') return [6];
  if (r.family === 'ipv4') return [4];
  return [r.source, r.destination, r.toDestination, r.toSource].some(looksIPv6) ? [6] : [4];
}

/** ip6tables' names for the ICMP errors a REJECT sends (ip6tables refuses the ICMPv4 ones). */
const REJECT_WITH_6: Readonly<Record<RejectWith, string>> = {
  'icmp-port-unreachable': 'icmp6-port-unreachable',
  'icmp-host-unreachable': 'icmp6-addr-unreachable',
  'icmp-net-unreachable': 'icmp6-no-route',
  'icmp-admin-prohibited': 'icmp6-adm-prohibited',
  'tcp-reset': 'tcp-reset',
};

/** "[ADDR]:PORT" or "ADDR" with the IPv6 address in canonical text, as ip6tables-save prints it ("[ADDR]" alone: ADDR). */
function target6(t: string): string {
  const m = /^\[([^\]]+)\](:\d+)?$/.exec(t);
  if (!m) return canonicalIp(t);
  return m[2] ? `[${canonicalIp(m[1]!)}]${m[2]}` : canonicalIp(m[1]!);
}

/** A port or "lo-hi" range as iptables prints it ("lo:hi"). */
const portText = (p: number | string) => String(p).replace('-', ':');

/** The rule's matches and target, without "-A CHAIN" (shared with the NetworkPolicy chains). */
export function ruleBody(
  r: Omit<FirewallRuleSpec, 'action'> & { action: FirewallRuleSpec['action'] | 'RETURN' },
  family: IpFamily = 4,
): string {
  const w: string[] = [];
  if (r.source) w.push('-s', iptablesAddress(r.source));
  if (r.destination) w.push('-d', iptablesAddress(r.destination));
  if (r.in) w.push('-i', r.in);
  if (r.out) w.push('-o', r.out);
  // ip6tables' ICMP is ICMPv6 (protocol 58); "-p icmp" there would match ICMPv4 (1), which never comes.
  if (r.protocol) w.push('-p', family === 6 && r.protocol === 'icmp' ? 'ipv6-icmp' : r.protocol);
  if (r.physdevIn || r.physdevOut) {
    w.push('-m', 'physdev');
    if (r.physdevIn) w.push('--physdev-in', r.physdevIn);
    // Only bridged traffic has an output port in FORWARD (a routed packet's port is chosen later).
    if (r.physdevOut) w.push('--physdev-out', r.physdevOut, '--physdev-is-bridged');
  }
  if (r.state?.length) w.push('-m', 'conntrack', '--ctstate', r.state.join(','));
  if (r.comment) w.push('-m', 'comment', '--comment', saveString(r.comment));
  if ((r.protocol === 'tcp' || r.protocol === 'udp') && (r.sport !== undefined || r.dport !== undefined)) {
    w.push('-m', r.protocol);
    if (r.sport !== undefined) w.push('--sport', portText(r.sport));
    if (r.dport !== undefined) w.push('--dport', portText(r.dport));
  }
  w.push('-j', r.action);
  switch (r.action) {
    case 'REJECT':
      {
        const rejectWith = r.rejectWith ?? 'icmp-port-unreachable';
        w.push('--reject-with', family === 6 ? REJECT_WITH_6[rejectWith] : rejectWith);
      }
      break;
    case 'DNAT':
      w.push('--to-destination', family === 6 ? target6(r.toDestination ?? '') : (r.toDestination ?? ''));
      break;
    case 'SNAT':
      w.push('--to-source', family === 6 ? target6(r.toSource ?? '') : (r.toSource ?? ''));
      break;
    case 'REDIRECT':
      w.push('--to-ports', String(r.toPort ?? ''));
      break;
    case 'LOG':
      if (r.logPrefix) w.push('--log-prefix', saveString(r.logPrefix));
      break;
  }
  return w.join(' ');
}

/** The rule as iptables-save (ip6tables-save for `family` 6) prints it. */
export function firewallRuleLine(r: FirewallRuleSpec, family: IpFamily = 4): string {
  return `-A ${r.chain} ${ruleBody(r, family)}`;
}
