// The server a class run (class-run.ts) talks to. Two kinds: the server in this process (what
// `pnpm bench:class` and `pnpm bench:hostile` measure: a long-lived engine in watch mode, a
// temporary data folder, the server's CPU and RSS being this process's), and servers as processes
// of their own (scale-servers.ts, for `pnpm bench:scale`: `patchbay serve`, or a coordinator and its
// agents). A run asks the server for its address and token, its own CPU and RSS, the labs it still
// holds, and to close — which removes everything its labs left, also after a failed run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '@patchbay/engine';
import { deleteNamespaces, listNamespaces } from '@patchbay/kernel';
import { buildApp, openStore } from '@patchbay/server';

export interface ClassServer {
  /** Where the instructor and the students connect. */
  url: string;
  /** The namespace prefixes its labs use (counted during the run, cleaned at its end). */
  prefixes: string[];
  /** Whether the server runs in this process (its event-loop delay is then this process's). */
  inProcess: boolean;
  /** The server's own processes' RSS now, in bytes (not their helper processes). */
  rss(): number;
  /** CPU time the server's own processes have used so far, in µs, by role (e.g. `server`, `coordinator`, `agent a1`). */
  cpuByRole(): Record<string, number>;
  /** Terminals open (only known in this process). */
  terminalsOpen(): number | undefined;
  /** Labs the server still holds. */
  labCount(): Promise<number>;
  /** Stops the server and removes every lab, namespace and folder it left; never throws. */
  close(): Promise<void>;
}

/** What a server is started with: the instructor token the run uses, and the limits over the defaults. */
export interface ClassServerOptions {
  adminToken: string;
  limits: Record<string, number>;
}

export type ClassServerFactory = (opts: ClassServerOptions) => Promise<ClassServer>;

/** Runs `f`, logging (not throwing) what fails: a cleanup step must not skip the next one. */
export async function step(what: string, f: () => unknown): Promise<void> {
  try {
    await f();
  } catch (err) {
    console.error(`cleanup: ${what}:`, err);
  }
}

/** The server in this process, as `patchbay serve` runs it (bench:class, bench:hostile). */
export function inProcessServer(prefix: string): ClassServerFactory {
  return async ({ adminToken, limits }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-bench-class-'));
    const engine = new Engine({ prefix, dataDir, watch: true });
    const db = openStore(dataDir);
    const appOptions = { engine, store: db, adminToken, limits } as Parameters<typeof buildApp>[0];
    const app = await buildApp(appOptions);
    const close = async () => {
      await step('app.close', () => app.close());
      for (const l of await engine.list().catch(() => []))
        await step(`destroy ${l.name}`, () => engine.destroy(l.name));
      await step('engine.close', () => engine.close());
      await step('db.close', () => db.close());
      await step('namespaces', async () => deleteNamespaces(await listNamespaces(prefix)));
      rmSync(dataDir, { recursive: true, force: true });
    };
    try {
      await engine.recover();
      await app.listen({ host: '127.0.0.1', port: 0 });
    } catch (e) {
      await close();
      throw e;
    }
    const addr = app.server.address();
    return {
      url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
      prefixes: [prefix],
      inProcess: true,
      rss: () => process.memoryUsage.rss(),
      cpuByRole: () => {
        const c = process.cpuUsage();
        return { server: c.user + c.system };
      },
      terminalsOpen: () => (app as unknown as { terminals?: { count: number } }).terminals?.count,
      labCount: async () => (await engine.list()).length,
      close,
    };
  };
}
