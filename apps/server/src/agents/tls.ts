// mTLS between coordinators and agents: the second way (besides PATCHBAY_AGENT_SECRET) for them to
// prove who they are. One CA (PATCHBAY_AGENT_TLS_CA) signs every coordinator's and agent's
// certificate; each process presents its own (PATCHBAY_AGENT_TLS_CERT, PATCHBAY_AGENT_TLS_KEY) and
// requires the peer's to be signed by that CA. What a certificate may do is decided by the role it
// names in a subjectAltName URI, never by a header or a host name:
//   urn:patchbay:coordinator     a coordinator: may call agents' APIs (as their instructor)
//   urn:patchbay:agent:NAME      the agent NAME: may beat to coordinators under that name only
//   urn:patchbay:agent           any agent name (one certificate shared by many hosts, e.g. a
//                                Kubernetes Secret mounted by a DaemonSet: weaker, docs/deploy.md)
// A certificate naming no role, or more than one, is nobody's. Host names are not checked (agents
// are reached at addresses that change: pod IPs); the role and name take their place.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export const TLS_ENV = {
  ca: 'PATCHBAY_AGENT_TLS_CA',
  cert: 'PATCHBAY_AGENT_TLS_CERT',
  key: 'PATCHBAY_AGENT_TLS_KEY',
} as const;

export const COORDINATOR_URI = 'urn:patchbay:coordinator';
export const AGENT_URI = 'urn:patchbay:agent';

/** Who a certificate says it is. `name` undefined: an agent certificate valid for any agent name. */
export type TlsIdentity = { role: 'coordinator' } | { role: 'agent'; name: string | undefined };

/** This process's side of the mTLS link, read and checked at start. */
export interface AgentTls {
  /** PEM: the CA certificate(s) peers' certificates must be signed by. */
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  identity: TlsIdentity;
}

/**
 * An agent's API served over mTLS: every route but the public ones needs a verified coordinator
 * certificate; `alone` (no PATCHBAY_AGENT_SECRET): the certificate makes the caller its
 * instructor; otherwise the secret is still needed as well.
 */
export interface CallerCertificates {
  alone: boolean;
}

/** The Patchbay identity a certificate's subjectAltName names, or why it names none. */
export function identityOf(subjectAltName: string | undefined): TlsIdentity | string {
  // Node lists entries as `URI:…, DNS:…`; an entry with a comma or a quote is written quoted
  // (JSON): it never matches below, so such a certificate is nobody's (fail closed).
  const uris = (subjectAltName ?? '')
    .split(', ')
    .filter((e) => e.startsWith('URI:'))
    .map((e) => e.slice(4))
    .filter((u) => u === COORDINATOR_URI || u === AGENT_URI || u.startsWith(`${AGENT_URI}:`));
  if (uris.length === 0)
    return `it names no Patchbay role (a subjectAltName URI ${COORDINATOR_URI}, ${AGENT_URI}:NAME or ${AGENT_URI})`;
  if (uris.length > 1) return `it names more than one Patchbay role (${uris.join(', ')})`;
  const uri = uris[0]!;
  if (uri === COORDINATOR_URI) return { role: 'coordinator' };
  const name = uri === AGENT_URI ? undefined : uri.slice(AGENT_URI.length + 1);
  if (name !== undefined && !/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/.test(name))
    return `its agent name ${JSON.stringify(name)} is not an agent name`;
  return { role: 'agent', name };
}

export const describeIdentity = (id: TlsIdentity): string =>
  id.role === 'coordinator' ? 'a coordinator' : id.name === undefined ? 'any agent' : `the agent ${id.name}`;

/** Why `id` may not act as `want` (a coordinator, or the agent named so), or undefined. */
export function identityProblem(id: TlsIdentity | string, want: TlsIdentity): string | undefined {
  if (typeof id === 'string') return `its certificate is not a Patchbay certificate: ${id}`;
  if (id.role !== want.role) return `its certificate is ${describeIdentity(id)}'s, not ${describeIdentity(want)}'s`;
  // `want.name` undefined: any agent (the agent port's first look, before the heartbeat names one).
  if (
    id.role === 'agent' &&
    want.role === 'agent' &&
    want.name !== undefined &&
    id.name !== undefined &&
    id.name !== want.name
  )
    return `its certificate is the agent ${id.name}'s, not the agent ${want.name ?? '(any)'}'s`;
  return undefined;
}

/**
 * Why the TLS peer of `socket` may not act as `want`, or undefined. Only a certificate the TLS
 * layer verified against the CA counts (`authorized`); nothing of the request is looked at.
 */
