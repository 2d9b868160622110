// Packet captures in a lab namespace, as two processes:
//  - the capture: `tcpdump -U --immediate-mode -w -` inside the node's namespace, a pcap stream on a
//    pipe (no pty: binary), one record per packet as it is seen (without --immediate-mode libpcap
//    batches for up to ~1 s, without -U nothing is flushed before exit);
//  - the decoder: `tcpdump -r - -l -nn -tt` in the same namespace, fed the same records, printing
//    one text line per packet. The text is exactly the packets of the pcap kept for download.
// A capture on `any` is Linux cooked v2 (LINUX_SLL2): each record carries the index of the interface
// the packet crossed, and the decoder prints the name it finds for that index with if_indextoname()
// in its own namespace. Run outside the lab's namespace it printed `?`, or worse the name of an
// unrelated interface of the server that has the same index; inside it, the names are the ones
// the kernel shows in that namespace, looked up for every packet (a link added during the capture
// is named too; one deleted before its packets were decoded shows as `?`).
// The user's filter is one argv element after `--` (GNU getopt would otherwise take `-z cmd` in it as
// an option); interface names and filters are checked before anything runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseTcpdumpStats } from './pcap.js';
import { CHILD_ENV, namespacePath, signalExitCode } from './process.js';
import { joinSandboxGroup, type SandboxLimits } from './sandbox-limits.js';

export const CAPTURE_FILTER_MAX_LENGTH = 1024;
export const CAPTURE_MAX_PACKETS = 10_000_000;
const IFNAME_RE = /^[A-Za-z0-9_.:@+][A-Za-z0-9_.:@+-]{0,14}$/;

export interface CaptureOptions {
  /** A kernel interface name in the namespace, or `any`. */
  interface: string;
  /** A pcap-filter expression; empty or missing: every packet. */
  filter?: string;
  /** tcpdump stops by itself after this many packets (-c). */
  packets: number;
  /** Bytes kept of each packet (-s), 64..262144. Default 262144. */
  snaplen?: number;
}

/** Why `name` cannot be a capture interface, or undefined when it can. */
export function interfaceNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !IFNAME_RE.test(name)) {
    return `not an interface name: ${JSON.stringify(name)} (1 to 15 letters, digits or _.:@+-, not starting with -)`;
  }
  return undefined;
}

/** Why `filter` cannot be passed to tcpdump, or undefined. tcpdump itself checks the grammar. */
export function captureFilterProblem(filter: unknown): string | undefined {
  if (filter === undefined) return undefined;
  if (typeof filter !== 'string') return 'the filter must be a string';
  if (filter.length > CAPTURE_FILTER_MAX_LENGTH)
    return `the filter is longer than ${CAPTURE_FILTER_MAX_LENGTH} characters`;
  // Printable ASCII only: no newlines, NULs or control characters reach argv.
  if (!/^[\x20-\x7e]*$/.test(filter)) return 'the filter may contain only printable ASCII characters';
  return undefined;
}

/** The capture's argv after `tcpdump`; throws on anything invalid. */
export function captureArgs(o: CaptureOptions): string[] {
  const bad = interfaceNameProblem(o.interface) ?? captureFilterProblem(o.filter);
  if (bad) throw new Error(bad);
  if (!Number.isInteger(o.packets) || o.packets < 1 || o.packets > CAPTURE_MAX_PACKETS)
    throw new Error(`packets must be an integer in 1..${CAPTURE_MAX_PACKETS}`);
  const snaplen = o.snaplen ?? 262_144;
  if (!Number.isInteger(snaplen) || snaplen < 64 || snaplen > 262_144)
    throw new Error('snaplen must be an integer in 64..262144');
  const args = ['-U', '--immediate-mode', '-w', '-', '-i', o.interface, '-s', String(snaplen), '-c', String(o.packets)];
  // Cooked v2, not v1: only v2 records carry the interface index (libpcap 1.10 picks it for `any`
  // by itself; asking makes an older default fail loudly rather than lose the interface names).
  if (o.interface === 'any') args.push('-y', 'LINUX_SLL2');
  const filter = o.filter?.trim();
  if (filter) args.push('--', filter);
  return args;
}

/** The decoder's argv after `tcpdump`. `linkHeaders` adds -e (MAC addresses, ethertype). */
export function decoderArgs(linkHeaders: boolean): string[] {
  return ['-r', '-', '-l', '-nn', '-tt', ...(linkHeaders ? ['-e'] : [])];
}

export interface CaptureExit {
  /** Exit status; 128+n after signal n. */
  code: number;
  /** tcpdump's own statistics at exit, when it printed them. */
  captured?: number;
  kernelDropped?: number;
  /** tcpdump's error message when it failed (e.g. the interface disappeared). */
  message?: string;
}

export interface CaptureHandle {
  pid: number | undefined;
  /** Resolves once tcpdump listens; rejects with tcpdump's message when it could not start (bad filter, no such interface). */
  ready: Promise<void>;
  /** SIGINT (tcpdump flushes and prints its statistics), SIGKILL a second later if it lingers. */
  stop(): void;
  /** Stops reading the pcap stream (tcpdump blocks once the pipe is full; the kernel drops beyond its buffer), and reads on. */
  pause(): void;
  resume(): void;
  done: Promise<CaptureExit>;
}

