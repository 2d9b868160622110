// The address family of a `firewall:` rule (LAB-FORMAT.md "firewall", "family"): a rule is written
// in iptables (IPv4), ip6tables (IPv6) or both, and every address it names is of that family.
import { parseCidr, parseIPv4 } from './addr.js';
import { looksIPv6, parseCidr6, parseIPv6 } from './addr6.js';
import { ruleFamilies } from './firewall-rule.js';
import type { FirewallRuleSpec } from './model.js';
import type { Ctx } from './validate-context.js';

export const RULE_FAMILIES = ['ipv4', 'ipv6', 'both'] as const;

/** An IPv4 or IPv6 address, or a CIDR of either. */
export const isAddressOrCidr = (s: unknown): boolean => {
  if (typeof s !== 'string') return false;
  if (s.includes(':')) return s.includes('/') ? parseCidr6(s) !== undefined : parseIPv6(s) !== undefined;
  return s.includes('/') ? parseCidr(s) !== undefined : parseIPv4(s) !== undefined;
};

/** A DNAT target: "IPv4", "IPv4:PORT", "IPv6" or "[IPv6]:PORT"; its address and port, or undefined. */
export function parseNatTarget(t: string): { address: string; port?: string } | undefined {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) return parseIPv6(v6[1]!) !== undefined ? { address: v6[1]!, ...(v6[2] ? { port: v6[2] } : {}) } : undefined;
  if (looksIPv6(t) && t.split(':').length > 2) return parseIPv6(t) !== undefined ? { address: t } : undefined;
  const [address, port, ...rest] = t.split(':');
  if (rest.length || parseIPv4(address ?? '') === undefined) return undefined;
  return { address: address!, ...(port !== undefined ? { port } : {}) };
}

/** `family` is known, and the rule's addresses are all of its family (`both`: it names none). */
export function checkRuleFamily(ctx: Ctx, path: string, r: FirewallRuleSpec): void {
  if (r.family !== undefined && !(RULE_FAMILIES as readonly string[]).includes(r.family)) {
    ctx.add(`${path}.family`, 'firewall.family', `family must be one of ${RULE_FAMILIES.join(', ')}`);
    return;
  }
  const fields = ['source', 'destination', 'toDestination', 'toSource'] as const;
  const named = fields.filter((k) => typeof r[k] === 'string');
  if (r.family === 'both') {
    for (const k of named)
      ctx.add(
        `${path}.${k}`,
        'firewall.family',
        `a rule written for both families names no address (${k} is ${String(r[k])}); write one rule per family`,
      );
    return;
  }
  const family = ruleFamilies(r)[0];
  for (const k of named) {
    const v6 = looksIPv6(r[k]);
    if ((family === 6) !== v6)
      ctx.add(
        `${path}.${k}`,
        'firewall.family',
        `${String(r[k])} is IPv${v6 ? 6 : 4} but the rule is IPv${family} (${r.family ? `family ${r.family}` : 'from its other addresses'}): iptables and ip6tables rules cannot mix`,
      );
  }
}
