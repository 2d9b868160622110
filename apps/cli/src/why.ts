// `patchbay why NAME FROM TO` (CLI.md, docs/why.md): the question from the flags, the engine's walk
// (and probe), and the answer printed to teach — the question on one line, the forward and reply
// hops, the verdict with a hint of the fix, and through a Service every endpoint's path. Exit 0
// reachable (through a Service: by every endpoint) · 3 blocked · 1 lab problem (the
// engine's not-found) · 2 bad input (the checks below, or the engine's invalid: nothing was read).
import { Engine, EngineError, explainPath } from '@patchbay/engine';
import {
  NAME_RE,
  WHY_PROTOCOLS,
  type WhyHop,
  type WhyProtocol,
  type WhyQuery,
  type WhyResult,
} from '@patchbay/topology';
import type { Parsed } from './args.js';

type Print = (s: string) => void;

/** A whole number given as an option (`--port 80`), or a bad-input error naming the option. */
function wholeNumber(p: Parsed, option: string, what: string): number | undefined {
  const text = p.options.get(option);
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,6}$/.test(text))
    throw new EngineError('invalid', `--${option} ${JSON.stringify(text)} is not ${what}`, [
      { path: option, code: `why.${option}`, message: `--${option} must be ${what}, not ${JSON.stringify(text)}` },
    ]);
  return Number(text);
}

/** The question from the command line; the engine checks the rest (port with icmp, sizes, TO). */
export function whyQueryOf(p: Parsed): { lab: string; query: WhyQuery } {
  const [lab = '', from = '', to = ''] = p.positional; // the grammar (args.ts) guarantees three
  if (!NAME_RE.test(lab))
    throw new EngineError('invalid', `${JSON.stringify(lab)} is not a lab name ([a-z][a-z0-9-]{0,23})`, [
      { path: 'name', code: 'why.name', message: `NAME must be a lab name, not ${JSON.stringify(lab)}` },
    ]);
  const proto = p.options.get('proto');
  if (proto !== undefined && !(WHY_PROTOCOLS as readonly string[]).includes(proto))
    throw new EngineError('invalid', `--proto ${JSON.stringify(proto)} is not a protocol`, [
      { path: 'proto', code: 'why.proto', message: `--proto must be icmp, tcp or udp, not ${JSON.stringify(proto)}` },
    ]);
  const query: WhyQuery = { from, to };
  if (proto !== undefined) query.proto = proto as WhyProtocol;
  const port = wholeNumber(p, 'port', 'a port number (1-65535)');
  if (port !== undefined) query.port = port;
  const size = wholeNumber(p, 'size', 'a size in bytes');
  if (size !== undefined) query.size = size;
  if (p.flags.has('df')) query.df = true;
  if (p.flags.has('no-probe')) query.probe = false;
  return { lab, query };
}

export async function cmdWhy(engine: Engine, p: Parsed, out: Print): Promise<number> {
  const { lab, query } = whyQueryOf(p);
  const result = await explainPath(engine, lab, query);
  out(p.flags.has('json') ? JSON.stringify(result, null, 2) : formatWhy(result));
  // Through a Service, one endpoint that cannot be reached fails that share of the connections.
  const every = result.reachable && (result.endpoints ?? []).every((e) => e.reachable);
  return every ? 0 : 3;
}

// ---------------------------------------------------------------------------------------------
// The human answer

/** "a (172.17.0.2) → upstream (203.0.113.1), icmp, 84 bytes" (TO given as an address: no name). */
export function questionLine(r: WhyResult): string {
  const q = r.query;
  const end = (name: string, addr: string) => (!addr ? name : name === addr ? addr : `${name} (${addr})`);
  const proto = q.port === undefined ? q.proto : `${q.proto} port ${q.port}`;
  return `${end(q.from, q.src)} → ${end(q.to, q.dst)}, ${proto}, ${q.size} bytes${q.df ? ", don't fragment" : ''}`;
}

