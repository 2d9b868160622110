// Lab documents may come as YAML: the text is handed as it is to the engine's parser (the same one
// the CLI uses), which reports problems with their paths.
import fp from 'fastify-plugin';

export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export default fp(
  async (app) => {
    app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  },
  { name: 'content-types' },
);
