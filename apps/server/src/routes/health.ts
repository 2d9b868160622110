import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HealthSchema } from '@patchbay/protocol';

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/health',
    { config: { public: true }, schema: { summary: 'Liveness; needs no token', security: [], response: { 200: HealthSchema } } },
    async () => ({ ok: true as const }),
  );
};
export default health;
