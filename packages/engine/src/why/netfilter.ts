// Netfilter on the walk: which chains a packet meets at each hook, the verdict of their rules (as
// iptables-save prints them: the lab's NAT, port forwards and FORWARD policy, and what a student
// added with iptables), and the translations NAT makes. A request is a new connection (the nat
// table sees it); its reply is an established one: conntrack undoes the request's source
// translation at PREROUTING and its destination translation at POSTROUTING, and the nat table is
// not consulted again. A match this reader does not know counts as no match: the probe (netfilter's
// own trace) has the last word.
import { isBridge, type WhyHop } from '@patchbay/topology';
import { parseRuleTable, runRuleChain, type ChainVerdict, type MatchContext } from './netfilter-rules.js';
import type { Blocked, Packet, WalkContext } from './walk-types.js';

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

export interface HookInput {
  hook: Hook;
  ns: string;
  packet: Packet;
  iif?: string;
  oif?: string;
  /** Bridged (br_netfilter): the bridge ports the frame came in by and leaves by. */
  physIn?: string;
  physOut?: string;
}

export interface HookOutcome {
  hops: WhyHop[];
  blocked?: Blocked;
  /** The packet after the hook (translated, or as it was). */
  packet: Packet;
  /** What the hook's rules said of a packet they let through, in words (for the hop's detail). */
  notes: string[];
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

/** The lab node's words for a dropping rule or policy, and the command that undoes it. */
function filteredBy(
  ctx: WalkContext,
  input: HookInput,
  tableName: Table,
  chain: string,
  v: ChainVerdict,
  packet: Packet,
): Blocked {
  const { ns } = input;
  const node = ctx.facts.nodeOfNs(ns);
  const spec = ctx.facts.lab.nodes[node];
  const labPolicy = spec && !isBridge(spec) && spec.forwardPolicy === 'drop' && chain === 'FORWARD';
  const what = `${packet.proto}${packet.port !== undefined && packet.proto !== 'icmp' ? ` port ${packet.port}` : ''} ${packet.src} → ${packet.dst}`;
  const reply = ctx.direction === 'reverse' ? 'the reply ' : '';
  if (v.rule)
    return {
      node,
      interface: input.iif ?? input.oif,
      reason: 'filtered',
      detail: `netfilter on ${node} ${/ -j REJECT\b/.test(v.rule) ? 'rejects' : 'drops'} ${reply}${what} in table ${tableName}, chain ${v.chain}, by the rule \`${v.rule}\`${/ -j REJECT\b/.test(v.rule) ? ' (the sender gets an error back at once)' : ''}`,
      fix: v.chain.startsWith('cali-')
        ? `a NetworkPolicy of the lab decides here (chain ${v.chain}, Calico-style): allow this traffic in a policy that selects the pod (policies: in the lab file), or for now insert a rule before it: ip netns exec ${ns} iptables -I ${v.chain} … -j RETURN`
        : `delete the rule: ip netns exec ${ns} iptables -t ${tableName} ${v.rule.replace(/^-A /, '-D ')}`,
      rule: { table: tableName, chain: v.chain, rule: v.rule },
    };
  const accept = [
    'iptables',
    ...(tableName === 'filter' ? [] : ['-t', tableName]),
    '-A',
    chain,
    ...(input.iif ? ['-i', input.iif] : []),
    ...(input.oif ? ['-o', input.oif] : []),
    ...(ctx.direction === 'reverse' ? ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED'] : []),
    '-j',
    'ACCEPT',
  ].join(' ');
  return {
    node,
    interface: input.iif ?? input.oif,
    reason: 'filtered',
    detail: `netfilter on ${node} drops ${reply}${what}: the policy of table ${tableName}, chain ${chain} is DROP${labPolicy ? ' (forwardPolicy: drop in the lab file)' : ''} and no rule accepts it`,
    fix: `accept it with a rule on ${node}: ip netns exec ${ns} ${accept}${labPolicy ? ', or set forwardPolicy: accept on ' + node + ' in the lab file' : `, or set the policy to ACCEPT (iptables -P ${chain} ACCEPT)`}`,
    rule: { table: tableName, chain },
  };
}

export function netfilterHook(ctx: WalkContext, input: HookInput): HookOutcome {
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
  const notes: string[] = [];
  const rules = facts.observed[ns]?.iptables;
  if (!rules) return { hops, packet, notes };
  for (const [tableName, chain] of CHAINS[hook]) {
    if (tableName === 'nat' && ctx.direction === 'reverse') continue;
    const table = parseRuleTable(rules[tableName]);
    const m: MatchContext = {
      packet,
      iif: input.iif,
      oif: input.oif,
      physIn: input.physIn,
      physOut: input.physOut,
      state: ctx.direction === 'forward' ? 'NEW' : 'ESTABLISHED',
      isLocal: (addr) => facts.ownersOf(addr).some((o) => o.ns === ns) || addr.startsWith('127.'),
      addressOf: (dev) => facts.link(ns, dev)?.addresses[0]?.split('/')[0],
    };
    const v = followPick(ctx, node, runRuleChain(table, chain, m));
    for (const u of v.unknown)
      notes.push(`the rule \`${u}\` uses a match the walk cannot judge (counted as not matching)`);
    if (v.verdict === 'drop')
      return { hops, packet, notes, blocked: filteredBy(ctx, input, tableName, chain, v, packet) };
    if (tableName === 'filter' && v.rule && table.policies.get(chain) === 'DROP')
      notes.push(`${tableName}/${v.chain} accepts it (\`${v.rule}\`; the policy is DROP)`);
    if (v.translation && ctx.direction === 'forward') {
      const kind = v.translation === 'DNAT' || v.translation === 'REDIRECT' ? 'dnat' : 'snat';
      ctx.translations.push({
        ns,
        kind,
        before: { src: packet.src, dst: packet.dst },
        after: { src: v.packet.src, dst: v.packet.dst },
        rule: v.rule,
      });
      const port = (p: Packet) => (p.port !== undefined && p.proto !== 'icmp' ? `:${p.port}` : '');
      hops.push({
        node,
        in: input.iif,
        out: input.oif,
        action: 'translate',
        detail: `${v.translation} (${v.translation === 'DNAT' ? 'destination NAT' : v.translation === 'REDIRECT' ? 'to a port of this node itself' : v.translation === 'SNAT' ? 'source NAT' : `source NAT to the address of ${input.oif ?? 'the way out'}`}) in table ${tableName}, chain ${v.chain}: ${packet.src} → ${packet.dst}${port(packet)} becomes ${v.packet.src} → ${v.packet.dst}${port(v.packet)} (\`${v.rule}\`)${choicesText(v, ctx.pick)}`,
        src: v.packet.src,
        dst: v.packet.dst,
        commands: [`ip netns exec ${ns} iptables -t ${tableName} -S ${chain}`, `ip netns exec ${ns} conntrack -L`],
      });
      packet = v.packet;
    }
  }
  return { hops, packet, notes };
}

/**
 * A random pick splits the path: the walk follows the outcome `ctx.pick` names (the first by
 * default) and keeps every outcome in `ctx.split`, so `why` can walk each one (endpoints.ts).
 */
function followPick(ctx: WalkContext, node: string, v: ChainVerdict): ChainVerdict {
  if (!v.choices || v.choices.length < 2 || ctx.direction !== 'forward') return v;
  if (!ctx.split) ctx.split = { choices: v.choices, node };
  else if (ctx.split.choices !== v.choices) return v; // only the first pick of a path is split
  const c = v.choices[ctx.pick ?? 0] ?? v.choices[0]!;
  const { rule: _rule, translation: _translation, ...rest } = v;
  return {
    ...rest,
    verdict: c.verdict,
    packet: c.packet,
    ...(c.rule ? { rule: c.rule } : {}),
    ...(c.translation ? { translation: c.translation } : {}),
  };
}

/** The endpoints a random pick (kube-proxy's `-m statistic --mode random`) may choose, with their chances. */
export function choicesText(v: ChainVerdict, pick = 0): string {
  if (!v.choices || v.choices.length < 2) return '';
  const port = (p: Packet) => (p.port !== undefined && p.proto !== 'icmp' ? `:${p.port}` : '');
  const each = v.choices.map((c) => `${c.packet.dst}${port(c.packet)} (${Math.round(c.probability * 100)}%)`);
  const chosen = v.choices[pick] ?? v.choices[0]!;
  return `; a random pick (-m statistic --mode random) chooses per connection one of ${each.join(', ')}: this path follows ${chosen.packet.dst}${port(chosen.packet)} (endpoint ${pick + 1} of ${v.choices.length}; why walks each)`;
}
