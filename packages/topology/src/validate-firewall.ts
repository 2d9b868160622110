// Semantic checks of `firewall:` rules, node `labels:` and `policies:` (LAB-FORMAT.md "firewall",
// "policies"): every field is a value iptables will take and means what it says — addresses, ports,
// interfaces and bridge ports that exist in the node's namespace, an action that fits its table and
// chain, and NetworkPolicy selectors that pick pods with a node to enforce them on.
import { parseCidr } from './addr.js';
import { looksIPv6, parseCidr6 } from './addr6.js';
import {
  CONNTRACK_STATES,
  FIREWALL_ACTIONS,
  FIREWALL_CHAINS,
  FIREWALL_TABLES,
  type FirewallRuleSpec,
  type PodSelectorSpec,
  REJECT_WITH,
  isBridge,
} from './model.js';
import { type Ctx, arr } from './validate-context.js';
import { checkRuleFamily, isAddressOrCidr, parseNatTarget } from './validate-firewall-family.js';

const POLICY_NAME_RE = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;
const LABEL_RE = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/;
/** Comments and log prefixes are printed back by iptables-save: kept to characters that need no escaping. */
const NOTE_RE = /^[A-Za-z0-9 .,:_=/[\]-]*$/;

/** A port or "lo-hi" with 1 ≤ lo ≤ hi ≤ 65535. */
function portProblem(p: unknown): string | undefined {
  const ok = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (typeof p === 'number') return ok(p) ? undefined : `${p} is not a port (1 to 65535)`;
  if (typeof p === 'string') {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(p);
    if (m && ok(Number(m[1])) && ok(Number(m[2])) && Number(m[1]) <= Number(m[2])) return undefined;
  }
  return `${String(p)} is not a port (1 to 65535) or a range such as 1000-2000`;
}

/** Interface names of a node's namespace, and the bridge ports among them. */
function nodeInterfaces(ctx: Ctx, node: string): { ifaces: Set<string>; ports: Set<string> } {
  const ns = ctx.nsOf(node);
  const ifaces = new Set(ns ? [...ns.ifaces.keys()] : []);
  ifaces.add('lo');
  const ports = new Set<string>();
  for (const link of arr(ctx.lab.links))
    for (const end of [link?.a, link?.b]) {
      const n = end && ctx.nodeMap.get(end.node);
      if (n && isBridge(n) && ctx.nsOf(end.node) === ns) ports.add(end.interface);
    }
  return { ifaces, ports };
}

function checkRule(
  ctx: Ctx,
  node: string,
  path: string,
  r: FirewallRuleSpec,
  names: { ifaces: Set<string>; ports: Set<string> },
): void {
  const table = r.table ?? 'filter';
  if (!FIREWALL_TABLES.includes(table))
    return void ctx.add(`${path}.table`, 'firewall.table', `table must be one of ${FIREWALL_TABLES.join(', ')}`);
  const chains = FIREWALL_CHAINS[table];
  if (!chains.includes(r.chain))
    ctx.add(
      `${path}.chain`,
      'firewall.chain',
      `${String(r.chain)} is not a chain of the ${table} table (${chains.join(', ')})`,
    );
  if (!FIREWALL_ACTIONS.includes(r.action))
    ctx.add(`${path}.action`, 'firewall.action', `action must be one of ${FIREWALL_ACTIONS.join(', ')}`);
  for (const key of ['source', 'destination'] as const)
    if (r[key] !== undefined && !isAddressOrCidr(r[key]))
      ctx.add(
        `${path}.${key}`,
        'firewall.address',
        `${String(r[key])} is not an IPv4 or IPv6 address or CIDR (a.b.c.d, a.b.c.d/len, fd00::1, fd00::/64)`,
      );
  checkRuleFamily(ctx, path, r);
  const l4 = r.protocol === 'tcp' || r.protocol === 'udp';
  for (const key of ['sport', 'dport'] as const) {
    if (r[key] === undefined) continue;
    const problem = portProblem(r[key]);
    if (problem) ctx.add(`${path}.${key}`, 'firewall.port', problem);
    else if (!l4) ctx.add(`${path}.${key}`, 'firewall.port-protocol', `${key} needs protocol tcp or udp`);
  }
  // -i has no meaning where packets only leave (OUTPUT, POSTROUTING); -o none where they only arrive.
  const inbound = ['PREROUTING', 'INPUT', 'FORWARD'];
  const outbound = ['FORWARD', 'OUTPUT', 'POSTROUTING'];
  for (const [key, allowed] of [
    ['in', inbound],
    ['out', outbound],
    ['physdevIn', inbound],
    ['physdevOut', ['FORWARD', 'POSTROUTING']],
  ] as const) {
    const name = r[key];
    if (name === undefined) continue;
    if (!(allowed as readonly string[]).includes(r.chain))
      ctx.add(
        `${path}.${key}`,
        'firewall.iface-chain',
        `${key} cannot be matched in ${r.chain} (only in ${allowed.join(', ')})`,
      );
    const isPort = key === 'physdevIn' || key === 'physdevOut';
    const known = isPort ? names.ports : names.ifaces;
    if (!known.has(name))
      ctx.add(
        `${path}.${key}`,
        'firewall.iface',
        isPort
          ? `${name} is not a bridge port in ${node}'s namespace${names.ports.size ? ` (ports: ${[...names.ports].sort().join(', ')})` : ' (it has no bridge ports)'}`
          : `${name} is not an interface of ${node} (interfaces: ${[...names.ifaces].sort().join(', ')})`,
      );
  }
  for (const s of arr(r.state))
    if (!CONNTRACK_STATES.includes(s))
      ctx.add(
        `${path}.state`,
        'firewall.state',
        `${String(s)} is not a conntrack state (${CONNTRACK_STATES.join(', ')})`,
      );
  checkTarget(ctx, path, r, table, l4);
  for (const key of ['comment', 'logPrefix'] as const)
    if (
      r[key] !== undefined &&
      (typeof r[key] !== 'string' || !NOTE_RE.test(r[key]) || r[key].length > (key === 'logPrefix' ? 29 : 64))
    )
      ctx.add(
        `${path}.${key}`,
        'firewall.text',
        `${key} may hold letters, digits, spaces and . , : _ = / [ ] - only (at most ${key === 'logPrefix' ? 29 : 64})`,
      );
}

