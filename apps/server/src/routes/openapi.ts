import { routes } from '@patchbay/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { route } from './route.js';

const openapi: FastifyPluginAsyncTypebox = async (app) => {
  route(app, routes.openapi, async () => app.swagger() as never);
};
export default openapi;
