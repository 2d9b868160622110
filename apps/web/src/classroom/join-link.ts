// Whether the join link the dashboard shows can reach students on other machines, from the page's
// own address and where the server says it listens (GET /api/status `listen`). Pure, so that every
// case is tested without a second machine.
import type { ServerListen } from '@patchbay/protocol';

/** Whether a URL's hostname names this machine only (`localhost`, `*.localhost`, 127.0.0.0/8, `[::1]`). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export type JoinLinkReach =
  /** The server is bound to loopback: nobody else reaches it, whatever the link says. */
  | { kind: 'server-loopback'; address: string; serveCommand: string }
  /** The server takes connections from the network, but the link names this machine (the page was opened at 127.0.0.1). */
  | { kind: 'link-loopback'; suggestedOrigin?: string };

/**
 * Why students on other machines cannot use the join link, or undefined when it may work (the page
 * was opened at a name or address others can use too: a reverse proxy in front of a server bound
 * to loopback is such a case).
 */
export function joinLinkReach(pageUrl: string, listen: ServerListen | undefined): JoinLinkReach | undefined {
  const page = new URL(pageUrl);
  if (!isLoopbackHost(page.hostname)) return undefined;
  if (listen?.loopbackOnly) {
    const port = listen.port === 7070 ? '' : ` --port ${listen.port}`;
    return {
      kind: 'server-loopback',
      address: listen.address,
      // TLS, because tokens and terminals would otherwise cross the class network in the clear (docs/server.md).
      serveCommand: `patchbay serve --host 0.0.0.0${port} --tls-cert cert.pem --tls-key key.pem`,
    };
  }
  if (!listen) return { kind: 'link-loopback' };
  return { kind: 'link-loopback', suggestedOrigin: `${page.protocol}//${listen.hostName}:${listen.port}` };
}
