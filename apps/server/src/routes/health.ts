import { routes } from '@patchbay/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { route } from './route.js';

const health: FastifyPluginAsyncTypebox = async (app) => {
  route(app, routes.health, async () => ({ ok: true as const }), { unlimited: true });

  // What the server holds: the figures an instructor watches when a class is heavy (docs/server.md).
  route(app, routes.serverStatus, async (req) => {
    app.auth.assertInstructor(req, "see the server's status");
    return { rssBytes: process.memoryUsage.rss(), captures: app.captures.storage() };
  });
};
export default health;
