// `pnpm bench`: realizes a star lab (one bridge, N leaf namespaces) with the engine and, in the same
// run, with a hand-written `ip -batch` doing the same work (the research baseline's `batch` mode,
// and `batch6` = the same plus `addrgenmode none`). Times apply, readiness, destroy (command and
// kernel-complete), plus incremental changes on a running N=200 lab. Prints Markdown tables and
// writes them into docs/benchmarks.md between the bench:star markers.
//
// Safety: every namespace this creates starts with `pbb` (engine prefix `pbb-`, baseline `pbbh…`);
// nothing is created in the machine's own network namespace; leftovers are removed at start, at the
// end, on failure and on SIGINT/SIGTERM, by exact name.

import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, type ApplyResult } from '@patchbay/engine';
import { observeNamespaces } from '@patchbay/kernel';
import { STAGES, type Lab, type Op } from '@patchbay/topology';

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  sizes: number[];
  runs?: number;
  incSize: number;
  incReps: number;
  baselines: BaselineMode[];
  concurrency: number;
  write: boolean;
  docPath: string;
}

type BaselineMode = 'batch' | 'batch6';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_RUNS: Record<number, number> = { 10: 5, 50: 5, 200: 3, 1000: 1 };
/** Research baseline (realization-baseline.md), `netlink` mode setup medians, seconds: the kernel floor. */
const KERNEL_FLOOR_S: Record<number, number> = { 10: 0.017, 50: 0.067, 200: 0.351, 1000: 5.717 };
const PREFIX = 'pbb-';
const MARK_START = '<!-- bench:star:start -->';
const MARK_END = '<!-- bench:star:end -->';

function usage(): never {
  console.log(`usage: pnpm bench [-- options]
  --sizes 10,50,200,1000   star sizes N (default 10,50,200,1000)
  --runs K                 runs per size (default: 5 at N<=50, 3 at N=200, 1 at N=1000)
  --inc-size N             size of the lab for incremental changes (default 200; 0 = skip)
  --inc-reps K             repetitions of each incremental change (default 5)
  --baselines batch,batch6 hand-written baselines to run (default both)
  --concurrency C          engine process concurrency (default: the engine's own, 4)
  --no-write               print only; do not update docs/benchmarks.md nor bench/results/
  --doc PATH               the Markdown file to update (default docs/benchmarks.md)`);
  process.exit(0);
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    sizes: [10, 50, 200, 1000],
    incSize: 200,
    incReps: 5,
    baselines: ['batch', 'batch6'],
    concurrency: 4,
    write: true,
    docPath: join(ROOT, 'docs', 'benchmarks.md'),
  };
  const args = argv.filter((a) => a !== '--');
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const val = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (v: string, min: number): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${a}: expected an integer >= ${min}, got ${v}`);
      return n;
    };
    switch (a) {
      case '--sizes':
        o.sizes = val().split(',').filter(Boolean).map((s) => int(s, 2));
        if (o.sizes.some((n) => n > 1000)) throw new Error('--sizes: at most 1000 (addresses are 10.200.0.0/16, names l0001…)');
        break;
      case '--runs':
        o.runs = int(val(), 1);
        break;
      case '--inc-size':
        o.incSize = int(val(), 0);
        if (o.incSize === 1 || o.incSize > 1000) throw new Error('--inc-size: 0 or 2..1000');
        break;
      case '--inc-reps':
        o.incReps = int(val(), 1);
        break;
      case '--baselines':
        o.baselines = val().split(',').filter(Boolean).map((b) => {
          if (b !== 'batch' && b !== 'batch6') throw new Error(`--baselines: unknown ${b}`);
          return b;
        });
        if (o.baselines.length === 0) throw new Error('--baselines: at least one');
        break;
      case '--concurrency':
        o.concurrency = int(val(), 1);
        break;
      case '--no-write':
        o.write = false;
        break;
      case '--doc':
        o.docPath = resolve(val());
        break;
      case '-h':
      case '--help':
        usage();
      default:
        throw new Error(`unknown option ${a} (--help)`);
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pad4 = (i: number) => String(i).padStart(4, '0');
const CHILD_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

function sh(cmd: string, args: string[], opts: { input?: string; stdio?: (number | 'ignore' | 'pipe')[] } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    encoding: 'utf8',
    env: CHILD_ENV,
    input: opts.input,
    stdio: opts.stdio as never,
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** Async spawn with stdin; resolves when the process exits (used for the timed baseline commands). */
function runAsync(cmd: string, args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { env: CHILD_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}
function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const m = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { median: m, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** Seconds with 3 decimals. */
const sec = (ms: number) => (ms / 1000).toFixed(3);
const msf = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const fmtS = (s: Stat) => (s.n > 1 ? `${sec(s.median)} [${sec(s.min)}–${sec(s.max)}]` : sec(s.median));
const fmtMs = (s: Stat) => (s.n > 1 ? `${msf(s.median)} [${msf(s.min)}–${msf(s.max)}]` : msf(s.median));

// ---------------------------------------------------------------------------------------------
// Namespaces: listing, cleanup (exact names only, never `ip -all`)

function ourNamespaces(): string[] {
  const r = sh('ip', ['netns', 'list']);
  if (r.status !== 0) throw new Error(`ip netns list failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => /^pbb[a-z0-9._-]*$/.test(n))
    .sort();
}

