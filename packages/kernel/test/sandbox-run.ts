// Runs one command as the student in a sandbox and collects its output: for the limits and syscall
// filter tests. The sandbox is always torn down (killSandbox), also when the command times out.
import { signalExitCode, spawnSandbox, type SandboxLimits, type SandboxProcess } from '../src/index.js';

export interface SandboxRun {
  /** Exit status; 128 + N when the sandbox's pid 1 died of signal N. */
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export async function runInSandbox(
  ns: string,
  command: string[],
  opts: {
    limits?: SandboxLimits;
    timeoutMs?: number;
    hostname?: string;
    /** Told of the sandbox while it runs (a test's afterAll kills what an aborted test left). */
    live?: Set<SandboxProcess>;
  } = {},
): Promise<SandboxRun> {
  const sb = spawnSandbox(ns, { hostname: opts.hostname ?? 'node', command, limits: opts.limits });
  opts.live?.add(sb);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  sb.child.stdout!.on('data', (c: Buffer) => out.push(c));
  sb.child.stderr!.on('data', (c: Buffer) => err.push(c));
  sb.child.stdin!.end();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void sb.kill();
  }, opts.timeoutMs ?? 15_000);
  const code = await new Promise<number>((resolve) => {
    sb.child.on('close', (c, sig) => resolve(c ?? signalExitCode(sig)));
    sb.child.on('error', () => resolve(127));
  });
  clearTimeout(timer);
  await sb.kill();
  opts.live?.delete(sb);
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), timedOut };
}
