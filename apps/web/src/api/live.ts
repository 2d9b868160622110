// The one socket.io connection of the page, typed with the protocol's event maps. It connects with
// the token (auth: { token }) and reconnects by itself; components subscribe to what they show.
import type { ClientToServerEvents, ServerToClientEvents } from '@patchbay/protocol';
import { io, type Socket } from 'socket.io-client';
import { getToken } from './token';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let socket: LiveSocket | undefined;

export function liveSocket(): LiveSocket {
  socket ??= io({ path: '/socket.io/', auth: (cb) => cb({ token: getToken() ?? '' }), transports: ['websocket'] });
  return socket;
}
