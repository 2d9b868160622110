// Test support: coordinators (`patchbay serve`) and agents (`patchbay agent`) as separate
// processes on loopback, each with its own prefix (pbag… or pbcc…) and data folder. `cleanup` kills every
// process started (SIGKILL: nothing waits on a process that hangs) and removes every namespace of
// every prefix, the sandbox groups and the folders — also after a failed test.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removePrefixLeftovers } from '@patchbay/engine';
import { CLI } from '../src/test-helpers.js';

export const ADMIN = 'cluster-admin-token-aB3dE6gH9jK2mN5pQ8sT1vW4';
export const SECRET = 'cluster-agent-secret-zY9xW8vU7tS6rQ5pO4nM3lK2';

export interface Proc {
  child: ChildProcess;
  out: string;
  err: string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export interface Cluster {
  /**
   * Starts `patchbay serve --port 0 ARGS…` (prefix pbag0- unless given, a data folder per prefix);
   * resolves with its address.
   */
  coordinator(
    args?: string[],
    env?: Record<string, string>,
  ): Promise<{ proc: Proc; url: string /** With mTLS: its agent port's address. */; agentUrl?: string }>;
  /** Starts `patchbay agent --name NAME --port 0 …` with prefix `prefix` and a data folder per name (kept across restarts). */
  agent(name: string, prefix: string, args?: string[], env?: Record<string, string>): Proc;
  /** Runs to its end a process that is expected to stop by itself. */
  run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }>;
  cleanup(): Promise<void>;
}

export function cluster(prefixes: readonly string[]): Cluster {
  // Prefixes of their own (pbag…, pbcc… for the coordinators test, pbrc… for the remote check
  // runs, pma… for mTLS), so a cleanup never takes another test's namespaces.
  for (const p of prefixes)
    if (!/^(pb(ag|cc|rc)|pma)/.test(p))
      throw new Error(`a cluster test prefix starts with pbag, pbcc, pbrc or pma: ${p}`);
  const tmp = mkdtempSync(join(tmpdir(), 'patchbay-cluster-test-'));
  const procs: Proc[] = [];
  const start = (args: string[], env: Record<string, string>): Proc => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, PATCHBAY_LOG_FORMAT: 'json', PATCHBAY_ADMIN_TOKEN: ADMIN, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p: Proc = {
      child,
      out: '',
      err: '',
      exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => (p.out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (p.err += d));
    procs.push(p);
    return p;
  };
  return {
    async coordinator(args = [], env = {}) {
      const prefix = env['PATCHBAY_PREFIX'] ?? 'pbag0-';
      const proc = start(['serve', ...(args.includes('--port') ? [] : ['--port', '0']), ...args], {
        PATCHBAY_PREFIX: prefix,
        PATCHBAY_DATA: join(tmp, `coordinator-${prefix}`),
        PATCHBAY_AGENT_SECRET: SECRET,
        ...env,
      });
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /Patchbay: (http:\/\/[^/]+)\/.*\n(.*)\n/.exec(proc.out);
          if (m) {
            clearInterval(timer);
            resolve(m[1]!);
          }
        }, 50);
        void proc.exited.then((code) => {
          clearInterval(timer);
          reject(new Error(`the coordinator stopped (${code}): ${proc.err}`));
        });
      });
      const agentUrl = /Agents \(mTLS\): (https:\/\/\S+)/.exec(proc.out)?.[1];
      return { proc, url, ...(agentUrl ? { agentUrl } : {}) };
    },
    agent(name, prefix, args = [], env = {}) {
      return start(['agent', '--name', name, '--port', '0', ...args], {
        PATCHBAY_PREFIX: prefix,
        PATCHBAY_DATA: join(tmp, `agent-${name}`),
        PATCHBAY_AGENT_SECRET: SECRET,
        ...env,
      });
    },
    async run(args, env) {
      const p = start(args, env);
      const code = await p.exited;
      return { code, out: p.out, err: p.err };
    },
    async cleanup() {
      for (const p of procs.splice(0)) {
        if (p.child.exitCode === null && p.child.signalCode === null) {
          p.child.kill('SIGKILL');
          await p.exited;
        }
      }
      for (const prefix of prefixes) await removePrefixLeftovers(prefix);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` every 200 ms until it answers something other than undefined, or throws after `ms`. */
export async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + ms;
  let last: Error | undefined;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e as Error;
    }
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms${last ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