/** Each action in the tables and chains iptables allows it, with the parameters it needs. */
function checkTarget(ctx: Ctx, path: string, r: FirewallRuleSpec, table: string, l4: boolean): void {
  const need = (ok: boolean, field: string, code: string, message: string) => {
    if (!ok) ctx.add(`${path}.${field}`, code, message);
  };
  const params = {
    toDestination: 'DNAT',
    toSource: 'SNAT',
    toPort: 'REDIRECT',
    rejectWith: 'REJECT',
    logPrefix: 'LOG',
  } as const;
  for (const [field, action] of Object.entries(params))
    if (r[field as keyof typeof params] !== undefined && r.action !== action)
      ctx.add(`${path}.${field}`, 'firewall.param', `${field} belongs to action ${action}, not ${r.action}`);
  switch (r.action) {
    case 'ACCEPT':
    case 'DROP':
    case 'REJECT':
      need(
        table === 'filter' || r.action === 'ACCEPT' || (table === 'mangle' && r.action === 'DROP'),
        'action',
        'firewall.action-table',
        `${r.action} belongs in the filter table`,
      );
      if (r.action === 'REJECT' && r.rejectWith !== undefined) {
        need(
          REJECT_WITH.includes(r.rejectWith),
          'rejectWith',
          'firewall.reject-with',
          `rejectWith must be one of ${REJECT_WITH.join(', ')}`,
        );
        need(
          r.rejectWith !== 'tcp-reset' || r.protocol === 'tcp',
          'rejectWith',
          'firewall.reject-with',
          'tcp-reset needs protocol tcp',
        );
      }
      break;
    case 'DNAT':
    case 'REDIRECT':
      need(
        table === 'nat' && (r.chain === 'PREROUTING' || r.chain === 'OUTPUT'),
        'action',
        'firewall.action-table',
        `${r.action} belongs in the nat table's PREROUTING or OUTPUT chain`,
      );
      if (r.action === 'REDIRECT') {
        need(
          r.toPort !== undefined,
          'toPort',
          'firewall.param',
          'REDIRECT needs toPort, the local port traffic goes to',
        );
        need(l4, 'protocol', 'firewall.port-protocol', 'REDIRECT to a port needs protocol tcp or udp');
      } else {
        const target = parseNatTarget(String(r.toDestination ?? ''));
        const port = target?.port;
        need(
          r.toDestination !== undefined,
          'toDestination',
          'firewall.param',
          'DNAT needs toDestination (IPv4, IPv4:PORT, IPv6 or [IPv6]:PORT)',
        );
        if (r.toDestination !== undefined) {
          need(
            target !== undefined && (port === undefined || portProblem(Number(port)) === undefined),
            'toDestination',
            'firewall.address',
            `${r.toDestination} is not IPv4, IPv4:PORT, IPv6 or [IPv6]:PORT`,
          );
          need(
            port === undefined || l4,
            'toDestination',
            'firewall.port-protocol',
            'a DNAT to a port needs protocol tcp or udp',
          );
        }
      }
      break;
    case 'SNAT':
      need(
        table === 'nat' && (r.chain === 'POSTROUTING' || r.chain === 'INPUT'),
        'action',
        'firewall.action-table',
        "SNAT belongs in the nat table's POSTROUTING or INPUT chain",
      );
      need(
        r.toSource !== undefined && parseNatTarget(r.toSource) !== undefined && !r.toSource.startsWith('['),
        'toSource',
        'firewall.param',
        'SNAT needs toSource, an IPv4 or IPv6 address',
      );
      break;
    case 'LOG':
      break;
  }
}

