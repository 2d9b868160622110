// `patchbay serve`: open the database, re-adopt running labs (a restart never tears them down),
// listen, print the address with the instructor token, and shut down cleanly on SIGINT/SIGTERM.
// With --tls-cert/--tls-key it serves HTTPS; over plain HTTP on an address other than loopback it
// warns at start (tokens would cross the network in the clear: docs/server.md, "TLS"). With
// PATCHBAY_AGENT_TLS_* (mTLS with the agents) it also listens on its agent port (--agent-port,
// default 7075), where agents beat with their certificates (agents/agent-listener.ts).
import { readFileSync } from 'node:fs';
import { Engine } from '@patchbay/engine';
import { adminToken } from './admin-token.js';
import { buildApp } from './app.js';
import { isRedisUrl } from './live/redis-adapter.js';
import { DATABASE_URL_RULE, isPostgresUrl, openDatabase } from './store/store.js';
import { limitsFromEnv, sandboxLimitsOf } from './limits.js';
import { serverLogger } from './logging.js';
import { hostPolicy, isLoopbackAddress } from './request-origin.js';
import { agentSecretFromEnv } from './agents/secret.js';
import { agentTlsFromEnv } from './agents/tls.js';
import { type AgentListener, COORDINATOR_AGENT_PORT, listenForAgents } from './agents/agent-listener.js';
import { closeTlsPools } from './agents/tls-request.js';

export interface StartOptions {
  port?: number;
  host?: string;
  /** PEM files: serve HTTPS (both or neither). */
  tlsCert?: string;
  tlsKey?: string;
  /** false (--no-local-agent): a coordinator only, every lab on a registered agent. Default true. */
  localAgent?: boolean;
  /** With mTLS (PATCHBAY_AGENT_TLS_*): the port agents beat to (default 7075; 0: any free one). */
  agentPort?: number;
}

