// The students of `pnpm bench:class`, in their own process (forked by class.ts) so that the server's
// process holds only the server. Every student has its own token, its own HTTP requests and its own
// socket.io connection; they all act at once. Driven by messages from the parent (one command at a
// time): `up` (each PUTs its lab), `connect` (socket, tables, ping, terminal), `steady` (the measured
// phase), `isolation` (s01 tries s02's lab), `exit`. Times are this process's `performance.now()`.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ClientToServerEvents, LiveAck, ServerToClientEvents, TablesDelta } from '@patchbay/protocol';
import { io, type Socket } from 'socket.io-client';

import { labDocument, net } from './class-lab.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (a: number, b: number) => a + Math.random() * (b - a);

export interface StudentSpec {
  lab: string;
  token: string;
  /** 1-based: the lab's /24 is 10.100.<index>.0/24. */
  index: number;
}

export type ClassCommand =
  | { cmd: 'up' }
  | { cmd: 'connect' }
  | { cmd: 'steady'; seconds: number }
  | { cmd: 'isolation' }
  | { cmd: 'exit' };

interface Waiter {
  re: RegExp;
  resolve: (t: number) => void;
}

interface Student extends StudentSpec {
  sock?: Client;
  termId?: string;
  /** Terminal output since the current command was typed. */
  out: string;
  /** When the first output after the current command arrived. */
  firstOut?: number;
  outWaiters: Waiter[];
  /** Addresses awaited in a delta of h1's `lo`. */
  addrWaiters: Map<string, (t: number) => void>;
  snapshotAt?: number;
  pingReplies: { t: number; rttMs?: number }[];
  pingEvents: { t: number; type: string; message: string }[];
  pingSummary?: unknown;
  counters: number[];
  deltas: number[];
  coalesced: number;
  terminalExit?: unknown;
  errors: string[];
}

const [url = '', studentsJson = '[]'] = process.argv.slice(2);
const students: Student[] = (JSON.parse(studentsJson) as StudentSpec[]).map((s) => ({
  ...s,
  out: '',
  outWaiters: [],
  addrWaiters: new Map(),
  pingReplies: [],
  pingEvents: [],
  counters: [],
  deltas: [],
  coalesced: 0,
  errors: [],
}));

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))),
  ]);
}

async function http(s: StudentSpec, method: string, path: string, body?: unknown): Promise<{ status: number; ms: number; json: unknown }> {
  const t0 = now();
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${s.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const ms = now() - t0;
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, ms, json };
}

