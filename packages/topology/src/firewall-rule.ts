// One `firewall:` rule as the line iptables-save prints (shared by the node's rules and the
// NetworkPolicy chains of compile-policy.ts).
import { cidrNetwork } from './addr.js';
import type { FirewallRuleSpec } from './model.js';

/** A string as iptables-save prints it: in double quotes when it holds a space or a quote. */
export const saveString = (s: string) => (/[\s"'\\]/.test(s) ? `"${s.replace(/(["\\])/g, '\\$1')}"` : s);

/** "10.0.0.3" → "10.0.0.3/32"; a CIDR → its network ("10.0.0.5/24" → "10.0.0.0/24"), as iptables stores it. */
export function iptablesAddress(a: string): string {
  return a.includes('/') ? (cidrNetwork(a) ?? a) : `${a}/32`;
}

/** A port or "lo-hi" range as iptables prints it ("lo:hi"). */
const portText = (p: number | string) => String(p).replace('-', ':');

/** The rule's matches and target, without "-A CHAIN" (shared with the NetworkPolicy chains). */
export function ruleBody(
  r: Omit<FirewallRuleSpec, 'action'> & { action: FirewallRuleSpec['action'] | 'RETURN' },
): string {
  const w: string[] = [];
  if (r.source) w.push('-s', iptablesAddress(r.source));
  if (r.destination) w.push('-d', iptablesAddress(r.destination));
  if (r.in) w.push('-i', r.in);
  if (r.out) w.push('-o', r.out);
  if (r.protocol) w.push('-p', r.protocol);
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
      w.push('--reject-with', r.rejectWith ?? 'icmp-port-unreachable');
      break;
    case 'DNAT':
      w.push('--to-destination', r.toDestination ?? '');
      break;
    case 'SNAT':
      w.push('--to-source', r.toSource ?? '');
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

/** The rule as iptables-save prints it. */
export function firewallRuleLine(r: FirewallRuleSpec): string {
  return `-A ${r.chain} ${ruleBody(r)}`;
}
