// The kernel side of `why`'s probe: one real packet of the question, marked and watched.
//  - A table of our own per namespace on the path (`inet` and `bridge` families, chains at
//    prerouting and output, priority -350, before anything else) sets `meta nftrace` on the probe's
//    packets only (its ICMP id, or its TCP/UDP source port, both ways). iptables here is
//    iptables-nft, so netfilter's trace (`nft monitor`) names the iptables rule and verdict too.
//    The trace bit is cleared when a packet crosses into another namespace, hence one table each.
//  - `nft monitor` in each namespace (the trace and the ruleset events: our own table's `add table`
//    line says the monitor is listening, its `delete table` line that every trace line before it is in)
//    and `tcpdump -i any` there, the probe's packets only (where it was seen, by interface); both
//    started by one helper, helpers/probe-watch.py (two Node forks per namespace cost hundreds of ms).
//  - The sender: `ping -c1` with the probe's ICMP id, size and DF; for tcp/udp a short python3 script
//    bound to the probe's source port (a connect attempt, or one datagram and a wait for an error).
// Every value that reaches an argv or the nft script is checked here (addresses, integers, names).
import { fileURLToPath } from 'node:url';
import { isIPv4 } from './ping.js';
import { namespacePath, runInNamespace } from './process.js';
import { startInNamespace, startLineProcess, type LineProcess } from './line-process.js';

export type ProbeProtocol = 'icmp' | 'tcp' | 'udp';

/** What marks the probe's packets: its ICMP echo id, or its TCP/UDP source port. */
export interface ProbeMark {
  proto: ProbeProtocol;
  /** icmp: the echo identifier (1..65535); tcp/udp: the sender's source port (1024..65535). */
  id: number;
}

const TABLE_RE = /^patchbay_why_[0-9]+_[0-9]+$/;

/** A table name of ours: `patchbay_why_<pid>_<n>`. */
export function probeTableName(pid: number, n: number): string {
  const name = `patchbay_why_${Math.trunc(pid)}_${Math.trunc(n)}`;
  if (!TABLE_RE.test(name)) throw new Error(`bad probe table name ${name}`);
  return name;
}

function checkMark(m: ProbeMark): void {
  const lo = m.proto === 'icmp' ? 1 : 1024;
  if (!['icmp', 'tcp', 'udp'].includes(m.proto)) throw new Error(`bad probe protocol ${String(m.proto)}`);
  if (!Number.isInteger(m.id) || m.id < lo || m.id > 65535) throw new Error(`probe id must be in ${lo}..65535`);
}

/** The nft rule that matches the probe's packets (requests and replies). */
function matchRules(m: ProbeMark): string[] {
  if (m.proto === 'icmp') return [`icmp type { echo-request, echo-reply } icmp id ${m.id} meta nftrace set 1`];
  return [`${m.proto} sport ${m.id} meta nftrace set 1`, `${m.proto} dport ${m.id} meta nftrace set 1`];
}

/** The `nft -f` script that adds the trace tables (inet for routed packets, bridge for bridged ones). */
export function traceTableScript(table: string, m: ProbeMark): string {
  if (!TABLE_RE.test(table)) throw new Error(`not a probe table name: ${table}`);
  checkMark(m);
  const rules = matchRules(m)
    .map((r) => `    ${r}\n`)
    .join('');
  const chain = (name: string, hook: string) =>
    `  chain ${name} {\n    type filter hook ${hook} priority -350; policy accept;\n${rules}  }\n`;
  return ['inet', 'bridge']
    .map((family) => `table ${family} ${table} {\n${chain('pre', 'prerouting')}${chain('out', 'output')}}\n`)
    .join('');
}

