// One HTTP(S) request between a coordinator and an agent over a keep-alive pool (node:http or
// node:https; Node's fetch cannot present a client certificate without undici's own Agent, which
// Node does not export). Shared by the plain link (the secret alone, agent-client.ts) and mTLS
// (tls-request.ts), which differ only in their pool and in how they word a failure.
import http from 'node:http';
import https from 'node:https';

export interface PooledAnswer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

export interface PooledRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The whole request, answer included. */
  timeoutMs: number;
}

/**
 * Sends `req` to `url` over `pool`. A request put on a kept connection that the peer closed as it
 * was sent (ECONNRESET on a reused socket) is sent once more, on a new connection. `explain` words
 * a failure for the operator.
 */
export function pooledRequest(
  url: URL,
  pool: http.Agent,
  req: PooledRequest,
  explain: (e: Error & { code?: string }) => Error = (e) => e,
  retried = false,
): Promise<PooledAnswer> {
  const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
  return new Promise<PooledAnswer>((resolve, reject) => {
    const r = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: req.method,
        agent: pool,
        headers: { ...req.headers, ...(body !== undefined ? { 'content-length': String(body.length) } : {}) },
        signal: AbortSignal.timeout(req.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(explain(e)));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 502,
            contentType: res.headers['content-type'],
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    r.on('error', (e: Error & { code?: string }) => {
      if (r.reusedSocket && e.code === 'ECONNRESET' && !retried)
        pooledRequest(url, pool, req, explain, true).then(resolve, reject);
      else if (e.name === 'TimeoutError' || e.name === 'AbortError')
        reject(new Error(`no answer within ${req.timeoutMs} ms`));
      else reject(explain(e));
    });
    r.end(body);
  });
}
