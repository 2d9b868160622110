// Runs a user-chosen command inside a lab namespace (network namespace only, via nsenter; no shell).

import { spawn } from 'node:child_process';
import { CHILD_ENV, namespacePath, run, signalExitCode } from './process.js';

export interface ExecOptions {
  /** 'inherit': the command uses this process's terminal; 'pipe': output is collected and returned. */
  stdio: 'inherit' | 'pipe';
  /** stdin for 'pipe' mode. */
  input?: string;
  /** Only for 'pipe' mode (default 30000); 'inherit' runs until the command exits. */
  timeoutMs?: number;
}

export interface ExecResult {
  /** The command's exit status; 128+n when it died of signal n. */
  code: number;
  stdout?: string;
  stderr?: string;
}

/** Runs `argv[0]` with `argv[1..]` inside `ns` and returns its exit status. */
export async function execInNamespace(ns: string, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  if (argv.length === 0 || !argv[0]) throw new Error('execInNamespace: empty argv');
  const args = [`--net=${namespacePath(ns)}`, '--', ...argv];
  if (opts.stdio === 'pipe') {
    const runOpts = {
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    };
    const r = await run('nsenter', args, runOpts);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }
  const env: Record<string, string> = { ...CHILD_ENV };
  if (process.env['TERM']) env['TERM'] = process.env['TERM'];
  return new Promise<ExecResult>((resolve, reject) => {
    const child = spawn('nsenter', args, { env, stdio: 'inherit', shell: false });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? signalExitCode(signal) }));
  });
}
