// `run:` processes (topology run.ts): a lab author's long-running command in a node, started in
// the node's student sandbox (sandbox.ts: its unprivileged uid, seccomp filter, the lab's cgroup and
// limits; a host node's namespace gets the 'init' sandbox of scenario steps) and supervised by
// helpers/run-supervisor.py, which keeps the output in a bounded log and writes the exit status.
// Started detached (a session of its own), so it outlives the `patchbay apply` or server that
// started it. Each process is recorded in a folder the caller owns (the engine: under its data
// directory), as three files per process key, all 0600:
//   KEY.json    the record: node, namespace, name, command, supervisor pid and its start time
//               (/proc/PID/stat field 22), so a reused pid is never taken for ours;
//   KEY.log     its stdout+stderr, at most `maxLogBytes` (the supervisor drops the older half);
//   KEY.status  {"code": N} once it ended (written by the supervisor).
// The command runs as `sh -c LINE` under a fixed pid-1 shell of the sandbox (RUN_INIT), which
// passes SIGTERM on: stop = SIGTERM, then after a grace period SIGKILL to the sandbox's pid 1,
// which ends its whole pid namespace (everything the command started).
import { spawn } from 'node:child_process';
import { hasControlChar } from '@patchbay/topology';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHILD_ENV, assertNamespaceName } from './process.js';
import { sandboxArgv } from './sandbox.js';
import { childProcesses, pidsInNamespaces, processStat } from './pids.js';
import type { SandboxLimits } from './sandbox-limits.js';
import { sandboxHostname, sandboxUsernsOf } from './step-sandbox.js';

export const RUN_SUPERVISOR_SCRIPT = fileURLToPath(new URL('../helpers/run-supervisor.py', import.meta.url));
/** Each process's log is kept to this many bytes (the newest). */
export const DEFAULT_MAX_LOG_BYTES = 64 * 1024;
/** Between SIGTERM and SIGKILL when a process is stopped. */
export const DEFAULT_STOP_GRACE_MS = 5000;

/**
 * The sandbox's pid 1: runs the line ($1, never part of this text) as a background child and
 * waits for it; a SIGTERM is passed on to it (a pid-namespace init only receives signals it has a
 * handler for). Exits with the line's status.
 */
const RUN_INIT =
  'trap \'kill -TERM "$c" 2>/dev/null\' TERM; /bin/sh -c "$1" </dev/null & c=$!; ' +
  'while :; do wait "$c"; s=$?; kill -0 "$c" 2>/dev/null || exit "$s"; done';

const KEY_RE = /^[a-z][a-z0-9-]{0,23}\.[0-9a-f]{16}$/;

export interface NodeProcessRecord {
  version: 1;
  node: string;
  ns: string;
  name: string;
  command: string;
  key: string;
  /** The supervisor's pid and its start time in clock ticks since boot (/proc/PID/stat field 22). */
  pid: number;
  startTime: number;
  /** ISO time it was started. */
  started: string;
}

export interface NodeProcessInfo extends NodeProcessRecord {
  state: 'running' | 'exited';
  /** Exit status (128+n for a signal) once exited, when the supervisor could write it. */
  code?: number;
}

export interface StartNodeProcessOptions {
  /** The folder of records and logs (created 0700). */
  dir: string;
  ns: string;
  node: string;
  name: string;
  command: string;
  key: string;
  /** The budget the sandbox shares (the engine's lab limits). */
  limits: SandboxLimits;
  maxLogBytes?: number;
  graceMs?: number;
}

const files = (dir: string, key: string) => {
  if (!KEY_RE.test(key)) throw new Error(`invalid process key ${JSON.stringify(key)}`);
  return { record: join(dir, `${key}.json`), log: join(dir, `${key}.log`), status: join(dir, `${key}.status`) };
};

