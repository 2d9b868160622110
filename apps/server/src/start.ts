// `patchbay serve`: open the database, re-adopt running labs (a restart never tears them down),
// listen, print the address with the instructor token, and shut down cleanly on SIGINT/SIGTERM.
import { Engine } from '@patchbay/engine';
import { adminToken } from './admin-token.js';
import { buildApp } from './app.js';
import { openStore } from './store/store.js';
import { limitsFromEnv, sandboxLimitsOf } from './limits.js';
import { serverLogger } from './logging.js';

export interface StartOptions {
  port?: number;
  host?: string;
}

export async function start(opts: StartOptions = {}): Promise<void> {
  const port = opts.port ?? 7070;
  const host = opts.host ?? '127.0.0.1';
  const limits = limitsFromEnv(); // a bad PATCHBAY_LIMITS stops here, before anything starts
  const logger = serverLogger(process.env); // so does a bad PATCHBAY_LOG_LEVEL or PATCHBAY_LOG_FORMAT
  const engine = new Engine({ watch: true, sandboxLimits: sandboxLimitsOf(limits) });
  const store = openStore(engine.settings.dataDir);
  let closing = false;
  try {
    const token = adminToken(store, engine.settings.dataDir);
    const report = await engine.recover();
    const app = await buildApp({ engine, store, adminToken: token, limits, logger });
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      app.log.info(`${signal}: shutting down (labs keep running)`);
      try {
        await app.close();
      } finally {
        await engine.close();
        store.close();
      }
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    await app.listen({ port, host });
    if (report.adopted.length + report.cleaned.length + report.restored.length + report.scratch.length) {
      app.log.info(
        { recovery: report },
        `labs: ${report.adopted.length} adopted, ${report.restored.length} restored, ${report.cleaned.length} cleaned; ${report.scratch.length} scratch namespaces removed`,
      );
    }
    const address = app.server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port; // --port 0: the one chosen
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    process.stdout.write(`\nPatchbay: http://${shown}:${actualPort}/?token=${encodeURIComponent(token)}\n\n`);
  } catch (e) {
    await engine.close();
    store.close();
    throw e;
  }
}
