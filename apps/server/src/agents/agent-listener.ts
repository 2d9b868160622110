// The coordinator's agent port, with mTLS (PATCHBAY_AGENT_TLS_*): where agents beat to, apart from
// the port browsers use. Why a port of its own: the browsers' port may be plain HTTP behind an
// Ingress or a TLS proxy (which ends TLS, so a client certificate never reaches the coordinator and
// a header saying who it was could be forged), or HTTPS with a public certificate; asking every
// browser for a client certificate there would be wrong too. Here every client is asked for a
// certificate, and every request is refused — before its body is read — unless the TLS layer
// verified one signed by the agents' CA whose role is an agent; the heartbeat is then taken only
// when the name it claims is the certificate's (when it names one). The TLS layer lets an
// unverified certificate through to that check (rejectUnauthorized false) only so that a refused
// agent hears why in an answer (a 403 saying what is wrong with its certificate) instead of a
// connection reset, which TLS 1.3 gives a client whose certificate the server rejects. With
// PATCHBAY_AGENT_SECRET set as well, the secret is needed here too. Nothing else is served here.
import { type AgentHeartbeat, AgentHeartbeatReplySchema, AgentHeartbeatSchema } from '@patchbay/protocol';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { installErrorHandlers } from '../errors.js';
import { HttpError } from '../http-error.js';
import { sameSecret } from './secret.js';
import { type AgentTls, peerProblem, serverTlsOptions } from './tls.js';

/** The default agent port of a coordinator with mTLS (`serve --agent-port`). */
export const COORDINATOR_AGENT_PORT = 7075;

export interface AgentListener {
  port: number;
  close(): Promise<void>;
}

/** At most one log line per client address and reason a minute: a misconfigured agent retries every ~2 s. */
const REFUSAL_LOG_MS = 60_000;

export async function listenForAgents(
  app: FastifyInstance,
  opts: { tls: AgentTls; secret?: string; host: string; port: number },
): Promise<AgentListener> {
  const server = Fastify({
    https: { ...serverTlsOptions(opts.tls), rejectUnauthorized: false },
    logger: false,
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, useDefaults: false, coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandlers(server);
  const logged = new Map<string, number>();
  const refused = (address: string | undefined, why: string) => {
    const key = `${address ?? '?'} ${why}`;
    const now = Date.now();
    if ((logged.get(key) ?? 0) > now - REFUSAL_LOG_MS) return;
    if (logged.size > 1000) logged.clear();
    logged.set(key, now);
    app.log.warn({ from: address, why }, 'an agent was refused on the agent port');
  };
  // A handshake refused by TLS itself (no certificate, another CA, an expired one) never reaches a route.
  server.server.on('tlsClientError', (err: Error, socket: TLSSocket) => refused(socket.remoteAddress, err.message));
  // Before anything else of a request (its body is not even read): only a verified agent certificate.
  server.addHook('onRequest', (req, _reply, done) => {
    const problem = peerProblem(req.raw.socket, { role: 'agent', name: undefined });
    if (problem === undefined) return done();
    refused(req.ip, problem);
    done(
      new HttpError(
        403,
        'forbidden',
        `the coordinator refused this agent's certificate: ${problem.replace(/^its certificate/, 'it')}`,
      ),
    );
  });
  server.post<{ Body: AgentHeartbeat }>(
    '/api/agents/heartbeat',
    { schema: { body: AgentHeartbeatSchema, response: { 200: AgentHeartbeatReplySchema } } },
    async (req) => {
      const problem = peerProblem(req.raw.socket, { role: 'agent', name: req.body.name });
      if (problem) {
        refused(req.ip, problem);
        throw new HttpError(403, 'forbidden', `this is no heartbeat of the agent ${req.body.name}: ${problem}`);
      }
      if (opts.secret !== undefined) {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
        if (!m || !sameSecret(m[1]!, opts.secret))
          throw new HttpError(
            401,
            'unauthorized',
            'this needs the agent secret as well: `Authorization: Bearer PATCHBAY_AGENT_SECRET`',
          );
      }
      return app.agents.heartbeat(req.body);
    },
  );
  await server.listen({ host: opts.host, port: opts.port });
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : opts.port,
    close: () => server.close(),
  };
}