export async function addTraceTables(ns: string, table: string, m: ProbeMark): Promise<void> {
  const r = await runInNamespace(ns, 'nft', ['-f', '-'], { input: traceTableScript(table, m), timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(`nft could not add the probe's table in ${ns}: ${r.stderr.trim()}`);
}

/**
 * Deletes both tables named `table` in `ns`. `known`: addTraceTables succeeded, so both exist (one
 * process); otherwise the tables are listed first and a table that is not there is not an error.
 */
export async function deleteTraceTables(ns: string, table: string, known = false): Promise<void> {
  if (!TABLE_RE.test(table)) throw new Error(`not a probe table name: ${table}`);
  const present = known ? [`inet ${table}`, `bridge ${table}`] : await listNftTables(ns);
  const script = ['inet', 'bridge']
    .filter((f) => present.includes(`${f} ${table}`))
    .map((f) => `delete table ${f} ${table}\n`)
    .join('');
  if (!script) return;
  const r = await runInNamespace(ns, 'nft', ['-f', '-'], { input: script, timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(`nft could not delete the probe's table in ${ns}: ${r.stderr.trim()}`);
}

/** `nft list tables` in `ns`, as "family name" strings. */
export async function listNftTables(ns: string): Promise<string[]> {
  const r = await runInNamespace(ns, 'nft', ['list', 'tables'], { timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(`nft list tables failed in ${ns}: ${r.stderr.trim()}`);
  return r.stdout
    .split('\n')
    .map((l) => /^table (\S+) (\S+)/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]}`);
}

/** The pcap filter for the probe's packets. */
export function probeCaptureFilter(m: ProbeMark): string {
  checkMark(m);
  if (m.proto === 'icmp') return `icmp and (icmp[0] = 8 or icmp[0] = 0) and icmp[4:2] = ${m.id}`;
  return `${m.proto} port ${m.id}`;
}

export const PROBE_WATCH_SCRIPT = fileURLToPath(new URL('../helpers/probe-watch.py', import.meta.url));

export type ProbeWatchKind = 'trace' | 'capture';

/** `nft monitor` and `tcpdump -i any` in each of `namespaces`, started by one helper (helpers/probe-watch.py). */
export interface ProbeWatch {
  /** The lines of `kind` in `ns` so far. */
  lines(ns: string, kind: ProbeWatchKind): { stream: 'stdout' | 'stderr'; text: string }[];
  /** The first line of `kind` in `ns` that `test` accepts, or undefined after `timeoutMs` or at exit. */
  waitFor(
    ns: string,
    kind: ProbeWatchKind,
    test: (text: string) => boolean,
    timeoutMs: number,
  ): Promise<string | undefined>;
  /** A line of `kind` in any namespace that `test` accepts. */
  waitForAny(kind: ProbeWatchKind, test: (text: string) => boolean, timeoutMs: number): Promise<string | undefined>;
  /** Ends the helper and every watcher (they die with it); resolves when it is gone. */
  stop(graceMs?: number): Promise<number>;
}

const WATCH_LINE_RE = /^(\d+) (trace|capture|error) (stdout|stderr) (.*)$/;

/** Starts the watchers; monitors are ready at their `add table` line, captures at `listening on`. */
export function startProbeWatch(namespaces: readonly string[], m: ProbeMark, hardTimeoutMs: number): ProbeWatch {
  for (const ns of namespaces) namespacePath(ns); // checks the name
  const seconds = String(hardTimeoutMs / 1000);
  const lp = startLineProcess('python3', [PROBE_WATCH_SCRIPT, seconds, probeCaptureFilter(m), ...namespaces], {
    hardTimeoutMs: hardTimeoutMs + 1000,
  });
  const parse = (line: string) => {
    const w = WATCH_LINE_RE.exec(line);
    return w
      ? { ns: namespaces[Number(w[1])], kind: w[2]!, stream: w[3] as 'stdout' | 'stderr', text: w[4]! }
      : undefined;
  };
  return {
    lines: (ns, kind) =>
      lp.lines
        .map((l) => parse(l.text))
        .filter((w) => w !== undefined && w.ns === ns && w.kind === kind)
        .map((w) => ({ stream: w!.stream, text: w!.text })),
    waitFor: async (ns, kind, test, timeoutMs) => {
      const line = await lp.waitFor((l) => {
        const w = parse(l);
        return w !== undefined && w.ns === ns && w.kind === kind && test(w.text);
      }, timeoutMs);
      return line === undefined ? undefined : parse(line)!.text;
    },
    waitForAny: async (kind, test, timeoutMs) => {
      const line = await lp.waitFor((l) => {
        const w = parse(l);
        return w !== undefined && w.kind === kind && test(w.text);
      }, timeoutMs);
      return line === undefined ? undefined : parse(line)!.text;
    },
    stop: (graceMs = 500) => lp.stop(graceMs),
  };
}

export interface ProbeSend {
  mark: ProbeMark;
  dst: string;
  /** tcp/udp destination port. */
  port?: number;
  /** The IPv4 packet's total length (header included), 28..65535. */
  size: number;
  df: boolean;
  /** How long to wait for the answer, 100..5000 ms. */
  waitMs: number;
}

const SENDER = `
import errno, socket, sys
proto, dst, dport, sport, size, df, wait = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1", float(sys.argv[7])
def say(kind, text):
    print(kind, text, flush=True)
    sys.exit(0)
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if df:
        s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO
    s.bind(("0.0.0.0", sport))
    s.settimeout(wait)
    if proto == "tcp":
        s.connect((dst, dport))
        say("answered", "connected")
    s.connect((dst, dport))
    s.send(b"\\0" * max(0, size - 28))
    s.recv(65535)
    say("answered", "a datagram came back")
except socket.timeout:
    say("silent", "no answer in time")
except OSError as e:
    say("refused" if e.errno == errno.ECONNREFUSED else "error", e.strerror or str(e))
`;

/** The sender's command: ping for icmp, python3 for tcp/udp. */
export function probeSendCommand(s: ProbeSend): { cmd: string; args: string[] } {
  checkMark(s.mark);
  if (!isIPv4(s.dst)) throw new Error(`not an IPv4 address: ${JSON.stringify(s.dst)}`);
  if (!Number.isInteger(s.size) || s.size < 28 || s.size > 65535) throw new Error('size must be in 28..65535');
  if (!Number.isInteger(s.waitMs) || s.waitMs < 100 || s.waitMs > 5000) throw new Error('waitMs must be in 100..5000');
  if (s.mark.proto === 'icmp') {
    const args = ['-n', '-c', '1', '-W', String(Math.max(1, Math.ceil(s.waitMs / 1000))), '-e', String(s.mark.id)];
    args.push('-s', String(Math.min(65507, s.size - 28)));
    if (s.df) args.push('-M', 'do');
    return { cmd: 'ping', args: [...args, s.dst] };
  }
  if (!Number.isInteger(s.port) || s.port! < 1 || s.port! > 65535) throw new Error('port must be in 1..65535');
  const args = ['-c', SENDER, s.mark.proto, s.dst, String(s.port), String(s.mark.id), String(s.size)];
  return { cmd: 'python3', args: [...args, s.df ? '1' : '0', String(s.waitMs / 1000)] };
}

export type ProbeAnswer = { kind: 'answered' | 'silent' | 'refused' | 'error'; text: string };

/** Reads the sender's output: ping's summary and errors, or the script's one line. */
export function parseProbeAnswer(proto: ProbeProtocol, lines: readonly string[], code: number): ProbeAnswer {
  if (proto !== 'icmp') {
    const m = lines.map((l) => /^(answered|silent|refused|error) (.*)$/.exec(l)).find((x) => x !== null);
    return m
      ? { kind: m[1] as ProbeAnswer['kind'], text: m[2]! }
      : { kind: 'error', text: lines.join(' ') || `exit ${code}` };
  }
  const reply = lines.find((l) => /bytes from .*icmp_seq=/.test(l));
  if (reply) return { kind: 'answered', text: reply.trim() };
  const from = lines.find((l) => /^From \S+ icmp_seq=\d+ /.test(l));
  if (from) return { kind: 'error', text: from.replace(/^From (\S+) icmp_seq=\d+ /, '$1: ').trim() };
  const local = lines.find((l) => /^ping: /.test(l));
  if (local) return { kind: 'error', text: local.replace(/^ping: /, '').trim() };
  return { kind: 'silent', text: 'no echo reply in time' };
}

/** Starts the sender in `ns`; its `done` settles when it has its answer or gave up. */
export function startProbeSender(ns: string, s: ProbeSend): LineProcess {
  const { cmd, args } = probeSendCommand(s);
  return startInNamespace(ns, cmd, args, { hardTimeoutMs: s.waitMs + 2000 });
}
