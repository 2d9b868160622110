// Netfilter on the walk: which chains a packet meets at each hook, the verdict of their rules (as
// iptables-save prints them: the lab's NAT, port forwards and FORWARD policy, and what a student
// added with iptables), and the translations NAT makes. A request is a new connection (the nat
// table sees it); its reply is an established one: conntrack undoes the request's source
// translation at PREROUTING and its destination translation at POSTROUTING, and the nat table is
// not consulted again. A match this reader does not know counts as no match: the probe (netfilter's
// own trace) has the last word.
import { cidrContains, type WhyHop } from '@patchbay/topology';
import type { WalkContext } from './walk.js';
import type { Blocked, Packet } from './walk-types.js';

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

export interface HookInput {
  hook: Hook;
  ns: string;
  packet: Packet;
  iif?: string;
  oif?: string;
}

export interface HookOutcome {
  hops: WhyHop[];
  blocked?: Blocked;
  /** The packet after the hook (translated, or as it was). */
  packet: Packet;
}

type Table = 'nat' | 'filter';
const CHAINS: Record<Hook, [Table, string][]> = {
  prerouting: [['nat', 'PREROUTING']],
  input: [['filter', 'INPUT']],
  forward: [['filter', 'FORWARD']],
  output: [
    ['nat', 'OUTPUT'],
    ['filter', 'OUTPUT'],
  ],
  postrouting: [['nat', 'POSTROUTING']],
};

interface Rule {
  chain: string;
  text: string;
  words: string[];
}

function parseTable(lines: readonly string[]): { policies: Map<string, string>; rules: Rule[] } {
  const policies = new Map<string, string>();
  const rules: Rule[] = [];
  for (const line of lines) {
    if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(/\s+/);
      if (chain && policy) policies.set(chain, policy);
    } else if (line.startsWith('-A ')) {
      const words = line.split(/\s+/);
      rules.push({ chain: words[1]!, text: line, words: words.slice(2) });
    }
  }
  return { policies, rules };
}

const inCidr = (addr: string, cidr: string): boolean => cidrContains(cidr.includes('/') ? cidr : `${cidr}/32`, addr);

interface Match {
  packet: Packet;
  iif?: string;
  oif?: string;
  state: 'NEW' | 'ESTABLISHED';
}

/** Whether a rule's matches all hold for the packet; its target and the target's options. */
function evaluate(rule: Rule, m: Match): { matches: boolean; target?: string; options: Map<string, string> } {
  const w = rule.words;
  const options = new Map<string, string>();
  let target: string | undefined;
  let matches = true;
  for (let i = 0; i < w.length; i++) {
    let negate = false;
    if (w[i] === '!') {
      negate = true;
      i++;
    }
    const opt = w[i]!;
    const val = w[i + 1] ?? '';
    const test = (ok: boolean) => {
      if (ok === negate) matches = false;
      i++;
    };
    switch (opt) {
      case '-s':
        test(inCidr(m.packet.src, val));
        break;
      case '-d':
        test(inCidr(m.packet.dst, val));
        break;
      case '-i':
        test(m.iif !== undefined && (val.endsWith('+') ? m.iif.startsWith(val.slice(0, -1)) : m.iif === val));
        break;
      case '-o':
        test(m.oif !== undefined && (val.endsWith('+') ? m.oif.startsWith(val.slice(0, -1)) : m.oif === val));
        break;
      case '-p':
        test(val === 'all' || val === m.packet.proto);
        break;
      case '--dport':
        test(m.packet.port !== undefined && m.packet.proto !== 'icmp' && String(m.packet.port) === val);
        break;
      case '--ctstate':
      case '--state':
        test(val.split(',').includes(m.state));
        break;
      case '-m':
      case '--comment':
        i++;
        break;
      case '-j':
      case '-g':
        target = val;
        i++;
        break;
      default:
        if (opt.startsWith('--')) {
          options.set(opt, val);
          // An unknown match option (not a target's): the rule cannot be judged here.
          if (target === undefined) matches = false;
          i++;
        }
    }
  }
  return { matches, target, options };
}

interface Verdict {
  verdict: 'accept' | 'drop' | 'return';
  rule?: string;
  chain: string;
  packet: Packet;
  translation?: string;
}

