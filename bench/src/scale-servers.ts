// Servers as processes of their own, for `pnpm bench:scale` (class-server.ts): `patchbay serve` as
// one process (today's single host: the coordinator with its in-process agent), or `patchbay serve
// --no-local-agent` (a coordinator only) with `patchbay agent` processes on this machine. Each
// process has its own prefix and data folder (PATCHBAY_PREFIX, PATCHBAY_DATA), the run's instructor
// token (PATCHBAY_ADMIN_TOKEN) and limits (PATCHBAY_LIMITS), and listens on a loopback port of its
// own choosing. Closing stops them (SIGTERM, then SIGKILL after 10 s) and then destroys, from this
// process with the engine, every lab they left, their namespaces, namespace files and sandbox groups.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, removePrefixLeftovers } from '@patchbay/engine';
import type { AgentList, LabList } from '@patchbay/protocol';
import { step, type ClassServerFactory } from './class-server.js';
import { ROOT, sleep } from './util.js';

const CLI = join(ROOT, 'apps/cli/dist/main.js');
/**
 * Node's own options for every server process, from `BENCH_SERVER_NODE_ARGS` (space-separated; e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the coordinator and the agents under a class).
 */
const NODE_ARGS = (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
/** Jiffies per second of /proc/PID/stat (USER_HZ; 100 on Linux). */
const HZ = 100;

interface ServerProcess {
  role: string;
  prefix: string;
  dataDir: string;
  child: ChildProcess;
  out: string;
  err: string;
  exited: Promise<number | null>;
}

/** The CPU time (µs: utime + stime) and RSS (bytes) of a running process; zeros once it is gone. */
function procUsage(pid: number | undefined): { cpuMicros: number; rss: number } {
  if (pid === undefined) return { cpuMicros: 0, rss: 0 };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    return { cpuMicros: ((Number(f[11]) + Number(f[12])) / HZ) * 1e6, rss: rssKb * 1024 };
  } catch {
    return { cpuMicros: 0, rss: 0 };
  }
}

/** Polls `probe` every 200 ms until it answers true, or throws after `ms`. */
async function waitUntil(what: string, ms: number, probe: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(200);
  }
}

interface Layout {
  /** `patchbay serve`'s prefix; its role name in the figures. */
  serve: { role: string; prefix: string; noLocalAgent: boolean };
  agents: { name: string; prefix: string }[];
}

