// The engine as a service (`app.engine`); the caller creates, recovers and closes it. Its
// lifecycle listeners' failures and watcher trouble are logged with the app's logger.
import type { Engine } from '@patchbay/engine';
import fp from 'fastify-plugin';

export default fp<{ engine: Engine }>(
  async (app, opts) => {
    app.decorate('engine', opts.engine);
    opts.engine.setLog({ warn: (fields, message) => app.log.warn(fields, message) });
  },
  { name: 'engine' },
);
