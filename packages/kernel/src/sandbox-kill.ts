// Ending a sandbox (sandbox.ts) with everything it started.
//
// TEARDOWN: --die-with-parent does not work with --userns (the credential change clears the parent-
// death signal), and bwrap's default pid-1 reaper waits for ALL children, so `sleep &` or `setsid
// nohup …` kept a sandbox alive after its shell was gone (research §1.4.3; re-measured here: after a
// closed pty, both sleeps survived, reparented to the host's init). So we run bwrap with --as-pid-1:
// the student's program itself (normally bash) is pid 1 of the sandbox's pid namespace, and when it
// exits for any reason (exit, EOF, SIGHUP from a closed pty, a backend crash closing the pty) the
// kernel kills everything else in the namespace. Measured: job control and Ctrl-C work as usual, and
// the outer bwrap reaps pid 1 itself (with the reaper, bwrap exits first and every sandbox left a
// zombie for the host's init). Side effects, all harmless: pid 1 ignores signals it has no handler
// for when they come from inside (`kill 1`), and orphans are reaped by bash (a non-shell command run
// as pid 1 leaves its orphans as zombies until it exits). /proc/1/environ is then the student's own
// (--clearenv + --setenv) environment; bwrap itself still starts under `env -i`.
// Explicit close: `killSandbox(pid)` / `SandboxProcess.kill()` SIGKILLs the sandbox's pid 1 (found as
// bwrap's child), which takes the whole pid namespace with it, then lets bwrap exit. `pid` is the
// pid we spawned: the wrapper execs env → nsenter → bwrap without forking, so it is bwrap's. Per-session memory/pids limits need a cgroup (v2 `cgroup.kill`
// is the other robust teardown); this VM only has cgroup v1, so that is left to the engine.

import { childProcesses as childrenOf, processStat as statOf } from './pids.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills the sandbox started as process `pid` (the pid spawnSandbox or pty.spawn returned) and
 * everything inside it, including background and setsid'd processes. bwrap is stopped first so the
 * set of its children cannot change while we look (it forks the sandbox's pid 1 once, at start);
 * its child is the sandbox's pid 1, and SIGKILL to a pid-namespace init kills the whole namespace.
 * bwrap is then let go so that it reaps its child and exits by itself (killing it first would leave
 * the init as a zombie for the host's pid 1 to collect); it is SIGKILLed if it has not after ~1 s.
 * Resolves when bwrap is gone (or a zombie, for its own parent to reap). Call it only while the
 * spawned process has not been reaped yet: a pid is reused after that.
 */
export async function killSandbox(pid: number): Promise<void> {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`invalid sandbox pid ${pid}`);
  const gone = (p: number) => {
    const st = statOf(p)?.state;
    return st === undefined || st === 'Z' || st === 'X';
  };
  if (!signal(pid, 'SIGSTOP')) return;
  for (let i = 0; i < 200; i++) {
    const st = statOf(pid)?.state;
    if (st === undefined || st === 'T' || st === 't' || st === 'Z' || st === 'X') break;
    await sleep(5);
  }
  const inits = childrenOf(pid);
  for (const c of inits) signal(c, 'SIGKILL');
  signal(pid, 'SIGCONT');
  for (let i = 0; i < 100 && !gone(pid); i++) await sleep(10);
  if (!gone(pid)) signal(pid, 'SIGKILL');
  for (let i = 0; i < 200 && !(gone(pid) && inits.every(gone)); i++) await sleep(10);
}
