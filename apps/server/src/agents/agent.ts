// `patchbay agent`: a lab host. The same server as `patchbay serve` — engine, watchers, pings,
// captures, terminals, check runs — serving its API on its own port (default 7071) to coordinators
// only: its one instructor token is the agent secret, so only a holder of PATCHBAY_AGENT_SECRET
// (a coordinator) may call it. With mTLS (PATCHBAY_AGENT_TLS_*: tls.ts) it serves HTTPS and admits
// only clients with a certificate signed by the agents' CA; every route but the public health check
// also needs that certificate to be a coordinator's (with the secret set too: and the secret). It
// beats to the coordinators' agent port with its own certificate. It recovers its labs at start (an agent restarted with the same name
// re-adopts or cleans the labs it held: `recover`), then registers with the coordinator and beats
// every ~2 s (heartbeat.ts). Its own database (SQLite in PATCHBAY_DATA) keeps its lab documents.
import { Engine } from '@patchbay/engine';
import { AGENT_NAME_PATTERN } from '@patchbay/protocol';
import { buildApp } from '../app.js';
import { limitsFromEnv, sandboxLimitsOf } from '../limits.js';
import { serverLogger } from '../logging.js';
import { hostPolicy } from '../request-origin.js';
import { openStore } from '../store/store.js';
import { isLoopback } from '../start.js';
import { coordinatorUrls, Heartbeat } from './heartbeat.js';
import { randomBytes } from 'node:crypto';
import { agentSecretFromEnv } from './secret.js';
import { agentTlsFromEnv, serverTlsOptions, TLS_ENV } from './tls.js';
import { closeTlsPools } from './tls-request.js';

export interface AgentStartOptions {
  /** The coordinator's address (http(s)://host:port), or several replicas' separated by commas. */
  coordinator: string;
  name: string;
  /** Places no new lab here (the labs it holds stay). */
  drain?: boolean;
  port?: number;
  host?: string;
  /** Where coordinators reach this agent (default http(s)://HOST:PORT; PATCHBAY_AGENT_ADVERTISE). */
  advertise?: string;
}

export const AGENT_PORT = 7071;

/** Why the options cannot start an agent, or undefined. */
export function agentOptionsProblem(o: AgentStartOptions): string | undefined {
  if (!new RegExp(AGENT_NAME_PATTERN).test(o.name))
    return `--name ${JSON.stringify(o.name)} is not an agent name: 1 to 63 characters among a-z 0-9 . -, a letter or digit at both ends`;
  const coordinators = coordinatorUrls(o.coordinator);
  if (coordinators.length === 0) return '--coordinator needs an address like http://host:7070';
  for (const [what, url] of [
    ...coordinators.map((c) => ['--coordinator', c] as const),
    ['--advertise', o.advertise] as const,
  ]) {
    if (url === undefined) continue;
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.pathname.length > 1 || u.search || u.hash)
      return `${what} ${JSON.stringify(url)} is not an address like http://host:7070`;
  }
  return undefined;
}

export async function startAgent(opts: AgentStartOptions): Promise<void> {
  const problem = agentOptionsProblem(opts);
  if (problem) throw new Error(problem);
  const secret = agentSecretFromEnv(process.env);
  // Bad certificate files stop the start here, before anything runs.
  const tls = agentTlsFromEnv(process.env, { role: 'agent', name: opts.name });
  if (!secret && !tls)
    throw new Error(
      `PATCHBAY_AGENT_SECRET is not set: an agent needs the secret its coordinators hold, or mTLS (${TLS_ENV.ca}, ${TLS_ENV.cert}, ${TLS_ENV.key})`,
    );
  if (tls && opts.advertise?.startsWith('http:'))
    throw new Error(`--advertise ${opts.advertise}: with mTLS the agent serves HTTPS, so its address is https://…`);
  if (tls)
    for (const c of coordinatorUrls(opts.coordinator))
      if (!c.startsWith('https:'))
        throw new Error(
          `--coordinator ${c}: with mTLS agents beat to the coordinators' agent port over HTTPS (https://host:7075)`,
        );
  const port = opts.port ?? AGENT_PORT;
  const host = opts.host ?? '127.0.0.1';
  const limits = limitsFromEnv();
  const logger = serverLogger(process.env);
  const policy = hostPolicy(host);
  const engine = new Engine({ watch: true, sandboxLimits: sandboxLimitsOf(limits) });
  const store = openStore(engine.settings.dataDir);
  let heartbeat: Heartbeat | undefined;
  try {
    // The coordinators' key to this agent's API: the secret; with mTLS alone a token nobody is
    // told (their certificate is their key then).
    const adminToken = secret ?? randomBytes(32).toString('base64url');
    await store.tokens.setInstructor(adminToken);
    const report = await engine.recover();
    const app = await buildApp({
      engine,
      store,
      adminToken,
      limits,
      logger,
      hostPolicy: policy,
      ...(tls ? { https: serverTlsOptions(tls) } : {}),
      agents: {
        localAgent: opts.name,
        agentApi: true,
        ...(tls ? { callerCertificates: { alone: secret === undefined } } : {}),
      },
    });
    if (tls)
      app.server.on('tlsClientError', (err: Error) =>
        app.log.debug({ err: err.message }, 'a client without a coordinator certificate was refused'),
      );
    let closing = false;
    const shutdown = async (why: string, code = 0) => {
      if (closing) return;
      closing = true;
      heartbeat?.stop();
      closeTlsPools();
      app.log.info(`${why}: shutting down (labs keep running)`);
      try {
        await app.close();
      } finally {
        await engine.close();
        await store.close();
        if (code) process.exitCode = code;
      }
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    await app.listen({ port, host });
    const address = app.server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    if (!tls && !isLoopback(host))
      app.log.warn(
        { host },
        `agent API on ${host} over plain HTTP: keep it on a network only coordinators reach, or use mTLS (docs/deploy.md)`,
      );
    app.log.info(
      { recovery: report },
      `agent ${opts.name}: ${report.adopted.length} lab(s) adopted, ${report.cleaned.length} cleaned`,
    );
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const scheme = tls ? 'https' : 'http';
    heartbeat = new Heartbeat({
      coordinator: opts.coordinator,
      ...(secret ? { secret } : {}),
      ...(tls ? { tls } : {}),
      name: opts.name,
      address: opts.advertise ?? `${scheme}://${shown}:${actualPort}`,
      draining: opts.drain === true,
      engine,
      log: {
        info: (m) => app.log.info(m),
        warn: (m) => app.log.warn(m),
        error: (m) => app.log.error(m),
      },
      onFatal: (message) => {
        app.log.error(`the coordinator refused this agent: ${message}`);
        process.stderr.write(`patchbay agent: ${message}\n`);
        void shutdown('refused', 1);
      },
    });
    heartbeat.start();
    process.stdout.write(`\nPatchbay agent ${opts.name}: listening on ${scheme}://${shown}:${actualPort}\n\n`);
  } catch (e) {
    heartbeat?.stop();
    await engine.close();
    await store.close();
    throw e;
  }
}
