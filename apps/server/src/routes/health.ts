import { routes } from '@patchbay/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { route } from './route.js';

const health: FastifyPluginAsyncTypebox = async (app) => {
  route(app, routes.health, async () => ({ ok: true as const }), { unlimited: true });
};
export default health;
