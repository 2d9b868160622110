// A long-lived helper (helpers/spawner.py) that starts processes for us, optionally inside a named
// network namespace. Forking Node costs ~4 ms per process; the helper is small, so its fork is cheap,
// and it enters the namespace itself (no nsenter). Requests are multiplexed over its stdin/stdout as
// JSON lines (protocol: see the helper). The helper is started on first use, restarted after it
// dies, and never keeps Node alive while no request is pending.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Commands the helper starts (bare names). Must equal ALLOWED_COMMANDS in helpers/spawner.py. */
export const SPAWNER_COMMANDS: readonly string[] = Object.freeze([
  'ip',
  'bridge',
  'sysctl',
  'iptables-restore',
  'iptables-save',
  'iptables',
  'ebtables-restore',
  'ebtables-save',
  'tcpdump',
  'ping',
  'sleep',
  'true',
  'python3',
  'sh',
  'nft',
  'ip6tables-restore',
  'ip6tables-save',
  'ip6tables',
]);

/** The helper's own per-child output limit (stdout and stderr together). */
export const SPAWNER_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export const SPAWNER_SCRIPT = fileURLToPath(new URL('../helpers/spawner.py', import.meta.url));

export interface SpawnerRunOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  /** The helper kills the child (SIGKILL) after this long. Default 30000. */
  timeoutMs?: number;
  /** Limit for stdout and stderr together (at most 64 MiB). Default 64 MiB. */
  maxOutputBytes?: number;
}

export interface SpawnerResult {
  /** Exit status; 128+n when the child died of signal n. */
  code: number;
  stdout: string;
  stderr: string;
  /** A helper's answer given as a JSON value rather than as text (nlexec.py's reads). */
  json?: unknown;
}

/**
 * Why a request did not produce a normal result:
 * - unavailable: the helper could not be started (e.g. no python3); nothing ran.
 * - died: the helper exited while the request was pending; the child was killed (state unknown).
 * - refused: the helper refused the request (command not allowed, bad namespace name); nothing ran.
 * - spawn: fork/pipe failed in the helper; nothing ran.
 * - exec: the command could not be executed (`code` is 127 or 126).
 * - timeout / output: the child was killed for running too long / printing too much.
 */
export type SpawnerErrorKind = 'unavailable' | 'died' | 'refused' | 'spawn' | 'exec' | 'timeout' | 'output';

export class SpawnerError extends Error {
  constructor(
    message: string,
    readonly kind: SpawnerErrorKind,
    readonly code = 127,
    readonly stdout = '',
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'SpawnerError';
  }
}

interface Pending {
  argv0: string;
  line: string;
  resolve: (r: SpawnerResult) => void;
  reject: (e: Error) => void;
  backstop: NodeJS.Timeout;
}

interface Response {
  id?: unknown;
  ready?: boolean;
  code?: number;
  stdout?: string;
  stderr?: string;
  error?: string;
  message?: string;
  json?: unknown;
}

