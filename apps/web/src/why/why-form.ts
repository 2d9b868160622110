// The Why? question form, pure: its fields as typed, the problems to show beside them (the same rules
// as the server's, so most mistakes are caught before asking), the query sent, and what a refusal of
// the server means for the person asking and what they can do.
import type { ApiError } from '@patchbay/protocol';
import {
  isBridge,
  NAME_RE,
  parseIPv4,
  WHY_DEFAULT_SIZE,
  WHY_MAX_SIZE,
  WHY_MIN_SIZE,
  type Lab,
  type WhyProtocol,
  type WhyQuery,
} from '@patchbay/topology';

export interface WhyFields {
  from: string;
  /** A lab node or an IPv4 address. */
  to: string;
  proto: WhyProtocol;
  /** As typed; used for tcp and udp only. */
  port: string;
  /** The IPv4 packet's total length in bytes, as typed. */
  size: string;
  df: boolean;
  probe: boolean;
}

/** What opens the form with some fields filled (a node's menu: `from`; a failed ping: all it knew). */
export type WhyPrefill = Partial<Pick<WhyFields, 'from' | 'to' | 'size' | 'df'>>;

/** The nodes a question can start from: those that send packets (not bridges). */
export const whySources = (lab: Lab): string[] =>
  Object.entries(lab.nodes)
    .filter(([, s]) => !isBridge(s))
    .map(([n]) => n);

export function initialFields(lab: Lab, prefill: WhyPrefill): WhyFields {
  const sources = whySources(lab);
  const from = prefill.from && sources.includes(prefill.from) ? prefill.from : (sources[0] ?? '');
  return {
    from,
    to: prefill.to ?? '',
    proto: 'icmp',
    port: '',
    size: prefill.size ?? String(WHY_DEFAULT_SIZE),
    df: prefill.df ?? false,
    probe: true,
  };
}

const wholeIn = (s: string, min: number, max: number): number | undefined => {
  const t = s.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= min && n <= max ? n : undefined;
};

/** The problem of each field (by field name), none when the question can be asked. */
export function whyFormProblems(f: WhyFields, lab: Lab): Partial<Record<keyof WhyFields, string>> {
  const out: Partial<Record<keyof WhyFields, string>> = {};
  if (!f.from) out.from = 'pick the node the packet starts at';
  const to = f.to.trim();
  if (!to) out.to = 'a node of the lab or an IPv4 address';
  else if (parseIPv4(to) === undefined) {
    if (!NAME_RE.test(to)) out.to = `${to} is neither a node name nor an IPv4 address`;
    else if (!Object.hasOwn(lab.nodes, to)) out.to = `the lab has no node ${to}`;
  }
  if (f.proto !== 'icmp' && wholeIn(f.port, 1, 65535) === undefined)
    out.port = `${f.proto} needs a port from 1 to 65535`;
  if (wholeIn(f.size, WHY_MIN_SIZE, WHY_MAX_SIZE) === undefined)
    out.size = `a whole number of bytes from ${WHY_MIN_SIZE} to ${WHY_MAX_SIZE}`;
  return out;
}

/** The query the fields ask (they must have no problem). */
export function toWhyQuery(f: WhyFields): WhyQuery {
  return {
    from: f.from,
    to: f.to.trim(),
    proto: f.proto,
    ...(f.proto !== 'icmp' ? { port: Number(f.port.trim()) } : {}),
    size: Number(f.size.trim()),
    df: f.df,
    probe: f.probe,
  };
}

export interface WhyRefusal {
  /** What happened, in words. */
  message: string;
  /** What to do about it. */
  todo: string;
  /** The server's problems by form field (`why.port` → port), shown beside the fields. */
  fields: Partial<Record<keyof WhyFields, string>>;
}

const FIELD_OF: Record<string, keyof WhyFields> = {
  from: 'from',
  to: 'to',
  proto: 'proto',
  port: 'port',
  size: 'size',
  df: 'df',
  probe: 'probe',
};

/** A refused or failed question, for the form: what it means and what to do. */
export function whyRefusal(e: ApiError): WhyRefusal {
  const fields: WhyRefusal['fields'] = {};
  for (const p of e.problems) {
    const key = FIELD_OF[(p.path ?? '').replace(/^\/?(body[./])?/, '').split(/[./[]/)[0] ?? ''];
    if (key) fields[key] ??= p.message;
  }
  switch (e.status) {
    case 0:
      return { message: e.message, todo: 'Check that the Patchbay server runs, then ask again.', fields };
    case 400:
      return { message: e.message, todo: 'Correct the fields marked and ask again.', fields };
    case 403:
      return e.code === 'why-disabled'
        ? {
            message: 'Your instructor turned Why? off for this exercise.',
            todo: 'Find the answer with ping, the terminal and the kernel tables, or ask your instructor.',
            fields,
          }
        : { message: e.message, todo: 'This token does not cover this lab: open it with one that does.', fields };
    case 404:
      return { message: e.message, todo: 'Apply the lab (or apply it again) and ask again.', fields };
    case 429:
      return {
        message: e.message,
        todo:
          e.code === 'busy'
            ? 'Another question about this lab is being answered: ask again in a moment.'
            : 'Too many questions in a short time: wait a little and ask again.',
        fields,
      };
    default:
      return { message: e.message, todo: 'Ask again; if it keeps failing, the server log says more.', fields };
  }
}

/**
 * Whether an exercise page offers Why?: as the exercise view says for this token (false for a student
 * whose scenario says `why: false`), and always to an instructor looking at a student's lab.
 */
export function offersWhy(role: 'student' | 'instructor', view: { why: boolean } | undefined): boolean {
  return role === 'instructor' || view?.why === true;
}

/** An ICMP echo's IPv4 packet is ping's data bytes + 8 (ICMP header) + 20 (IPv4 header). */
const ICMP_IP_OVERHEAD = 28;

/**
 * The question a finished ping asks, when it lost packets: from its node to its target, the same
 * packet (ping's size is the data; Why?'s the whole IPv4 packet), don't-fragment as it was sent.
 */
export function pingWhyPrefill(run: {
  from?: string;
  target: string;
  size: number;
  df?: boolean;
  summary?: { transmitted: number; received: number };
}): WhyPrefill | undefined {
  if (!run.from || !run.summary || run.summary.received >= run.summary.transmitted) return undefined;
  return { from: run.from, to: run.target, size: String(run.size + ICMP_IP_OVERHEAD), df: run.df ?? false };
}
