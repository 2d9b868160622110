// socket.io on the app's own HTTP server (path /socket.io/), for the live streams of API.md. The
// handshake carries `auth: { token }`, checked by the same auth service as HTTP; a socket without a
// valid token never connects. Closed in preClose: upgraded connections are not HTTP connections, so
// server.close() would otherwise wait for them forever; closing drops every socket and so kills its pings,
// and the live tables' namespace watchers are stopped.
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '@patchbay/protocol';
import fp from 'fastify-plugin';
import { Server } from 'socket.io';
import { registerPing } from '../../live/ping.js';
import { TablesHub } from '../../live/tables.js';

export type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export default fp(
  async (app) => {
    const io: LiveServer = new Server(app.server, { path: '/socket.io/', serveClient: false });
    io.use((socket, next) => {
      const token: unknown = socket.handshake.auth?.['token'];
      const scope = typeof token === 'string' ? app.auth.scopeFor(token) : undefined;
      if (!scope) return next(new Error(typeof token === 'string' ? 'the token is not valid' : 'this needs a token: connect with auth: { token }'));
      socket.data.scope = scope;
      next();
    });
    const running = new Set<Promise<unknown>>();
    const tables = new TablesHub(app, io);
    io.on('connection', (socket) => {
      registerPing(app, socket, running);
      tables.register(socket);
    });
    app.decorate('io', io);
    app.decorate('tables', tables);
    app.addHook('preClose', async () => {
      io.disconnectSockets(true);
      io.engine.close();
      await Promise.allSettled([...running, tables.closeAll()]);
    });
  },
  { name: 'live', dependencies: ['auth', 'engine'] },
);