function checkSelector(ctx: Ctx, path: string, sel: PodSelectorSpec | undefined): void {
  if (!sel || typeof sel !== 'object') return;
  arr(sel.nodes).forEach((n, i) => {
    const node = ctx.nodeMap.get(n);
    if (!node) ctx.add(`${path}.nodes[${i}]`, 'ref.unknown', `${n} is not a node of this lab`);
    else if (node.kind !== 'netns')
      ctx.add(`${path}.nodes[${i}]`, 'policy.pod', `${n} is a ${node.kind}; a policy selects pods (netns nodes)`);
  });
}

export function checkFirewall(ctx: Ctx): void {
  for (const [name, node] of ctx.nodes) {
    if (node.kind === 'bridge') continue;
    for (const [k, v] of Object.entries(node.labels ?? {}))
      if (!LABEL_RE.test(k) || typeof v !== 'string' || (v !== '' && !LABEL_RE.test(v)))
        ctx.add(
          `nodes.${name}.labels.${k}`,
          'label.invalid',
          `label ${k}: ${String(v)} must be letters, digits and . _ / - (as Kubernetes labels), at most 63 characters`,
        );
    const rules = arr(node.firewall);
    if (rules.length === 0) continue;
    const names = nodeInterfaces(ctx, name);
    rules.forEach((r, i) => {
      if (r && typeof r === 'object') checkRule(ctx, name, `nodes.${name}.firewall[${i}]`, r, names);
    });
  }
  const seen = new Set<string>();
  arr(ctx.lab.policies).forEach((p, i) => {
    const path = `policies[${i}]`;
    if (!p || typeof p !== 'object') return;
    if (typeof p.name !== 'string' || !POLICY_NAME_RE.test(p.name))
      ctx.add(
        `${path}.name`,
        'policy.name',
        `${String(p.name)} is not a policy name: [a-z0-9-], 1 to 20 characters, starting and ending with a letter or digit`,
      );
    else if (seen.has(p.name)) ctx.add(`${path}.name`, 'policy.duplicate', `two policies are named ${p.name}`);
    else seen.add(p.name);
    checkSelector(ctx, `${path}.podSelector`, p.podSelector);
    for (const dir of ['ingress', 'egress'] as const)
      arr(p[dir]).forEach((rule, j) => {
        const peers = dir === 'ingress' ? (rule as { from?: unknown[] }).from : (rule as { to?: unknown[] }).to;
        arr(peers as { podSelector?: PodSelectorSpec; ipBlock?: { cidr: string } }[]).forEach((peer, k) => {
          const pp = `${path}.${dir}[${j}].${dir === 'ingress' ? 'from' : 'to'}[${k}]`;
          if (!peer || typeof peer !== 'object') return;
          if ((peer.podSelector === undefined) === (peer.ipBlock === undefined))
            ctx.add(pp, 'policy.peer', 'a peer is a podSelector or an ipBlock (exactly one)');
          checkSelector(ctx, `${pp}.podSelector`, peer.podSelector);
          const cidr = peer.ipBlock?.cidr;
          const cidrOk =
            typeof cidr === 'string' && cidr.includes('/') && (looksIPv6(cidr) ? parseCidr6(cidr) : parseCidr(cidr));
          if (peer.ipBlock && !cidrOk)
            ctx.add(`${pp}.ipBlock.cidr`, 'policy.cidr', `${String(cidr)} is not an IPv4 or IPv6 CIDR`);
        });
        arr(rule?.ports).forEach((port, k) => {
          if (port?.endPort !== undefined && (port.port === undefined || port.endPort < port.port))
            ctx.add(
              `${path}.${dir}[${j}].ports[${k}].endPort`,
              'policy.port',
              'endPort needs a port, and is at least port',
            );
        });
      });
    if (p.policyTypes?.includes('Egress') === false && p.egress?.length)
      ctx.warn(`${path}.egress`, 'policy.unused', 'egress rules without Egress in policyTypes do nothing');
  });
}
