import { routes } from '@patchbay/protocol';
import { FEATURE_DESCRIPTIONS, KERNEL_FEATURES } from '@patchbay/topology';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { route } from './route.js';

const health: FastifyPluginAsyncTypebox = async (app) => {
  route(app, routes.health, async () => ({ ok: true as const }), { unlimited: true });

  // What the server holds: the figures an instructor watches when a class is heavy (docs/server.md).
  route(app, routes.serverStatus, async (req) => {
    app.auth.assertInstructor(req, "see the server's status");
    return { rssBytes: process.memoryUsage.rss(), captures: app.captures.storage() };
  });

  // Detected once per kernel release (engine.kernelFeatures); the editor disables what is missing.
  route(app, routes.kernelFeatures, async () => {
    const have = await app.engine.kernelFeatures();
    return {
      available: KERNEL_FEATURES.filter((f) => have.has(f)),
      missing: KERNEL_FEATURES.filter((f) => !have.has(f)).map((feature) => ({
        feature,
        description: FEATURE_DESCRIPTIONS[feature],
      })),
    };
  });
};
export default health;