/**
 * One line per hop: node, in → out, action, detail; the packet's addresses where they differ
 * from the addresses it had before this hop (a NAT, or the reply's start), so translations show.
 */
export function hopLines(hops: readonly WhyHop[], start: { src: string; dst: string }): string[] {
  let src = start.src;
  let dst = start.dst;
  const rows = hops.map((h) => {
    let addrs = '';
    if ((h.src && h.src !== src) || (h.dst && h.dst !== dst)) {
      src = h.src ?? src;
      dst = h.dst ?? dst;
      addrs = `  [${src} → ${dst}]`;
    }
    return [h.node, `${h.in ?? '·'} → ${h.out ?? '·'}`, h.action, `${h.detail}${addrs}`];
  });
  const widths = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ')}`.trimEnd());
}

/** "reachable", or "blocked at NODE (IFACE): REASON — detail" with its rule and "fix: …". */
export function verdictLines(r: WhyResult): string[] {
  if (r.reachable) return ['reachable'];
  const b = r.blocked;
  if (!b) return ['blocked (no reason given)'];
  const where = `${b.node}${b.interface ? ` (${b.interface})` : ''}${b.direction === 'reverse' ? ', on the reply' : ''}`;
  const lines = [`blocked at ${where}: ${b.reason} — ${b.detail}`];
  if (b.rule) lines.push(`rule: ${b.rule.table}/${b.rule.chain}${b.rule.rule ? ` ${b.rule.rule}` : ' (its policy)'}`);
  if (b.fix) lines.push(`fix: ${b.fix}`);
  return lines;
}

/** The probe's line (where it was last seen, whether it agrees with the walk), then what the kernel said. */
export function probeLines(r: WhyResult): string[] {
  const p = r.probe;
  if (!p) return [];
  // The probe's detail already says whether it agrees, where it was last seen and the drop reason.
  const lines = [`probe: ${p.reachable ? 'answered' : 'no answer'} — ${p.detail}`];
  if (!p.agrees) lines.push('  the walk and the probe disagree: the probe has the last word');
  for (const t of (p.trace ?? []).slice(0, 12)) lines.push(`  trace: ${t}`);
  if ((p.trace?.length ?? 0) > 12) lines.push(`  trace: … ${p.trace!.length - 12} more (--json has them all)`);
  return lines;
}

/** A Service's endpoints, one line each: where the pick sends, its chance, and that path's verdict. */
export function endpointLines(r: WhyResult): string[] {
  if (!r.endpoints?.length) return [];
  const lines = ['', 'endpoints (a random pick per connection; each path walked, the first is shown above):'];
  for (const e of r.endpoints) {
    const who = `${e.endpoint}${e.node ? ` (${e.node})` : ''}, ${Math.round(e.probability * 100)}%`;
    const b = e.blocked;
    lines.push(
      e.reachable || !b
        ? `  ${who}: ${e.reachable ? 'reachable' : 'blocked'}`
        : `  ${who}: blocked at ${b.node}${b.interface ? ` (${b.interface})` : ''}${b.direction === 'reverse' ? ', on the reply' : ''}: ${b.reason} — ${b.detail}`,
    );
    if (!e.reachable && b?.fix) lines.push(`    fix: ${b.fix}`);
  }
  return lines;
}

export function formatWhy(r: WhyResult): string {
  const q = r.query;
  const lines = [questionLine(r), '', 'forward:', ...hopLines(r.forward, { src: q.src, dst: q.dst })];
  if (r.reverse.length) lines.push('reply:', ...hopLines(r.reverse, { src: q.dst, dst: q.src }));
  else if (r.blocked?.direction === 'forward') lines.push('reply: (not walked: the request is blocked)');
  lines.push('', ...verdictLines(r), ...endpointLines(r), ...probeLines(r));
  return lines.join('\n');
}
