// The database as a service (`app.store`); the caller opens and closes it.
import fp from 'fastify-plugin';
import type { Store } from '../../store/store.js';

export default fp<{ store: Store }>(
  async (app, opts) => {
    app.decorate('store', opts.store);
  },
  { name: 'store' },
);
