// The one socket.io connection of the page, typed with the protocol's event maps. It connects with
// the token (auth: { token }) and reconnects by itself; components subscribe to what they show.
import type { ClientPayload, ClientToServerEvents, LiveAck, ServerToClientEvents } from '@patchbay/protocol';
import { io, type Socket } from 'socket.io-client';
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
    socket = io({ path: '/socket.io/', auth: (cb) => cb({ token: token ?? getToken() ?? '' }), transports: ['websocket'] });
    sockets.set(key, socket);
  }
  return socket;
}

/** The start requests of the streams: each is answered with a LiveAck. */
export type StreamStart = 'ping:start' | 'capture:start' | 'terminal:open';

/**
 * Sends a stream's start request and waits at most `timeoutMs` for its ack (rejects on timeout).
 * socket.io types `timeout().emitWithAck`'s answer as `any`; the contract says it is a LiveAck.
 */
export function startStream<E extends StreamStart>(socket: LiveSocket, event: E, payload: ClientPayload<E>, timeoutMs: number): Promise<LiveAck> {
  const timed = socket.timeout(timeoutMs) as unknown as { emitWithAck(event: E, payload: ClientPayload<E>): Promise<LiveAck> };
  return timed.emitWithAck(event, payload);
}
