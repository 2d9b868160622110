// The people of `pnpm bench:class` inside the students' process (class-client.ts): the students and
// the instructor, what each has received (with the time, this process's `performance.now()`), and
// the small tools every phase uses — HTTP, waiting for output or for an event, typing in a terminal.
import type { CheckRun, ClientToServerEvents, LiveAck, ServerToClientEvents, TablesDelta } from '@patchbay/protocol';
import { io, type Socket } from 'socket.io-client';
import type { ClassPlan } from './class-lab.js';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
export const now = () => performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
export const jitter = (a: number, b: number) => a + Math.random() * (b - a);

export interface Config {
  url: string;
  students: number;
  plan: ClassPlan;
  /** Students (1-based indices) whose latencies are left out of the figures. */
  unmeasured?: number[];
}

/** What a hostile student of `pnpm bench:hostile` does instead of working (class-hostile.ts). */
export type HostileRole = 'fork-bomb' | 'memory-hog' | 'mac-flood' | 'capture-loop';

/** Whether a student works (not hostile) and counts in the figures. */
export const measured = (cfg: Config, s: Student): boolean => !s.role && !(cfg.unmeasured ?? []).includes(s.index);

interface OutWaiter {
  re: RegExp;
  resolve: (t: number) => void;
}

/** What the dashboard showed of one student, when. */
export interface ProgressSeen {
  t: number;
  passed: number;
  total: number;
  solvedAt?: string;
}

export interface Student {
  /** 1-based; the name given at the join is `Student NN`. */
  index: number;
  name: string;
  /** From the join. */
  token?: string;
  lab?: string;
  id?: string;
  sock?: Client;
  termId?: string;
  /** Terminal output since the current command was typed. */
  out: string;
  /** When the first output after the current command arrived. */
  firstOut?: number;
  outWaiters: OutWaiter[];
  /** Addresses awaited in a delta of the terminal node's `lo`. */
  addrWaiters: Map<string, (t: number) => void>;
  snapshotAt?: number;
  results: { t: number; passed: number; total: number; trigger: CheckRun['trigger']; ms: number; failing: string[] }[];
  pingId?: string;
  pingReplies: { t: number; rttMs?: number }[];
  pingEvents: { t: number; type: string; message: string }[];
  pingEnded: boolean;
  counters: number[];
  deltas: number[];
  coalesced: number;
  terminalExit?: unknown;
  /** Set when the student turned hostile: it then takes no part in the steady and fix phases. */
  role?: HostileRole;
  /** The server closed its socket (expected at the end of the session), when. */
  closedByServer?: number;
  errors: string[];
}

export interface Instructor {
  token: string;
  sock?: Client;
  session?: { id: string; code: string };
  /** Every `session:progress`, per student id. */
  progress: Map<string, ProgressSeen[]>;
  endedAt?: number;
  errors: string[];
}

export function newStudent(index: number): Student {
  return {
    index,
    name: `Student ${String(index).padStart(2, '0')}`,
    out: '',
    outWaiters: [],
    addrWaiters: new Map(),
    results: [],
    pingReplies: [],
    pingEvents: [],
    pingEnded: false,
    counters: [],
    deltas: [],
    coalesced: 0,
    errors: [],
  };
}

export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)),
    ),
  ]);
}

