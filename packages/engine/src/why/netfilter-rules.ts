// The iptables rule evaluator of the walk, pure: a table as iptables-save prints it (":CHAIN POLICY"
// lines and "-A CHAIN …" rules), one packet, and the verdict of a chain — the rule that decided
// (ACCEPT, DROP, REJECT, a NAT target), user chains followed with -j (and -g), RETURN back to the
// caller, the built-in chain's policy at the end. A match this reader does not know makes its rule
// count as not matching (the probe, netfilter's own trace, has the last word); the rule is listed
// in `unknown` so the explanation can say which rule could not be judged.
import { cidrContains } from '@patchbay/topology';
import type { Packet } from './walk-types.js';

export interface ChainRule {
  chain: string;
  /** The rule as iptables-save prints it ("-A FORWARD -i eth0 -j ACCEPT"). */
  text: string;
  /** Its words after "-A CHAIN", quoted strings kept whole. */
  words: string[];
}

export interface RuleTable {
  /** Built-in chains' policies (ACCEPT, DROP); user chains carry "-". */
  policies: Map<string, string>;
  rules: ChainRule[];
}

/** What a rule sees of the packet besides its addresses. */
export interface MatchContext {
  packet: Packet;
  iif?: string;
  oif?: string;
  /** Bridged traffic (br_netfilter): the bridge ports the frame came in by and leaves by. */
  physIn?: string;
  physOut?: string;
  /** conntrack's state: a request is NEW, its reply ESTABLISHED. */
  state: 'NEW' | 'ESTABLISHED';
  /** Whether `addr` is an address of this namespace (`-m addrtype --dst-type LOCAL`). */
  isLocal: (addr: string) => boolean;
  /** The first IPv4 address of `dev` in this namespace (MASQUERADE's new source). */
  addressOf: (dev: string) => string | undefined;
}

export interface ChainVerdict {
  verdict: 'accept' | 'drop' | 'return';
  /** The rule that decided; none: the policy (or the end of a user chain). */
  rule?: string;
  /** The chain the deciding rule (or policy) is in. */
  chain: string;
  packet: Packet;
  /** MASQUERADE, SNAT, DNAT or REDIRECT when a NAT rule decided. */
  translation?: 'MASQUERADE' | 'SNAT' | 'DNAT' | 'REDIRECT';
  /** Rules passed over because they use a match this reader does not know. */
  unknown: string[];
  /**
   * When `-m statistic --mode random` rules split the path (kube-proxy's pick of an endpoint):
   * every outcome with its chance; `packet`/`rule` above are the first one's.
   */
  choices?: Choice[];
}

export interface Choice {
  probability: number;
  /** What this outcome does with the packet (kube-proxy's: accept, DNATed). */
  verdict: ChainVerdict['verdict'];
  packet: Packet;
  rule?: string;
  translation?: ChainVerdict['translation'];
}

/** Splits an iptables-save rule into words, a double-quoted string ("a b") being one word. */
export function ruleWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] !== undefined ? m[1] : m[2]!);
  return words;
}

export function parseRuleTable(lines: readonly string[]): RuleTable {
  const policies = new Map<string, string>();
  const rules: ChainRule[] = [];
  for (const line of lines) {
    if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(/\s+/);
      if (chain && policy) policies.set(chain, policy);
    } else if (line.startsWith('-A ')) {
      const words = ruleWords(line);
      rules.push({ chain: words[1]!, text: line, words: words.slice(2) });
    }
  }
  return { policies, rules };
}

const inCidr = (addr: string, cidr: string): boolean => cidrContains(cidr.includes('/') ? cidr : `${cidr}/32`, addr);

/** "eth+" matches every name starting with "eth"; otherwise the name itself. */
export const interfaceMatches = (pattern: string, name: string | undefined): boolean =>
  name !== undefined && (pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern);

/** "80", "1000:2000", ":1024", "1024:" (ranges), or a multiport list of those. */
function portMatches(spec: string, port: number | undefined): boolean {
  if (port === undefined) return false;
  return spec.split(',').some((part) => {
    if (!part.includes(':')) return Number(part) === port;
    const [lo, hi] = part.split(':');
    return port >= (lo ? Number(lo) : 0) && port <= (hi ? Number(hi) : 65535);
  });
}

/** Options a target takes (its values are the target's, not matches). */
const TARGET_OPTIONS = new Set([
  '--to-source',
  '--to-destination',
  '--to-ports',
  '--reject-with',
  '--log-prefix',
  '--log-level',
  '--set-mark',
  '--set-xmark',
  '--random',
  '--persistent',
]);
/** Options that take no value. */
const FLAG_OPTIONS = new Set(['--random', '--random-fully', '--persistent', '--log-uid']);

