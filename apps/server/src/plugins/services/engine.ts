// The engine as a service (`app.engine`); the caller creates, recovers and closes it.
import type { Engine } from '@patchbay/engine';
import fp from 'fastify-plugin';

export default fp<{ engine: Engine }>(
  async (app, opts) => {
    app.decorate('engine', opts.engine);
  },
  { name: 'engine' },
);
