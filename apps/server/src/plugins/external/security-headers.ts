// Headers on every answer (the web app's files, the API, 404s): a Content-Security-Policy that
// only lets the app load its own files and connect to its own origin, and that no page may frame
// it (frame-ancestors, and X-Frame-Options for older browsers) — a framed instructor page could be
// clicked through by another site. Referrer-Policy no-referrer: the first page load's address
// carries `?token=`, which must never leave in a Referer header.
import fp from 'fastify-plugin';

/**
 * style-src needs 'unsafe-inline': React Flow and xterm set element styles (positions, sizes,
 * colours) at run time. Scripts stay 'self' only: the built index.html has no inline script.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
});

export default fp(
  async (app) => {
    app.addHook('onRequest', async (_req, reply) => {
      void reply.headers(SECURITY_HEADERS);
    });
  },
  { name: 'security-headers' },
);