/** Whether a rule's matches all hold for the packet; its target and the target's options. */
export function evaluateRule(
  rule: ChainRule,
  m: MatchContext,
): { matches: boolean; unknown: boolean; target?: string; options: Map<string, string>; probability?: number } {
  const w = rule.words;
  const options = new Map<string, string>();
  let target: string | undefined;
  let matches = true;
  let unknown = false;
  let probability: number | undefined;
  const src = m.packet.src;
  const dst = m.packet.dst;
  const l4 = m.packet.proto !== 'icmp';
  for (let i = 0; i < w.length; i++) {
    let negate = false;
    if (w[i] === '!') {
      negate = true;
      i++;
    }
    const opt = w[i]!;
    let val = w[i + 1] ?? '';
    // iptables-save may also print the negation after the option ("-m tcp --dport ! 80" in old versions).
    let consumed = 1;
    if (val === '!') {
      negate = !negate;
      val = w[i + 2] ?? '';
      consumed = 2;
    }
    const test = (ok: boolean) => {
      if (ok === negate) matches = false;
      i += consumed;
    };
    switch (opt) {
      case '-s':
        test(inCidr(src, val));
        break;
      case '-d':
        test(inCidr(dst, val));
        break;
      case '-i':
        test(interfaceMatches(val, m.iif));
        break;
      case '-o':
        test(interfaceMatches(val, m.oif));
        break;
      case '-p':
        test(val === 'all' || val === m.packet.proto || (val === '1' && !l4));
        break;
      case '--dport':
      case '--dports':
      case '--destination-port':
        test(l4 && portMatches(val, m.packet.port));
        break;
      case '--sport':
      case '--sports':
      case '--source-port':
        // The request's source port is an ephemeral one the walk does not know (nor does a reply's
        // destination port): a rule on it is judged as not matching, and said so.
        unknown = true;
        test(false);
        break;
      case '--physdev-in':
        test(m.physIn !== undefined && interfaceMatches(val, m.physIn));
        break;
      case '--physdev-out':
        test(m.physOut !== undefined && interfaceMatches(val, m.physOut));
        break;
      case '--physdev-is-bridged':
        // No value: the frame is bridged (came in by a bridge port and leaves by one).
        if ((m.physIn !== undefined && m.physOut !== undefined) === negate) matches = false;
        break;
      case '--ctstate':
      case '--state':
        test(val.split(',').includes(m.state));
        break;
      case '--dst-type':
        test(val.split(',').some((t) => (t === 'LOCAL' ? m.isLocal(dst) : t === 'UNICAST' && !m.isLocal(dst))));
        break;
      case '--src-type':
        test(val.split(',').some((t) => (t === 'LOCAL' ? m.isLocal(src) : t === 'UNICAST' && !m.isLocal(src))));
        break;
      case '--icmp-type':
        // The walk's icmp packet is an echo request (8), its reply an echo reply (0).
        test(
          !l4 &&
            (val === 'any' ||
              (m.state === 'NEW' ? ['8', 'echo-request'] : ['0', 'echo-reply']).includes(val.split('/')[0]!)),
        );
        break;
      case '--syn':
        // No value: a new TCP connection's first segment.
        if ((m.packet.proto === 'tcp' && m.state === 'NEW') === negate) matches = false;
        break;
      case '-m':
      case '--comment':
        i++;
        break;
      case '--mode':
        // statistic: only random is judged (as a split of the path: runRuleChain); nth is not.
        if (val !== 'random') {
          unknown = true;
          matches = false;
        }
        i++;
        break;
      case '--probability':
        probability = Number(val);
        i++;
        break;
      case '--mark': {
        const [value = '0', mask = '0xffffffff'] = val.split('/');
        test(((m.packet.mark ?? 0) & Number(mask)) >>> 0 === (Number(value) & Number(mask)) >>> 0);
        break;
      }
      case '-j':
      case '-g':
        target = val;
        i++;
        break;
      default:
        if (opt.startsWith('--') && target !== undefined) {
          if (!FLAG_OPTIONS.has(opt)) {
            options.set(opt, val);
            i++;
          }
        } else if (opt.startsWith('-')) {
          // A match this reader does not know: the rule cannot be judged here.
          if (!TARGET_OPTIONS.has(opt) && !FLAG_OPTIONS.has(opt)) {
            unknown = true;
            matches = false;
          }
          if (!FLAG_OPTIONS.has(opt) && w[i + 1] !== undefined && !w[i + 1]!.startsWith('-')) i++;
        }
    }
  }
  return { matches, unknown, target, options, ...(probability !== undefined ? { probability } : {}) };
}

/** `-j MARK --set-xmark VALUE/MASK` (what iptables-save prints for --set-mark, --or-mark…): new mark. */
function applyMark(mark: number, options: Map<string, string>): number {
  const spec = options.get('--set-xmark') ?? options.get('--set-mark');
  if (!spec) return mark;
  const [value = '0', mask = '0xffffffff'] = spec.split('/');
  return ((mark & ~Number(mask)) ^ Number(value)) >>> 0;
}

const NON_TERMINAL = new Set(['LOG', 'MARK', 'CONNMARK', 'TRACE', 'NFLOG', 'CT', 'NOTRACK']);

/**
 * The verdict of `chain` for the packet. A user chain that ends without a verdict returns to its
 * caller; a built-in chain ends with its policy. -g jumps without coming back (a RETURN or the end
 * of the chain it went to returns to the chain that called the current one).
 */
