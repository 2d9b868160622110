// The one place this project starts processes. Argument arrays only (never a shell), a minimal
// environment, bounded time and output. Everything else in the package goes through `run`.
//
// Commands in SPAWNER_COMMANDS are started by a long-lived helper (spawner.ts), which is much cheaper
// than forking Node and enters namespaces itself (no nsenter). PATCHBAY_SPAWNER=0 turns that off;
// without python3 the helper cannot start and everything falls back to child_process.spawn.

import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { SPAWNER_COMMANDS, SPAWNER_MAX_OUTPUT_BYTES, SpawnerError, getSpawner } from './spawner.js';

export { closeSpawner } from './spawner.js';

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. Without it stdin is empty. */
  input?: string;
  /** Killed (SIGKILL) after this long; the promise then rejects. Default 30000. */
  timeoutMs?: number;
  /** Limit for stdout and stderr together; beyond it the child is killed and the promise rejects. Default 64 MiB. */
  maxOutputBytes?: number;
}

export interface RunResult {
  /** Exit status; 128+n when the child died of signal n. */
  code: number;
  stdout: string;
  stderr: string;
}

export class ProcessError extends Error {
  constructor(
    message: string,
    readonly cmd: string,
    readonly args: readonly string[],
    readonly stdout = '',
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'ProcessError';
  }
}

export const CHILD_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C',
});

const NAMESPACE_NAME_RE = /^[a-z][a-z0-9._-]{0,80}$/;

/** Throws unless `ns` is a safe namespace name (defense in depth: callers validate already). */
export function assertNamespaceName(ns: string): void {
  if (typeof ns !== 'string' || !NAMESPACE_NAME_RE.test(ns)) {
    throw new Error(`invalid namespace name ${JSON.stringify(ns)}`);
  }
}

/** The path of a named namespace's bind mount. */
export function namespacePath(ns: string): string {
  assertNamespaceName(ns);
  return `/run/netns/${ns}`;
}

/** Exit status for a child that died of `signal`: 128 + its number (as shells report it). */
export function signalExitCode(signal: NodeJS.Signals | null): number {
  if (!signal) return 1;
  const n = (osConstants.signals as Record<string, number | undefined>)[signal];
  return 128 + (n ?? 0);
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (useSpawner(cmd, opts)) return runViaSpawner(null, cmd, args, opts);
  return spawnDirect(cmd, args, opts);
}

/** Runs `cmd` inside the named network namespace (only the network namespace is entered). */
export function runInNamespace(
  ns: string,
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const path = namespacePath(ns);
  if (useSpawner(cmd, opts)) return runViaSpawner(ns, cmd, args, opts);
  return spawnDirect('nsenter', [`--net=${path}`, '--', cmd, ...args], opts);
}

function useSpawner(cmd: string, opts: RunOptions): boolean {
  return (
    process.env['PATCHBAY_SPAWNER'] !== '0' &&
    SPAWNER_COMMANDS.includes(cmd) &&
    (opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES) <= SPAWNER_MAX_OUTPUT_BYTES &&
    getSpawner().unavailable === undefined
  );
}

/** `run`/`runInNamespace` through the helper, with the same results and errors as spawnDirect. */
async function runViaSpawner(
  ns: string | null,
  cmd: string,
  args: readonly string[],
  opts: RunOptions,
): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxOutputBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const where = ns === null ? '' : ` (in namespace ${ns})`;
  try {
    return await getSpawner().run(ns, [cmd, ...args], {
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      timeoutMs,
      maxOutputBytes,
    });
  } catch (err) {
    if (!(err instanceof SpawnerError)) throw err;
    switch (err.kind) {
      case 'unavailable': // the helper never started, so nothing ran: the old way
        return ns === null
          ? spawnDirect(cmd, args, opts)
          : spawnDirect('nsenter', [`--net=${namespacePath(ns)}`, '--', cmd, ...args], opts);
      case 'timeout':
        throw new ProcessError(`${cmd} timed out after ${timeoutMs} ms${where}`, cmd, args, err.stdout, err.stderr);
      case 'output':
        throw new ProcessError(
          `${cmd} printed more than ${maxOutputBytes} bytes${where}`,
          cmd,
          args,
          err.stdout,
          err.stderr,
        );
      case 'exec':
        // nsenter reported this as its own exit status (127/126) with a message; keep doing so.
        if (ns !== null)
          return { code: err.code, stdout: err.stdout, stderr: `${err.stderr}patchbay-spawner: ${err.message}\n` };
        throw new ProcessError(`cannot run ${cmd}: ${err.message}`, cmd, args, err.stdout, err.stderr);
      default:
        throw new ProcessError(`cannot run ${cmd}${where}: ${err.message}`, cmd, args, err.stdout, err.stderr);
    }
  }
}

/** The child_process way: Node forks itself for every command (~4 ms each). */
function spawnDirect(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxOutputBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise<RunResult>((resolve, reject) => {
    let child;
    try {
      child = spawn(cmd, [...args], { env: { ...CHILD_ENV }, stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    } catch (err) {
      reject(new ProcessError(`cannot start ${cmd}: ${(err as Error).message}`, cmd, args));
      return;
    }
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    let bytes = 0;
    let failure: string | undefined;
    let settled = false;
    const kill = (why: string): void => {
      if (failure === undefined) failure = why;
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => kill(`${cmd} timed out after ${timeoutMs} ms`), timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxOutputBytes) {
        kill(`${cmd} printed more than ${maxOutputBytes} bytes`);
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(errOut));
    // The child may exit before reading all of its input (EPIPE): its exit status tells the story.
    child.stdin.on('error', () => {});
    child.on('error', (err) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(new ProcessError(`cannot run ${cmd}: ${err.message}`, cmd, args));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(errOut).toString('utf8');
      if (failure !== undefined) {
        reject(new ProcessError(failure, cmd, args, stdout, stderr));
        return;
      }
      resolve({ code: code ?? signalExitCode(signal), stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** `fn` over `items` with at most `limit` calls in flight; results in the order of `items`. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(Math.floor(limit) || 1, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** A limiter: `slot(fn)` runs fn once fewer than `limit` of its calls are running. */
export function createLimiter(limit: number): <R>(fn: () => Promise<R>) => Promise<R> {
  const max = Math.max(1, Math.floor(limit) || 1);
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <R>(fn: () => Promise<R>): Promise<R> => {
    if (running < max) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve)); // a finishing call hands its slot over
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/**
 * Splits the stderr of `ip/bridge -batch` into per-line errors. iproute2 prints the error message
 * line(s) of a failing batch line, then `Command failed -:N` (N = 1-based line number).
 * Lines after the last marker (no marker follows them) are returned as `trailing`.
 */
export function parseBatchErrors(stderr: string): { errors: Map<number, string>; trailing: string } {
  const errors = new Map<number, string>();
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    const m = /^Command failed (?:-|\S+):(\d+)$/.exec(line);
    if (m) {
      const n = Number(m[1]);
      const msg = pending.join(' ');
      errors.set(n, errors.has(n) ? `${errors.get(n)} ${msg}`.trim() : msg);
      pending = [];
    } else if (line) {
      pending.push(line);
    }
  }
  return { errors, trailing: pending.join(' ') };
}
