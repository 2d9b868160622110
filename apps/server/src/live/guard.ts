// What every packet a client sends goes through before the event handlers (socket.use). Every
// client→server event takes one payload and an optional ack: extra arguments are dropped and a
// missing payload becomes `undefined` — otherwise a handler would take the ack for the payload (or
// an extra argument for the ack) and never answer. An event no handler listens to is refused
// through its ack, and so is a payload nested deeper than MAX_PAYLOAD_DEPTH: the payload checks and
// clones recurse, and thousands of levels (a few KiB of JSON) would overflow the stack inside an
// async handler, an unhandled rejection that ends the server.
import { nestedDeeper } from '../nesting.js';
import type { LiveSocket } from './socket.js';

export const MAX_PAYLOAD_DEPTH = 16;

export function guardPackets(socket: LiveSocket) {
  return (packet: unknown[], next: (err?: Error) => void): void => {
    const [event, ...args] = packet;
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as (res: unknown) => void) : undefined;
    const refuse = (error: string): void => ack?.({ ok: false, error });
    if (typeof event !== 'string' || socket.listeners(event as 'ping:start').length === 0)
      return refuse(`unknown event ${String(event).slice(0, 64)}`);
    if (nestedDeeper(args[0], MAX_PAYLOAD_DEPTH))
      return refuse(`invalid ${event} payload: nested deeper than ${MAX_PAYLOAD_DEPTH} levels`);
    packet.splice(1, packet.length - 1, args[0], ...(ack ? [ack] : []));
    next();
  };
}
