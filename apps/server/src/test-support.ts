// Throwaway servers for the real-kernel tests: their own namespace prefix (pbs…) and data folder,
// always cleaned up (every namespace of the prefix, then the folder).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '@patchbay/engine';
import { deleteNamespaces, listNamespaces } from '@patchbay/kernel';
import { buildApp, type App } from './app.js';
import { openStore, type Store } from './db.js';

export const EXAMPLES_DIR = join(import.meta.dirname, '../../../../shared/spec/examples');
export const exampleText = (file: string): string => readFileSync(join(EXAMPLES_DIR, file), 'utf8');

export const TOKEN = 'test-admin-token-0123456789';
export const auth = { authorization: `Bearer ${TOKEN}` };

export interface TestServer {
  app: App;
  engine: Engine;
  db: Store;
}

export interface TestLab {
  prefix: string;
  dataDir: string;
  /** A server on this lab's prefix and data folder (call again to simulate a restart). */
  server(): Promise<TestServer>;
  /** Closes every server started, removes every namespace of the prefix and the data folder. */
  cleanup(): Promise<void>;
}

export function testLab(prefix: string): TestLab {
  if (!prefix.startsWith('pbs')) throw new Error(`test prefix must start with pbs: ${prefix}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-server-test-'));
  const open: TestServer[] = [];
  return {
    prefix,
    dataDir,
    async server() {
      const engine = new Engine({ prefix, dataDir, watch: true });
      const db = openStore(dataDir);
      await engine.recover();
      const app = await buildApp({ engine, db, adminToken: TOKEN });
      const s = { app, engine, db };
      open.push(s);
      return s;
    },
    async cleanup() {
      for (const s of open.splice(0)) {
        await s.app.close().catch(() => undefined);
        await s.engine.close().catch(() => undefined);
        s.db.close();
      }
      await deleteNamespaces(await listNamespaces(prefix));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
