// A Patchbay server of a spec's own (not Playwright's webServer, which cannot be stopped and started
// again mid-test): `patchbay serve` (or `patchbay agent`, a lab host) on its own port, prefix, data
// folder and token, stopped with SIGTERM (or killed) and started again with the same settings. `cleanup()` removes what its labs left, as
// serve.sh does for the shared server: every namespace with its prefix (and the user namespace pins
// of owned ones, with their host uids), the labs' sandbox cgroups, the data folder.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cliMain = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));
const nsOwner = fileURLToPath(new URL('../../packages/kernel/helpers/nsowner.py', import.meta.url));

export interface OwnServerSettings {
  port: number;
  prefix: string;
  dataDir: string;
  token: string;
  /** `serve` (the default) or `agent`. */
  command?: 'serve' | 'agent';
  /** More arguments after `--port N`. */
  args?: string[];
  /** More variables (PATCHBAY_AGENT_SECRET, …). */
  env?: Record<string, string>;
}

const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

export class OwnServer {
  private proc: ChildProcess | undefined;
  /** The server's output (for a failure's message). */
  output = '';

  constructor(readonly settings: OwnServerSettings) {}

  get url(): string {
    return `http://127.0.0.1:${this.settings.port}`;
  }

  /** Namespaces of this server's labs now (by its prefix). */
  namespaces(): string[] {
    return list('/run/netns').filter((n) => n.startsWith(this.settings.prefix));
  }

  /** Starts `patchbay serve` (or `agent`) and waits until /api/health answers. */
  async start(): Promise<void> {
    if (this.proc) throw new Error('the server runs already');
    const { port, prefix, dataDir, token, command = 'serve', args = [], env = {} } = this.settings;
    const proc = spawn(process.execPath, [cliMain, command, '--port', String(port), ...args], {
      env: {
        ...process.env,
        PATCHBAY_PREFIX: prefix,
        PATCHBAY_DATA: dataDir,
        PATCHBAY_ADMIN_TOKEN: token,
        PATCHBAY_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`the server exited (${proc.exitCode}): ${this.output}`);
      const ok = await fetch(`${this.url}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the server did not answer /api/health within 60 s: ${this.output}`);
  }

  /** SIGTERM, as an operator stops it, and wait for it to end (SIGKILL after 20 s). */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const ended = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    await ended;
    clearTimeout(timer);
  }

  /** SIGKILL, as a host that dies: nothing of it runs on (its labs stay in the kernel). */
  async kill(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const ended = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await ended;
  }

  /** Removes everything the server's labs left (call with the server stopped): as serve.sh does. */
  cleanup(): void {
    const { prefix, dataDir } = this.settings;
    const names = [...new Set([...list('/run/netns'), ...list('/run/patchbay/userns')])].filter((n) =>
      n.startsWith(prefix),
    );
    if (names.length) execFileSync('python3', [nsOwner, 'del', ...names], { stdio: 'ignore' });
    // The labs' sandbox cgroups (empty once the server has ended its terminals): v2 or v1 layout.
    const roots = ['/sys/fs/cgroup/patchbay', ...list('/sys/fs/cgroup').map((c) => `/sys/fs/cgroup/${c}/patchbay`)];
    for (const root of roots)
      for (const d of list(root))
        if (d.startsWith(`lab.${prefix}.`)) {
          try {
            rmdirSync(`${root}/${d}`);
          } catch {
            // not empty (a process still in it) or gone meanwhile: nothing more to do here
          }
        }
    rmSync(dataDir, { recursive: true, force: true });
  }
}
