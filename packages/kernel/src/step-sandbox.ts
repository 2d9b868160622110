// Scenario steps (setup, solution) and command checks, run in the student sandbox (sandbox.ts) rather
// than as the machine's root: a scenario file is shared between instructors, and one downloaded from
// a forum must not read /etc/shadow or the server's database, see or signal the machine's processes,
// or touch another namespace than its node's. The step gets the node's network privileges only:
// - a netns or router node (a namespace owned by its own user namespace): exactly a student's
//   sandbox, uid 1000 there with NET_ADMIN and NET_RAW in that userns;
// - a host node's namespace (owned by the init userns; a bridge's steps run in its host's): the
//   'init' sandbox (sandbox.ts, SCENARIO STEPS), an unprivileged host uid with NET_ADMIN/NET_RAW in
//   the init userns, which reach what this lab's links touch (docs/isolation.md).
// Same results as a process run by `run` (process.ts): exit status (128+n for a signal), stdout and
// stderr; a ProcessError when it outlives its time or prints too much, after the whole sandbox
// (everything the command started) has been killed.

import { existsSync } from 'node:fs';
import { userNamespacePath } from './owned-namespaces.js';
import { ProcessError, assertNamespaceName, signalExitCode, type RunResult } from './process.js';
import { HOSTNAME_RE } from './sandbox-etc.js';
import { spawnSandbox } from './sandbox.js';
import type { SandboxLimits } from './sandbox-limits.js';

export interface SandboxedRunOptions {
  /** Hostname inside the sandbox (the node's name when it is a valid hostname). */
  hostname: string;
  /** The sandbox and everything in it is killed after this long; the promise then rejects. */
  timeoutMs: number;
  /** Limit for stdout and stderr together; beyond it the sandbox is killed and the promise rejects. Default 64 MiB (as `run`). */
  maxOutputBytes?: number;
  /** The budget the step shares (a lab's: engine.sandboxLimits); default a group of the namespace's own. */
  limits?: SandboxLimits;
}

const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Which sandbox namespace `ns` gets: 'own' when it has its own user namespace, 'init' otherwise. */
export function sandboxUsernsOf(ns: string): 'own' | 'init' {
  return existsSync(userNamespacePath(ns)) ? 'own' : 'init';
}

/** A hostname for a node: its name when valid as one (node names are), else `node`. */
export function sandboxHostname(node: string): string {
  return HOSTNAME_RE.test(node) ? node : 'node';
}

/**
 * Runs `command` (argv, no shell of ours) in a sandbox in `ns` with the namespace's network
 * privileges only, stdin empty; resolves to its exit status and output (see the top of this file).
 */
export async function runSandboxed(
  ns: string,
  command: readonly string[],
  opts: SandboxedRunOptions,
): Promise<RunResult> {
  assertNamespaceName(ns);
  if (command.length === 0) throw new Error('runSandboxed: empty command');
  const maxOutputBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const name = command[0]!;
  const sandbox = spawnSandbox(ns, {
    hostname: opts.hostname,
    // The sandbox's pid 1 ignores every signal it has no handler for when it comes from inside
    // (the kernel's rule for a pid namespace's init): as pid 1, `sh -c 'kill $$'` would carry on.
    // So pid 1 is a fixed waiting shell and the command its child; `exit` (not an exec) keeps it so.
    command: ['/bin/sh', '-c', '"$@"; exit', 'sh', ...command],
    userns: sandboxUsernsOf(ns),
    ...(opts.limits ? { limits: opts.limits } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { child } = sandbox;
  const out: Buffer[] = [];
  const errOut: Buffer[] = [];
  let bytes = 0;
  let failure: string | undefined;
  let killing: Promise<void> | undefined;
  const kill = (why: string): void => {
    failure ??= why;
    killing ??= sandbox.kill();
  };
  const timer = setTimeout(
    () => kill(`${name} timed out after ${opts.timeoutMs} ms (in namespace ${ns})`),
    opts.timeoutMs,
  );
  const collect = (into: Buffer[]) => (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > maxOutputBytes) {
      kill(`${name} printed more than ${maxOutputBytes} bytes (in namespace ${ns})`);
      return;
    }
    into.push(chunk);
  };
  child.stdout!.on('data', collect(out));
  child.stderr!.on('data', collect(errOut));
  const ended = await new Promise<{ code: number } | { error: Error }>((resolve) => {
    child.once('error', (error) => resolve({ error }));
    child.once('close', (code, signal) => resolve({ code: code ?? signalExitCode(signal) }));
  });
  clearTimeout(timer);
  // the sandbox's pid 1 took everything with it when it exited; a kill underway is awaited
  if (killing) await killing;
  const stdout = Buffer.concat(out).toString('utf8');
  const stderr = Buffer.concat(errOut).toString('utf8');
  if ('error' in ended)
    throw new ProcessError(`cannot start a sandbox in ${ns}: ${ended.error.message}`, name, command.slice(1));
  if (failure !== undefined) throw new ProcessError(failure, name, command.slice(1), stdout, stderr);
  return { code: ended.code, stdout, stderr };
}
