// The coordinator's calls to an agent's API: the agent's own REST routes (the same table as the
// coordinator's), opened with the agent secret. The answer is passed on as it is: its status, its
// content type and its bytes.
//
// Through node:http(s) with a keep-alive pool per protocol, not `fetch`: every lab request of a
// student (`GET …/state` several times a second per page) is forwarded, and fetch's streams cost
// about twice the CPU and wall time per request on this machine (a loopback GET: ~1 ms against
// ~2–4 ms, measured under load). The pool keeps connections to each agent open between requests
// (no TCP handshake per request); a request that finds its kept connection closed by the agent at
// that very moment (ECONNRESET on a reused socket) is sent once more on a fresh one.
import http from 'node:http';
import https from 'node:https';
import { HttpError } from '../http-error.js';

export interface AgentAnswer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/** How long a call may take: an apply or a destroy of a large lab takes seconds. */
const TIMEOUT_MS = 120_000;

/** Connections kept open per agent: a class's requests at once go over these, the rest wait their turn. */
const POOL = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, scheduling: 'lifo' as const };
const httpPool = new http.Agent(POOL);
const httpsPool = new https.Agent(POOL);

interface AgentRequest {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

function send(url: URL, secret: string, request: AgentRequest, retried = false): Promise<AgentAnswer> {
  const tls = url.protocol === 'https:';
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  return new Promise<AgentAnswer>((resolve, reject) => {
    const req = (tls ? https : http).request(
      url,
      {
        method: request.method,
        agent: tls ? httpsPool : httpPool,
        headers: {
          authorization: `Bearer ${secret}`,
          ...(body !== undefined
            ? { 'content-type': request.contentType ?? 'application/json', 'content-length': body.length }
            : {}),
        },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 502,
            contentType: res.headers['content-type'],
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      // The agent closed the kept connection as this request was put on it: once more, on a new one.
      if (req.reusedSocket && e.code === 'ECONNRESET' && !retried)
        send(url, secret, request, true).then(resolve, reject);
      else reject(e);
    });
    req.end(body);
  });
}

export async function callAgent(
  agent: { name: string; address: string },
  secret: string,
  request: AgentRequest,
): Promise<AgentAnswer> {
  try {
    return await send(new URL(request.path, agent.address), secret, request);
  } catch (e) {
    throw new HttpError(
      502,
      'agent-unreachable',
      `the agent ${agent.name} that holds this lab does not answer (${(e as Error).message})`,
    );
  }
}

/** Calls the agent and parses its JSON answer; throws for an answer that is not 2xx. */
export async function agentJson<T>(agent: { name: string; address: string }, secret: string, path: string): Promise<T> {
  const a = await callAgent(agent, secret, { method: 'GET', path });
  if (a.status < 200 || a.status > 299)
    throw new HttpError(502, 'agent-failed', `the agent ${agent.name} answered ${a.status} to GET ${path}`);
  return JSON.parse(a.body.toString('utf8')) as T;
}