function cleanupLeftovers(why: string): void {
  const names = ourNamespaces();
  if (names.length === 0) return;
  console.error(`[bench] ${why}: removing ${names.length} leftover pbb* namespace(s)`);
  const r = sh('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}\n`).join('') });
  if (r.status !== 0) console.error(`[bench] cleanup: ${r.stderr.trim()}`);
}

/** Veth devices still present in the namespace whose file descriptor `fd` we hold open. */
function vethCountViaFd(fd: number): number {
  const r = sh('nsenter', ['--net=/proc/self/fd/3', '--', 'ip', '-o', 'link', 'show', 'type', 'veth'], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
  });
  if (r.status !== 0) throw new Error(`nsenter via fd failed: ${r.stderr.trim()}`);
  return r.stdout.split('\n').filter((l) => l.trim()).length;
}

/**
 * Polls until none of `names` is in /run/netns and the (held-open) host namespace has no veth left,
 * i.e. the kernel's asynchronous cleanup of every leaf namespace has run (a leaf's veth end is
 * destroyed with its namespace, and its peer in the host with it).
 */
async function waitDownComplete(names: readonly string[], hostFd: number, timeoutMs = 120_000): Promise<void> {
  const wanted = new Set(names);
  const deadline = now() + timeoutMs;
  for (;;) {
    const present = readdirSync('/run/netns').some((n) => wanted.has(n));
    if (!present && vethCountViaFd(hostFd) === 0) return;
    if (now() > deadline) throw new Error('namespaces still not gone after 120 s');
    await sleep(1);
  }
}

// ---------------------------------------------------------------------------------------------
// The star

const leafName = (i: number) => `l${pad4(i)}`;
const portName = (i: number) => `h${pad4(i)}`;
/** Leaf i (1-based) → 10.200.x.y with y in 1..250: N=1000 ends at 10.200.3.250. */
const leafIp = (i: number) => `10.200.${Math.floor((i - 1) / 250)}.${((i - 1) % 250) + 1}`;

function starLab(n: number): Lab {
  const lab: Lab = { name: `star${n}`, nodes: { br0: { kind: 'bridge' } }, links: [] };
  for (let i = 1; i <= n; i++) {
    lab.nodes[leafName(i)] = { kind: 'netns' };
    lab.links.push({ a: { node: leafName(i), interface: 'eth0', addresses: [`${leafIp(i)}/16`] }, b: { node: 'br0', interface: portName(i) } });
  }
  return lab;
}

