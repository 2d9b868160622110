// A Why? answer in words: the question, each hop as a line (node, in → out, action, what the kernel
// said, the addresses and whether they were translated), the verdict with the fix, and the probe's
// line. The panel shows exactly this text; it is also what a screen reader reads.
import type { WhyBlocked, WhyHop, WhyProbe, WhyReason, WhyResult } from '@patchbay/topology';

/** Each reason code in a few words (the canvas's dead-hop marker shows the code with these). */
export const REASON_WORDS: Record<WhyReason, string> = {
  'link-down': 'an interface or its link is down',
  'no-route': 'no route to the destination',
  'no-neighbour': 'no neighbour answers ARP',
  'forwarding-off': 'IP forwarding is off',
  filtered: 'a netfilter rule or policy drops it',
  mtu: 'too big for an MTU on the path',
  'no-listener': 'nothing listens on that port',
  'rp-filter': 'the reverse-path filter drops it',
  'bridge-port-down': 'a bridge port does not forward',
  'no-fdb-remote': 'the VXLAN device has no remote for it',
  nat: 'an address translation sends it elsewhere',
  unknown: 'it dies, and no reason was found',
};

type Query = WhyResult['query'];

const protoText = (q: Pick<Query, 'proto' | 'port'>): string =>
  q.proto === 'icmp' ? 'ICMP echo' : `${q.proto.toUpperCase()} to port ${q.port ?? '?'}`;

/** "Can a (10.0.1.2) reach b (10.0.2.2)? ICMP echo, 84-byte packets, don't fragment." */
export function questionText(q: Query): string {
  const from = q.src ? `${q.from} (${q.src})` : q.from;
  const to = q.to === q.dst ? q.to : `${q.to} (${q.dst})`;
  const df = q.df ? ", don't fragment" : '';
  return `Can ${from} reach ${to}? ${protoText(q)}, ${q.size}-byte packets${df}.`;
}

export interface HopLine {
  node: string;
  /** "eth0 → eth1", "→ eth0" (sent), "eth0 →" (delivered), or empty. */
  interfaces: string;
  action: WhyHop['action'];
  detail: string;
  /** "10.0.1.2 → 10.0.2.2" as the packet leaves this hop, when the hop says. */
  addresses?: string;
  /** The addresses changed at this hop (NAT, or the reply's translation undone). */
  translated: boolean;
  /** The addresses are the outer header this hop wrapped the packet in (VXLAN), not a translation. */
  outer: boolean;
  /** The whole line, as read aloud. */
  text: string;
}

function interfacesText(h: WhyHop): string {
  if (h.in && h.out) return `${h.in} → ${h.out}`;
  if (h.out) return `→ ${h.out}`;
  if (h.in) return `${h.in} →`;
  return '';
}

/**
 * The hops as lines. Addresses are compared within one layer: an encapsulation starts an outer one
 * (the underlay's addresses are no translation) and a decapsulation goes back to the inner packet.
 */
export function hopLines(hops: WhyHop[]): HopLine[] {
  const seen: (string | undefined)[] = [];
  let depth = 0;
  return hops.map((h) => {
    if (h.action === 'encapsulate') depth++;
    const addresses = h.src && h.dst ? `${h.src} → ${h.dst}` : undefined;
    const before = seen[depth];
    const outer = h.action === 'encapsulate' && addresses !== undefined;
    const translated =
      h.action === 'translate' || (!outer && addresses !== undefined && before !== undefined && addresses !== before);
    if (addresses) seen[depth] = addresses;
    if (h.action === 'decapsulate' && depth > 0) {
      seen.length = depth; // the outer layer's addresses are done with
      depth--;
    }
    const interfaces = interfacesText(h);
    const note = outer ? 'outer header ' : translated ? 'translated to ' : '';
    const text = [`${h.node}:`, interfaces, h.action, `— ${h.detail}`, addresses ? `(${note}${addresses})` : '']
      .filter(Boolean)
      .join(' ');
    return {
      node: h.node,
      interfaces,
      action: h.action,
      detail: h.detail,
      ...(addresses ? { addresses } : {}),
      translated,
      outer,
      text,
    };
  });
}

/** Where it died: "the reply dies at b (eth0)". */
export function deadHopText(b: WhyBlocked): string {
  const where = b.interface ? `${b.node} (${b.interface})` : b.node;
  return `the ${b.direction === 'forward' ? 'request' : 'reply'} dies at ${where}`;
}

/** The verdict, one sentence: reachable, or where and why it died. */
export function verdictText(r: WhyResult): string {
  const to = r.query.to === r.query.dst ? r.query.to : `${r.query.to} (${r.query.dst})`;
  if (r.reachable) return `Reachable: the request gets to ${to} and the reply gets back to ${r.query.from}.`;
  const b = r.blocked;
  if (!b) return `Not reachable: the walk found no place where it dies.`;
  return `Blocked: ${deadHopText(b)} — ${b.reason} (${REASON_WORDS[b.reason]}): ${b.detail}`;
}

/** Through a Service: one line per endpoint the random pick may choose, with that path's verdict. */
export function endpointTexts(r: WhyResult): { endpoint: string; reachable: boolean; text: string }[] {
  return (r.endpoints ?? []).map((e) => {
    const who = `${e.endpoint}${e.node ? ` (${e.node})` : ''}, ${Math.round(e.probability * 100)}% of connections`;
    const b = e.blocked;
    const verdict = e.reachable
      ? 'reachable'
      : b
        ? `blocked: ${deadHopText(b)} — ${b.reason} (${REASON_WORDS[b.reason]}): ${b.detail}`
        : 'not reachable';
    return { endpoint: e.endpoint, reachable: e.reachable, text: `${who}: ${verdict}` };
  });
}

/** The fix hint and, for a filter, the rule that drops; none when reachable or no hint was found. */
export function fixText(r: WhyResult): string | undefined {
  const b = r.blocked;
  if (!b) return undefined;
  const rule = b.rule
    ? ` (the rule: table ${b.rule.table}, chain ${b.rule.chain}${b.rule.rule ? `: ${b.rule.rule}` : ', its policy'})`
    : '';
  if (b.fix) return `Fix: ${b.fix}${rule}`;
  return rule ? `Look at${rule}` : undefined;
}

/**
 * What the probe saw, in one line. The engine's detail already says whether it agrees with the
 * walk, where the packet was last seen and the kernel's drop reason: it is shown as it is.
 */
export function probeText(p: WhyProbe | undefined): string {
  if (!p) return 'No probe was sent: this answer is the walk of the kernel’s tables alone.';
  const got = p.reachable ? 'got its answer' : 'got no answer';
  const detail = p.detail.charAt(0).toUpperCase() + p.detail.slice(1);
  return `Probe (one real packet, ${got}): ${detail}${/[.!]$/.test(detail) ? '' : '.'}${p.agrees ? '' : ' The probe has the last word.'}`;
}

/** Every command the answer is made of, once each, in path order: to check it by hand. */
export function commandsOf(r: WhyResult): string[] {
  return [...new Set([...r.forward, ...r.reverse].flatMap((h) => h.commands ?? []))];
}
