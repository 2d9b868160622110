// Pure helpers of the capture panel: the capture points of a lab (nodes, and the interfaces of a
// node as the lab document names them), the time column, the capped line buffer, the search filter.
import { deviceName, isBridge, type Lab } from '@patchbay/topology';

export interface CaptureNodeOption {
  value: string;
  label: string;
  bridge: boolean;
}

/** Every node of the lab, bridges included, in document order. */
export function captureNodes(lab: Lab): CaptureNodeOption[] {
  return Object.entries(lab.nodes ?? {}).map(([name, spec]) => ({
    value: name,
    label: `${name} (${spec.kind})`,
    bridge: isBridge(spec),
  }));
}

export interface IfaceOption {
  value: string;
  label: string;
}

/**
 * The interfaces a capture on `node` may name: `any`, then
 * - a bridge: the bridge device itself, its ports (link ends on it) and an overlay's VXLAN port;
 * - another node: its link ends; a host also holds its bridges, their ports and its VXLAN devices.
 * Values are kernel names (a bridge or overlay name longer than 15 characters is shortened as the
 * engine does). No duplicates.
 */
export function captureInterfaces(lab: Lab, node: string): IfaceOption[] {
  const out: IfaceOption[] = [{ value: 'any', label: 'any (all interfaces)' }];
  const seen = new Set(['any']);
  const add = (value: string, label: string) => {
    if (!value || seen.has(value)) return;
    seen.add(value);
    out.push({ value, label });
  };
  const spec = lab.nodes?.[node];
  if (!spec) return out;
  const endsOn = (n: string) => {
    const ends: { iface: string; peer: string }[] = [];
    for (const l of lab.links ?? []) {
      if (l.a.node === n) ends.push({ iface: l.a.interface, peer: l.b.node });
      if (l.b.node === n) ends.push({ iface: l.b.interface, peer: l.a.node });
    }
    return ends;
  };
  const bridgeIfaces = (br: string) => {
    add(deviceName(br), `${deviceName(br)} (bridge ${br})`);
    for (const e of endsOn(br)) add(e.iface, `${e.iface} (port of ${br}, to ${e.peer})`);
    for (const ov of lab.overlays ?? []) {
      if (ov.members.some((m) => 'bridge' in m && m.bridge === br))
        add(deviceName(ov.name), `${deviceName(ov.name)} (VXLAN port of ${br}, overlay ${ov.name})`);
    }
  };
  if (isBridge(spec)) {
    bridgeIfaces(node);
    return out;
  }
  for (const e of endsOn(node)) add(e.iface, `${e.iface} (to ${e.peer})`);
  if (spec.kind === 'host') {
    for (const ov of lab.overlays ?? []) {
      if (ov.members.some((m) => 'host' in m && m.host === node))
        add(deviceName(ov.name), `${deviceName(ov.name)} (VXLAN, overlay ${ov.name})`);
    }
    for (const [name, s] of Object.entries(lab.nodes ?? {})) if (isBridge(s) && s.host === node) bridgeIfaces(name);
  }
  return out;
}

/** The interface a capture point starts with: the bridge device for a bridge, `any` otherwise. */
export const defaultIface = (lab: Lab, node: string): string => {
  const spec = lab.nodes?.[node];
  return spec && isBridge(spec) ? deviceName(node) : 'any';
};

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * `HH:MM:SS.micro` of an epoch-ms timestamp whose fraction carries the microseconds
 * (local time, or UTC when `utc`). No timestamp: an empty string.
 */
export function formatTime(ts: number | undefined, utc = false): string {
  if (ts === undefined || !Number.isFinite(ts)) return '';
  let secs = Math.floor(ts / 1000);
  let micro = Math.round((ts - secs * 1000) * 1000);
  if (micro >= 1_000_000) {
    secs += 1;
    micro -= 1_000_000;
  }
  const d = new Date(secs * 1000);
  const [h, m, s] = utc
    ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(micro, 6)}`;
}

/** One line of the view: `n` numbers lines in arrival order (a stable React key). */
export interface ViewLine {
  n: number;
  time: string;
  text: string;
  /** Lower-cased `time + text`, for the search. */
  lower: string;
}

export function toViewLine(n: number, line: { ts?: number; text: string }): ViewLine {
  const time = formatTime(line.ts);
  return { n, time, text: line.text, lower: `${time} ${line.text}`.toLowerCase() };
}

/**
 * Appends `incoming` to `lines` in place and drops the oldest beyond `max`; returns how many
 * were dropped (by this call).
 */
export function appendCapped<T>(lines: T[], incoming: readonly T[], max: number): number {
  if (incoming.length >= max) {
    const dropped = lines.length + incoming.length - max;
    lines.length = 0;
    for (let i = incoming.length - max; i < incoming.length; i++) lines.push(incoming[i]!);
    return dropped;
  }
  for (const l of incoming) lines.push(l);
  const over = lines.length - max;
  if (over > 0) lines.splice(0, over);
  return Math.max(0, over);
}

/** The lines whose time or text contains `query` (case-insensitive); all of them for a blank query. */
export function filterLines(lines: readonly ViewLine[], query: string): readonly ViewLine[] {
  const q = query.trim().toLowerCase();
  if (!q) return lines;
  return lines.filter((l) => l.lower.includes(q));
}

/** Groups lines into chunks by `n` (so dropping the oldest lines changes the first chunk only). */
export function chunkLines(lines: readonly ViewLine[], size: number): ViewLine[][] {
  const chunks: ViewLine[][] = [];
  let cur: ViewLine[] | undefined;
  let key = -1;
  for (const l of lines) {
    const k = Math.floor(l.n / size);
    if (!cur || k !== key) {
      cur = [];
      key = k;
      chunks.push(cur);
    }
    cur.push(l);
  }
  return chunks;
}

/** A file name made of kernel/lab names, safe for a download: `lab-node-iface.pcap`. */
export function pcapFilename(lab: string, node: string, iface: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.+-]/g, '_');
  return `${safe(lab)}-${safe(node)}-${safe(iface)}.pcap`;
}

/** `1.5 KiB`, `12.0 MiB` */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

const REASONS: Record<string, string> = {
  stopped: 'stopped',
  seconds: 'time limit reached',
  packets: 'packet limit reached',
  bytes: 'size limit reached',
  memory: "the server's memory for captures is full",
  unsubscribed: 'no one was watching',
  'lab-changed': 'its node or interface was removed by an apply or destroy',
  exited: 'tcpdump ended',
  error: 'error',
  shutdown: 'the server stopped',
};

/** Why a capture ended, in words. */
export const describeReason = (reason: string | undefined): string => (reason ? (REASONS[reason] ?? reason) : '');
