import { hostname } from 'node:os';
import { routes, type ServerListen } from '@patchbay/protocol';
import { FEATURE_DESCRIPTIONS, KERNEL_FEATURES } from '@patchbay/topology';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isLoopbackAddress } from '../request-origin.js';
import { route } from './route.js';

const health: FastifyPluginAsyncTypebox = async (app) => {
  route(app, routes.health, async () => ({ ok: true as const }), { unlimited: true });

  // What the server holds: the figures an instructor watches when a class is heavy (docs/server.md);
  // and where it listens, read from the socket it is bound to (not from what it was asked), so the
  // dashboard can say when a join link cannot reach students on other machines.
  route(app, routes.serverStatus, async (req) => {
    app.auth.assertInstructor(req, "see the server's status");
    const listen = listenOf(app.server.address(), 'encrypted' in req.socket);
    return {
      rssBytes: process.memoryUsage.rss(),
      captures: app.captures.storage(),
      ...(listen ? { listen } : {}),
      cpuHogs: { demoted: app.cpuHogs.demotedLabs(), demotions: app.cpuHogs.demotions },
    };
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

/** Where the server is bound (undefined before it listens: requests injected by tests). */
function listenOf(address: ReturnType<import('node:net').Server['address']>, https: boolean): ServerListen | undefined {
  if (!address || typeof address === 'string') return undefined;
  return {
    address: address.address,
    port: address.port,
    loopbackOnly: isLoopbackAddress(address.address),
    hostName: hostname(),
    https,
  };
}
export default health;