/** Whether `host` (an address or a name) only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackAddress(h);
}

function readTls(opts: StartOptions): { cert: Buffer; key: Buffer } | undefined {
  if (opts.tlsCert === undefined && opts.tlsKey === undefined) return undefined;
  if (!opts.tlsCert || !opts.tlsKey) throw new Error('--tls-cert and --tls-key go together: give both PEM files');
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(e as Error).message}`, { cause: e });
    }
  };
  return { cert: read(opts.tlsCert, 'certificate'), key: read(opts.tlsKey, 'key') };
}

export async function start(opts: StartOptions = {}): Promise<void> {
  const port = opts.port ?? 7070;
  const host = opts.host ?? '127.0.0.1';
  const limits = limitsFromEnv(); // a bad PATCHBAY_LIMITS stops here, before anything starts
  const logger = serverLogger(process.env); // so does a bad PATCHBAY_LOG_LEVEL or PATCHBAY_LOG_FORMAT
  const policy = hostPolicy(host); // and a bad PATCHBAY_ALLOWED_HOSTS
  const https = readTls(opts); // and unreadable TLS files
  const { database, redisUrl } = sharedStateFromEnv(process.env); // and a PATCHBAY_DATABASE or PATCHBAY_REDIS that is no URL
  const agentSecret = agentSecretFromEnv(process.env); // and a weak PATCHBAY_AGENT_SECRET
  const agentTls = agentTlsFromEnv(process.env, { role: 'coordinator' }); // and bad PATCHBAY_AGENT_TLS_* files
  const localAgent = opts.localAgent !== false;
  if (!localAgent && !agentSecret && !agentTls)
    throw new Error(
      '--no-local-agent: the coordinator holds no lab itself, so it needs agents: set PATCHBAY_AGENT_SECRET or PATCHBAY_AGENT_TLS_CA/_CERT/_KEY',
    );
  if (opts.agentPort !== undefined && !agentTls)
    throw new Error('--agent-port: agents beat there with certificates, so it needs PATCHBAY_AGENT_TLS_CA/_CERT/_KEY');
  const engine = new Engine({ watch: true, sandboxLimits: sandboxLimitsOf(limits) });
  // PATCHBAY_DATABASE: a PostgreSQL URL shared by several coordinators; unset, SQLite in PATCHBAY_DATA.
  const store = await openDatabase(engine.settings.dataDir, database).catch(async (e: unknown) => {
    await engine.close();
    throw e;
  });
  let closing = false;
  try {
    const token = await adminToken(store, engine.settings.dataDir); // a weak token stops here
    const report = await engine.recover();
    const app = await buildApp({
      engine,
      store,
      adminToken: token,
      limits,
      logger,
      hostPolicy: policy,
      ...(https ? { https } : {}),
      ...(redisUrl ? { redisUrl } : {}),
      agents: {
        localAgent: localAgent ? 'local' : false,
        ...(agentSecret ? { agentSecret } : {}),
        ...(agentTls ? { agentTls } : {}),
      },
      ...(process.env['PATCHBAY_TRUST_PROXY'] ? { trustProxy: trustProxy(process.env['PATCHBAY_TRUST_PROXY']) } : {}),
    });
    let agentListener: AgentListener | undefined;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      app.log.info(`${signal}: shutting down (labs keep running)`);
      try {
        await agentListener?.close();
        closeTlsPools();
        await app.close();
      } finally {
        await engine.close();
        await store.close();
      }
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    await app.listen({ port, host });
    if (agentTls)
      agentListener = await listenForAgents(app, {
        tls: agentTls,
        ...(agentSecret ? { secret: agentSecret } : {}),
        host,
        port: opts.agentPort ?? COORDINATOR_AGENT_PORT,
      }).catch(async (e: unknown) => {
        await app.close(); // nothing half-started stays (the agent port taken: EADDRINUSE)
        throw e;
      });
    if (!https && !isLoopback(host)) {
      app.log.warn(
        { host },
        `serving ${host} over plain HTTP: tokens and terminal sessions cross the network unencrypted; use --tls-cert/--tls-key or a TLS reverse proxy (docs/server.md)`,
      );
    }
    if (report.adopted.length + report.cleaned.length + report.restored.length + report.scratch.length) {
      app.log.info(
        { recovery: report },
        `labs: ${report.adopted.length} adopted, ${report.restored.length} restored, ${report.cleaned.length} cleaned; ${report.scratch.length} scratch namespaces removed`,
      );
    }
    const address = app.server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port; // --port 0: the one chosen
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    // The address with the token goes to stdout for the instructor, never into the log.
    process.stdout.write(
      `\nPatchbay: ${https ? 'https' : 'http'}://${shown}:${actualPort}/?token=${encodeURIComponent(token)}\n${
        agentListener ? `Agents (mTLS): https://${shown}:${agentListener.port}\n` : ''
      }\n`,
    );
  } catch (e) {
    await engine.close();
    await store.close();
    throw e;
  }
}

/**
 * Where state several coordinator replicas share lives: PATCHBAY_DATABASE (a PostgreSQL URL; unset,
 * SQLite in PATCHBAY_DATA) and PATCHBAY_REDIS (a Redis URL for socket.io's adapter; unset, none).
 * Throws for a value that is not such a URL (the message never repeats it: it may hold a password).
 */
export function sharedStateFromEnv(env: NodeJS.ProcessEnv): { database?: string; redisUrl?: string } {
  const database = env['PATCHBAY_DATABASE']?.trim();
  const redisUrl = env['PATCHBAY_REDIS']?.trim();
  if (database && !isPostgresUrl(database)) throw new Error(DATABASE_URL_RULE);
  if (redisUrl && !isRedisUrl(redisUrl))
    throw new Error('PATCHBAY_REDIS must be a Redis URL (redis://host:6379 or rediss://…), or unset');
  return { ...(database ? { database } : {}), ...(redisUrl ? { redisUrl } : {}) };
}

/** PATCHBAY_TRUST_PROXY: `true`, or the addresses/CIDRs (comma-separated) of the proxies to believe. */
export function trustProxy(text: string): boolean | string[] {
  const t = text.trim();
  if (t === 'true') return true;
  return t
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
