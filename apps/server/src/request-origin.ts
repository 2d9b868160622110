// Which Host and Origin headers the server answers (DNS rebinding, cross-site requests). A page of
// evil.example whose name is re-pointed at 127.0.0.1 reaches the server with `Host: evil.example`;
// a page of another site posting to the server sends its own `Origin`. Both are refused, for REST
// requests (plugins/services/request-origin.ts) and socket.io handshakes (live plugin) alike.
//
// Allowed Host names: IP literals (a rebinding attack needs a name it controls, never an address),
// localhost and *.localhost, this machine's host name (and name.local), the name `serve --host`
// listens on, and PATCHBAY_ALLOWED_HOSTS (comma-separated names, e.g. `lab.school.example`). A
// request without Host (HTTP/1.0, not a browser) is let through: no browser sends one.
// Allowed Origin: none (not a browser, or a same-origin GET), or one whose host and port are the
// request's own Host, or an allowed name's.
import { isIP } from 'node:net';
import { hostname } from 'node:os';

export interface HostPolicy {
  /** Names allowed besides IP literals and loopback names (lower case, no port). */
  readonly names: ReadonlySet<string>;
}

/** The host policy from the served address and PATCHBAY_ALLOWED_HOSTS; throws for a malformed entry. */
export function hostPolicy(servedHost?: string, allowed = process.env['PATCHBAY_ALLOWED_HOSTS']): HostPolicy {
  const names = new Set<string>();
  const own = hostname().toLowerCase();
  if (own) names.add(own).add(`${own}.local`);
  if (servedHost && !isIP(servedHost)) names.add(servedHost.toLowerCase());
  for (const raw of (allowed ?? '').split(',')) {
    const name = raw.trim().toLowerCase();
    if (!name) continue;
    if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(name))
      throw new Error(`PATCHBAY_ALLOWED_HOSTS: ${JSON.stringify(raw.trim())} is not a host name (no scheme, no port)`);
    names.add(name);
  }
  return { names };
}

/** Whether a bound IP address takes connections from this machine only (127.0.0.0/8, ::1, or 127.x mapped into IPv6). */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

/** `host[:port]` → the host name, lower case, without brackets or port; undefined when malformed. */
export function hostName(hostHeader: string): string | undefined {
  const h = hostHeader.trim().toLowerCase();
  const m = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h) ?? /^([a-z0-9._-]+)(?::\d{1,5})?$/.exec(h);
  if (!m) return undefined;
  return m[1]!.replace(/\.$/, ''); // `localhost.` is `localhost`
}

export function hostAllowed(policy: HostPolicy, hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return true;
  const name = hostName(hostHeader);
  if (name === undefined) return false;
  if (isIP(name)) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return policy.names.has(name);
}

/** Why a request's Host or Origin is refused, or undefined when both are fine. */
export function originProblem(
  policy: HostPolicy,
  headers: { host?: string | undefined; origin?: string | string[] | undefined },
): string | undefined {
  const host = headers.host;
  if (!hostAllowed(policy, host))
    return `this server does not answer to the host name ${JSON.stringify(host)}: add it to PATCHBAY_ALLOWED_HOSTS`;
  const origin = Array.isArray(headers.origin) ? headers.origin[0] : headers.origin;
  if (origin === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `requests from the origin ${JSON.stringify(origin)} are refused`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `requests from the origin ${JSON.stringify(origin)} are refused`;
  // Same origin: the page was served by this server under the name the request uses.
  if (host !== undefined && url.host === host.trim().toLowerCase()) return undefined;
  // Another name of this server (e.g. the page on the LAN address, the API called by its name).
  if (hostAllowed(policy, url.host) && url.hostname !== '' && policy.names.has(url.hostname.toLowerCase()))
    return undefined;
  return `requests from the origin ${JSON.stringify(origin)} are refused: the page must come from this server`;
}
