// OpenAPI 3, generated from the same TypeBox route schemas that validate requests.
import fastifySwagger from '@fastify/swagger';
import fp from 'fastify-plugin';

export default fp(
  async (app) => {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Patchbay',
          version: '1',
          description: 'Patchbay server interface, version 1 (docs/spec/API.md).',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });
  },
  { name: 'swagger' },
);