function runChain(
  ctx: WalkContext,
  ns: string,
  table: { policies: Map<string, string>; rules: Rule[] },
  chain: string,
  m: Match,
  depth = 0,
): Verdict {
  for (const rule of table.rules.filter((r) => r.chain === chain)) {
    const e = evaluate(rule, m);
    if (!e.matches || !e.target) continue;
    const t = e.target;
    if (t === 'ACCEPT') return { verdict: 'accept', rule: rule.text, chain, packet: m.packet };
    if (t === 'DROP' || t === 'REJECT') return { verdict: 'drop', rule: rule.text, chain, packet: m.packet };
    if (t === 'RETURN') return { verdict: 'return', chain, packet: m.packet };
    if (t === 'MASQUERADE' || t === 'SNAT') {
      const to =
        t === 'SNAT'
          ? (e.options.get('--to-source') ?? '').split(':')[0]!
          : (ctx.facts.link(ns, m.oif ?? '')?.addresses[0]?.split('/')[0] ?? m.packet.src);
      return { verdict: 'accept', rule: rule.text, chain, packet: { ...m.packet, src: to }, translation: t };
    }
    if (t === 'DNAT') {
      const [addr, port] = (e.options.get('--to-destination') ?? '').split(':');
      const packet = { ...m.packet, dst: addr || m.packet.dst, port: port ? Number(port) : m.packet.port };
      return { verdict: 'accept', rule: rule.text, chain, packet, translation: t };
    }
    if (table.policies.has(t) || t === 'LOG') continue;
    if (depth < 16 && table.rules.some((r) => r.chain === t)) {
      const sub = runChain(ctx, ns, table, t, m, depth + 1);
      if (sub.verdict !== 'return') return sub;
    }
  }
  const policy = table.policies.get(chain);
  if (policy === 'DROP') return { verdict: 'drop', chain, packet: m.packet };
  return { verdict: depth === 0 ? 'accept' : 'return', chain, packet: m.packet };
}

export async function netfilterHook(ctx: WalkContext, input: HookInput): Promise<HookOutcome> {
  const { facts } = ctx;
  const { ns, hook } = input;
  let packet = input.packet;
  const hops: WhyHop[] = [];
  const node = facts.nodeOfNs(ns);
  if (ctx.direction === 'reverse') {
    // conntrack's reverse translations: the reply's destination at PREROUTING (un-SNAT), its source at POSTROUTING (un-DNAT).
    const t = ctx.translations.find(
      (x) =>
        x.ns === ns &&
        ((hook === 'prerouting' && x.kind === 'snat' && packet.dst === x.after.src && packet.src === x.after.dst) ||
          (hook === 'postrouting' && x.kind === 'dnat' && packet.src === x.after.dst && packet.dst === x.after.src)),
    );
    if (t) {
      const before = packet;
      packet =
        t.kind === 'snat'
          ? { ...packet, dst: t.before.src }
          : { ...packet, src: t.before.dst, port: input.packet.port };
      hops.push({
        node,
        in: input.iif,
        out: input.oif,
        action: 'translate',
        detail: `conntrack undoes the request's ${t.kind === 'snat' ? 'source' : 'destination'} translation: ${before.src} → ${before.dst} becomes ${packet.src} → ${packet.dst}`,
        src: packet.src,
        dst: packet.dst,
      });
    }
  }
  const rules = facts.observed[ns]?.iptables;
  if (!rules) return { hops, packet };
  for (const [tableName, chain] of CHAINS[hook]) {
    if (tableName === 'nat' && ctx.direction === 'reverse') continue;
    const table = parseTable(rules[tableName]);
    const state = ctx.direction === 'forward' ? 'NEW' : 'ESTABLISHED';
    const v = runChain(ctx, ns, table, chain, { packet, iif: input.iif, oif: input.oif, state });
    if (v.verdict === 'drop')
      return {
        hops,
        packet,
        blocked: {
          node,
          interface: input.iif ?? input.oif,
          reason: 'filtered',
          detail: v.rule
            ? `netfilter drops it in ${tableName}/${v.chain}: ${v.rule}`
            : `netfilter drops it: the ${tableName}/${chain} policy is DROP and no rule accepts ${packet.src} → ${packet.dst}`,
          fix: v.rule
            ? `remove the rule (ip netns exec ${ns} iptables -t ${tableName} ${v.rule.replace(/^-A /, '-D ')})`
            : `accept this traffic in ${chain} (ip netns exec ${ns} iptables -A ${chain} … -j ACCEPT), or set the policy to ACCEPT`,
          rule: { table: tableName, chain: v.chain, rule: v.rule },
        },
      };
    if (v.translation && ctx.direction === 'forward') {
      const kind = v.translation === 'DNAT' ? 'dnat' : 'snat';
      ctx.translations.push({
        ns,
        kind,
        before: { src: packet.src, dst: packet.dst },
        after: { src: v.packet.src, dst: v.packet.dst },
      });
      hops.push({
        node,
        in: input.iif,
        out: input.oif,
        action: 'translate',
        detail: `${v.translation} in ${tableName}/${v.chain}: ${packet.src} → ${packet.dst}${packet.port ? `:${packet.port}` : ''} becomes ${v.packet.src} → ${v.packet.dst}${v.packet.port ? `:${v.packet.port}` : ''} (${v.rule})`,
        src: v.packet.src,
        dst: v.packet.dst,
        commands: [`ip netns exec ${ns} iptables -t ${tableName} -S ${chain}`],
      });
      packet = v.packet;
    }
  }
  return { hops, packet };
}
