// Streaming ping inside a lab namespace. Unlike `run`, a live ping must hand over its lines as they
// come, so it is spawned with child_process directly (nsenter execs ping, so the child *is* ping and
// killing it ends ping). Still argument arrays only, a minimal environment and bounded time.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseIPv4, parseIPv6 } from '@patchbay/topology';
import { CHILD_ENV, namespacePath, signalExitCode } from './process.js';

export interface PingOptions {
  target: string;
  /** 1..100 */
  count: number;
  /** 200..5000 */
  intervalMs: number;
  /** ICMP payload bytes, 0..1472 */
  size: number;
  /** Set DF (`-M do`): oversized packets fail instead of being fragmented. */
  dontFragment: boolean;
}

export interface PingHandle {
  /** Ends the ping (SIGINT so ping prints its statistics; SIGKILL a second later if it lingers). */
  stop(): void;
  /** Exit status (128+n after signal n); never rejects. */
  done: Promise<number>;
}

export type PingLine =
  | { kind: 'reply'; seq: number; ttl: number; rttMs?: number }
  | { kind: 'unreachable'; seq: number; message: string }
  | { kind: 'error'; seq: number; message: string }
  | { kind: 'timeout'; seq: number }
  | { kind: 'summary'; transmitted: number; received: number; lossPercent: number }
  | { kind: 'rtt'; minMs: number; avgMs: number; maxMs: number; mdevMs: number };

export function isIPv4(s: unknown): s is string {
  return typeof s === 'string' && parseIPv4(s) !== undefined;
}

/** IPv6 text ping takes: any RFC 4291 form, no zone (a link-local target's zone would need -I). */
export function isIPv6(s: unknown): s is string {
  return typeof s === 'string' && parseIPv6(s) !== undefined;
}

/** Grace after the last packet: ping waits up to -W seconds for late replies, plus slack. */
const HARD_TIMEOUT_SLACK_MS = 5_000;
/** ping's wait for the last replies (-W); the default (10 s) would outlive the hard timeout. */
const REPLY_WAIT_S = 2;

/** ping's argv (after `ping`); throws on anything out of range, so nothing odd reaches argv. */
export function pingArgs(o: PingOptions): string[] {
  const v6 = isIPv6(o.target);
  if (!v6 && !isIPv4(o.target)) throw new Error(`not an IPv4 or IPv6 address: ${JSON.stringify(o.target)}`);
  const int = (v: number, lo: number, hi: number, what: string) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${what} must be an integer in ${lo}..${hi}`);
  };
  int(o.count, 1, 100, 'count');
  int(o.intervalMs, 200, 5000, 'intervalMs');
  int(o.size, 0, 1472, 'size');
  const args = [
    ...(v6 ? ['-6'] : []),
    '-n',
    '-O',
    '-c',
    String(o.count),
    '-i',
    String(o.intervalMs / 1000),
    '-W',
    String(REPLY_WAIT_S),
    '-s',
    String(o.size),
  ];
  if (o.dontFragment) args.push('-M', 'do');
  args.push(o.target);
  return args;
}

/**
 * Pings from namespace `ns`; `onLine` gets every line of stdout (and of stderr, where ping reports
 * local errors such as `message too long`) as it arrives.
 */
export function startPing(
  ns: string,
  opts: PingOptions,
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
): PingHandle {
  const args = ['--net=' + namespacePath(ns), '--', 'ping', ...pingArgs(opts)];
  const child = spawn('nsenter', args, { env: { ...CHILD_ENV }, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  let exited = false;
  const kill = (signal: NodeJS.Signals) => {
    if (!exited) child.kill(signal);
  };
  const hard = setTimeout(() => kill('SIGKILL'), opts.count * opts.intervalMs + HARD_TIMEOUT_SLACK_MS);
  let lingering: NodeJS.Timeout | undefined;
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (l) => onLine(l, 'stdout'));
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (l) => onLine(l, 'stderr'));
  const done = new Promise<number>((resolve) => {
    child.on('error', (err) => {
      exited = true;
      onLine(`cannot run ping: ${err.message}`, 'stderr');
    });
    // 'close' waits for stdout/stderr to end, so every line was delivered before `done` settles.
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(hard);
      clearTimeout(lingering);
      resolve(code ?? signalExitCode(signal));
    });
  });
  return {
    stop() {
      if (exited || lingering) return;
      kill('SIGINT');
      lingering = setTimeout(() => kill('SIGKILL'), 1000);
    },
    done,
  };
}

/** One line of `ping -n -O` (iputils) output, or undefined for headers and anything else. */
export function parsePingLine(line: string): PingLine | undefined {
  let m = /^\d+ bytes from \S+: icmp_seq=(\d+) ttl=(\d+)(?: time=([\d.]+) ms)?/.exec(line);
  // Without a time (payload under 16 bytes there is no timestamp to measure by).
  if (m)
    return {
      kind: 'reply',
      seq: Number(m[1]),
      ttl: Number(m[2]),
      ...(m[3] !== undefined ? { rttMs: Number(m[3]) } : {}),
    };
  m = /^From \S+ icmp_seq=(\d+) (.+)$/.exec(line);
  if (m) {
    const message = m[2]!.trim();
    return /unreachable/i.test(message)
      ? { kind: 'unreachable', seq: Number(m[1]), message }
      : { kind: 'error', seq: Number(m[1]), message };
  }
  m = /^no answer yet for icmp_seq=(\d+)/.exec(line);
  if (m) return { kind: 'timeout', seq: Number(m[1]) };
  m = /^(\d+) packets transmitted, (\d+) (?:packets )?received,.*?([\d.]+)% packet loss/.exec(line);
  if (m) return { kind: 'summary', transmitted: Number(m[1]), received: Number(m[2]), lossPercent: Number(m[3]) };
  m = /^rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(line);
  if (m) return { kind: 'rtt', minMs: Number(m[1]), avgMs: Number(m[2]), maxMs: Number(m[3]), mdevMs: Number(m[4]) };
  return undefined;
}
