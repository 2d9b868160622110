// The coordinator's calls to an agent's API: the agent's own REST routes (the same table as the
// coordinator's), opened with the agent secret, the coordinator's certificate (mTLS: tls.ts), or
// both. The answer is passed on as it is: its status, its content type and its bytes.
//
// Through node:http(s) with a keep-alive pool, not `fetch`: every lab request of a student (`GET
// …/state` several times a second per page) is forwarded, and fetch's streams cost about twice the
// CPU and wall time per request on this machine (a loopback GET: ~1 ms against ~2–4 ms, measured
// under load). The pool keeps connections to each agent open between requests (no TCP handshake
// per request); a request that finds its kept connection closed by the agent at that very moment
// (ECONNRESET on a reused socket) is sent once more on a fresh one. With mTLS, tls-request.ts's
// pools (one per agent identity) do the same.
import http from 'node:http';
import https from 'node:https';
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import { HttpError } from '../http-error.js';
import { type AgentTls, clientTlsOptions } from './tls.js';
import { pooledRequest, type PooledAnswer } from './pooled-request.js';
import { tlsRequest } from './tls-request.js';

/**
 * How this coordinator proves itself to agents, and they to it: PATCHBAY_AGENT_SECRET, the mTLS
 * certificates (PATCHBAY_AGENT_TLS_*), or both (then an agent requires both). A coordinator with
 * neither takes no agent (`app.agentLink` undefined).
 */
export interface AgentLink {
  secret?: string;
  tls?: AgentTls;
}

/** socket.io-client options for a connection to the agent `name` (stream relay, exercise feed). */
export function agentSocketOptions(
  link: AgentLink,
  name: string,
  auth: Record<string, string> = {},
): Partial<ManagerOptions & SocketOptions> {
  const tls = link.tls ? clientTlsOptions(link.tls, { role: 'agent', name }) : undefined;
  return {
    path: '/socket.io/',
    auth: { ...(link.secret !== undefined ? { token: link.secret } : {}), ...auth },
    transports: ['websocket'],
    reconnection: false,
    // Passed on to the WebSocket's TLS connection (engine.io-client picks ca, cert, key,
    // rejectUnauthorized and checkServerIdentity; its types list PEM strings).
    ...(tls
      ? { ...tls, ca: tls.ca.toString('utf8'), cert: tls.cert.toString('utf8'), key: tls.key.toString('utf8') }
      : {}),
  };
}

export type AgentAnswer = PooledAnswer;

/** How long a call may take: an apply or a destroy of a large lab takes seconds. */
const TIMEOUT_MS = 120_000;

/** Connections kept open per agent: a class's requests at once go over these, the rest wait their turn. */
const POOL = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, scheduling: 'lifo' as const };
const httpPool = new http.Agent(POOL);
const httpsPool = new https.Agent(POOL);

export async function callAgent(
  agent: { name: string; address: string },
  link: AgentLink,
  request: { method: string; path: string; body?: string; contentType?: string },
): Promise<AgentAnswer> {
  const headers: Record<string, string> = {
    ...(link.secret !== undefined ? { authorization: `Bearer ${link.secret}` } : {}),
    ...(request.body !== undefined ? { 'content-type': request.contentType ?? 'application/json' } : {}),
  };
  try {
    const url = new URL(request.path, agent.address);
    if (link.tls)
      return await tlsRequest(link.tls, { role: 'agent', name: agent.name }, url, {
        method: request.method,
        headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        timeoutMs: TIMEOUT_MS,
      });
    // without mTLS (the secret alone), over the keep-alive pool of its protocol
    return await pooledRequest(url, url.protocol === 'https:' ? httpsPool : httpPool, {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      timeoutMs: TIMEOUT_MS,
    });
  } catch (e) {
    throw new HttpError(
      502,
      'agent-unreachable',
      `the agent ${agent.name} that holds this lab does not answer (${(e as Error).message})`,
    );
  }
}

/** Calls the agent and parses its JSON answer; throws for an answer that is not 2xx. */
export async function agentJson<T>(
  agent: { name: string; address: string },
  link: AgentLink,
  path: string,
): Promise<T> {
  const a = await callAgent(agent, link, { method: 'GET', path });
  if (a.status < 200 || a.status > 299)
    throw new HttpError(502, 'agent-failed', `the agent ${agent.name} answered ${a.status} to GET ${path}`);
  return JSON.parse(a.body.toString('utf8')) as T;
}
