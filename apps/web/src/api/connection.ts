// The page's one connection manager: every socket of the page (live.ts) and every REST call
// (client.ts) report here, and each lost link is tried again with backoff (backoff.ts). socket.io's
// own reconnection is off: it gives up after a server-side `io server disconnect` and says neither
// which attempt runs nor when the next one comes, which the page shows (ConnectionBanner). Pages
// re-subscribe on their socket's `connect` event, which comes after every reconnection.
import type { Socket } from 'socket.io-client';
import { createStore } from 'zustand/vanilla';
import { Reconnector, type LinkState } from './backoff';

export interface ConnectionState {
  /** Per link: `socket:` + the token key of a socket, or `rest`. */
  links: Record<string, LinkState>;
  /** When the last lost link came back (for a brief "reconnected"). */
  reconnectedAt?: number;
}

export const connectionStore = createStore<ConnectionState>()(() => ({ links: {} }));

function report(key: string, s: LinkState): void {
  connectionStore.setState((st) => {
    const was = st.links[key];
    const back = s.phase === 'online' && was?.phase === 'away';
    return { links: { ...st.links, [key]: s }, ...(back ? { reconnectedAt: Date.now() } : {}) };
  });
}

/** A refusal at the handshake is the server's answer (a token no longer valid), not the network's: retrying does not help. */
export function isNetworkFailure(err: Error & { type?: unknown }): boolean {
  return err.type === 'TransportError' || err.message === 'timeout' || err.message.startsWith('too many attempts');
}

interface SocketLink {
  reconnector: Reconnector;
  givenUp: boolean;
}
const socketLinks = new WeakMap<object, SocketLink>();

/** Puts a socket (created with `reconnection: false`) under the manager: lost → tried again with backoff. */
export function manageSocket(key: string, socket: Socket): void {
  const name = `socket:${key}`;
  const r = new Reconnector(
    () => socket.connect(),
    (s) => report(name, s),
  );
  const link: SocketLink = { reconnector: r, givenUp: false };
  socketLinks.set(socket, link);
  socket.on('connect', () => r.connected());
  socket.on('disconnect', (reason) => {
    // The page closed it itself, or gave it up; anything else (the server went away, or let go of
    // this connection: a restart, a removed student) is tried again; a revoked token is refused then.
    if (reason === 'io client disconnect' || link.givenUp) r.stop();
    else r.lost();
  });
  socket.on('connect_error', (err: Error & { type?: unknown }) => {
    if (link.givenUp) r.stop();
    else if (isNetworkFailure(err)) r.lost();
    else r.refused(err.message);
  });
}

/** The page knows this socket's story is over (the session ended): no more attempts, no banner for it. */
export function giveUpSocket(socket: object): void {
  const link = socketLinks.get(socket);
  if (!link) return;
  link.givenUp = true;
  link.reconnector.stop();
}

// REST: a call that did not reach the server starts probing /api/health with backoff until it
// answers; any call that reaches the server ends the probing.
const rest = new Reconnector(
  () => {
    fetch('/api/health', { cache: 'no-store' }).then(
      (res) => (res.ok ? rest.connected() : rest.lost()),
      () => rest.lost(),
    );
  },
  (s) => report('rest', s),
);

/** Told by the REST client after every call: whether the server was reached. */
export function restReached(reached: boolean): void {
  const phase = rest.current.phase;
  if (reached) {
    if (phase === 'away') rest.connected();
  } else if (phase !== 'away') {
    rest.lost();
  }
}

/** What the page shows about the server. */
export type ServerView =
  | { kind: 'online' }
  | { kind: 'away'; attempt: number; nextInS: number; since: number }
  | { kind: 'reconnected'; at: number };

/** How long "reconnected" stays up. */
export const RECONNECTED_SHOWN_MS = 5000;

/** The longest-lost link decides what is shown (stable while several links are away). */
export function serverView(st: ConnectionState, now: number): ServerView {
  const away = Object.entries(st.links)
    .flatMap(([key, s]) => (s.phase === 'away' ? [{ key, s }] : []))
    .sort((a, b) => a.s.since - b.s.since || a.key.localeCompare(b.key));
  const first = away[0];
  if (first)
    return {
      kind: 'away',
      attempt: first.s.attempt,
      nextInS: Math.max(0, Math.ceil((first.s.nextAt - now) / 1000)),
      since: first.s.since,
    };
  if (st.reconnectedAt !== undefined && now - st.reconnectedAt < RECONNECTED_SHOWN_MS)
    return { kind: 'reconnected', at: st.reconnectedAt };
  return { kind: 'online' };
}

/** The banner's words for a view. */
export function serverViewText(v: ServerView): string {
  if (v.kind === 'away')
    return `Reconnecting to the Patchbay server… (attempt ${v.attempt}, ${v.nextInS > 0 ? `next in ${v.nextInS}s` : 'trying now'})`;
  if (v.kind === 'reconnected') return 'Reconnected to the Patchbay server.';
  return '';
}
