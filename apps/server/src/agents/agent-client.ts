// The coordinator's calls to an agent's API: the agent's own REST routes (the same table as the
// coordinator's), opened with the agent secret. The answer is passed on as it is: its status, its
// content type and its bytes.
import { HttpError } from '../http-error.js';

export interface AgentAnswer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/** How long a call may take: an apply or a destroy of a large lab takes seconds. */
const TIMEOUT_MS = 120_000;

export async function callAgent(
  agent: { name: string; address: string },
  secret: string,
  request: { method: string; path: string; body?: string; contentType?: string },
): Promise<AgentAnswer> {
  let res: Response;
  try {
    res = await fetch(new URL(request.path, agent.address), {
      method: request.method,
      headers: {
        authorization: `Bearer ${secret}`,
        ...(request.body !== undefined ? { 'content-type': request.contentType ?? 'application/json' } : {}),
      },
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    throw new HttpError(
      502,
      'agent-unreachable',
      `the agent ${agent.name} that holds this lab does not answer (${(e as Error).message})`,
    );
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? undefined,
    body: Buffer.from(await res.arrayBuffer()),
  };
}

/** Calls the agent and parses its JSON answer; throws for an answer that is not 2xx. */
export async function agentJson<T>(agent: { name: string; address: string }, secret: string, path: string): Promise<T> {
  const a = await callAgent(agent, secret, { method: 'GET', path });
  if (a.status < 200 || a.status > 299)
    throw new HttpError(502, 'agent-failed', `the agent ${agent.name} answered ${a.status} to GET ${path}`);
  return JSON.parse(a.body.toString('utf8')) as T;
}