function processServer(layout: Layout): ClassServerFactory {
  return async ({ adminToken, limits }) => {
    const tmp = mkdtempSync(join(tmpdir(), 'patchbay-bench-scale-'));
    // The agents' shared secret: fresh for each run, 192 bits.
    const secret = `bench-scale-${randomBytes(24).toString('hex')}`;
    const procs: ServerProcess[] = [];
    const start = (role: string, prefix: string, args: string[]): ServerProcess => {
      const dataDir = join(tmp, role.replace(/\W+/g, '-'));
      // Shared state and a secret from the bench's own environment would change what is measured.
      const {
        PATCHBAY_DATABASE: _db,
        PATCHBAY_REDIS: _redis,
        PATCHBAY_AGENT_SECRET: _secret,
        ...inherited
      } = process.env;
      const child = spawn(process.execPath, [...NODE_ARGS, CLI, ...args], {
        env: {
          ...inherited,
          PATCHBAY_PREFIX: prefix,
          PATCHBAY_DATA: dataDir,
          PATCHBAY_ADMIN_TOKEN: adminToken,
          PATCHBAY_LIMITS: JSON.stringify(limits),
          PATCHBAY_LOG_LEVEL: 'warn',
          ...(layout.agents.length ? { PATCHBAY_AGENT_SECRET: secret } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const p: ServerProcess = {
        role,
        prefix,
        dataDir,
        child,
        out: '',
        err: '',
        exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
      };
      child.stdout.setEncoding('utf8').on('data', (d: string) => (p.out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        p.err += d;
        process.stderr.write(`[${role}] ${d}`);
      });
      procs.push(p);
      return p;
    };
    const prefixes = [layout.serve.prefix, ...layout.agents.map((a) => a.prefix)];

    const close = async () => {
      for (const p of procs) {
        if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
        p.child.kill('SIGTERM'); // labs keep running: they are destroyed below
        if ((await Promise.race([p.exited.then(() => true), sleep(10_000).then(() => false)])) === false) {
          p.child.kill('SIGKILL');
          await p.exited;
        }
      }
      for (const p of procs) {
        const engine = new Engine({ prefix: p.prefix, dataDir: p.dataDir });
        for (const l of await engine.list().catch(() => []))
          await step(`destroy ${p.prefix}${l.name}`, () => engine.destroy(l.name));
        await step(`engine.close ${p.role}`, () => engine.close());
      }
      for (const prefix of prefixes) await step(`leftovers of ${prefix}`, () => removePrefixLeftovers(prefix));
      rmSync(tmp, { recursive: true, force: true });
    };

    try {
      const serve = start(layout.serve.role, layout.serve.prefix, [
        'serve',
        '--port',
        '0',
        ...(layout.serve.noLocalAgent ? ['--no-local-agent'] : []),
      ]);
      let url = '';
      for (const until = Date.now() + 30_000; !url; await sleep(100)) {
        if (serve.child.exitCode !== null) throw new Error(`${layout.serve.role} stopped: ${serve.err}`);
        if (Date.now() > until) throw new Error(`${layout.serve.role}: not listening within 30 s`);
        url = /Patchbay: (http:\/\/[^/]+)\//.exec(serve.out)?.[1] ?? '';
      }
      for (const a of layout.agents)
        start(`agent ${a.name}`, a.prefix, ['agent', '--name', a.name, '--port', '0', '--coordinator', url]);
      if (layout.agents.length) {
        const names = layout.agents.map((a) => a.name);
        await waitUntil('every agent ready', 30_000, async () => {
          const r = await fetch(`${url}/api/agents`, { headers: { authorization: `Bearer ${adminToken}` } });
          const list = ((await r.json()) as AgentList).agents;
          return names.every((n) => list.some((a) => a.name === n && a.state === 'ready'));
        });
      }
      return {
        url,
        prefixes,
        inProcess: false,
        rss: () => procs.reduce((a, p) => a + procUsage(p.child.pid).rss, 0),
        cpuByRole: () => Object.fromEntries(procs.map((p) => [p.role, procUsage(p.child.pid).cpuMicros])),
        terminalsOpen: () => undefined,
        labCount: async () => {
          const r = await fetch(`${url}/api/labs`, { headers: { authorization: `Bearer ${adminToken}` } });
          if (!r.ok) throw new Error(`GET /api/labs: ${r.status}`);
          return ((await r.json()) as LabList).labs.length;
        },
        close,
      };
    } catch (e) {
      await close();
      throw e;
    }
  };
}

/** Today's single host: `patchbay serve`, its agent in-process. */
export const singleProcess = (prefix: string): ClassServerFactory =>
  processServer({ serve: { role: 'server', prefix, noLocalAgent: false }, agents: [] });

/** A coordinator only (`--no-local-agent`) and `patchbay agent` processes on this machine. */
export const coordinatorWithAgents = (
  coordinatorPrefix: string,
  agents: { name: string; prefix: string }[],
): ClassServerFactory =>
  processServer({ serve: { role: 'coordinator', prefix: coordinatorPrefix, noLocalAgent: true }, agents });

/**
 * `inner` behind a byte-level TCP proxy process (tcp-proxy.ts): the class talks to the proxy, which
 * pipes every connection to the server. The floor of a hop on this machine, to set the
 * coordinator's overhead against: a coordinator can cost no less than this.
 */
export const behindTcpProxy =
  (inner: ClassServerFactory): ClassServerFactory =>
  async (opts) => {
    const server = await inner(opts);
    const port = new URL(server.url).port;
    const child = spawn(process.execPath, [join(ROOT, 'bench/dist/tcp-proxy.js'), port], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const close = async () => {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      await server.close();
    };
    try {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      let proxied = '';
      for (const until = Date.now() + 10_000; !proxied; await sleep(50)) {
        if (child.exitCode !== null) throw new Error('the TCP proxy stopped');
        if (Date.now() > until) throw new Error('the TCP proxy: not listening within 10 s');
        const p = /listening (\d+)/.exec(out)?.[1];
        if (p) proxied = `http://127.0.0.1:${p}`;
      }
      return {
        ...server,
        url: proxied,
        rss: () => server.rss() + procUsage(child.pid).rss,
        cpuByRole: () => ({ ...server.cpuByRole(), proxy: procUsage(child.pid).cpuMicros }),
        close,
      };
    } catch (e) {
      await close();
      throw e;
    }
  };