const HELPER_ENV = Object.freeze({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' });
/** Extra time Node waits beyond timeoutMs for the helper's answer before giving up on it. */
const BACKSTOP_GRACE_MS = 5_000;
const STDERR_TAIL = 4096;

export interface SpawnerConfig {
  /** Python interpreter (default 'python3', looked up in PATH). */
  python?: string;
  /** Helper script (default helpers/spawner.py next to this package). */
  script?: string;
}

export class Spawner {
  private child: ChildProcess | undefined;
  private ready = false;
  /** Lines written before the helper said it is ready (so a failed start provably ran nothing). */
  private queue: string[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private outChunks: Buffer[] = [];
  private stderrTail = '';
  private unavailableReason: string | undefined;
  private refd = false;

  constructor(private readonly config: SpawnerConfig = {}) {}

  /** Set once the helper could not be started; every later run() rejects with kind 'unavailable'. */
  get unavailable(): string | undefined {
    return this.unavailableReason;
  }

  /** Requests sent and not answered yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** The helper's pid while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  run(ns: string | null, argv: readonly string[], opts: SpawnerRunOptions = {}): Promise<SpawnerResult> {
    if (this.unavailableReason !== undefined) {
      return Promise.reject(new SpawnerError(`spawner helper unavailable: ${this.unavailableReason}`, 'unavailable'));
    }
    if (argv.length === 0) return Promise.reject(new SpawnerError('spawner: empty argv', 'refused'));
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const id = this.nextId++;
    const line = `${JSON.stringify({
      id,
      ns,
      argv,
      input: opts.input ?? null,
      timeoutMs,
      maxOutputBytes: Math.min(opts.maxOutputBytes ?? SPAWNER_MAX_OUTPUT_BYTES, SPAWNER_MAX_OUTPUT_BYTES),
    })}\n`;
    return new Promise<SpawnerResult>((resolve, reject) => {
      const backstop = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        this.updateRef();
        reject(
          new SpawnerError(
            `${argv[0]} timed out after ${timeoutMs} ms (the spawner helper did not answer)`,
            'timeout',
            137,
          ),
        );
      }, timeoutMs + BACKSTOP_GRACE_MS);
      this.pending.set(id, { argv0: argv[0]!, line, resolve, reject, backstop });
      this.updateRef();
      try {
        this.send(line);
      } catch (err) {
        this.settle(id, new SpawnerError(`spawner: cannot send request: ${(err as Error).message}`, 'died'));
      }
    });
  }

  /** Stops the helper (outstanding children are killed; pending requests reject). Resolves when it exited. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve()); // not 'close': a grandchild may hold its pipes open
    });
    this.detach(child, 'spawner closed');
    child.stdin?.end();
    const t = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(t);
  }

  private send(line: string): void {
    if (!this.child) this.start();
    if (!this.ready) {
      this.queue.push(line);
      return;
    }
    this.child!.stdin!.write(line);
  }

  private start(): void {
    const python = this.config.python ?? 'python3';
    const script = this.config.script ?? SPAWNER_SCRIPT;
    const child = spawn(python, ['-u', script], {
      env: { ...HELPER_ENV },
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
    });
    this.child = child;
    this.ready = false;
    this.outChunks = [];
    this.stderrTail = '';
    this.refd = true; // a new child starts referenced
    child.stdin.on('error', () => {}); // EPIPE after the helper died: 'close' tells the story
    child.stdout.on('data', (chunk: Buffer) => this.onData(child, chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-STDERR_TAIL);
    });
    child.on('error', (err) => this.onGone(child, err.message));
    child.on('close', (code, signal) => this.onGone(child, signal ? `killed by ${signal}` : `exit code ${code}`));
    this.updateRef();
  }

  private onData(child: ChildProcess, chunk: Buffer): void {
    if (child !== this.child) return;
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      this.outChunks.push(chunk.subarray(start, nl));
      const line = Buffer.concat(this.outChunks).toString('utf8');
      this.outChunks = [];
      start = nl + 1;
      this.onLine(child, line);
      if (child !== this.child) return;
    }
    if (start < chunk.length) this.outChunks.push(chunk.subarray(start));
  }

  private onLine(child: ChildProcess, line: string): void {
    let msg: Response;
    try {
      msg = JSON.parse(line) as Response;
    } catch {
      this.fail(child, `spawner helper printed an invalid line: ${line.slice(0, 200)}`);
      return;
    }
    if (msg.ready === true) {
      this.ready = true;
      const queued = this.queue.join('');
      this.queue = [];
      if (queued) child.stdin!.write(queued);
      return;
    }
    if (typeof msg.id !== 'number') {
      // A request the helper could not even attribute: a bug on our side.
      this.fail(child, `spawner helper: ${msg.message ?? 'unattributable answer'}`);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return; // given up on already (backstop)
    const code = typeof msg.code === 'number' ? msg.code : 1;
    const stdout = msg.stdout ?? '';
    const stderr = msg.stderr ?? '';
    if (msg.error) {
      const kind = (['refused', 'spawn', 'exec', 'timeout', 'output'] as const).find((k) => k === msg.error) ?? 'spawn';
      this.settle(msg.id, new SpawnerError(`${msg.message ?? msg.error}`, kind, code, stdout, stderr));
    } else {
      this.settle(msg.id, msg.json === undefined ? { code, stdout, stderr } : { code, stdout, stderr, json: msg.json });
    }
  }

  private settle(id: number, result: SpawnerResult | Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.backstop);
    this.updateRef();
    if (result instanceof Error) p.reject(result);
    else p.resolve(result);
  }

  /** The helper is misbehaving: kill it; pending requests reject. */
  private fail(child: ChildProcess, why: string): void {
    this.detach(child, why);
    child.kill('SIGKILL');
  }

  private onGone(child: ChildProcess, why: string): void {
    if (child !== this.child) return;
    const tail = this.stderrTail.trim();
    const reason = `${why}${tail ? `; stderr: ${tail}` : ''}`;
    if (!this.ready) {
      // It never said it was ready, so it never read a request: nothing ran. Requests fall back.
      this.unavailableReason = reason;
      this.detach(child, reason, 'unavailable');
    } else {
      this.detach(child, `spawner helper exited unexpectedly (${reason})`);
    }
  }

  /** Forgets `child` (the next run starts a new helper) and rejects everything pending. */
  private detach(child: ChildProcess, why: string, kind: SpawnerErrorKind = 'died'): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.ready = false;
    this.queue = [];
    this.outChunks = [];
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr])
      (s as unknown as { unref?: () => void } | null)?.unref?.();
    this.refd = false;
    const pending = [...this.pending.entries()];
    this.pending.clear();
    for (const [, p] of pending) {
      clearTimeout(p.backstop);
      p.reject(
        new SpawnerError(
          kind === 'unavailable'
            ? `spawner helper unavailable: ${why}`
            : `${p.argv0}: ${why}; the command was killed if it was running`,
          kind,
        ),
      );
    }
  }

  /** Referenced (keeps Node alive) exactly while requests are pending. */
  private updateRef(): void {
    const child = this.child;
    if (!child) return;
    const want = this.pending.size > 0;
    if (want === this.refd) return;
    this.refd = want;
    for (const s of [child.stdin, child.stdout, child.stderr]) {
      const h = s as unknown as { ref?: () => void; unref?: () => void } | null;
      if (want) h?.ref?.();
      else h?.unref?.();
    }
    if (want) child.ref();
    else child.unref();
  }
}

let shared: Spawner | undefined;

/** The process-wide spawner (created lazily; the helper starts on its first run()). */
export function getSpawner(): Spawner {
  shared ??= new Spawner();
  return shared;
}

/** Stops the process-wide helper, if any (tests, graceful shutdown). The next run() starts a new one. */
export async function closeSpawner(): Promise<void> {
  const s = shared;
  shared = undefined;
  await s?.close();
}
