// Streams (pings, captures, terminals) are named by ids their clients choose and send with the start
// request, so a client knows every event of its stream, even one that arrives before the start's
// acknowledgement. The format is the protocol's (StreamIdSchema, checked with the payload); here is
// the rest of the rule: an id names one stream of its connection. A start whose id the connection
// has sent before — for a stream that runs, ended, or was refused — is refused, so a late event of
// an old stream can never be taken for one of a new stream.
import type { LiveSocket } from './socket.js';

/** Ids remembered per connection (the oldest are forgotten beyond this: 4096 × 64 bytes at most). */
export const REMEMBERED_STREAM_IDS = 4096;

export class StreamIds {
  private readonly used = new Set<string>();

  constructor(private readonly remember = REMEMBERED_STREAM_IDS) {}

  /** Claims `id` for a new stream of `kind`; the refusal's message when the connection has used it. */
  claim(id: string, kind: string): string | undefined {
    if (this.used.has(id))
      return `the id ${id} was used before on this connection: choose a new id for each ${kind} (e.g. a random UUID)`;
    this.used.add(id);
    if (this.used.size > this.remember) {
      const oldest = this.used.values().next();
      if (!oldest.done) this.used.delete(oldest.value);
    }
    return undefined;
  }
}

const perSocket = new WeakMap<LiveSocket, StreamIds>();

/** The stream ids of `socket` (shared by its pings, captures and terminals). */
export function streamIdsOf(socket: LiveSocket): StreamIds {
  let ids = perSocket.get(socket);
  if (!ids) perSocket.set(socket, (ids = new StreamIds()));
  return ids;
}