/** Each student PUTs its lab, all at once. */
async function up() {
  const t0 = now();
  const labs = await Promise.all(
    students.map(async (s) => {
      const start = now() - t0;
      try {
        const r = await http(s, 'PUT', `/api/labs/${s.lab}`, labDocument(s));
        const body = r.json as { ops?: unknown[]; timings?: Record<string, number>; error?: string; message?: string };
        if (r.status !== 200) s.errors.push(`PUT ${s.lab}: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
        return { lab: s.lab, status: r.status, start, end: now() - t0, ms: r.ms, ops: body.ops?.length ?? 0, timings: body.timings };
      } catch (err) {
        s.errors.push(`PUT ${s.lab}: ${(err as Error).message}`);
        return { lab: s.lab, status: 0, start, end: now() - t0, ms: now() - t0 - start, ops: 0 };
      }
    }),
  );
  const firstStart = Math.min(...labs.map((l) => l.start));
  const lastEnd = Math.max(...labs.map((l) => l.end));
  return { ms: lastEnd - firstStart, labs, failed: labs.filter((l) => l.status !== 200).length };
}

function onOutput(s: Student, data: string): void {
  const t = now();
  if (s.firstOut === undefined) s.firstOut = t;
  s.out += data;
  if (s.out.length > 1 << 20) s.out = s.out.slice(-(1 << 16));
  s.outWaiters = s.outWaiters.filter((w) => {
    if (!w.re.test(s.out)) return true;
    w.resolve(t);
    return false;
  });
}

function waitOutput(s: Student, re: RegExp, ms: number, what: string): Promise<number> {
  if (re.test(s.out)) return Promise.resolve(now());
  const p = new Promise<number>((resolve) => s.outWaiters.push({ re, resolve }));
  return within(p, ms, `${s.lab} ${what}`);
}

const PROMPT = /\$ $/;

function listen(s: Student, c: Client): void {
  c.on('tables:snapshot', (e) => {
    if (e.lab === s.lab) s.snapshotAt ??= now();
  });
  c.on('tables:delta', (d: TablesDelta, ack) => {
    const t = now();
    ack();
    s.deltas.push(t);
    s.coalesced = d.coalesced;
    if (d.node !== 'h1' || s.addrWaiters.size === 0) return;
    const node = d.state.node as { interfaces?: { name: string; addresses: string[] }[] } | undefined;
    const lo = node?.interfaces?.find((i) => i.name === 'lo');
    for (const a of lo?.addresses ?? []) {
      const w = s.addrWaiters.get(a);
      if (w) {
        s.addrWaiters.delete(a);
        w(t);
      }
    }
  });
  c.on('tables:counters', () => s.counters.push(now()));
  c.on('ping:reply', (e) => s.pingReplies.push({ t: now(), ...(e.rttMs !== undefined ? { rttMs: e.rttMs } : {}) }));
  c.on('ping:event', (e) => s.pingEvents.push({ t: now(), type: e.type, message: e.message }));
  c.on('ping:summary', (e) => (s.pingSummary = e));
  c.on('terminal:output', (e, ack) => {
    ack();
    if (e.id === s.termId) onOutput(s, e.data);
  });
  c.on('terminal:exit', (e) => {
    if (e.id === s.termId) s.terminalExit = e;
  });
  c.on('disconnect', (why) => {
    if (why !== 'io client disconnect') s.errors.push(`${s.lab}: socket disconnected (${why})`);
  });
}

function ackOrThrow(a: LiveAck, what: string): string {
  if (!a.ok) throw new Error(`${what}: ${a.error}`);
  return a.id;
}

/** Each student: its socket, its tables, a ping h1 → h2, a shell in h1 (until the prompt shows). */
async function connect() {
  const t0 = now();
  const per = await Promise.all(
    students.map(async (s) => {
      const r: Record<string, number> = {};
      try {
        const a = now();
        const c: Client = io(url, { auth: { token: s.token }, transports: ['websocket'], reconnection: false, forceNew: true });
        s.sock = c;
        listen(s, c);
        await within(
          new Promise<void>((resolve, reject) => {
            c.once('connect', () => resolve());
            c.once('connect_error', reject);
          }),
          30_000,
          `${s.lab} connect`,
        );
        r['connectMs'] = now() - a;
        const b = now();
        ackOrThrow(await within(c.emitWithAck('tables:subscribe', { lab: s.lab }), 30_000, 'tables:subscribe'), 'tables:subscribe');
        while (s.snapshotAt === undefined) await sleep(5);
        r['snapshotMs'] = s.snapshotAt - b;
        const p = now();
        ackOrThrow(
          await within(c.emitWithAck('ping:start', { lab: s.lab, node: 'h1', target: `${net(s.index)}.12`, count: 100, intervalMs: 1000 }), 30_000, 'ping:start'),
          'ping:start',
        );
        r['pingAckMs'] = now() - p;
        const o = now();
        s.out = '';
        s.termId = ackOrThrow(await within(c.emitWithAck('terminal:open', { lab: s.lab, node: 'h1', cols: 100, rows: 30 }), 30_000, 'terminal:open'), 'terminal:open');
        r['terminalAckMs'] = now() - o;
        await waitOutput(s, PROMPT, 30_000, 'terminal prompt');
        r['terminalPromptMs'] = now() - o;
        r['readyAt'] = now() - t0;
        return { lab: s.lab, ok: true, ...r };
      } catch (err) {
        s.errors.push(`${s.lab} connect: ${(err as Error).message}`);
        return { lab: s.lab, ok: false, ...r };
      }
    }),
  );
  return { ms: now() - t0, students: per, ready: per.filter((p) => p.ok).length };
}

/** Types `echo hi`: times to the first output (the tty's echo of the keystrokes) and to `hi` on a line of its own. */
async function echoOnce(s: Student) {
  s.out = '';
  s.firstOut = undefined;
  const t0 = now();
  s.sock!.emit('terminal:input', { id: s.termId!, data: 'echo hi\r' });
  const tHi = await waitOutput(s, /[\r\n]hi\r?\n/, 15_000, 'echo hi');
  await waitOutput(s, PROMPT, 15_000, 'prompt after echo');
  return { first: (s.firstOut ?? tHi) - t0, hi: tHi - t0 };
}

/** Types `ip addr add A/32 dev lo` in h1; times to the delta that shows the address and to the prompt after the command. */
async function addrOnce(s: Student, k: number) {
  const addr = `10.200.${s.index}.${k}/32`;
  const got = new Promise<number>((r) => s.addrWaiters.set(addr, r));
  s.out = '';
  s.firstOut = undefined;
  const t0 = now();
  s.sock!.emit('terminal:input', { id: s.termId!, data: `ip addr add ${addr} dev lo\r` });
  try {
    const [t, tPrompt] = await Promise.all([within(got, 15_000, `${s.lab} delta for ${addr}`), waitOutput(s, PROMPT, 15_000, 'prompt after ip addr add')]);
    return { delta: t - t0, prompt: tPrompt - t0 };
  } finally {
    s.addrWaiters.delete(addr);
  }
}

async function steady(seconds: number) {
  const elu = monitorEventLoopDelay({ resolution: 10 });
  elu.enable();
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const end = t0 + seconds * 1000;
  const api: { ms: number; status: number }[] = [];
  const echoFirst: number[] = [];
  const echoHi: number[] = [];
  const delta: number[] = [];
  const addrPrompt: number[] = [];
  const failures: string[] = [];
  const active = students.filter((s) => s.sock?.connected && s.termId && !s.terminalExit);

  const apiLoop = async (s: Student) => {
    await sleep(jitter(0, 3000));
    while (now() < end) {
      try {
        const r = await http(s, 'GET', `/api/labs/${s.lab}/state`);
        api.push({ ms: r.ms, status: r.status });
        if (r.status !== 200) failures.push(`${s.lab} GET state: ${r.status}`);
      } catch (err) {
        failures.push(`${s.lab} GET state: ${(err as Error).message}`);
      }
      await sleep(Math.min(jitter(2500, 3500), end - now()));
    }
  };
  const terminalLoop = async (s: Student) => {
    await sleep(jitter(0, 2000));
    for (let k = 1; now() < end; k++) {
      const slot = now();
      try {
        const e = await echoOnce(s);
        echoFirst.push(e.first);
        echoHi.push(e.hi);
        if (k % 2 === 0) {
          await sleep(Math.max(0, slot + 1000 - now()));
          const a = await addrOnce(s, k);
          delta.push(a.delta);
          addrPrompt.push(a.prompt);
        }
      } catch (err) {
        failures.push((err as Error).message);
      }
      await sleep(Math.max(0, Math.min(slot + jitter(1800, 2200), end) - now()));
    }
  };
  await Promise.all(active.flatMap((s) => [apiLoop(s), terminalLoop(s)]));
  const wall = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  elu.disable();
  const inPhase = (t: number) => t >= t0 && t <= t0 + wall;
  const perStudent = students.map((s) => ({
    lab: s.lab,
    pingReplies: s.pingReplies.filter((r) => inPhase(r.t)).length,
    pingEvents: s.pingEvents.filter((e) => inPhase(e.t)).map((e) => `${e.type}: ${e.message}`),
    counters: s.counters.filter(inPhase).length,
    deltas: s.deltas.filter(inPhase).length,
    coalesced: s.coalesced,
    terminalExit: s.terminalExit,
  }));
  const rtts = students.flatMap((s) => s.pingReplies.filter((r) => inPhase(r.t) && r.rttMs !== undefined).map((r) => r.rttMs!));
  return {
    seconds: wall / 1000,
    active: active.length,
    api,
    echoFirst,
    echoHi,
    delta,
    addrPrompt,
    pingRtt: rtts,
    perStudent,
    failures,
    client: {
      cpuShare: (cpu.user + cpu.system) / 1000 / wall,
      // The histogram holds whole timer intervals: less the 10 ms resolution, what is left is the delay.
      loopDelayP99Ms: Math.max(0, elu.percentile(99) / 1e6 - 10),
      loopDelayMaxMs: Math.max(0, elu.max / 1e6 - 10),
    },
  };
}

/** s01's token against s02's lab: REST and socket. */
async function isolation() {
  const [a, b] = students;
  if (!a || !b || !a.sock) return { skipped: true };
  const getState = await http(a, 'GET', `/api/labs/${b.lab}/state`);
  const getLab = await http(a, 'GET', `/api/labs/${b.lab}`);
  const put = await http(a, 'PUT', `/api/labs/${b.lab}`, labDocument(b));
  const list = await http(a, 'GET', '/api/labs');
  const labsSeen = ((list.json as { labs?: { name: string }[] }).labs ?? []).map((l) => l.name);
  const sub = await within(a.sock.emitWithAck('tables:subscribe', { lab: b.lab }), 10_000, 'tables:subscribe (other lab)');
  const term = await within(a.sock.emitWithAck('terminal:open', { lab: b.lab, node: 'h1', cols: 80, rows: 24 }), 10_000, 'terminal:open (other lab)');
  const ping = await within(a.sock.emitWithAck('ping:start', { lab: b.lab, node: 'h1', target: `${net(b.index)}.12`, count: 1 }), 10_000, 'ping:start (other lab)');
  const err = (x: { json: unknown }) => (x.json as { error?: string; message?: string }).message ?? (x.json as { error?: string }).error ?? '';
  return {
    from: a.lab,
    to: b.lab,
    getState: { status: getState.status, message: err(getState) },
    getLab: { status: getLab.status },
    put: { status: put.status },
    listSeesOnly: labsSeen,
    tablesSubscribe: sub,
    terminalOpen: term.ok ? { ok: true } : term,
    pingStart: ping.ok ? { ok: true } : ping,
  };
}

function errors() {
  return students.flatMap((s) => s.errors);
}

process.on('message', (m: ClassCommand) => {
  void (async () => {
    try {
      if (m.cmd === 'exit') {
        // Closing the sockets ends every terminal and ping on the server.
        for (const s of students) s.sock?.disconnect();
        await sleep(200);
        process.exit(0);
      }
      const result =
        m.cmd === 'up' ? await up()
        : m.cmd === 'connect' ? await connect()
        : m.cmd === 'steady' ? await steady(m.seconds)
        : await isolation();
      process.send!({ ok: true, result: { ...result, errors: errors() } });
    } catch (err) {
      process.send!({ ok: false, error: (err as Error).stack ?? String(err) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
