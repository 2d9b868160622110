// A long-running command inside a lab namespace whose output is read line by line as it comes
// (`nft monitor`, `tcpdump -l`, a probe's sender). `run` collects output until exit, which a monitor
// never reaches by itself. nsenter execs the command, so the child *is* the command and a signal to
// it ends it. Argument arrays only, the minimal environment, and a hard deadline after which the
// child is killed whatever happens, so nothing started here outlives its caller by long.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CHILD_ENV, namespacePath, signalExitCode } from './process.js';

export interface LineProcess {
  /** The child's process id (undefined when it could not start). */
  readonly pid: number | undefined;
  /** Every line so far, stdout and stderr interleaved in arrival order. */
  readonly lines: { stream: 'stdout' | 'stderr'; text: string }[];
  /** Settles with the exit status (128+n after signal n) once the child is gone and its output read. */
  readonly done: Promise<number>;
  /** Resolves with the first line `test` accepts (stdout or stderr), or undefined after `timeoutMs` or at exit. */
  waitFor(test: (line: string) => boolean, timeoutMs: number): Promise<string | undefined>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. Safe to call twice. */
  stop(graceMs?: number): Promise<number>;
}

export interface LineProcessOptions {
  /** Killed (SIGKILL) after this long whatever happens. */
  hardTimeoutMs: number;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** Starts `cmd args…` in namespace `ns` (its network namespace only). */
export function startInNamespace(
  ns: string,
  cmd: string,
  args: readonly string[],
  opts: LineProcessOptions,
): LineProcess {
  return startLineProcess('nsenter', [`--net=${namespacePath(ns)}`, '--', cmd, ...args], opts);
}

/** Starts `cmd args…` where this process runs (for what is not in a lab namespace, e.g. tracing). */
export function startLineProcess(cmd: string, args: readonly string[], opts: LineProcessOptions): LineProcess {
  const child = spawn(cmd, [...args], {
    env: { ...CHILD_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: false,
  });
  const lines: LineProcess['lines'] = [];
  const waiters = new Set<{ test: (l: string) => boolean; resolve: (l: string | undefined) => void }>();
  let exited = false;
  const kill = (signal: NodeJS.Signals) => {
    if (!exited) child.kill(signal);
  };
  const hard = setTimeout(() => kill('SIGKILL'), opts.hardTimeoutMs);
  const take = (stream: 'stdout' | 'stderr') => (text: string) => {
    lines.push({ stream, text });
    opts.onLine?.(text, stream);
    for (const w of waiters)
      if (w.test(text)) {
        waiters.delete(w);
        w.resolve(text);
      }
  };
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', take('stdout'));
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', take('stderr'));
  const done = new Promise<number>((resolve) => {
    child.on('error', (err) => {
      take('stderr')(`cannot run ${cmd}: ${err.message}`);
      exited = true;
      clearTimeout(hard);
      resolve(127);
    });
    // 'close' waits for stdout/stderr to end: every line was delivered before `done` settles.
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(hard);
      for (const w of waiters) w.resolve(undefined);
      waiters.clear();
      resolve(code ?? signalExitCode(signal));
    });
  });
  let stopping: Promise<number> | undefined;
  return {
    pid: child.pid,
    lines,
    done,
    waitFor(test, timeoutMs) {
      const seen = lines.find((l) => test(l.text));
      if (seen) return Promise.resolve(seen.text);
      if (exited) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const w = {
          test,
          resolve: (l: string | undefined) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          resolve(undefined);
        }, timeoutMs);
        waiters.add(w);
      });
    },
    stop(graceMs = 300) {
      stopping ??= (async () => {
        kill('SIGTERM');
        const lingering = setTimeout(() => kill('SIGKILL'), graceMs);
        const code = await done;
        clearTimeout(lingering);
        return code;
      })();
      return stopping;
    },
  };
}
