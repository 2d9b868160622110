import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

const openapi: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
};
export default openapi;