export function peerProblem(socket: unknown, want: TlsIdentity): string | undefined {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (typeof tls?.getPeerCertificate !== 'function') return 'this needs a TLS connection with a client certificate';
  if (!tls.authorized)
    return `no certificate signed by the agents' CA (PATCHBAY_AGENT_TLS_CA) was presented (${String(tls.authorizationError ?? 'none given')})`;
  const cert = tls.getPeerCertificate();
  return identityProblem(identityOf(cert.subjectaltname), want);
}

/** The fingerprint of the verified peer certificate (a rate-limit key), or undefined. */
export function peerFingerprint(socket: unknown): string | undefined {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (typeof tls?.getPeerCertificate !== 'function' || !tls.authorized) return undefined;
  return tls.getPeerCertificate().fingerprint256 || undefined;
}

/** Options of a TLS server that admits only clients with a certificate signed by the CA. */
export function serverTlsOptions(t: AgentTls) {
  return {
    ca: t.ca,
    cert: t.cert,
    key: t.key,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2' as const,
  };
}

/**
 * Options of a TLS client (https.request, socket.io-client, ws) that presents this process's
 * certificate and accepts only a server whose certificate, signed by the CA, is `want`'s.
 */
export function clientTlsOptions(t: AgentTls, want: TlsIdentity) {
  return {
    ca: t.ca,
    cert: t.cert,
    key: t.key,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2' as const,
    // Replaces the host-name check (the chain is still verified against `ca` first).
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
      const problem = identityProblem(identityOf(cert.subjectaltname), want);
      return problem === undefined
        ? undefined
        : Object.assign(new Error(`the server is not ${describeIdentity(want)}: ${problem}`), {
            code: 'ERR_PATCHBAY_PEER_ROLE',
          });
    },
  };
}

/** PEM certificates in `pem`, in order (throws when there is none or one does not parse). */
function certificatesIn(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw new Error(`${what} holds a certificate that does not parse: ${(e as Error).message}`, { cause: e });
    }
  });
}

function validNow(cert: X509Certificate, what: string, now: number): void {
  if (Date.parse(cert.validFrom) > now) throw new Error(`${what} is not valid before ${cert.validFrom}`);
  if (Date.parse(cert.validTo) < now) throw new Error(`${what} expired on ${cert.validTo}`);
}

/**
 * PATCHBAY_AGENT_TLS_CA, _CERT and _KEY (all three, or none: undefined), read and checked before
 * anything starts: readable, PEM, the key the certificate's, the certificate signed by the CA and
 * valid now, and naming `role` (a coordinator; for an agent, its own --name or any agent).
 */
export function agentTlsFromEnv(env: NodeJS.ProcessEnv, role: TlsIdentity, now = Date.now()): AgentTls | undefined {
  const files = { ca: env[TLS_ENV.ca]?.trim(), cert: env[TLS_ENV.cert]?.trim(), key: env[TLS_ENV.key]?.trim() };
  const given = Object.values(files).filter(Boolean).length;
  if (given === 0) return undefined;
  if (given < 3)
    throw new Error(
      `${TLS_ENV.ca}, ${TLS_ENV.cert} and ${TLS_ENV.key} go together (mTLS between coordinators and agents): set all three PEM files, or none`,
    );
  const read = (which: keyof typeof TLS_ENV): Buffer => {
    const file = files[which]!;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`cannot read ${TLS_ENV[which]} (${file}): ${(e as Error).message}`, { cause: e });
    }
  };
  const ca = read('ca');
  const cert = read('cert');
  const key = read('key');
  const what = (which: keyof typeof TLS_ENV) => `${TLS_ENV[which]} (${files[which]})`;
  const cas = certificatesIn(ca.toString('utf8'), what('ca'));
  for (const c of cas) {
    if (!c.ca)
      throw new Error(`${what('ca')} holds a certificate that is not a CA (${c.subject.replace(/\n/g, ', ')})`);
    validNow(c, `the CA of ${what('ca')}`, now);
  }
  const own = certificatesIn(cert.toString('utf8'), what('cert'))[0]!;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new Error(`${what('key')} is not a PEM private key: ${(e as Error).message}`, { cause: e });
  }
  if (!own.checkPrivateKey(privateKey))
    throw new Error(`${what('key')} is not the key of the certificate ${what('cert')}`);
  if (!cas.some((c) => own.checkIssued(c) && own.verify(c.publicKey)))
    throw new Error(`${what('cert')} is not signed by the CA of ${what('ca')}`);
  validNow(own, what('cert'), now);
  const identity = identityOf(own.subjectAltName);
  const problem = identityProblem(identity, role);
  if (problem) throw new Error(`${what('cert')} cannot serve here: ${problem.replace(/^its certificate/, 'it')}`);
  return { ca, cert, key, identity: identity as TlsIdentity };
}
