// Throwaway servers for the real-kernel tests: their own namespace prefix (pbs…) and data folder,
// always cleaned up (every namespace of the prefix, then the folder).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '@patchbay/engine';
import { deleteNamespaces, listNamespaces, listSandboxGroups, removeSandboxGroups } from '@patchbay/kernel';
import { labSandboxGroup } from '@patchbay/engine';
import { buildApp, type App, type AppOptions } from './app.js';
import { DEFAULT_LIMITS, sandboxLimitsOf } from './limits.js';
import { openStore, type Store } from './store/store.js';
import type { ClientToServerEvents, ServerToClientEvents } from '@patchbay/protocol';
import { parseLabText } from '@patchbay/topology';
import { io, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll } from 'vitest';

export const EXAMPLES_DIR = join(import.meta.dirname, '../../../examples');
export const exampleText = (file: string): string => readFileSync(join(EXAMPLES_DIR, file), 'utf8');

export const TOKEN = 'test-admin-token-0123456789';
export const auth = { authorization: `Bearer ${TOKEN}` };

export interface TestServer {
  app: App;
  engine: Engine;
  store: Store;
}

export interface TestLab {
  prefix: string;
  dataDir: string;
  /** A server on this lab's prefix and data folder (call again to simulate a restart). */
  server(live?: AppOptions['live'], limits?: AppOptions['limits']): Promise<TestServer>;
  /** Closes every server started, removes every namespace of the prefix and the data folder. */
  cleanup(): Promise<void>;
}

export function testLab(prefix: string): TestLab {
  // pbs…: this package's tests; pbws…: the `why` tests' own (unique among helpers running at once)
  if (!/^pb(s|ws)/.test(prefix)) throw new Error(`test prefix must start with pbs or pbws: ${prefix}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-server-test-'));
  const open: TestServer[] = [];
  return {
    prefix,
    dataDir,
    async server(live, limits) {
      // the engine's sandbox values follow the limits given, as start() does with PATCHBAY_LIMITS
      const sandboxLimits = sandboxLimitsOf({ ...DEFAULT_LIMITS, ...limits });
      const engine = new Engine({ prefix, dataDir, watch: true, sandboxLimits });
      const store = openStore(dataDir);
      await engine.recover();
      const app = await buildApp({
        engine,
        store,
        adminToken: TOKEN,
        ...(live ? { live } : {}),
        ...(limits ? { limits } : {}),
      });
      const s = { app, engine, store };
      open.push(s);
      return s;
    },
    async cleanup() {
      for (const s of open.splice(0)) {
        await s.app.close().catch(() => undefined);
        await s.engine.close().catch(() => undefined);
        await s.store.close();
      }
      await deleteNamespaces(await listNamespaces(prefix));
      await removeSandboxGroups(listSandboxGroups(labSandboxGroup(prefix, ''))); // labs' shells' cgroups
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type LiveClient = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A new stream id, as a client chooses one for a ping, capture or terminal. */
export const streamId = (): string => randomUUID();

export interface LiveServer {
  readonly server: TestServer;
  readonly url: string;
  readonly dataDir: string;
  /** A socket.io client with `auth` (the admin token by default); disconnected after each test. */
  client(auth?: Record<string, unknown>): LiveClient;
  /** A client with `token`, once connected (rejects when the handshake is refused). */
  connected(token: string): Promise<LiveClient>;
}

/**
 * For socket tests: a listening server (127.0.0.1, any port) on a lab prefix with the two-containers
 * example applied (unless `example: false`), registered with vitest's hooks; clients are
 * disconnected after each test and everything is cleaned up after the file.
 */
export function liveServer(
  prefix: string,
  live?: AppOptions['live'],
  limits?: AppOptions['limits'],
  { example = true }: { example?: boolean } = {},
): LiveServer {
  const lab = testLab(prefix);
  let server: TestServer | undefined;
  let url = '';
  const clients: LiveClient[] = [];
  beforeAll(async () => {
    server = await lab.server(live, limits);
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = server.app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    if (example) await server.engine.apply(parseLabText(exampleText('two-containers.yaml')).lab!);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });
  afterAll(async () => {
    await lab.cleanup();
  });
  const client = (auth: Record<string, unknown> = { token: TOKEN }): LiveClient => {
    const c: LiveClient = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    clients.push(c);
    return c;
  };
  return {
    get url() {
      return url;
    },
    dataDir: lab.dataDir,
    get server() {
      if (!server) throw new Error('liveServer: used before beforeAll ran');
      return server;
    },
    client,
    async connected(token: string) {
      const c = client({ token });
      await new Promise<void>((resolve, reject) => (c.once('connect', resolve), c.once('connect_error', reject)));
      return c;
    },
  };
}
