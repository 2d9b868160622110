// Runs a user-chosen command inside a lab namespace as `ip netns exec` does (no shell): in the
// node's network namespace and in a private mount namespace of its own, where /sys is sysfs mounted
// again for that network namespace (so /sys/class/net lists the node's interfaces, not the
// machine's) and the files of /etc/netns/NAMESPACE, if that folder exists, are bind-mounted over
// their /etc counterparts. iproute2 does exactly this (unshare the mount namespace, make / a slave,
// remount /sys, bind /etc/netns/NAME/*) and then execs the command, whose exit status is its own.
// Lab namespaces are all named under /run/netns, owned ones too (their network namespace is
// entered by root of the machine, which may mount its sysfs).

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { CHILD_ENV, assertNamespaceName, run, signalExitCode } from './process.js';

export interface ExecOptions {
  /** 'inherit': the command uses this process's terminal; 'pipe': output is collected and returned. */
  stdio: 'inherit' | 'pipe';
  /** stdin for 'pipe' mode. */
  input?: string;
  /** Only for 'pipe' mode (default 30000); 'inherit' runs until the command exits. */
  timeoutMs?: number;
}

export interface ExecResult {
  /** The command's exit status; 128+n when it died of signal n; 127 when there is no such command. */
  code: number;
  stdout?: string;
  stderr?: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `cmd` names a program the command's PATH finds. `ip netns exec` answers a missing command
 * with status 1, which reads as the command's own failure; a shell's 127 says what happened. The
 * private mount namespace changes only /sys and /etc, so the search gives the same answer outside.
 */
export function findProgram(cmd: string, path = CHILD_ENV['PATH'] ?? ''): boolean {
  if (cmd.includes('/')) return isExecutable(cmd);
  return path
    .split(':')
    .filter(Boolean)
    .some((dir) => isExecutable(join(dir, cmd)));
}

/** Runs `argv[0]` with `argv[1..]` inside `ns` (network namespace, own mount namespace) and returns its exit status. */
export async function execInNamespace(ns: string, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  if (argv.length === 0 || !argv[0]) throw new Error('execInNamespace: empty argv');
  assertNamespaceName(ns);
  if (!findProgram(argv[0])) {
    const message = `${argv[0]}: command not found\n`;
    if (opts.stdio === 'inherit') process.stderr.write(message);
    return opts.stdio === 'pipe' ? { code: 127, stdout: '', stderr: message } : { code: 127 };
  }
  // `ip netns exec NAME CMD ARG…`: everything after NAME is the command, taken verbatim.
  const args = ['netns', 'exec', ns, ...argv];
  if (opts.stdio === 'pipe') {
    const runOpts = {
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    };
    const r = await run('ip', args, runOpts);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }
  const env: Record<string, string> = { ...CHILD_ENV };
  if (process.env['TERM']) env['TERM'] = process.env['TERM'];
  return new Promise<ExecResult>((resolve, reject) => {
    const child = spawn('ip', args, { env, stdio: 'inherit', shell: false });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? signalExitCode(signal) }));
  });
}
