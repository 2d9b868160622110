// The web app (apps/web's build) on the same port as the API, as API.md says. Its files are public
// (the app asks for the token itself); paths that are not files and not the API get index.html, so
// the app's own addresses can be opened directly. Without a build, `/` says how to make one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';

export const WEB_DIST = process.env['PATCHBAY_WEB'] ?? fileURLToPath(new URL('../../../../web/dist/', import.meta.url));

export default fp(
  async (app) => {
    if (!existsSync(join(WEB_DIST, 'index.html'))) {
      app.get('/', { schema: { hide: true } }, async (_req, reply) =>
        reply
          .type('text/html')
          .send(
            '<!doctype html><title>Patchbay</title><p>The Patchbay API is running, but the web app is not built: run <code>pnpm build</code>.</p>',
          ),
      );
      return;
    }
    await app.register(fastifyStatic, {
      root: WEB_DIST,
      prefix: '/',
      index: ['index.html'],
      // apps/web's build writes name.br and name.gz beside each text asset (scripts/compress.mjs):
      // sent, with Content-Encoding, to a browser that accepts them
      preCompressed: true,
      // Vite names assets by content hash: cache them; index.html must be fetched again.
      setHeaders: (reply, path) => {
        reply.header(
          'cache-control',
          /[/\\]assets[/\\]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
    app.decorate('webApp', true);
  },
  { name: 'web' },
);
