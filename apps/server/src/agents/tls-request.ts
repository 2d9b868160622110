// HTTP requests between coordinators and agents over mTLS (tls.ts): node:https with this process's
// certificate and the peer's role checked, through one keep-alive pool per peer (a pool's sockets
// were verified as that peer's; pooled-request.ts sends them). A TLS failure is told in words that
// say what to fix.
import { Agent } from 'node:https';
import { pooledRequest, type PooledAnswer, type PooledRequest } from './pooled-request.js';
import { type AgentTls, clientTlsOptions, describeIdentity, TLS_ENV, type TlsIdentity } from './tls.js';

/** Keep-alive pools, one per peer identity expected (bounded: agents come and go by name). */
const pools = new Map<string, Agent>();
const MAX_POOLS = 1000;

function poolFor(tls: AgentTls, want: TlsIdentity): Agent {
  const key = want.role === 'coordinator' ? 'coordinator' : `agent:${want.name ?? ''}`;
  let pool = pools.get(key);
  if (pool) return pool;
  if (pools.size >= MAX_POOLS) {
    const [oldest, agent] = pools.entries().next().value!;
    agent.destroy();
    pools.delete(oldest);
  }
  pool = new Agent({ keepAlive: true, maxSockets: 64, ...clientTlsOptions(tls, want) });
  pools.set(key, pool);
  return pool;
}

/** Closes every pooled connection (a process that shuts down). */
export function closeTlsPools(): void {
  for (const pool of pools.values()) pool.destroy();
  pools.clear();
}

/** What a TLS failure means for the operator, or the error's own message. */
export function explainTlsError(e: Error & { code?: string }, want: TlsIdentity): string {
  const code = e.code ?? '';
  if (code === 'ERR_PATCHBAY_PEER_ROLE') return e.message;
  if (/UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|CERTIFICATE_UNKNOWN/.test(code))
    return `the peer refused this process's certificate (${code}): is ${TLS_ENV.cert} signed by the CA the peer trusts?`;
  if (/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_SIGNATURE_FAILURE|CERT_UNTRUSTED/.test(code))
    return `the peer's certificate is not signed by the CA of ${TLS_ENV.ca} (${code}): is it ${describeIdentity(want)} of this installation?`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `the peer's certificate is not valid now (${code})`;
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(e.message))
    return `the peer does not speak TLS here (${e.message}): is it set up with ${TLS_ENV.cert} too, and is the address https://?`;
  return e.message;
}

/** One request to `url` (https:) over mTLS, expecting the server to be `want`. */
export function tlsRequest(tls: AgentTls, want: TlsIdentity, url: URL, req: PooledRequest): Promise<PooledAnswer> {
  if (url.protocol !== 'https:')
    return Promise.reject(new Error(`${url.origin} is not https://: with ${TLS_ENV.cert} every agent link is HTTPS`));
  return pooledRequest(url, poolFor(tls, want), req, (e) =>
    Object.assign(new Error(explainTlsError(e, want)), { tlsCode: e.code }),
  );
}