export async function http(
  url: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; ms: number; json: unknown }> {
  const t0 = now();
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
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

export function ackOrThrow(a: LiveAck, what: string): string {
  if (!a.ok) throw new Error(`${what}: ${a.error}`);
  return a.id;
}

// ---- waiting for something to be received: checked again after every event ----

const waiters = new Set<{ seen: () => number | undefined; resolve: (t: number) => void }>();

/** Resolves with the time `seen` returns once it returns one (checked now and after every event). */
export function waitFor(seen: () => number | undefined, ms: number, what: string): Promise<number> {
  const t = seen();
  if (t !== undefined) return Promise.resolve(t);
  const w = { seen, resolve: (_t: number) => {} };
  const p = new Promise<number>((resolve) => {
    w.resolve = resolve;
    waiters.add(w);
  });
  return within(p, ms, what).finally(() => waiters.delete(w));
}

export function wake(): void {
  for (const w of waiters) {
    const t = w.seen();
    if (t !== undefined) {
      waiters.delete(w);
      w.resolve(t);
    }
  }
}

// ---- terminals ----

export const PROMPT = /\$ $/;

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

export function waitOutput(s: Student, re: RegExp, ms: number, what: string): Promise<number> {
  if (re.test(s.out)) return Promise.resolve(now());
  const p = new Promise<number>((resolve) => s.outWaiters.push({ re, resolve }));
  return within(p, ms, `${s.lab} ${what}`);
}

/** Types a command (Enter included); returns when it was sent. */
export function type(s: Student, command: string): number {
  s.out = '';
  s.firstOut = undefined;
  const t = now();
  s.sock!.emit('terminal:input', { id: s.termId!, data: `${command}\r` });
  return t;
}

/** Types `echo hi`: times to the first output (the tty's echo of the keystrokes) and to `hi` on a line of its own. */
export async function echoOnce(s: Student) {
  const t0 = type(s, 'echo hi');
  const tHi = await waitOutput(s, /[\r\n]hi\r?\n/, 15_000, 'echo hi');
  await waitOutput(s, PROMPT, 15_000, 'prompt after echo');
  return { first: (s.firstOut ?? tHi) - t0, hi: tHi - t0 };
}

/** Types `ip addr add A/32 dev lo`; times to the delta of the terminal's node that shows the address, and to the prompt. */
export async function addrOnce(s: Student, k: number) {
  const addr = `10.200.${s.index}.${k}/32`;
  const got = new Promise<number>((r) => s.addrWaiters.set(addr, r));
  const t0 = type(s, `ip addr add ${addr} dev lo`);
  try {
    const [t, tPrompt] = await Promise.all([
      within(got, 15_000, `${s.lab} delta for ${addr}`),
      waitOutput(s, PROMPT, 15_000, 'prompt after ip addr add'),
    ]);
    return { delta: t - t0, prompt: tPrompt - t0 };
  } finally {
    s.addrWaiters.delete(addr);
  }
}

// ---- what a student's socket receives ----

export function listen(s: Student, c: Client, plan: ClassPlan, ending: () => boolean): void {
  c.on('exercise:results', (e) => {
    if (e.lab !== s.lab) return;
    s.results.push({
      t: now(),
      passed: e.passed,
      total: e.total,
      trigger: e.trigger,
      ms: e.ms,
      failing: e.results.filter((c) => !c.pass).map((c) => c.id),
    });
    wake();
  });
  c.on('tables:snapshot', (e) => {
    if (e.lab === s.lab) s.snapshotAt ??= now();
  });
  c.on('tables:delta', (d: TablesDelta, ack) => {
    const t = now();
    ack();
    s.deltas.push(t);
    s.coalesced = d.coalesced;
    if (d.node !== plan.terminalNode || s.addrWaiters.size === 0) return;
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
  c.on('ping:reply', (e) => {
    if (e.id !== s.pingId) return;
    s.pingReplies.push({ t: now(), ...(e.rttMs !== undefined ? { rttMs: e.rttMs } : {}) });
    wake();
  });
  c.on('ping:event', (e) => {
    if (e.id === s.pingId) s.pingEvents.push({ t: now(), type: e.type, message: e.message });
  });
  c.on('ping:summary', (e) => {
    if (e.id === s.pingId) s.pingEnded = true;
  });
  c.on('terminal:output', (e, ack) => {
    ack();
    if (e.id === s.termId) onOutput(s, e.data);
  });
  c.on('terminal:exit', (e) => {
    if (e.id === s.termId && !ending()) s.terminalExit = e;
  });
  c.on('disconnect', (why) => {
    if (why === 'io server disconnect' && ending()) s.closedByServer = now();
    else if (why !== 'io client disconnect') s.errors.push(`${s.lab}: socket disconnected (${why})`);
  });
}

/** Opens the student's socket with its token, as the exercise page does, and waits until it is connected. */
export async function connectStudent(url: string, s: Student, plan: ClassPlan, ending: () => boolean): Promise<Client> {
  const c: Client = io(url, {
    auth: { token: s.token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  s.sock = c;
  listen(s, c, plan, ending);
  await within(
    new Promise<void>((resolve, reject) => (c.once('connect', () => resolve()), c.once('connect_error', reject))),
    30_000,
    `${s.lab} connect`,
  );
  return c;
}