/** A process's start time (clock ticks since boot), or undefined once it is gone or a zombie. */
export function processStartTime(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

const alive = (r: NodeProcessRecord) => processStartTime(r.pid) === r.startTime;

/** Starts `command` in `ns`'s sandbox under a detached supervisor and records it; returns the record. */
export async function startNodeProcess(opts: StartNodeProcessOptions): Promise<NodeProcessRecord> {
  assertNamespaceName(opts.ns);
  // validate-run.ts refuses them; so does this
  if (opts.command.length === 0 || hasControlChar(opts.command)) throw new Error('invalid run command');
  const f = files(opts.dir, opts.key);
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  rmSync(f.status, { force: true });
  const { file, args } = sandboxArgv(opts.ns, {
    hostname: sandboxHostname(opts.node),
    // $0 is the key: the sandbox's pid 1 can be found by it should its supervisor be killed (stop)
    command: ['/bin/sh', '-c', RUN_INIT, opts.key, opts.command],
    userns: sandboxUsernsOf(opts.ns),
    limits: opts.limits,
    bindLowPorts: true, // `python3 -m http.server 80`: a service on its usual port, in its node only
  });
  const limit = String(opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES);
  const grace = String(opts.graceMs ?? DEFAULT_STOP_GRACE_MS);
  const child = spawn('python3', [RUN_SUPERVISOR_SCRIPT, f.log, f.status, limit, grace, '--', file, ...args], {
    env: { ...CHILD_ENV },
    stdio: 'ignore',
    detached: true, // a session of its own: no terminal signal or exit of ours reaches it
    cwd: '/',
  });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve(child.pid!));
  });
  child.unref();
  const startTime = processStartTime(pid);
  if (startTime === undefined) throw new Error(`the supervisor of ${opts.name} on ${opts.node} exited at once`);
  const record: NodeProcessRecord = {
    version: 1,
    node: opts.node,
    ns: opts.ns,
    name: opts.name,
    command: opts.command,
    key: opts.key,
    pid,
    startTime,
    started: new Date().toISOString(),
  };
  const tmp = `${f.record}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(record), { mode: 0o600 });
  await rename(tmp, f.record);
  return record;
}

/** Every process recorded in `dir`, with whether it still runs. */
export function listNodeProcesses(dir: string): NodeProcessInfo[] {
  if (!existsSync(dir)) return []; // asked on every apply: no error built for a lab that runs nothing
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: NodeProcessInfo[] = [];
  for (const n of names.filter((x) => x.endsWith('.json')).sort()) {
    let r: NodeProcessRecord;
    try {
      r = JSON.parse(readFileSync(join(dir, n), 'utf8')) as NodeProcessRecord;
    } catch {
      continue; // half-written by a crash: the next start of that key rewrites it
    }
    if (r.version !== 1 || !KEY_RE.test(r.key)) continue;
    if (alive(r)) {
      out.push({ ...r, state: 'running' });
      continue;
    }
    let code: number | undefined;
    try {
      code = (JSON.parse(readFileSync(files(dir, r.key).status, 'utf8')) as { code?: number }).code;
    } catch {
      /* killed with its supervisor, or never started */
    }
    out.push({ ...r, state: 'exited', ...(code !== undefined ? { code } : {}) });
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops process `key` (SIGTERM, then SIGKILL to its sandbox's whole pid namespace after the
 * supervisor's grace period) and removes its record, log and status. Already gone: just removes them.
 */
export async function stopNodeProcess(dir: string, key: string, graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
  const f = files(dir, key);
  let r: NodeProcessRecord | undefined;
  try {
    r = JSON.parse(readFileSync(f.record, 'utf8')) as NodeProcessRecord;
  } catch {
    r = undefined;
  }
  if (r && alive(r)) {
    try {
      process.kill(r.pid, 'SIGTERM');
    } catch {
      /* ended meanwhile */
    }
    const deadline = Date.now() + graceMs + 3000;
    while (alive(r) && Date.now() < deadline) await sleep(25);
    if (alive(r)) {
      // the supervisor itself is stuck: end the sandbox (bwrap's children: its pid 1) and it
      for (const bwrap of childProcesses(r.pid)) for (const init of childProcesses(bwrap)) kill(init);
      kill(r.pid);
      for (let i = 0; i < 100 && alive(r); i++) await sleep(20);
    }
  }
  // A supervisor killed from outside leaves its sandbox running: its pid 1 is `sh -c RUN_INIT KEY …`
  // in the node's namespace, and SIGKILL to it ends the sandbox's whole pid namespace. bwrap, its
  // parent there, exits only after it: both are waited for (bounded), so that, as after a
  // supervisor's own stop, nothing of the sandbox is left in the node when this returns.
  if (r) {
    const ending: { pid: number; startTime: number | undefined }[] = [];
    for (const init of await orphanedSandboxes(r.ns, key)) {
      const bwrap = processStat(init)?.ppid;
      for (const pid of bwrap !== undefined && isBwrap(bwrap) ? [init, bwrap] : [init])
        ending.push({ pid, startTime: processStartTime(pid) });
      kill(init);
    }
    const left = () => ending.some((e) => e.startTime !== undefined && processStartTime(e.pid) === e.startTime);
    for (let i = 0; i < 100 && left(); i++) await sleep(20);
  }
  for (const p of [f.record, f.log, f.status]) rmSync(p, { force: true });
}

function isBwrap(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.endsWith('bwrap');
  } catch {
    return false;
  }
}

/** Pids in `ns` that are the pid 1 of process `key`'s sandbox. */
async function orphanedSandboxes(ns: string, key: string): Promise<number[]> {
  let pids: number[];
  try {
    pids = [...(await pidsInNamespaces([ns])).keys()];
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv[0] === '/bin/sh' && argv[1] === '-c' && argv[2] === RUN_INIT && argv[3] === key;
    } catch {
      return false;
    }
  });
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** The last `maxBytes` of process `key`'s output (UTF-8; a character cut at the start is replaced). */
export function readNodeProcessLog(dir: string, key: string, maxBytes = 4096): string {
  let fd: number;
  try {
    fd = openSync(files(dir, key).log, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(size, maxBytes);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Removes the folder of records and logs (after every process in it was stopped). */
export function removeNodeProcessDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
