// Pure helpers of the ping panel: the addresses of a lab (the target list), ping-style lines for
// replies, events and the summary, and the per-seq series the RTT plot draws.
import type { PingEvent, PingReply, PingSummary } from '@patchbay/protocol';
import { isBridge, isLinkLocal6, parseIPv6, type Lab } from '@patchbay/topology';

/** Dotted-quad IPv4 (the protocol's IPV4_PATTERN, kept here so this module needs no runtime import). */
const IPV4_RE = /^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

export const isIPv4 = (s: string): boolean => IPV4_RE.test(s);

/** What the ping panel can ping: IPv4, or IPv6 other than link-local (that one needs an interface named). */
export const isPingTarget = (s: string): boolean => {
  if (isIPv4(s)) return true;
  const v6 = s.includes(':') ? parseIPv6(s) : undefined;
  return v6 !== undefined && !isLinkLocal6(v6);
};

/** `10.0.0.1/24` → `10.0.0.1`. */
export const stripPrefix = (cidr: string): string => {
  const i = cidr.indexOf('/');
  return (i < 0 ? cidr : cidr.slice(0, i)).trim();
};

export interface LabAddress {
  /** The address without its prefix length. */
  address: string;
  /** Where it lives: `node/interface` (a bridge: `br0 (bridge)`, an overlay VTEP: `h1/overlay ov1`). */
  label: string;
  /** The node the address belongs to (a bridge for bridge addresses). */
  node: string;
}

/**
 * Every IPv4 and (not link-local) IPv6 address of the lab document, in document order: link ends, bridges, overlay host
 * members (VTEP addresses). The first place an address appears wins when it appears twice.
 */
export function labAddresses(lab: Lab): LabAddress[] {
  const out: LabAddress[] = [];
  const seen = new Set<string>();
  const add = (cidr: string, label: string, node: string) => {
    const address = stripPrefix(cidr);
    if (!isPingTarget(address) || seen.has(address)) return;
    seen.add(address);
    out.push({ address, label, node });
  };
  for (const link of lab.links ?? []) {
    for (const end of [link.a, link.b])
      for (const a of end.addresses ?? []) add(a, `${end.node}/${end.interface}`, end.node);
  }
  for (const [name, spec] of Object.entries(lab.nodes ?? {})) {
    if (isBridge(spec)) for (const a of spec.addresses ?? []) add(a, `${name} (bridge)`, name);
  }
  for (const ov of lab.overlays ?? []) {
    for (const m of ov.members)
      if ('host' in m) for (const a of m.addresses ?? []) add(a, `${m.host}/overlay ${ov.name}`, m.host);
  }
  return out;
}

/** The nodes a ping can start from: every node that is not a bridge. */
export const pingSources = (lab: Lab): string[] =>
  Object.entries(lab.nodes ?? {})
    .filter(([, s]) => !isBridge(s))
    .map(([n]) => n);

/** A target to propose for `from`: the first address of the lab on another node. */
export function defaultTarget(lab: Lab, from: string | undefined): string | undefined {
  const all = labAddresses(lab);
  return (all.find((a) => a.node !== from) ?? all[0])?.address;
}

/** An RTT as ping prints it: 0.050, 1.23, 12.3, 123. */
export function formatRtt(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** `64 bytes: icmp_seq=1 ttl=64 time=0.050 ms` (`size` is the ICMP payload; the line counts the 8-byte header). */
export function formatReply(r: Pick<PingReply, 'seq' | 'ttl' | 'rttMs'>, size: number): string {
  const time = r.rttMs === undefined ? '' : ` time=${formatRtt(r.rttMs)} ms`;
  return `${size + 8} bytes: icmp_seq=${r.seq} ttl=${r.ttl}${time}`;
}

/** `icmp_seq=3 timeout: no answer yet` */
export function formatEvent(e: Pick<PingEvent, 'type' | 'seq' | 'message'>): string {
  const seq = e.seq === undefined ? '' : `icmp_seq=${e.seq} `;
  return `${seq}${e.type}: ${e.message}`;
}

/** `4 packets transmitted, 3 received, 25% packet loss` */
export function formatSummary(s: Pick<PingSummary, 'transmitted' | 'received' | 'lossPercent'>): string {
  const loss = Number.isInteger(s.lossPercent) ? String(s.lossPercent) : s.lossPercent.toFixed(1);
  return `${s.transmitted} packets transmitted, ${s.received} received, ${loss}% packet loss`;
}

/** `rtt min/avg/max = 0.041/0.050/0.062 ms`, or undefined without RTTs. */
export function formatRttStats(s: Pick<PingSummary, 'rttMinMs' | 'rttAvgMs' | 'rttMaxMs'>): string | undefined {
  if (s.rttMinMs === undefined && s.rttAvgMs === undefined && s.rttMaxMs === undefined) return undefined;
  return `rtt min/avg/max = ${formatRtt(s.rttMinMs)}/${formatRtt(s.rttAvgMs)}/${formatRtt(s.rttMaxMs)} ms`;
}

export type SeqState = 'ok' | 'lost' | 'pending';
export interface SeqPoint {
  seq: number;
  state: SeqState;
  rttMs?: number;
}

/**
 * One point per seq from 1 to the highest seen (or `count`, when the ping has ended: then every seq
 * up to `transmitted` without a reply is lost). A seq with a reply is `ok` even if an event
 * (e.g. a late "no answer yet") named it before; a seq with only an event is `lost`.
 */
export function pingSeries(
  replies: readonly Pick<PingReply, 'seq' | 'rttMs'>[],
  events: readonly Pick<PingEvent, 'seq'>[],
  summary?: Pick<PingSummary, 'transmitted'>,
): SeqPoint[] {
  const rtt = new Map<number, number | undefined>();
  for (const r of replies) if (!rtt.has(r.seq)) rtt.set(r.seq, r.rttMs);
  const failed = new Set<number>();
  for (const e of events) if (e.seq !== undefined) failed.add(e.seq);
  let last = summary?.transmitted ?? 0;
  for (const s of rtt.keys()) last = Math.max(last, s);
  for (const s of failed) last = Math.max(last, s);
  const out: SeqPoint[] = [];
  for (let seq = 1; seq <= Math.min(last, 1000); seq++) {
    if (rtt.has(seq)) {
      const r = rtt.get(seq);
      out.push(r === undefined ? { seq, state: 'ok' } : { seq, state: 'ok', rttMs: r });
    } else if (failed.has(seq) || summary) out.push({ seq, state: 'lost' });
    else out.push({ seq, state: 'pending' });
  }
  return out;
}

/** Checks the numeric fields against the protocol's bounds; a message per bad field. */
export function pingFormProblems(f: {
  target: string;
  count: number;
  intervalMs: number;
  size: number;
}): Record<string, string> {
  const p: Record<string, string> = {};
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!isPingTarget(f.target.trim())) p['target'] = 'an IPv4 or IPv6 address, e.g. 10.0.0.2 or 2001:db8::2';
  if (!int(f.count, 1, 100)) p['count'] = '1 to 100';
  if (!int(f.intervalMs, 200, 5000)) p['intervalMs'] = '200 to 5000 ms';
  if (!int(f.size, 0, 1472)) p['size'] = '0 to 1472 bytes';
  return p;
}
