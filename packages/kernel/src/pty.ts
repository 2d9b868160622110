// A login shell in a node's sandbox, on a pseudo-terminal (node-pty): the process behind a browser
// terminal. The kernel package is the only code that starts processes; the server's terminal hub
// (apps/server/src/live/terminals.ts) calls this and owns the pty from then on.
import { spawn, type IPty } from 'node-pty';
import { sandboxArgv } from './sandbox.js';
import type { SandboxLimits } from './sandbox-limits.js';

/** A running shell on a pty (node-pty's handle: write, resize, pause/resume, onData, onExit, kill). */
export type SandboxPty = IPty;

export interface SandboxPtyOptions {
  /** The sandbox's hostname (the node's name). */
  hostname: string;
  cols: number;
  rows: number;
  /** The group and budget it shares (sandboxArgv's `limits`); default: its node's own group. */
  limits?: SandboxLimits;
}

/**
 * Starts a login shell in the sandbox of network namespace `ns` (sandboxArgv: bwrap inside the
 * namespace, owned by the node's user namespace) on a new pty of `cols` × `rows`. Throws when it
 * cannot start.
 */
export function spawnSandboxPty(ns: string, opts: SandboxPtyOptions): SandboxPty {
  const { file, args } = sandboxArgv(ns, { hostname: opts.hostname, limits: opts.limits });
  // A minimal environment, never the server's: sandbox-exec.sh starts bwrap under `env -i` anyway.
  return spawn(file, args, {
    name: 'xterm-256color',
    cols: opts.cols,
    rows: opts.rows,
    cwd: '/',
    env: { TERM: 'xterm-256color' },
  });
}