export function runRuleChain(table: RuleTable, chain: string, m: MatchContext, depth = 0): ChainVerdict {
  const indices = table.rules.flatMap((r, i) => (r.chain === chain ? [i] : []));
  return runFrom(table, chain, indices, 0, m, depth);
}

/** The rest of `chain` (its rules `indices`, from the `start`-th) for the packet in `m`. */
function runFrom(
  table: RuleTable,
  chain: string,
  indices: number[],
  start: number,
  m: MatchContext,
  depth: number,
  /** The rule at `start` is taken whatever its chance (one branch of a random pick). */
  taking = false,
): ChainVerdict {
  const unknown: string[] = [];
  let packet = m.packet;
  let ctx = m;
  for (let k = start; k < indices.length; k++) {
    const rule = table.rules[indices[k]!]!;
    const e = evaluateRule(rule, ctx);
    if (e.unknown) unknown.push(rule.text);
    if (!e.matches || !e.target) continue;
    const t = e.target;
    const done = (v: Omit<ChainVerdict, 'unknown' | 'chain'>): ChainVerdict => ({ ...v, chain, unknown });
    // A random pick (kube-proxy's endpoints): the rule matching and the rest of the chain are both
    // possible; each outcome keeps its share of the chance, the first is the one followed.
    if (e.probability !== undefined && e.probability < 1 && !(taking && k === start)) {
      const p = e.probability;
      const taken = runFrom(table, chain, indices, k, { ...ctx, packet }, depth, true);
      const rest = runFrom(table, chain, indices, k + 1, { ...ctx, packet }, depth);
      const outcomes = (v: ChainVerdict, share: number): Choice[] =>
        (
          v.choices ?? [
            {
              probability: 1,
              verdict: v.verdict,
              packet: v.packet,
              ...(v.rule ? { rule: v.rule } : {}),
              ...(v.translation ? { translation: v.translation } : {}),
            },
          ]
        ).map((c) => ({ ...c, probability: c.probability * share }));
      return {
        ...taken,
        unknown: [...unknown, ...taken.unknown, ...rest.unknown],
        choices: [...outcomes(taken, p), ...outcomes(rest, 1 - p)],
      };
    }
    if (t === 'ACCEPT') return done({ verdict: 'accept', rule: rule.text, packet });
    if (t === 'DROP' || t === 'REJECT') return done({ verdict: 'drop', rule: rule.text, packet });
    if (t === 'RETURN') {
      if (depth === 0) break; // RETURN in a built-in chain: its policy decides
      return done({ verdict: 'return', rule: rule.text, packet });
    }
    if (t === 'MASQUERADE' || t === 'SNAT') {
      const to =
        t === 'SNAT'
          ? (e.options.get('--to-source') ?? '').split(':')[0]!.split('-')[0]!
          : (ctx.addressOf(ctx.oif ?? '') ?? packet.src);
      return done({ verdict: 'accept', rule: rule.text, packet: { ...packet, src: to || packet.src }, translation: t });
    }
    if (t === 'DNAT') {
      const spec = e.options.get('--to-destination') ?? '';
      const [addr, port] = spec.split(':');
      const next = {
        ...packet,
        dst: addr?.split('-')[0] || packet.dst,
        port: port ? Number(port.split('-')[0]) : packet.port,
      };
      return done({ verdict: 'accept', rule: rule.text, packet: next, translation: 'DNAT' });
    }
    if (t === 'MARK') {
      packet = { ...packet, mark: applyMark(packet.mark ?? 0, e.options) };
      ctx = { ...ctx, packet };
      continue;
    }
    if (t === 'REDIRECT') {
      // To the node itself: the address of the interface it came in by (127.0.0.1 when sent locally).
      const ports = e.options.get('--to-ports');
      const next = {
        ...packet,
        dst: (ctx.iif ? ctx.addressOf(ctx.iif) : '127.0.0.1') ?? packet.dst,
        port: ports ? Number(ports.split('-')[0]) : packet.port,
      };
      return done({ verdict: 'accept', rule: rule.text, packet: next, translation: 'REDIRECT' });
    }
    if (NON_TERMINAL.has(t)) continue;
    if (depth < 16 && table.policies.has(t) && !['ACCEPT', 'DROP'].includes(t)) {
      const sub = runRuleChain(table, t, ctx, depth + 1);
      unknown.push(...sub.unknown);
      if (sub.verdict !== 'return') return { ...sub, unknown };
      // What the chain did to the mark stays (KUBE-MARK-MASQ).
      packet = sub.packet;
      ctx = { ...ctx, packet };
      // -g: the chain gone to returns to this chain's caller (a built-in chain: its policy).
      if (rule.words.includes('-g')) {
        if (depth === 0) break;
        return { verdict: 'return', chain, packet, unknown };
      }
    }
  }
  const policy = table.policies.get(chain);
  if (depth === 0 && policy === 'DROP') return { verdict: 'drop', chain, packet, unknown };
  return { verdict: depth === 0 ? 'accept' : 'return', chain, packet, unknown };
}
