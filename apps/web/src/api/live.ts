// The one socket.io connection of the page, typed with the protocol's event maps. It connects with
// the token (auth: { token }); the connection manager (connection.ts) reconnects it with backoff
// whatever closed it, and components subscribe again to what they show on its `connect` event.
import type { ClientToServerEvents, ServerToClientEvents } from '@patchbay/protocol';
import { io, type Socket } from 'socket.io-client';
import { manageSocket } from './connection';
import { getToken } from './token';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const sockets = new Map<string, LiveSocket>();

/**
 * The page's connection; with `token`, one connection per token (a student's exercise page connects
 * with the token of its lab, not with the instructor's token kept for the editor).
 */
export function liveSocket(token?: string): LiveSocket {
  const key = token ?? '';
  let socket = sockets.get(key);
  if (!socket) {
    socket = io({
      path: '/socket.io/',
      auth: (cb) => cb({ token: token ?? getToken() ?? '' }),
      transports: ['websocket'],
      reconnection: false,
    });
    manageSocket(key, socket);
    sockets.set(key, socket);
  }
  return socket;
}