/** First ping from `fromNs` to `ip`; retries until it answers. Returns ms after the call. */
function pingReady(fromNs: string, ip: string): { ms: number; attempts: number } {
  const t0 = now();
  for (let attempt = 1; attempt <= 10; attempt++) {
    const r = sh('nsenter', [`--net=/run/netns/${fromNs}`, '--', 'ping', '-c1', '-W2', '-n', '-q', ip]);
    if (r.status === 0) return { ms: now() - t0, attempts: attempt };
  }
  throw new Error(`${fromNs} cannot ping ${ip}`);
}

interface JLink {
  ifname: string;
  flags?: string[];
  operstate?: string;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family?: string; local?: string; prefixlen?: number; scope?: string }[];
}

function jsonIn(ns: string, args: string[]): JLink[] {
  const r = sh('nsenter', [`--net=/run/netns/${ns}`, '--', 'ip', '-j', ...args]);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} in ${ns}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as JLink[];
}

/**
 * Asserts the realized star is what was asked for: the host has bridge br0 up and exactly N veths,
 * each a port of br0 and up with carrier; every leaf has lo up and eth0 up with its address.
 * Returns the number of IPv6 link-local addresses seen on leaves' eth0 (0 when addrgenmode is none).
 */
function verifyStar(hostNs: string, bridge: string, leaves: readonly string[]): { linkLocal: number } {
  const n = leaves.length;
  const host = jsonIn(hostNs, ['-d', 'link', 'show']);
  const br = host.find((l) => l.ifname === bridge);
  if (!br || br.linkinfo?.info_kind !== 'bridge' || !br.flags?.includes('UP')) throw new Error(`${hostNs}: bridge ${bridge} missing or down`);
  const veths = host.filter((l) => l.linkinfo?.info_kind === 'veth');
  if (veths.length !== n) throw new Error(`${hostNs}: ${veths.length} veths, expected ${n}`);
  const bad = veths.filter((l) => l.master !== bridge || !l.flags?.includes('UP') || !l.flags?.includes('LOWER_UP'));
  if (bad.length) throw new Error(`${hostNs}: ${bad.length} veth(s) not an up port of ${bridge}, e.g. ${bad[0]!.ifname}`);
  let linkLocal = 0;
  leaves.forEach((ns, k) => {
    const links = jsonIn(ns, ['addr', 'show']);
    const lo = links.find((l) => l.ifname === 'lo');
    const eth = links.find((l) => l.ifname === 'eth0');
    if (!lo?.flags?.includes('UP')) throw new Error(`${ns}: lo not up`);
    if (!eth?.flags?.includes('UP')) throw new Error(`${ns}: eth0 missing or down`);
    const v4 = (eth.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
    const want = `${leafIp(k + 1)}/16`;
    if (v4.length !== 1 || v4[0] !== want) throw new Error(`${ns}: eth0 has ${JSON.stringify(v4)}, expected ${want}`);
    linkLocal += (eth.addr_info ?? []).filter((a) => a.family === 'inet6' && a.scope === 'link').length;
  });
  return { linkLocal };
}

// ---------------------------------------------------------------------------------------------
// Engine runs

interface StageTime {
  stage: string;
  ms: number;
  groups: number;
  ops: number;
}

interface ApplyRecord {
  wallMs: number;
  timings: ApplyResult['timings'];
  ops: number;
  stages: StageTime[];
  /** Processes started by the apply: observe reads + execute groups + verify reads. */
  processes: number;
}

/** engine.apply with stage timestamps from onProgress. */
async function timedApply(engine: Engine, lab: Lab, presentBefore: number): Promise<ApplyRecord> {
  const marks = new Map<string, { start: number; end: number }>();
  const t0 = now();
  const r = await engine.apply(structuredClone(lab), {
    onProgress: (e) => {
      const t = now();
      const m = marks.get(e.phase);
      if (!m) marks.set(e.phase, { start: t, end: t });
      else m.end = t;
    },
  });
  const wallMs = now() - t0;
  if (r.drift.length) throw new Error(`apply ${lab.name}: drift after apply: ${JSON.stringify(r.drift.slice(0, 3))}`);
  const stages: StageTime[] = [];
  for (const stage of STAGES) {
    const key = stage.join('+');
    const ops = r.ops.filter((o) => (stage as readonly string[]).includes(o.phase));
    if (!ops.length) continue;
    const m = marks.get(key);
    stages.push({ stage: key, ms: m ? m.end - m.start : NaN, groups: groupCount(ops), ops: ops.length });
  }
  const touched = touchedCount(r.ops);
  return {
    wallMs,
    timings: r.timings,
    ops: r.ops.length,
    stages,
    processes: presentBefore + stages.reduce((s, x) => s + x.groups, 0) + (r.ops.length ? touched : 0),
  };
}

function groupCount(ops: readonly Op[]): number {
  return new Set(ops.map((o) => `${o.tool}\u0000${o.ns}`)).size;
}

/** As the engine's touchedNamespaces: namespaces the verify step re-reads (minus removed ones, roughly). */
function touchedCount(ops: readonly Op[]): number {
  const out = new Set<string>();
  for (const o of ops) {
    if (o.tool === 'netns') {
      if (o.args[1] === 'add') out.add(o.args[2]!);
    } else out.add(o.ns);
    const i = o.args.indexOf('netns');
    if (o.tool === 'ip' && o.args[1] === 'add' && i > 0) out.add(o.args[i + 1]!);
  }
  return out.size;
}

interface RunRecord {
  applyMs: number;
  apply?: ApplyRecord;
  readyMs: number;
  destroyCmdMs: number;
  destroyCompleteMs: number;
  linkLocal: number;
}

async function engineRun(engine: Engine, n: number): Promise<RunRecord> {
  const lab = starLab(n);
  const hostNs = `${PREFIX}${lab.name}._host`;
  const leaves = Array.from({ length: n }, (_, k) => `${PREFIX}${lab.name}.${leafName(k + 1)}`);
  let applied = false;
  try {
    const apply = await timedApply(engine, lab, 0);
    applied = true;
    const ready = pingReady(leaves[0]!, leafIp(n));
    const { linkLocal } = verifyStar(hostNs, 'br0', leaves);
    const fd = openSync(`/run/netns/${hostNs}`, 'r');
    try {
      const d0 = now();
      const { removed } = await engine.destroy(lab.name);
      const d1 = now();
      if (removed.length !== n + 1) throw new Error(`destroy removed ${removed.length} namespaces, expected ${n + 1}`);
      await waitDownComplete([hostNs, ...leaves], fd);
      const d2 = now();
      applied = false;
      return { applyMs: apply.wallMs, apply, readyMs: ready.ms, destroyCmdMs: d1 - d0, destroyCompleteMs: d2 - d0, linkLocal };
    } finally {
      closeSync(fd);
    }
  } finally {
    if (applied) await engine.destroy(lab.name).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Hand-written baseline (research `batch` mode): one `ip -batch -` with `netns add` ×(N+1), then
// `netns exec HOST ip -batch host.batch` and `netns exec LEAF ip -batch leafX.batch` per leaf.

function baselineFiles(n: number, mode: BaselineMode, dir: string): { host: string; leaves: string[]; setup: string; teardown: string } {
  const host = `pbbh${n}-host`;
  const leaves = Array.from({ length: n }, (_, k) => `pbbh${n}-${leafName(k + 1)}`);
  const six = mode === 'batch6';
  const hostLines = ['link add br0 type bridge', ...(six ? ['link set br0 addrgenmode none'] : []), 'link set br0 up', 'link set lo up'];
  leaves.forEach((leaf, k) => {
    const p = portName(k + 1);
    hostLines.push(`link add ${p} type veth peer name eth0 netns ${leaf}`);
    if (six) hostLines.push(`link set ${p} addrgenmode none`);
    hostLines.push(`link set ${p} master br0 up`);
  });
  const hostFile = join(dir, 'host.batch');
  writeFileSync(hostFile, hostLines.join('\n') + '\n');
  const setup = [`netns add ${host}`, ...leaves.map((l) => `netns add ${l}`), `netns exec ${host} ip -batch ${hostFile}`];
  leaves.forEach((leaf, k) => {
    const f = join(dir, `${leafName(k + 1)}.batch`);
    const lines = [`addr add ${leafIp(k + 1)}/16 dev eth0`, ...(six ? ['link set eth0 addrgenmode none'] : []), 'link set eth0 up', 'link set lo up'];
    writeFileSync(f, lines.join('\n') + '\n');
    setup.push(`netns exec ${leaf} ip -batch ${f}`);
  });
  const teardown = [host, ...leaves].sort().map((ns) => `netns del ${ns}`);
  return { host, leaves, setup: setup.join('\n') + '\n', teardown: teardown.join('\n') + '\n' };
}

async function baselineRun(n: number, mode: BaselineMode, workRoot: string): Promise<RunRecord> {
  const dir = mkdtempSync(join(workRoot, `${mode}-`));
  const b = baselineFiles(n, mode, dir);
  let made = false;
  try {
    made = true;
    const t0 = now();
    const r = await runAsync('ip', ['-batch', '-'], b.setup);
    const applyMs = now() - t0;
    if (r.code !== 0 || r.stderr.trim()) throw new Error(`baseline ${mode} N=${n}: ip -batch exited ${r.code}: ${r.stderr.trim().slice(0, 500)}`);
    const ready = pingReady(b.leaves[0]!, leafIp(n));
    const { linkLocal } = verifyStar(b.host, 'br0', b.leaves);
    const fd = openSync(`/run/netns/${b.host}`, 'r');
    try {
      const d0 = now();
      const del = await runAsync('ip', ['-batch', '-'], b.teardown);
      const d1 = now();
      if (del.code !== 0) throw new Error(`baseline teardown: ${del.stderr.trim().slice(0, 500)}`);
      await waitDownComplete([b.host, ...b.leaves], fd);
      const d2 = now();
      made = false;
      return { applyMs, readyMs: ready.ms, destroyCmdMs: d1 - d0, destroyCompleteMs: d2 - d0, linkLocal };
    } finally {
      closeSync(fd);
    }
  } finally {
    if (made) {
      const left = ourNamespaces().filter((x) => x === b.host || b.leaves.includes(x));
      if (left.length) sh('ip', ['-force', '-batch', '-'], { input: left.map((x) => `netns del ${x}\n`).join('') });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Incremental changes on a running lab

interface IncResult {
  change: string;
  records: ApplyRecord[];
}

interface IncReport {
  n: number;
  initialApplyMs: number;
  results: IncResult[];
  /** observeNamespaces over all N+1 namespaces alone, ms (median of incReps). */
  observeAllMs: Stat;
}

async function incremental(engine: Engine, n: number, reps: number, concurrency: number): Promise<IncReport> {
  const base = starLab(n);
  const present = n + 1;
  const t0 = now();
  await engine.apply(structuredClone(base));
  const initialApplyMs = now() - t0;
  const results = new Map<string, ApplyRecord[]>();
  const rec = (k: string, r: ApplyRecord) => (results.get(k) ?? results.set(k, []).get(k)!).push(r);
  const observeTimes: number[] = [];
  try {
    const lab = structuredClone(base);
    const leaf1 = lab.links[0]!;
    const leaf2 = lab.links[1]!;
    const extra = `l${9001}`;
    for (let rep = 0; rep < reps; rep++) {
      // no-op: nothing to do (the price of observe + diff alone)
      rec('no change (no-op apply)', await timedApply(engine, lab, present));
      // (a) one link end's address
      leaf1.a.addresses = ['10.200.200.1/16'];
      rec('(a) change one address', await timedApply(engine, lab, present));
      leaf1.a.addresses = [`${leafIp(1)}/16`];
      rec('(a) change one address', await timedApply(engine, lab, present));
      // (b) one link down, then up again
      leaf2.a.up = false;
      rec('(b) set one link down', await timedApply(engine, lab, present));
      delete leaf2.a.up;
      rec("(b') set it up again", await timedApply(engine, lab, present));
      // (c) one more leaf, then remove it
      lab.nodes[extra] = { kind: 'netns' };
      lab.links.push({ a: { node: extra, interface: 'eth0', addresses: ['10.200.100.1/16'] }, b: { node: 'br0', interface: 'h9001' } });
      rec('(c) add one leaf', await timedApply(engine, lab, present));
      delete lab.nodes[extra];
      lab.links.pop();
      rec("(c') remove that leaf", await timedApply(engine, lab, present + 1));
      // observe alone, for the breakdown
      const names = [`${PREFIX}${base.name}._host`, ...Array.from({ length: n }, (_, k) => `${PREFIX}${base.name}.${leafName(k + 1)}`)];
      const o0 = now();
      await observeNamespaces(names, { concurrency });
      observeTimes.push(now() - o0);
    }
  } finally {
    await engine.destroy(base.name);
  }
  return { n, initialApplyMs, results: [...results].map(([change, records]) => ({ change, records })), observeAllMs: stat(observeTimes) };
}

// ---------------------------------------------------------------------------------------------
// Reporting

interface SizeReport {
  n: number;
  engine: RunRecord[];
  baselines: Partial<Record<BaselineMode, RunRecord[]>>;
}

function machineFacts(): Record<string, string> {
  const ipv = sh('ip', ['-V']).stdout.trim();
  const cpu = cpus()[0]?.model ?? '?';
  return {
    cpus: `${cpus().length} (\`nproc\`=${sh('nproc', []).stdout.trim()}, ${cpu})`,
    ram: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    kernel: release(),
    iproute2: ipv.replace(/^ip utility, /, ''),
    node: process.version,
    engine: engineRevision(),
  };
}

/** The commit the engine was built from, and whether its packages had uncommitted changes. */
function engineRevision(): string {
  const head = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'packages'], { encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? ' + uncommitted changes in packages/' : ''}`;
}

function ratio(a: number, b: number): string {
  return (a / b).toFixed(2);
}

function report(sizes: SizeReport[], inc: IncReport | undefined, o: Options, startedAt: Date, durationS: number, loadStart: number[]): string {
  const m = machineFacts();
  const L: string[] = [];
  const la = (x: number[]) => x.map((v) => v.toFixed(2)).join(' ');
  L.push(`Run ${startedAt.toISOString().replace(/\.\d+Z$/, 'Z')} (${durationS.toFixed(0)} s in all) on: ${m.cpus}, ${m.ram} RAM, kernel \`${m.kernel}\`, ${m.iproute2}, Node ${m.node}; engine built from ${m.engine}. Engine concurrency ${o.concurrency}. Load average (1/5/15 min) at start ${la(loadStart)}, at end ${la(loadavg())} (the machine is shared).`);
  L.push('');
  L.push('### Setup and teardown (seconds, median [min–max])');
  L.push('');
  const bl = o.baselines;
  const head = ['N', 'runs', 'engine apply', ...bl.map((b) => `hand-written \`${b}\``), ...bl.map((b) => `ratio engine/${b}`), 'engine destroy cmd / complete', ...bl.map((b) => `\`${b}\` destroy cmd / complete`), 'kernel floor (research `netlink`)'];
  L.push(`| ${head.join(' | ')} |`);
  L.push(`|${head.map(() => '---').join('|')}|`);
  for (const s of sizes) {
    const e = stat(s.engine.map((r) => r.applyMs));
    const cells = [String(s.n), String(s.engine.length), fmtS(e)];
    const bs = bl.map((b) => stat((s.baselines[b] ?? []).map((r) => r.applyMs)));
    cells.push(...bs.map(fmtS));
    cells.push(...bs.map((x) => `**${ratio(e.median, x.median)}**`));
    const dc = (rs: RunRecord[]) => `${sec(stat(rs.map((r) => r.destroyCmdMs)).median)} / ${sec(stat(rs.map((r) => r.destroyCompleteMs)).median)}`;
    cells.push(dc(s.engine));
    cells.push(...bl.map((b) => dc(s.baselines[b] ?? [])));
    cells.push(KERNEL_FLOOR_S[s.n] !== undefined ? KERNEL_FLOOR_S[s.n]!.toFixed(3) : '–');
    L.push(`| ${cells.join(' | ')} |`);
  }
  L.push('');
  L.push('### Where the engine\'s apply time goes (ms, medians over the runs)');
  L.push('');
  L.push('`observe` = validate + journal read + reading the lab\'s existing namespaces (none for a new lab); `plan` = compile + diff + plan; `execute` = the kernel driver, per stage (processes in brackets); `verify` = re-reading every touched namespace (one `ip -j -batch` per namespace) + diff; `other` = journal writes and the rest. Readiness = first ping from the first to the last leaf, after apply returned.');
  L.push('');
  L.push('| N | wall | observe | plan | execute | ↳ namespace | ↳ link | ↳ mark+configure | verify | other | processes | ready ms (engine / ' + bl.join(' / ') + ') |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of sizes) {
    const recs = s.engine.map((r) => r.apply!);
    const med = (f: (a: ApplyRecord) => number) => stat(recs.map(f)).median;
    const stageMs = (name: string) => {
      const v = recs.map((a) => a.stages.find((x) => x.stage.startsWith(name)));
      const ms = stat(v.map((x) => x?.ms ?? NaN).filter((x) => !Number.isNaN(x))).median;
      const g = v[0]?.groups ?? 0;
      return `${msf(ms)} (${g})`;
    };
    const other = med((a) => a.timings.totalMs - a.timings.observeMs - a.timings.planMs - a.timings.executeMs - a.timings.verifyMs);
    const ready = [s.engine, ...bl.map((b) => s.baselines[b] ?? [])].map((rs) => msf(stat(rs.map((r) => r.readyMs)).median)).join(' / ');
    L.push(`| ${s.n} | ${msf(med((a) => a.wallMs))} | ${msf(med((a) => a.timings.observeMs))} | ${msf(med((a) => a.timings.planMs))} | ${msf(med((a) => a.timings.executeMs))} | ${stageMs('unnamespace')} | ${stageMs('link')} | ${stageMs('mark')} | ${msf(med((a) => a.timings.verifyMs))} | ${msf(other)} | ${recs[0]?.processes ?? '–'} | ${ready} |`);
  }
  L.push('');
  const ll = sizes.map((s) => `N=${s.n}: engine ${s.engine[0]?.linkLocal ?? '–'}, ${bl.map((b) => `${b} ${s.baselines[b]?.[0]?.linkLocal ?? '–'}`).join(', ')}`).join('; ');
  L.push(`Every run was checked after setup (bridge up, exactly N veth ports enslaved and up with carrier, every leaf's lo up and eth0 up with its address) and pinged first leaf → last leaf. IPv6 link-local addresses on leaves' eth0 (first run): ${ll}.`);
  if (inc) {
    L.push('');
    L.push(`### Incremental changes on the running N=${inc.n} lab (ms, median [min–max] over ${o.incReps} repetitions)`);
    L.push('');
    L.push(`The lab was first applied in ${sec(inc.initialApplyMs)} s (not in the table). Each row is one \`engine.apply\` of the whole lab with one thing changed. Target: < 20 ms.`);
    L.push('');
    L.push('| change | wall | observe | plan | execute | verify | other | ops | processes |');
    L.push('|---|---|---|---|---|---|---|---|---|');
    for (const r of inc.results) {
      const s = (f: (a: ApplyRecord) => number) => fmtMs(stat(r.records.map(f)));
      const other = (a: ApplyRecord) => a.timings.totalMs - a.timings.observeMs - a.timings.planMs - a.timings.executeMs - a.timings.verifyMs;
      L.push(`| ${r.change} | **${s((a) => a.wallMs)}** | ${s((a) => a.timings.observeMs)} | ${s((a) => a.timings.planMs)} | ${s((a) => a.timings.executeMs)} | ${s((a) => a.timings.verifyMs)} | ${s(other)} | ${r.records[0]!.ops} | ${r.records[0]!.processes} |`);
    }
    L.push('');
    L.push(`For reference, \`observeNamespaces\` over all ${inc.n + 1} namespaces of the lab alone (concurrency ${o.concurrency}): ${fmtMs(inc.observeAllMs)} ms.`);
  }
  return L.join('\n');
}

function writeDoc(path: string, block: string): void {
  const section = `${MARK_START}\n${block}\n${MARK_END}`;
  let text: string;
  if (existsSync(path)) {
    const old = readFileSync(path, 'utf8');
    const a = old.indexOf(MARK_START);
    const b = old.indexOf(MARK_END);
    text = a >= 0 && b > a ? old.slice(0, a) + section + old.slice(b + MARK_END.length) : `${old.trimEnd()}\n\n## Results\n\n${section}\n`;
  } else {
    mkdirSync(dirname(path), { recursive: true });
    text = `# Benchmarks\n\nGenerated by \`pnpm bench\` (bench/src/star.ts).\n\n## Results\n\n${section}\n`;
  }
  writeFileSync(path, text);
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('pnpm bench needs root (it creates network namespaces)');
  const startedAt = new Date();
  const loadStart = loadavg();
  const tStart = now();
  cleanupLeftovers('start');
  const dataDir = mkdtempSync(join(tmpdir(), 'pbb-'));
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`[bench] ${sig}: cleaning up`);
    cleanupLeftovers('signal');
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed stdout/stderr (e.g. piped into `head`) must not kill the run before its cleanup.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  // Last resort: whatever way the process ends, no pbb* namespace stays behind (sync, exact names).
  process.on('exit', () => {
    try {
      cleanupLeftovers('exit');
      rmSync(dataDir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  });
  const sizes: SizeReport[] = [];
  let inc: IncReport | undefined;
  try {
    const engine = new Engine({ prefix: PREFIX, dataDir, concurrency: o.concurrency });
    await engine.kernelFeatures(); // probe (and cache) kernel capabilities outside the timings
    for (const n of o.sizes) {
      const runs = o.runs ?? DEFAULT_RUNS[n] ?? 3;
      const s: SizeReport = { n, engine: [], baselines: {} };
      for (let r = 0; r < runs; r++) {
        // Alternate the order so drift in machine load hits both sides.
        const order: ('engine' | BaselineMode)[] = r % 2 === 0 ? ['engine', ...o.baselines] : [...[...o.baselines].reverse(), 'engine'];
        for (const who of order) {
          const t = now();
          if (who === 'engine') s.engine.push(await engineRun(engine, n));
          else (s.baselines[who] ??= []).push(await baselineRun(n, who, dataDir));
          const last = who === 'engine' ? s.engine.at(-1)! : s.baselines[who]!.at(-1)!;
          console.error(`[bench] N=${n} run ${r + 1}/${runs} ${who.padEnd(6)} apply ${sec(last.applyMs)} s, ready ${msf(last.readyMs)} ms, destroy ${sec(last.destroyCmdMs)} / ${sec(last.destroyCompleteMs)} s  (${sec(now() - t)} s with checks)`);
          if (ourNamespaces().length) throw new Error(`namespaces left after ${who} N=${n}: ${ourNamespaces().slice(0, 5).join(', ')}`);
        }
      }
      sizes.push(s);
    }
    if (o.incSize > 0) {
      console.error(`[bench] incremental changes on N=${o.incSize}, ${o.incReps} repetitions`);
      inc = await incremental(engine, o.incSize, o.incReps, o.concurrency);
    }
  } finally {
    cleanupLeftovers('end');
    rmSync(dataDir, { recursive: true, force: true });
  }
  const block = report(sizes, inc, o, startedAt, (now() - tStart) / 1000, loadStart);
  console.log(block);
  if (o.write) {
    const resultsDir = join(ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'star-latest.json'), JSON.stringify({ startedAt, options: o, machine: machineFacts(), sizes, incremental: inc }, null, 2) + '\n');
    writeDoc(o.docPath, block);
    console.error(`[bench] wrote ${o.docPath} and bench/results/star-latest.json`);
  }
}

main().catch((err: unknown) => {
  console.error(`[bench] failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  try {
    cleanupLeftovers('failure');
  } catch {
    /* best effort */
  }
  process.exit(1);
});