const STOP_GRACE_MS = 1000;

/**
 * Starts a capture in namespace `ns`; `onData` gets the pcap stream's chunks as they come. With
 * `limits`, tcpdump runs in that sandbox group (a student's capture costs their budget; see
 * inGroup): it is moved there before it has read a packet.
 */
export function startCapture(
  ns: string,
  opts: CaptureOptions,
  onData: (chunk: Buffer) => void,
  limits?: SandboxLimits,
): CaptureHandle {
  const args = ['--net=' + namespacePath(ns), '--', 'tcpdump', ...captureArgs(opts)];
  const child = spawn('nsenter', args, { env: { ...CHILD_ENV }, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  const refused = inGroup(child, limits);
  let exited = false;
  let listening = false;
  let lingering: NodeJS.Timeout | undefined;
  const errors: string[] = [];
  const stats: Omit<CaptureExit, 'code'> = {};
  let onReady: () => void = () => undefined;
  let onFail: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  ready.catch(() => undefined); // callers that only await `done` must not see an unhandled rejection

  child.stdout.on('data', onData);
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
    const stat = parseTcpdumpStats(line);
    if (stat) {
      if (stat.key === 'captured' || stat.key === 'kernelDropped') stats[stat.key] = stat.value;
    } else if (/^tcpdump: listening on /.test(line)) {
      listening = true;
      onReady();
    } else if (line.trim() && errors.length < 8) {
      errors.push(line.replace(/^tcpdump: /, '').trim());
    }
  });
  if (refused) errors.push(refused);
  const done = new Promise<CaptureExit>((resolve) => {
    child.on('error', (err) => errors.push(`cannot run tcpdump: ${err.message}`));
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(lingering);
      const message = errors.join('; ') || undefined;
      if (!listening) onFail(new Error(message ?? `tcpdump exited with status ${code ?? signalExitCode(signal)}`));
      resolve({ code: code ?? signalExitCode(signal), ...stats, ...(message ? { message } : {}) });
    });
  });
  return {
    pid: child.pid,
    ready,
    stop() {
      if (exited || lingering) return;
      child.kill('SIGINT');
      lingering = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, STOP_GRACE_MS);
      // tcpdump flushes its last records on SIGINT: a paused pipe would hold them (and it) until SIGKILL
      child.stdout.resume();
    },
    pause: () => child.stdout.pause(),
    resume: () => child.stdout.resume(),
    done,
  };
}

export interface DecoderHandle {
  pid: number | undefined;
  /** Writes pcap bytes (the file header first); false when the pipe is full: wait for `onDrain`. */
  write(bytes: Buffer): boolean;
  onDrain(fn: () => void): void;
  /** No more input: the decoder prints what it has and exits. */
  end(): void;
  kill(): void;
  done: Promise<number>;
}

/** Longest line passed on; tcpdump's one-line summaries are far shorter. */
export const DECODER_MAX_LINE = 2000;

/**
 * Starts `tcpdump -r -` in namespace `ns`, the capture's own: it only reads the pipe, but names the
 * interfaces of cooked (`any`) records by their index there. `onLine` gets each text line. With
 * `limits`, the decoder runs in that sandbox group (as startCapture's tcpdump).
 */
export function startDecoder(
  ns: string,
  linkHeaders: boolean,
  onLine: (line: string) => void,
  limits?: SandboxLimits,
): DecoderHandle {
  const args = ['--net=' + namespacePath(ns), '--', 'tcpdump', ...decoderArgs(linkHeaders)];
  const child = spawn('nsenter', args, {
    env: { ...CHILD_ENV },
    stdio: ['pipe', 'pipe', 'ignore'],
    shell: false,
  });
  inGroup(child, limits);
  let exited = false;
  child.stdin.on('error', () => undefined); // EPIPE after the decoder exited or was killed
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (l) =>
    onLine(l.length > DECODER_MAX_LINE ? l.slice(0, DECODER_MAX_LINE) + '…' : l),
  );
  const done = new Promise<number>((resolve) => {
    child.on('error', () => undefined);
    child.on('close', (code, signal) => {
      exited = true;
      resolve(code ?? signalExitCode(signal));
    });
  });
  return {
    pid: child.pid,
    write: (bytes) => (exited || child.stdin.destroyed ? true : child.stdin.write(bytes)),
    onDrain: (fn) => child.stdin.once('drain', fn),
    end: () => {
      if (!child.stdin.destroyed) child.stdin.end();
    },
    kill: () => {
      if (!exited) child.kill('SIGKILL');
    },
    done,
  };
}

/**
 * Moves a just-spawned capture process into the student's sandbox group: a capture of a flood costs
 * tcpdump real CPU per packet, and without this a student's capture loop is paid for by the server
 * (and every other student), whatever their own limits. The process is killed when the group cannot
 * take it (fail closed); the reason is returned for the caller's message.
 */
function inGroup(child: ChildProcess, limits: SandboxLimits | undefined): string | undefined {
  if (!limits || child.pid === undefined) return undefined;
  try {
    joinSandboxGroup(limits, child.pid);
    return undefined;
  } catch (err) {
    child.kill('SIGKILL');
    return `cannot run the capture in the lab's limits: ${err instanceof Error ? err.message : String(err)}`;
  }
}
