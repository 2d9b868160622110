// The Fastify app, built in tiers as fastify/demo does: external plugins (OpenAPI, content types),
// then services (store, engine, auth, live, classroom), then routes. The caller owns the engine and the database:
// it creates them, recovers the engine, and closes both after `app.close()`.
import { randomUUID } from 'node:crypto';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Engine } from '@patchbay/engine';
import Fastify, { LogController, type FastifyServerOptions } from 'fastify';
import type { Store } from './store/store.js';
import { BODY_LIMIT, installErrorHandlers } from './errors.js';
import { clientErrorHandler, logRequests } from './logging.js';
import contentTypes from './plugins/external/content-types.js';
import hostCheck from './plugins/external/host-check.js';
import securityHeaders from './plugins/external/security-headers.js';
import { hostPolicy, type HostPolicy } from './request-origin.js';
import swagger from './plugins/external/swagger.js';
import web from './plugins/external/web.js';
import auth from './plugins/services/auth.js';
import engine from './plugins/services/engine.js';
import limits from './plugins/services/limits.js';
import live, { type LiveOptions } from './plugins/services/live.js';
import reaper, { type ReaperOptions } from './plugins/services/reaper.js';
import classroom from './plugins/services/classroom.js';
import type { Limits } from './limits.js';
import store from './plugins/services/store.js';
import agentsService, { type AgentsOptions } from './plugins/services/agents.js';
import agents from './routes/agents.js';
import labForward from './plugins/services/lab-forward.js';
import health from './routes/health.js';
import labs from './routes/labs.js';
import captures from './routes/captures.js';
import editor from './routes/editor.js';
import scenarios from './routes/scenarios.js';
import sessions from './routes/sessions.js';
import exercise from './routes/exercise.js';
import why from './routes/why.js';
import openapi from './routes/openapi.js';
import './types.js';

export interface AppOptions {
  engine: Engine;
  /** The server's database (`openDatabase(dataDir, PATCHBAY_DATABASE)`: SQLite or PostgreSQL). */
  store: Store;
  /** The instructor token; its hash is recorded in the database. */
  adminToken: string;
  logger?: FastifyServerOptions['logger'];
  /** Limits of the live streams (tests and benchmarks lower them). */
  live?: LiveOptions;
  /** Rate limits and quotas over the defaults (`limitsFromEnv()` for PATCHBAY_LIMITS). */
  limits?: Partial<Limits>;
  /** How often idle student labs are looked for (tests shorten it). */
  reaper?: ReaperOptions;
  /** Host names answered besides IP literals and loopback names (default: from PATCHBAY_ALLOWED_HOSTS). */
  hostPolicy?: HostPolicy;
  /** Serve HTTPS with this certificate and key (PEM); an agent with mTLS also asks for client certificates (agents/tls.ts). */
  https?: HttpsServerOptions;
  /** PATCHBAY_REDIS: socket.io's Redis adapter, so room broadcasts reach clients of every replica. */
  redisUrl?: string;
  /** The agents (lab hosts): the agent secret, the local agent's name (false: none), heartbeat periods. */
  agents?: AgentsOptions;
  /** Behind a reverse proxy: whose X-Forwarded-For to believe for the client address (Fastify's trustProxy). */
  trustProxy?: FastifyServerOptions['trustProxy'];
}

export async function buildApp(opts: AppOptions) {
  const app = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    logger: opts.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }), // logRequests: one line per request, its token redacted
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    clientErrorHandler, // logs no request bytes (logging.ts)
    ...(opts.trustProxy !== undefined ? { trustProxy: opts.trustProxy } : {}),
    ajv: {
      // Report every problem, and never change the document while checking it.
      customOptions: { allErrors: true, removeAdditional: false, useDefaults: false, coerceTypes: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandlers(app);
  if (opts.logger) logRequests(app);
  // Every /api route the app serves, as "METHOD /path" (HEAD routes are Fastify's own): the
  // contract test holds this against the protocol's route table.
  const apiRoutes: string[] = [];
  app.addHook('onRoute', (r) => {
    // Fail closed: an /api route registered without the route table's access (route.ts) would be
    // served without a token, so it stops the start instead.
    if (r.url.startsWith('/api/') && r.config?.access === undefined)
      throw new Error(`${String(r.method)} ${r.url} is not registered from the route table (routes/route.ts)`);
    for (const method of [r.method].flat())
      if (r.url.startsWith('/api/') && method !== 'HEAD') apiRoutes.push(`${method} ${r.url}`);
  });
  app.decorate('apiRoutes', apiRoutes as readonly string[]);

  // external: the security headers and the Host/Origin check first, for every answer
  await app.register(securityHeaders);
  await app.register(hostCheck, { policy: opts.hostPolicy ?? hostPolicy() });
  await app.register(swagger);
  await app.register(contentTypes);
  await app.register(web);
  // services
  await app.register(store, { store: opts.store });
  await app.register(limits, opts.limits ? { limits: opts.limits } : {});
  await app.register(engine, { engine: opts.engine });
  await app.register(agentsService, opts.agents ?? {});
  await app.register(auth, { adminToken: opts.adminToken });
  await app.register(live, { ...(opts.live ?? {}), ...(opts.redisUrl ? { redisUrl: opts.redisUrl } : {}) });
  await app.register(classroom, opts.live?.exercises ?? {});
  await app.register(reaper, opts.reaper ?? {});
  await app.register(labForward);
  // routes
  await app.register(health);
  await app.register(agents);
  await app.register(openapi);
  await app.register(labs);
  await app.register(captures);
  await app.register(editor);
  await app.register(scenarios);
  await app.register(sessions);
  await app.register(exercise);
  await app.register(why);

  await app.ready();
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
